package fake_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/fake"
)

// Keys of the seed tests.
const (
	seedKeyA = "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
	seedKeyB = "1b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
	seedKeys = `"keys": [{"region": "cn-hangzhou", "id": "` + seedKeyA + `"}, {"region": "cn-hangzhou", "id": "` + seedKeyB + `"}]`
)

// TestLoadSeedRefusals gives LoadSeed hostile and mistaken seeds: each is
// refused with ErrInvalidSeed and the error names the field's path, quotes
// at most 100 bytes of a bad value, and nothing is loaded.
func TestLoadSeedRefusals(t *testing.T) {
	long := strings.Repeat("x", 8<<20)
	tests := []struct {
		name string
		give string
		want string
	}{
		{"empty", ``, `fake: load seed: the seed: empty: want a JSON object: invalid seed`},
		{"null", `null`, `fake: load seed: the seed: null: want an object: invalid seed`},
		{"an array", `[]`, `fake: load seed: the seed: wrong type: an array, where the seed takes an object: invalid seed`},
		{"not JSON", `{"keys": [}`, `fake: load seed: keys: not JSON (at byte 10): invalid character '}' looking for beginning of value: invalid seed`},
		{"trailing data", `{} {}`, `fake: load seed: data after the seed object: invalid seed`},
		{"null directory", `{"resourceDirectory": null}`, `fake: load seed: resourceDirectory: null: give an object, or leave the field out: invalid seed`},
		{"null list", `{"keys": null}`, `fake: load seed: keys: null: give an array, or leave the field out: invalid seed`},
		{"null element", `{"keys": [null]}`, `fake: load seed: keys[0]: null: want an object: invalid seed`},
		{
			"null key of an image, which would leave it unencrypted",
			`{` + seedKeys + `, "images": [{"region": "cn-hangzhou", "id": "m-bp1x0001", "kmsKeyId": null}]}`,
			`fake: load seed: images[0].kmsKeyId: null: give a string, or leave the field out: invalid seed`,
		},
		{"field given twice", `{"keys": [], "keys": []}`, `fake: load seed: keys: given twice in one object: invalid seed`},
		{
			"nested field given twice, the last differing",
			`{` + seedKeys + `, "images": [{"region": "cn-hangzhou", "id": "m-bp1x0001", "kmsKeyId": "` + seedKeyA + `", "kmsKeyId": "` + seedKeyB + `"}]}`,
			`fake: load seed: images[0].kmsKeyId: given twice in one object: invalid seed`,
		},
		{"field in another case", `{"Keys": []}`, `fake: load seed: Keys: the field is spelled keys: names are matched exactly: invalid seed`},
		{
			"nested field in another case",
			`{` + seedKeys + `, "images": [{"region": "cn-hangzhou", "id": "m-bp1x0001", "KMSKeyId": "` + seedKeyA + `"}]}`,
			`fake: load seed: images[0].KMSKeyId: the field is spelled kmsKeyId: names are matched exactly: invalid seed`,
		},
		{"unknown field", `{"keys": [], "imagez": []}`, `fake: load seed: the seed: unknown field "imagez"; want one of images, keys, policies, resourceDirectory, roles, snapshots: invalid seed`},
		{"wrong type", `{"keys": [{"region": "cn-hangzhou", "id": 7}]}`, `fake: load seed: keys[0].id: wrong type: a number, where the seed takes a string: invalid seed`},
		{
			"image key contradicting its snapshot's",
			`{` + seedKeys + `, "images": [{"region": "cn-hangzhou", "id": "m-bp1x0001", "kmsKeyId": "` + seedKeyA + `", "snapshotId": "s-bp1x0001"}],
			 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1x0001", "kmsKeyId": "` + seedKeyB + `"}]}`,
			`fake: load seed: images[0].kmsKeyId: the image is encrypted with key "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", but its snapshot s-bp1x0001 is encrypted with key "1b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b" (snapshots[0]): an image has its snapshot's encryption: invalid seed`,
		},
		{
			"image key contradicting its unnamed snapshot, listed unencrypted",
			`{` + seedKeys + `, "images": [{"region": "cn-hangzhou", "id": "m-bp1x0001", "kmsKeyId": "` + seedKeyA + `"}],
			 "snapshots": [{"region": "cn-hangzhou", "id": "s-imgbp1x0001"}]}`,
			`fake: load seed: images[0].kmsKeyId: the image is encrypted with key "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", but its snapshot s-imgbp1x0001 is encrypted with nothing (unencrypted) (snapshots[0]): an image has its snapshot's encryption: invalid seed`,
		},
		{
			"service-key image of a snapshot with a customer key",
			`{` + seedKeys + `, "images": [{"region": "cn-hangzhou", "id": "m-bp1x0001", "serviceKey": true, "snapshotId": "s-bp1x0001"}],
			 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1x0001", "kmsKeyId": "` + seedKeyA + `"}]}`,
			`fake: load seed: images[0].serviceKey: the image is encrypted with the service key, but its snapshot s-bp1x0001 is encrypted with key "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b" (snapshots[0]): an image has its snapshot's encryption: invalid seed`,
		},
		{
			"two images of one snapshot with two keys",
			`{` + seedKeys + `, "images": [{"region": "cn-hangzhou", "id": "m-bp1x0001", "kmsKeyId": "` + seedKeyA + `", "snapshotId": "s-bp1x0001"},
			 {"region": "cn-hangzhou", "id": "m-bp1x0002", "kmsKeyId": "` + seedKeyB + `", "snapshotId": "s-bp1x0001"}]}`,
			`fake: load seed: images[1].kmsKeyId: the image is encrypted with key "1b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", but its snapshot s-bp1x0001 is encrypted with key "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b" (images[0]): an image has its snapshot's encryption: invalid seed`,
		},
		{
			"key given twice",
			`{"keys": [{"region": "cn-hangzhou", "id": "` + seedKeyA + `"}, {"region": "cn-beijing", "id": "` + seedKeyA + `"}]}`,
			`fake: load seed: keys[1].id: the key 0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b is given twice (keys[0]): invalid seed`,
		},
		{
			"image given twice",
			`{"images": [{"region": "cn-hangzhou", "id": "m-bp1x0001"}, {"region": "cn-hangzhou", "id": "m-bp1x0001", "serviceKey": true}]}`,
			`fake: load seed: images[1].id: the image m-bp1x0001 in cn-hangzhou is given twice (images[0]): invalid seed`,
		},
		{
			"key no key has",
			`{"snapshots": [{"region": "cn-hangzhou", "id": "s-bp1x0001", "kmsKeyId": "` + seedKeyA + `"}]}`,
			`fake: load seed: snapshots[0].kmsKeyId: no key in keys has the ID "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b": invalid seed`,
		},
		{
			"key of another region",
			`{"keys": [{"region": "cn-beijing", "id": "` + seedKeyA + `"}], "images": [{"region": "cn-hangzhou", "id": "m-bp1x0001", "kmsKeyId": "` + seedKeyA + `"}]}`,
			`fake: load seed: images[0].kmsKeyId: the key 0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b is in cn-beijing, not cn-hangzhou: a resource uses a key of its own region: invalid seed`,
		},
		{"bad state", `{"keys": [{"region": "cn-hangzhou", "id": "` + seedKeyA + `", "state": "On"}]}`, `fake: load seed: keys[0].state: "On" is not Enabled, Disabled or PendingDeletion: invalid seed`},
		{"bad directory", `{"resourceDirectory": {"id": "dir", "sharingEnabled": true}}`, `fake: load seed: resourceDirectory.id: "dir" is not a resource directory ID (rd-…): invalid seed`},
		{"bad member", `{"resourceDirectory": {"id": "rd-3GabcD", "members": ["22345"]}}`, `fake: load seed: resourceDirectory.members[0]: "22345" is not an account UID: invalid seed`},
		{
			"an 8 MiB key ID",
			`{"keys": [{"region": "cn-hangzhou", "id": "` + long + `"}]}`,
			`fake: load seed: keys[0].id: "` + strings.Repeat("x", 100) + `"… (8388608 bytes) is not a KMS key ID: invalid seed`,
		},
		{
			"an 8 MiB field name",
			`{"` + long + `": 1}`,
			`fake: load seed: the seed: unknown field "` + strings.Repeat("x", 100) + `"… (8388608 bytes); want one of images, keys, policies, resourceDirectory, roles, snapshots: invalid seed`,
		},
		{
			"an 8 MiB kmsKeyId of many-byte characters",
			`{"snapshots": [{"region": "cn-hangzhou", "id": "s-bp1x0001", "kmsKeyId": "` + strings.Repeat("é", 4<<20) + `"}]}`,
			`fake: load seed: snapshots[0].kmsKeyId: no key in keys has the ID "` + strings.Repeat("é", 50) + `"… (8388608 bytes): invalid seed`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fake.New(nil)
			err := fake.LoadSeedBytes(f, []byte(tt.give))
			if !errors.Is(err, fake.ErrInvalidSeed) {
				t.Fatalf("LoadSeed = %.300v; want ErrInvalidSeed", err)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%.2000s", diff)
			}
			if len(f.Keys()) != 0 || len(f.Images()) != 0 || len(f.Snapshots()) != 0 {
				t.Errorf("a refused seed left keys %v, images %v, snapshots %v", f.Keys(), f.Images(), f.Snapshots())
			}
		})
	}
}

