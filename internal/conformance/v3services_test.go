package conformance

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/ecsperm/ecsperm/fake"
)

// TestV3ClientReachesEveryService sends ECS and KMS actions through
// darabonba's CallApi with its default V3 signature: the endpoint tells the
// services apart by x-acs-version, as it does by Version for V1.
func TestV3ClientReachesEveryService(t *testing.T) {
	f := fake.New(nil)
	const keyID = "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
	if err := f.PutKey(fake.Key{Region: "cn-hangzhou", ID: keyID}); err != nil {
		t.Fatal(err)
	}
	ep := startEndpoint(t, f, nil)
	v := newV3RAM(t, ep.Addr(), fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret, "")
	call := func(action, version string, q map[string]string) (map[string]any, error) {
		query := map[string]*string{}
		for k, val := range q {
			query[k] = dara.String(val)
		}
		params := &openapiutil.Params{
			Action: dara.String(action), Version: dara.String(version),
			Protocol: dara.String("HTTP"), Pathname: dara.String("/"), Method: dara.String("POST"),
			AuthType: dara.String("AK"), Style: dara.String("RPC"),
			ReqBodyType: dara.String("formData"), BodyType: dara.String("string"),
		}
		out, err := v.c.CallApi(params, &openapiutil.OpenApiRequest{Query: query}, &dara.RuntimeOptions{})
		if err != nil {
			return nil, err
		}
		var body map[string]any
		s, _ := out["body"].(string)
		if err := json.Unmarshal([]byte(s), &body); err != nil {
			return nil, err
		}
		return body, nil
	}

	got, err := call("DescribeKey", "2016-01-20", map[string]string{"KeyId": keyID, "RegionId": "cn-hangzhou"})
	if err != nil {
		t.Fatalf("KMS DescribeKey over V3: %v", err)
	}
	meta, _ := got["KeyMetadata"].(map[string]any)
	if meta["KeyId"] != keyID || meta["KeyState"] != "Enabled" {
		t.Errorf("DescribeKey answered %v; want key %s, Enabled", got, keyID)
	}

	if _, err := call("DescribeImages", "2014-05-26", map[string]string{"RegionId": "cn-hangzhou"}); err != nil {
		t.Errorf("ECS DescribeImages over V3: %v", err)
	}

	// An action under another service's version is not found, as over V1.
	_, err = call("DescribeKey", "2014-05-26", map[string]string{"KeyId": keyID, "RegionId": "cn-hangzhou"})
	var se *tea.SDKError
	if !errors.As(err, &se) || !strings.Contains(dara.StringValue(se.Code), "InvalidAction.NotFound") {
		t.Errorf("DescribeKey under ECS's version = %v; want InvalidAction.NotFound", err)
	}
	// A version no service has is refused, naming the header.
	_, err = call("DescribeKey", "2099-01-01", map[string]string{"KeyId": keyID})
	if !errors.As(err, &se) || !strings.Contains(dara.StringValue(se.Code), "InvalidVersion") {
		t.Errorf("unknown version = %v; want InvalidVersion", err)
	}
}
