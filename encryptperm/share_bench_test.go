package encryptperm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

// shareSeed is the world of TestShareRoundTrips: a key and an image it
// encrypts.
const shareSeed = `{"keys": [{"region": "cn-hangzhou", "id": "key-hzz6a2f1b0c3d4e5f", "state": "Enabled"}],
 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "key-hzz6a2f1b0c3d4e5f"}]}`

// TestShareRoundTrips counts the round-trip levels and writes of sharing
// one image with three accounts through NewRAMApplier over the fake's
// endpoint: cold (nothing in RAM, the image shared with nobody) and warm
// (a second Apply). Levels come from the levelTransport, not the clock.
func TestShareRoundTrips(t *testing.T) {
	env := newRTEnv(t, 50*time.Millisecond)
	env.f.Reset()
	if err := fake.LoadSeedBytes(env.f, []byte(shareSeed)); err != nil {
		t.Fatal(err)
	}
	g := mustBuild(t, encryptperm.ShareImage().WithImage(shRegion, shImage).WithAccounts(apAcctA, apAcctB, apAcctX))
	tests := []struct {
		name       string
		maxLevels  int
		wantWrites int
	}{
		// Reads of ECS and KMS: the image, its share and the region's
		// encrypted snapshots beside RAM's reads, then its key (2 levels);
		// RAM's two levels of writes; then one share write.
		{"cold", 2 + 2 + 1, 4},
		// The image, its share, the snapshots and RAM, at once. Nothing is
		// to be written, so the key's state is not read.
		{"warm", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env.lt.reset()
			res, err := env.applier.Apply(context.Background(), g)
			if err != nil {
				t.Fatal(err)
			}
			levels, calls, _ := env.lt.counts()
			trace := env.lt.trace()
			writes := 0
			for _, a := range strings.Fields(trace) {
				action := a[strings.Index(a, ":")+1:]
				if rtIsWrite(action) || action == "ModifyImageSharePermission" {
					writes++
				}
			}
			t.Logf("%s: %d levels, %d calls, %d writes: %s", tt.name, levels, calls, writes, trace)
			if writes != tt.wantWrites || res.Writes != writes {
				t.Errorf("%d writes on the wire, %d in the Result; want %d", writes, res.Writes, tt.wantWrites)
			}
			if calls != len(res.Calls) {
				t.Errorf("%d calls on the wire, %d in the Result", calls, len(res.Calls))
			}
			if levels > tt.maxLevels {
				t.Errorf("%d round-trip levels, want at most %d", levels, tt.maxLevels)
			}
		})
	}
}
