// This file holds Seed: a file that loads keys, images, snapshots and a
// resource directory into the fake.

package fake

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
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
//
// A directory with a tree adds root, folderTree and accounts (see
// ResourceDirectory), and a key, image or snapshot of a member account
// names it in "account":
//
//	{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "root": "r-Root01",
//	   "folderTree": [{"id": "fd-Prod01", "parent": "r-Root01", "name": "prod"}],
//	   "accounts": [{"uid": "2000000000000001", "folder": "fd-Prod01"}]},
//	 "keys": [{"account": "2000000000000001", "region": "cn-hangzhou", "id": "key-hzz6a2f1b0c3d4e5f"}]}
//
// A key in a KMS instance names it in "instance", and may give its key
// policy, as JSON text, in "policy" (by default the one KMS gives a new
// key, DefaultKeyPolicy):
//
//	{"keys": [{"region": "cn-hangzhou", "id": "key-hzzinstance0001", "instance": "kst-hzz62ee817bvyyr5x",
//	           "policy": "{\"Version\":\"1\",\"Statement\":[...]}"}]}
//
// RAM's side of an account, or of a member, is given by roles (each with
// its trust policy, as JSON text, and the policies attached to it) and
// custom policies (one document, or versions v1, v2, ... with the newest in
// force unless defaultVersion says otherwise); see SeedRole and
// SeedPolicy:
//
//	{"policies": [{"name": "TeamKeys", "document": "{...}"}],
//	 "roles": [{"name": "AliyunECSShareEncryptImageDefaultRole", "trust": "{...}",
//	            "attached": [{"name": "TeamKeys"}, {"name": "AliyunKMSFullAccess", "type": "System"}]}]}
type Seed struct {
	// ResourceDirectory is the account's resource directory, if any.
	ResourceDirectory *ResourceDirectory `json:"resourceDirectory"`
	// Keys are the KMS keys.
	Keys []Key `json:"keys"`
	// Images are the custom images.
	Images []Image `json:"images"`
	// Snapshots are the snapshots.
	Snapshots []Snapshot `json:"snapshots"`
	// Roles are RAM roles, with their trust policies and attachments.
	Roles []SeedRole `json:"roles"`
	// Policies are custom policies, with their versions.
	Policies []SeedPolicy `json:"policies"`
}

