package encryptperm_test

import (
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// BenchmarkBuildShare50Accounts10Keys builds, validates and marshals a share
// grant for 50 accounts and 10 keys.
func BenchmarkBuildShare50Accounts10Keys(b *testing.B) {
	accounts := dtAccounts(50)
	keys := dtKeys(10)
	for b.Loop() {
		sb := encryptperm.ShareSnapshot().WithAccounts(accounts...)
		for _, k := range keys {
			sb.WithKey(k)
		}
		g, err := sb.Build()
		if err != nil {
			b.Fatal(err)
		}
		n := len(g.Role.TrustPolicy.JSON())
		for _, a := range g.Policies {
			n += len(a.Document.JSON())
		}
		if n == 0 {
			b.Fatal("no JSON")
		}
	}
}

// BenchmarkBuildOverTrustLimit measures the error path of a grant whose
// accounts do not fit in the trust policy.
func BenchmarkBuildOverTrustLimit(b *testing.B) {
	accounts := dtAccounts(200)
	for b.Loop() {
		_, err := encryptperm.ShareSnapshot().WithAccounts(accounts...).WithKey(dtSeedKey).Build()
		if err == nil {
			b.Fatal("200 accounts fit in the default trust policy limit")
		}
	}
}

// dtSixKBPolicy returns the canonical JSON of a key policy of about 6 KB, the
// largest custom policy RAM takes, and a copy of it with every list reversed.
func dtSixKBPolicy(b *testing.B) (canonical, shuffled []byte) {
	b.Helper()
	// As many keys as fit in RAM's limit.
	max := encryptperm.DefaultLimits().PolicyDocumentMaxLen
	n := 1
	for encryptperm.KeyPolicy(dtKeys(n+1)).Size() <= max {
		n++
	}
	d := encryptperm.KeyPolicy(dtKeys(n))
	if size := d.Size(); size < 5500 || size > max {
		b.Fatalf("policy is %d bytes, want about 6 KB", size)
	}
	o := d.Clone()
	for i := range o.Statement {
		s := &o.Statement[i]
		for l, r := 0, len(s.Resource)-1; l < r; l, r = l+1, r-1 {
			s.Resource[l], s.Resource[r] = s.Resource[r], s.Resource[l]
		}
	}
	for l, r := 0, len(o.Statement)-1; l < r; l, r = l+1, r-1 {
		o.Statement[l], o.Statement[r] = o.Statement[r], o.Statement[l]
	}
	return d.JSON(), []byte(o.Indent())
}

// BenchmarkParseDocument6KB parses a 6 KB policy strictly.
func BenchmarkParseDocument6KB(b *testing.B) {
	data, _ := dtSixKBPolicy(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := policy.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEqual6KB compares two 6 KB policies that differ only in order and
// formatting.
func BenchmarkEqual6KB(b *testing.B) {
	x, y := dtSixKBPolicy(b)
	d1, err := policy.Parse(x)
	if err != nil {
		b.Fatal(err)
	}
	d2, err := policy.Parse(y)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(x)))
	for b.Loop() {
		if !d1.Equal(d2) {
			b.Fatal("documents differ")
		}
	}
}
