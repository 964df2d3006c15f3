package encryptperm_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/encryptperm/policy"
)

// The hostile inputs below are far larger or deeper than anything RAM stores.
// Their benchmarks, run with -benchmem, show what reading, marshalling,
// checking and building cost on such input: the bounds keep each one small.

// hostileDeep returns a 54 KB policy whose one statement carries a key this
// library does not model, nested depth objects deep.
func hostileDeep(depth int) []byte {
	var b strings.Builder
	b.WriteString(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Deep":`)
	b.WriteString(strings.Repeat(`{"a":`, depth))
	b.WriteString("1")
	b.WriteString(strings.Repeat("}", depth))
	b.WriteString(`}]}`)
	return []byte(b.String())
}

// hostileLarge returns a trust policy of about size bytes: one statement that
// lets many accounts' ECS assume the role.
func hostileLarge(size int) []byte {
	var b strings.Builder
	b.WriteString(`{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":[`)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%016d@ecs.aliyuncs.com"`, 3000000000000000+i)
	}
	b.WriteString(`]}}]}`)
	return []byte(b.String())
}

// BenchmarkHostileDeepJSON reads the 54 KB, 9,000-deep document faithfully,
// with the depth bound raised to let it in, and marshals it: marshalling is
// linear in the size, however deep the nesting.
func BenchmarkHostileDeepJSON(b *testing.B) {
	data := hostileDeep(9000)
	rl := policy.Limits{MaxDepth: 10_000}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		d, err := rl.Read(data)
		if err != nil {
			b.Fatal(err)
		}
		if len(d.JSON()) != len(data) {
			b.Fatal("JSON changed the size")
		}
	}
}

// BenchmarkHostileDeepRead reads the same document with the default bounds,
// which refuse it.
func BenchmarkHostileDeepRead(b *testing.B) {
	data := hostileDeep(9000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := policy.Read(data); err == nil {
			b.Fatal("a 9,000-deep document is read")
		}
	}
}

// BenchmarkHostileParse10MB reads a 10 MB document faithfully.
func BenchmarkHostileParse10MB(b *testing.B) {
	data := hostileLarge(10 << 20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := policy.Read(data); err == nil {
			b.Fatal("a 10 MB document is read")
		}
	}
}

// BenchmarkHostileParse10MBRaised reads the same document with the size
// bound raised to let it in: reading stays linear in the size.
func BenchmarkHostileParse10MBRaised(b *testing.B) {
	data := hostileLarge(10 << 20)
	rl := policy.Limits{MaxBytes: 16 << 20}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := rl.Read(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHostileCheck10MBTrust runs Check over a role whose trust policy is
// 10 MB.
func BenchmarkHostileCheck10MBTrust(b *testing.B) {
	c := chkNewCheckRAM().role(chkImageRole, string(hostileLarge(10<<20)), chkImagePolicy+"="+chkKeyPolicy)
	ctx := context.Background()
	for b.Loop() {
		c.calls = nil
		d, err := encryptperm.Check(ctx, c, chkImage(chkB))
		if err != nil {
			b.Fatal(err)
		}
		if d.Allowed {
			b.Fatal("a 10 MB trust policy is allowed")
		}
	}
}

// BenchmarkHostileBuildMillionAccounts builds a share grant for a million
// invalid accounts and measures the error it returns.
func BenchmarkHostileBuildMillionAccounts(b *testing.B) {
	accounts := make([]string, 1_000_000)
	for i := range accounts {
		accounts[i] = fmt.Sprintf("bad-%d", i)
	}
	var n int
	for b.Loop() {
		_, err := encryptperm.ShareSnapshot().WithAccounts(accounts...).WithKey(chkKey).Build()
		if err == nil {
			b.Fatal("a million invalid accounts build")
		}
		n = len(err.Error())
	}
	b.ReportMetric(float64(n), "errbytes")
}