// LoadSeed reads a Seed from rd, strictly, and puts it into r: the
// directory, then the keys, then the images and snapshots, then the
// policies, roles and attachments. It refuses a
// document that is not one JSON object, a null anywhere, a field it does
// not know, a field given twice or spelled in another case, a value of the
// wrong type, a malformed ID, a key state it does not know, a key policy
// without an instance or one KMS would refuse, a kmsKeyId no
// key in the region and account has, a key, image or snapshot given twice,
// an image whose encryption contradicts that of its snapshot (a snapshot
// listed with another key, or made into another image with another key),
// a directory tree that is not one (a parent that is neither the root nor
// a folder of the tree, a cycle, more folder levels than
// Limits.FolderLevels, a folder or account given twice, an account in a
// folder the tree lacks, a folder listed in folders outside the tree), an
// account that is neither r's, one the fake holds, nor a member of the
// directory, a role or policy given twice, a policy with both a document
// and versions (or neither), an attachment of a policy that neither the
// seed nor the account has, and a name, document or number of versions
// that RAM would refuse. On error
// nothing is put, and the error, for which errors.Is(err, ErrInvalidSeed)
// is true, names the field at fault by its path, such as
// images[1].kmsKeyId, and quotes at most the first 100 bytes of a bad value.
func LoadSeed(r *RAM, rd io.Reader) error {
	b, err := io.ReadAll(rd)
	if err != nil {
		return fmt.Errorf("fake: load seed: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := checkShape(dec, seedShape, ""); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("fake: load seed: data after the seed object: %w", ErrInvalidSeed)
	}
	var s Seed
	if err := json.Unmarshal(b, &s); err != nil {
		// The shape was checked above; this is a backstop.
		return fmt.Errorf("fake: load seed: %v: %w", err, ErrInvalidSeed)
	}
	held := r.Accounts()
	if err := s.check(r.AccountID(), held, r.limits.FolderLevels); err != nil {
		return err
	}
	if err := s.checkRAM(s.holderOf(r.AccountID(), held), func(uid, typ, name string) bool {
		if typ == policyTypeSystem {
			return r.hasPolicy("", typ, name)
		}
		return r.hasPolicy(uid, typ, name)
	}); err != nil {
		return err
	}
	// Put the whole world on a scratch fake first, so that a bad seed
	// changes nothing.
	scratch := New(&Options{AccountID: r.AccountID(), Limits: r.limits, AccessRoleName: r.opts.AccessRoleName})
	for _, uid := range held {
		if _, err := scratch.AddAccount(uid); err != nil {
			return fmt.Errorf("fake: load seed: %w", err)
		}
	}
	if err := s.put(scratch); err != nil {
		return err
	}
	return s.put(r)
}

// LoadSeedBytes is LoadSeed on a byte slice.
func LoadSeedBytes(r *RAM, b []byte) error { return LoadSeed(r, bytes.NewReader(b)) }

func (s *Seed) put(r *RAM) error {
	if s.ResourceDirectory != nil {
		if err := r.PutResourceDirectory(*s.ResourceDirectory); err != nil {
			return fmt.Errorf("fake: load seed: resourceDirectory: %w", err)
		}
	}
	// Members the directory lists only in members hold no account until
	// an entry names them.
	var named []string
	for _, k := range s.Keys {
		named = append(named, k.Account)
	}
	for _, im := range s.Images {
		named = append(named, im.Account)
	}
	for _, sn := range s.Snapshots {
		named = append(named, sn.Account)
	}
	for _, ro := range s.Roles {
		named = append(named, ro.Account)
	}
	for _, p := range s.Policies {
		named = append(named, p.Account)
	}
	for _, uid := range named {
		if uid == "" {
			continue
		}
		if _, err := r.AddAccount(uid); err != nil {
			return fmt.Errorf("fake: load seed: %w", err)
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
	return s.putRAM(r)
}

// maxQuoted is how many bytes of a bad value a seed error quotes.
const maxQuoted = 100

// quoted returns s as a Go string literal, cut to maxQuoted bytes (on a
// character boundary) with its length said when it is longer.
func quoted(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(s[:cut]), len(s))
}

// seedError is the error of the field at path.
func seedError(path, format string, args ...any) error {
	return fmt.Errorf("fake: load seed: %s: %s: %w", path, fmt.Sprintf(format, args...), ErrInvalidSeed)
}

// shape is what one place of a seed file holds: an object with the fields
// named, an array of elem, a string or a boolean.
type shape struct {
	kind   string // "object", "array", "string" or "bool"
	fields map[string]*shape
	elem   *shape
}

var (
	stringShape = &shape{kind: "string"}
	boolShape   = &shape{kind: "bool"}
	seedShape   = &shape{kind: "object", fields: map[string]*shape{
		"resourceDirectory": {kind: "object", fields: map[string]*shape{
			"id":             stringShape,
			"sharingEnabled": boolShape,
			"members":        {kind: "array", elem: stringShape},
			"folders":        {kind: "array", elem: stringShape},
			"root":           stringShape,
			"folderTree": {kind: "array", elem: &shape{kind: "object", fields: map[string]*shape{
				"id": stringShape, "parent": stringShape, "name": stringShape,
			}}},
			"accounts": {kind: "array", elem: &shape{kind: "object", fields: map[string]*shape{
				"uid": stringShape, "folder": stringShape, "name": stringShape,
			}}},
		}},
		"keys": {kind: "array", elem: &shape{kind: "object", fields: map[string]*shape{
			"account": stringShape, "region": stringShape, "id": stringShape, "state": stringShape,
			"instance": stringShape, "policy": stringShape,
		}}},
		"images": {kind: "array", elem: &shape{kind: "object", fields: map[string]*shape{
			"account": stringShape, "region": stringShape, "id": stringShape, "kmsKeyId": stringShape, "serviceKey": boolShape, "snapshotId": stringShape,
			"dataDisks": {kind: "array", elem: &shape{kind: "object", fields: map[string]*shape{
				"snapshotId": stringShape, "kmsKeyId": stringShape, "serviceKey": boolShape, "unflagged": boolShape,
			}}},
		}}},
		"snapshots": {kind: "array", elem: &shape{kind: "object", fields: map[string]*shape{
			"account": stringShape, "region": stringShape, "id": stringShape, "kmsKeyId": stringShape, "serviceKey": boolShape,
		}}},
		"roles":    seedRAMShape["roles"],
		"policies": seedRAMShape["policies"],
	}}
)

// checkShape reads one value from dec and checks it against want. Field
// names must match exactly and appear once; null is refused everywhere, so
// that a field is either given a value or left out. path names the value.
func checkShape(dec *json.Decoder, want *shape, path string) error {
	at := path
	if at == "" {
		at = "the seed"
	}
	tok, err := dec.Token()
	if err == io.EOF {
		return seedError(at, "empty: want a JSON object")
	}
	if err != nil {
		return seedError(at, "not JSON (at byte %d): %v", dec.InputOffset(), err)
	}
	got := tokenKind(tok)
	if got == "null" {
		if path != "" && !strings.HasSuffix(path, "]") {
			return seedError(at, "null: give %s, or leave the field out", kindNames[want.kind])
		}
		return seedError(at, "null: want %s", kindNames[want.kind])
	}
	if got != want.kind {
		return seedError(at, "wrong type: %s, where the seed takes %s", kindNames[got], kindNames[want.kind])
	}
	switch want.kind {
	case "object":
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return seedError(at, "not JSON (at byte %d): %v", dec.InputOffset(), err)
			}
			k := kt.(string)
			sub := joinPath(path, k)
			fs, ok := want.fields[k]
			if !ok {
				for name := range want.fields {
					if strings.EqualFold(name, k) {
						return seedError(sub, "the field is spelled %s: names are matched exactly", name)
					}
				}
				return seedError(at, "unknown field %s; want one of %s", quoted(k), strings.Join(sortedNames(want.fields), ", "))
			}
			if seen[k] {
				return seedError(sub, "given twice in one object")
			}
			seen[k] = true
			if err := checkShape(dec, fs, sub); err != nil {
				return err
			}
		}
		_, err := dec.Token() // '}'
		if err != nil {
			return seedError(at, "not JSON (at byte %d): %v", dec.InputOffset(), err)
		}
	case "array":
		for i := 0; dec.More(); i++ {
			if err := checkShape(dec, want.elem, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err := dec.Token() // ']'
		if err != nil {
			return seedError(at, "not JSON (at byte %d): %v", dec.InputOffset(), err)
		}
	}
	return nil
}

// kindNames name the kinds of JSON value in messages.
var kindNames = map[string]string{
	"object": "an object", "array": "an array", "string": "a string", "bool": "a boolean", "number": "a number",
}

func tokenKind(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '{' {
			return "object"
		}
		return "array"
	case string:
		return "string"
	case bool:
		return "bool"
	case float64, json.Number:
		return "number"
	}
	return "null"
}

func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func sortedNames(m map[string]*shape) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// encryption says how an image or snapshot is encrypted, for messages.
func encryption(keyID string, serviceKey bool) string {
	switch {
	case keyID != "":
		return "key " + quoted(keyID)
	case serviceKey:
		return "the service key"
	}
	return "nothing (unencrypted)"
}

// holderOf returns the check of an entry's account, which returns its UID:
// the fake's own (own) when empty, or one the fake holds (held), or a
// member of the seed's directory.
func (s *Seed) holderOf(own string, held []string) func(at, uid string) (string, error) {
	accounts := map[string]bool{own: true}
	for _, uid := range held {
		accounts[uid] = true
	}
	if d := s.ResourceDirectory; d != nil {
		for _, m := range d.Members {
			accounts[m] = true
		}
		for _, a := range d.Accounts {
			accounts[a.UID] = true
		}
	}
	return func(at, uid string) (string, error) {
		switch {
		case uid == "":
			return own, nil
		case !accountIDFormat.MatchString(uid):
			return "", seedError(at+".account", "%s is not an account UID (16 digits)", quoted(uid))
		case !accounts[uid]:
			return "", seedError(at+".account", "%s is neither the fake's account %s, an account it holds, nor a member of the resource directory", quoted(uid), own)
		}
		return uid, nil
	}
}

// check checks the values of a seed whose shape is right, and every
// relation between its parts, before anything is put into the fake whose
// own account is own and which holds the accounts held. levels bounds the
// directory's folder levels.
func (s *Seed) check(own string, held []string, levels int) error {
	accounts := map[string]bool{own: true}
	for _, uid := range held {
		accounts[uid] = true
	}
	if d := s.ResourceDirectory; d != nil {
		switch {
		case d.ID != "" && !rdIDFormat.MatchString(d.ID):
			return seedError("resourceDirectory.id", "%s is not a resource directory ID (rd-…)", quoted(d.ID))
		case d.ID == "" && (d.SharingEnabled || len(d.Members) > 0 || len(d.Folders) > 0):
			return seedError("resourceDirectory.id", "empty, but the directory has sharingEnabled, members or folders")
		}
		for i, m := range d.Members {
			if !accountIDFormat.MatchString(m) {
				return seedError(fmt.Sprintf("resourceDirectory.members[%d]", i), "%s is not an account UID", quoted(m))
			}
			accounts[m] = true
		}
		for i, f := range d.Folders {
			if !folderIDFormat.MatchString(f) {
				return seedError(fmt.Sprintf("resourceDirectory.folders[%d]", i), "%s is not a root or folder ID (r-…, fd-…)", quoted(f))
			}
		}
		if field, msg := directoryProblem(*d, levels); field != "" {
			return seedError("resourceDirectory."+field, "%s", msg)
		}
		for _, a := range d.Accounts {
			accounts[a.UID] = true
		}
	}
	holder := s.holderOf(own, held)
	type keyRef struct{ account, region string }
	keyOf := map[string]keyRef{}
	keyAt := map[string]int{}
	for i, k := range s.Keys {
		at := fmt.Sprintf("keys[%d]", i)
		switch {
		case !regionIDFormat.MatchString(k.Region):
			return seedError(at+".region", "%s is not a region ID", quoted(k.Region))
		case !keyIDFormat.MatchString(k.ID):
			return seedError(at+".id", "%s is not a KMS key ID", quoted(k.ID))
		case k.State != "" && k.State != KeyEnabled && k.State != KeyDisabled && k.State != KeyPendingDeletion:
			return seedError(at+".state", "%s is not Enabled, Disabled or PendingDeletion", quoted(k.State))
		}
		if field, msg := checkKeyFields(k); field != "" {
			return seedError(at+"."+field, "%s", msg)
		}
		acct, err := holder(at, k.Account)
		if err != nil {
			return err
		}
		if j, dup := keyAt[k.ID]; dup {
			return seedError(at+".id", "the key %s is given twice (keys[%d])", k.ID, j)
		}
		keyAt[k.ID], keyOf[k.ID] = i, keyRef{acct, k.Region}
	}
	checkKey := func(at, account, region, keyID string, serviceKey bool) error {
		switch {
		case keyID != "" && serviceKey:
			return seedError(at+".kmsKeyId", "given with serviceKey: a resource has one key")
		case keyID == "":
			return nil
		}
		k, ok := keyOf[keyID]
		if !ok {
			return seedError(at+".kmsKeyId", "no key in keys has the ID %s", quoted(keyID))
		}
		if k.account != account {
			return seedError(at+".kmsKeyId", "the key %s is in account %s, not %s: a resource uses a key of its own account", keyID, k.account, account)
		}
		if k.region != region {
			return seedError(at+".kmsKeyId", "the key %s is in %s, not %s: a resource uses a key of its own region", keyID, k.region, region)
		}
		return nil
	}
	type place struct{ account, region, id string }
	type snapRef struct {
		at         string // the path that gave this snapshot its encryption
		keyID      string
		serviceKey bool
	}
	snaps := map[place]snapRef{}
	for i, sn := range s.Snapshots {
		at := fmt.Sprintf("snapshots[%d]", i)
		switch {
		case !regionIDFormat.MatchString(sn.Region):
			return seedError(at+".region", "%s is not a region ID", quoted(sn.Region))
		case !snapshotIDFormat.MatchString(sn.ID):
			return seedError(at+".id", "%s is not a snapshot ID (s-…)", quoted(sn.ID))
		}
		acct, err := holder(at, sn.Account)
		if err != nil {
			return err
		}
		if err := checkKey(at, acct, sn.Region, sn.KMSKeyID, sn.ServiceKey); err != nil {
			return err
		}
		p := place{acct, sn.Region, sn.ID}
		if prev, dup := snaps[p]; dup {
			return seedError(at+".id", "the snapshot %s in %s is given twice (%s)", sn.ID, sn.Region, prev.at)
		}
		snaps[p] = snapRef{at, sn.KMSKeyID, sn.ServiceKey}
	}
	images := map[place]string{}
	for i, im := range s.Images {
		at := fmt.Sprintf("images[%d]", i)
		switch {
		case !regionIDFormat.MatchString(im.Region):
			return seedError(at+".region", "%s is not a region ID", quoted(im.Region))
		case !imageIDFormat.MatchString(im.ID):
			return seedError(at+".id", "%s is not an image ID (m-…)", quoted(im.ID))
		case im.SnapshotID != "" && !snapshotIDFormat.MatchString(im.SnapshotID):
			return seedError(at+".snapshotId", "%s is not a snapshot ID (s-…)", quoted(im.SnapshotID))
		}
		acct, err := holder(at, im.Account)
		if err != nil {
			return err
		}
		if err := checkKey(at, acct, im.Region, im.KMSKeyID, im.ServiceKey); err != nil {
			return err
		}
		p := place{acct, im.Region, im.ID}
		if prev, dup := images[p]; dup {
			return seedError(at+".id", "the image %s in %s is given twice (%s)", im.ID, im.Region, prev)
		}
		images[p] = at
		// An image has its snapshot's encryption: a snapshot listed, or
		// made into an image before, with another one contradicts it.
		snapID := cmp.Or(im.SnapshotID, imageSnapshotID(im.ID))
		sp := place{acct, im.Region, snapID}
		if prev, ok := snaps[sp]; ok && (prev.keyID != im.KMSKeyID || prev.serviceKey != im.ServiceKey) {
			field := ".kmsKeyId"
			if im.ServiceKey {
				field = ".serviceKey"
			}
			return seedError(at+field, "the image is encrypted with %s, but its snapshot %s is encrypted with %s (%s): an image has its snapshot's encryption",
				encryption(im.KMSKeyID, im.ServiceKey), snapID, encryption(prev.keyID, prev.serviceKey), prev.at)
		}
		if _, ok := snaps[sp]; !ok {
			snaps[sp] = snapRef{at, im.KMSKeyID, im.ServiceKey}
		}
		// Each data disk is made from a snapshot of its own, whose
		// encryption the disk has, as the system disk has its snapshot's.
		disks := map[string]string{snapID: at + ".snapshotId"}
		for j, d := range im.DataDisks {
			dat := fmt.Sprintf("%s.dataDisks[%d]", at, j)
			if !snapshotIDFormat.MatchString(d.SnapshotID) {
				return seedError(dat+".snapshotId", "%s is not a snapshot ID (s-…)", quoted(d.SnapshotID))
			}
			if err := checkKey(dat, acct, im.Region, d.KMSKeyID, d.ServiceKey); err != nil {
				return err
			}
			if prev, dup := disks[d.SnapshotID]; dup {
				return seedError(dat+".snapshotId", "the snapshot %s makes another disk of the image (%s)", d.SnapshotID, prev)
			}
			disks[d.SnapshotID] = dat + ".snapshotId"
			dp := place{acct, im.Region, d.SnapshotID}
			if prev, ok := snaps[dp]; ok && (prev.keyID != d.KMSKeyID || prev.serviceKey != d.ServiceKey) {
				field := ".kmsKeyId"
				if d.ServiceKey {
					field = ".serviceKey"
				}
				return seedError(dat+field, "the disk is encrypted with %s, but its snapshot %s is encrypted with %s (%s): a disk has its snapshot's encryption",
					encryption(d.KMSKeyID, d.ServiceKey), d.SnapshotID, encryption(prev.keyID, prev.serviceKey), prev.at)
			}
			if _, ok := snaps[dp]; !ok {
				snaps[dp] = snapRef{dat, d.KMSKeyID, d.ServiceKey}
			}
		}
	}
	return nil
}
