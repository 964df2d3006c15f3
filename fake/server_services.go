// This file holds the endpoint's routing to ECS, Resource Sharing and KMS by
// API version, and clients of those services.

package fake

import (
	"fmt"
	"regexp"
	"sync"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcemanager"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
)

// servesActionIn reports whether the endpoint serves action in API version
// version: RAM's actions in APIVersion, the others in their service's.
func servesActionIn(version, action string) bool {
	if version == APIVersion {
		return servesAction(action)
	}
	_, ok := serviceHandlers[version][action]
	return ok
}

// apiParam reports whether the parameter k of a call of action reaches the
// fake. RegionId, a protocol parameter to RAM, says where an ECS, Resource
// Sharing or KMS resource lives, so those actions keep it.
func apiParam(action, k string) bool {
	if k == "RegionId" {
		_, ok := serviceHandler(action)
		return ok
	}
	return !sdkCommonParams[k]
}

// ECSClient returns a new official SDK ECS client for the endpoint, in
// region ClientRegion, configured as Client configures the RAM one.
func (e *Endpoint) ECSClient(accessKeyID, accessKeySecret string) (*ecs.Client, error) {
	c, err := ecs.NewClientWithOptions(ClientRegion, clientConfig(), credentials.NewAccessKeyCredential(accessKeyID, accessKeySecret))
	if err != nil {
		return nil, fmt.Errorf("fake: new ecs client: %w", err)
	}
	e.aim(&c.Client)
	return c, nil
}

// ResourceSharingClient returns a new official SDK Resource Sharing client
// for the endpoint, configured as Client configures the RAM one.
func (e *Endpoint) ResourceSharingClient(accessKeyID, accessKeySecret string) (*resourcesharing.Client, error) {
	c, err := resourcesharing.NewClientWithOptions(ClientRegion, clientConfig(), credentials.NewAccessKeyCredential(accessKeyID, accessKeySecret))
	if err != nil {
		return nil, fmt.Errorf("fake: new resource sharing client: %w", err)
	}
	e.aim(&c.Client)
	return c, nil
}

// KMSClient returns a new official SDK KMS client for the endpoint,
// configured as Client configures the RAM one.
func (e *Endpoint) KMSClient(accessKeyID, accessKeySecret string) (*kms.Client, error) {
	// As NewClient does for RAM's: the SDK fills KMS's endpoint table
	// without a lock the first time a client is built.
	kmsEndpoints.Do(func() { kms.GetEndpointMap() })
	c, err := kms.NewClientWithOptions(ClientRegion, clientConfig(), credentials.NewAccessKeyCredential(accessKeyID, accessKeySecret))
	if err != nil {
		return nil, fmt.Errorf("fake: new kms client: %w", err)
	}
	e.aim(&c.Client)
	return c, nil
}

// kmsEndpoints fills the SDK's KMS endpoint table once.
var kmsEndpoints sync.Once

// ResourceManagerClient returns a new official SDK Resource Manager client
// for the endpoint, configured as Client configures the RAM one.
func (e *Endpoint) ResourceManagerClient(accessKeyID, accessKeySecret string) (*resourcemanager.Client, error) {
	c, err := resourcemanager.NewClientWithOptions(ClientRegion, clientConfig(), credentials.NewAccessKeyCredential(accessKeyID, accessKeySecret))
	if err != nil {
		return nil, fmt.Errorf("fake: new resource manager client: %w", err)
	}
	e.aim(&c.Client)
	return c, nil
}

// Aim points an official SDK client, of any service and with any
// credential (an STS key's included), at the endpoint over plain HTTP,
// around any proxy. Build the client with automatic retries off, as the
// endpoint's own clients are, so that a test sees each answer.
func (e *Endpoint) Aim(c *sdk.Client) { e.aim(c) }

func clientConfig() *sdk.Config { return sdk.NewConfig().WithScheme("HTTP").WithAutoRetry(false) }

// aim points an SDK client at the endpoint, around any proxy.
func (e *Endpoint) aim(c *sdk.Client) {
	c.Domain = e.Addr()
	c.SetNoProxy(regexp.QuoteMeta(e.Addr()))
}

// invokeService runs one in-process ECS, Resource Sharing or KMS call and
// fills response as the SDK would: as invoke does, keeping RegionId.
func (r *RAM) invokeService(req requests.AcsRequest, response responses.AcsResponse) error {
	if !usable(req) {
		return errors.NewClientError(errors.DefaultClientErrorCode,
			"fake: the request is nil or was not made by its Create...Request function", nil)
	}
	if err := requests.InitParams(req); err != nil {
		return err
	}
	action := req.GetActionName()
	p := requestParams(req, func(k string) bool { return apiParam(action, k) })
	// The SDK's signer sends the request's region when the query has none.
	if _, ok := p["RegionId"]; !ok && req.GetRegionId() != "" {
		p["RegionId"] = req.GetRegionId()
	}
	return r.answerSDK(req, response, action, p)
}