// TestLoadSeedTakesConsistentParts: an image whose snapshot is listed with
// the same key, and two images of one snapshot with one key, load.
func TestLoadSeedTakesConsistentParts(t *testing.T) {
	f := fake.New(nil)
	seed := `{` + seedKeys + `,
	 "images": [{"region": "cn-hangzhou", "id": "m-bp1x0001", "kmsKeyId": "` + seedKeyA + `", "snapshotId": "s-bp1x0001"},
	            {"region": "cn-hangzhou", "id": "m-bp1x0002", "kmsKeyId": "` + seedKeyA + `", "snapshotId": "s-bp1x0001"},
	            {"region": "cn-hangzhou", "id": "m-bp1x0003", "serviceKey": true}],
	 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1x0001", "kmsKeyId": "` + seedKeyA + `"},
	               {"region": "cn-hangzhou", "id": "s-imgbp1x0003", "serviceKey": true}]}`
	if err := fake.LoadSeedBytes(f, []byte(seed)); err != nil {
		t.Fatal(err)
	}
	want := []fake.Snapshot{
		{Region: "cn-hangzhou", ID: "s-bp1x0001", KMSKeyID: seedKeyA},
		{Region: "cn-hangzhou", ID: "s-imgbp1x0003", ServiceKey: true},
	}
	if diff := cmp.Diff(want, f.Snapshots()); diff != "" {
		t.Errorf("snapshots (-want +got):\n%s", diff)
	}
}
