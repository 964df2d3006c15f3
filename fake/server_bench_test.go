package fake_test

import (
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"

	"github.com/ecsperm/ecsperm/fake"
	"github.com/ecsperm/ecsperm/internal/rpcsig"
)

// benchEndpoint serves a fake holding one role, for GetRole calls.
func benchEndpoint(b *testing.B) *fake.Endpoint {
	b.Helper()
	r := fake.New(nil)
	ep, err := fake.Start(r, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ep.Close() })
	req := ram.CreateCreateRoleRequest()
	req.RoleName = "bench"
	req.AssumeRolePolicyDocument = trustDoc
	if _, err := r.CreateRole(req); err != nil {
		b.Fatal(err)
	}
	return ep
}

// signedGetRole sends one GetRole, signed here with a fresh nonce, over hc.
func signedGetRole(b *testing.B, hc *http.Client, base string, nonce int64) {
	p := rpcParams(fake.DefaultAccessKeyID, "GetRole", time.Now(), strconv.FormatInt(nonce, 10), map[string]string{"RoleName": "bench"})
	url := base + "/?" + sign(http.MethodPost, p, fake.DefaultAccessKeySecret).Encode()
	resp, err := hc.Post(url, "application/x-www-form-urlencoded", nil)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

// reportRate reports n requests over the benchmark's elapsed time as req/s.
func reportRate(b *testing.B, n int) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkEndpointSigned measures signed GetRole requests per second from
// one keep-alive HTTP client on loopback; the server verifies every
// signature, timestamp and nonce.
//
//	go test -run '^$' -bench 'BenchmarkEndpoint' -benchtime 2s ./fake/
func BenchmarkEndpointSigned(b *testing.B) {
	ep := benchEndpoint(b)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer hc.CloseIdleConnections()
	var nonce int64
	for b.Loop() {
		nonce++
		signedGetRole(b, hc, ep.URL(), nonce)
	}
	reportRate(b, int(nonce))
}

// BenchmarkEndpointSignedParallel is BenchmarkEndpointSigned with GOMAXPROCS
// keep-alive connections at once.
func BenchmarkEndpointSignedParallel(b *testing.B) {
	ep := benchEndpoint(b)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	defer hc.CloseIdleConnections()
	var nonce atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			signedGetRole(b, hc, ep.URL(), nonce.Add(1))
		}
	})
	reportRate(b, int(nonce.Load()))
}

// BenchmarkEndpointSDK measures GetRole calls per second made with the
// official SDK client, which signs and keeps its connection alive.
func BenchmarkEndpointSDK(b *testing.B) {
	ep := benchEndpoint(b)
	c, err := ep.Client(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		n++
		req := ram.CreateGetRoleRequest()
		req.RoleName = "bench"
		if _, err := c.GetRole(req); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, n)
}

// BenchmarkVerify measures signature verification alone.
func BenchmarkVerify(b *testing.B) {
	p := rpcParams(fake.DefaultAccessKeyID, "GetRole", time.Now(), "n", map[string]string{"RoleName": "bench"})
	sign(http.MethodPost, p, fake.DefaultAccessKeySecret)
	for b.Loop() {
		if !rpcsig.Verify(http.MethodPost, p, fake.DefaultAccessKeySecret) {
			b.Fatal("signature refused")
		}
	}
}
