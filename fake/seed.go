// This file holds Seed: a file that loads keys, images, snapshots and a
// resource directory into the fake.

package fake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrInvalidSeed is the sentinel of a world the fake refuses to load: a
// malformed ID, an unknown field, a value of the wrong type, or a key ID no
// key has.
var ErrInvalidSeed = errors.New("invalid seed")

// Seed is the account's world beyond RAM, in the JSON form LoadSeed reads:
//
//	{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true},
//	 "keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-...", "state": "Enabled"}],
//	 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "0b1f4a2c-..."},
//	            {"region": "cn-hangzhou", "id": "m-bp1servicekey", "serviceKey": true}],
//	 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1shared01", "kmsKeyId": "0b1f4a2c-..."}]}
type Seed struct {
	// ResourceDirectory is the account's resource directory, if any.
	ResourceDirectory *ResourceDirectory `json:"resourceDirectory"`
	// Keys are the KMS keys.
	Keys []Key `json:"keys"`
	// Images are the custom images.
	Images []Image `json:"images"`
	// Snapshots are the snapshots.
	Snapshots []Snapshot `json:"snapshots"`
}

// LoadSeed reads a Seed from rd, strictly (an unknown field or a value of
// the wrong type is refused), and puts it into r: the directory, then the
// keys, then the images and snapshots. On error nothing is put, and the
// error, for which errors.Is(err, ErrInvalidSeed) is true, names the field
// at fault, such as images[1].kmsKeyId.
func LoadSeed(r *RAM, rd io.Reader) error {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	var s Seed
	if err := dec.Decode(&s); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("fake: load seed: %s: wrong type: a JSON %s cannot be a %s: %w", te.Field, te.Value, te.Type, ErrInvalidSeed)
		}
		return fmt.Errorf("fake: load seed: %v: %w", err, ErrInvalidSeed)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("fake: load seed: data after the seed object: %w", ErrInvalidSeed)
	}
	// Check the whole world on a scratch fake first, so that a bad seed
	// changes nothing.
	scratch := New(&Options{AccountID: r.AccountID()})
	if err := s.put(scratch); err != nil {
		return err
	}
	return s.put(r)
}

func (s *Seed) put(r *RAM) error {
	if s.ResourceDirectory != nil {
		if err := r.PutResourceDirectory(*s.ResourceDirectory); err != nil {
			return fmt.Errorf("fake: load seed: resourceDirectory: %w", err)
		}
	}
	for i, k := range s.Keys {
		if err := r.PutKey(k); err != nil {
			return fmt.Errorf("fake: load seed: keys[%d]: %w", i, err)
		}
	}
	for i, im := range s.Images {
		if err := r.PutImage(im); err != nil {
			return fmt.Errorf("fake: load seed: images[%d]: %w", i, err)
		}
	}
	for i, sn := range s.Snapshots {
		if err := r.PutSnapshot(sn); err != nil {
			return fmt.Errorf("fake: load seed: snapshots[%d]: %w", i, err)
		}
	}
	return nil
}

// LoadSeedBytes is LoadSeed on a byte slice.
func LoadSeedBytes(r *RAM, b []byte) error { return LoadSeed(r, bytes.NewReader(b)) }
