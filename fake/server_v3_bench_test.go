package fake_test

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/ecsperm/ecsperm/fake"
)

// BenchmarkEndpointV3Signed is BenchmarkEndpointSigned with requests signed
// with ACS3-HMAC-SHA256 (V3) here.
//
//	go test -run '^$' -bench 'BenchmarkEndpoint' -benchtime 2s ./fake/
func BenchmarkEndpointV3Signed(b *testing.B) {
	ep := benchEndpoint(b)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer hc.CloseIdleConnections()
	n := 0
	for b.Loop() {
		n++
		r := newV3(ep.Addr(), "GetRole", time.Now(), strconv.Itoa(n), url.Values{"RoleName": {"bench"}}, nil, "").
			sign(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
		req, err := http.NewRequest(r.method, "http://"+r.host+"/?"+r.query.Encode(), strings.NewReader(""))
		if err != nil {
			b.Fatal(err)
		}
		req.Header = r.header
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	reportRate(b, n)
}

// BenchmarkEndpointV3SDK measures GetRole calls per second made with
// darabonba's CallApi and its default V3 signature.
func BenchmarkEndpointV3SDK(b *testing.B) {
	ep := benchEndpoint(b)
	c, err := openapi.NewClient(&openapiutil.Config{
		AccessKeyId: dara.String(fake.DefaultAccessKeyID), AccessKeySecret: dara.String(fake.DefaultAccessKeySecret),
		Endpoint: dara.String(ep.Addr()), Protocol: dara.String("HTTP"), NoProxy: dara.String(ep.Addr()),
	})
	if err != nil {
		b.Fatal(err)
	}
	params := &openapiutil.Params{
		Action: dara.String("GetRole"), Version: dara.String(fake.APIVersion), Protocol: dara.String("HTTP"),
		Pathname: dara.String("/"), Method: dara.String("POST"), AuthType: dara.String("AK"),
		Style: dara.String("RPC"), ReqBodyType: dara.String("formData"), BodyType: dara.String("json"),
	}
	n := 0
	for b.Loop() {
		n++
		if _, err := c.CallApi(params, &openapiutil.OpenApiRequest{Query: map[string]*string{"RoleName": dara.String("bench")}}, &dara.RuntimeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, n)
}
