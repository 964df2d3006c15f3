// This file holds the SDK clients NewRAMApplier builds: RAM, and ECS,
// Resource Sharing and KMS for the share step, and where each is called.

package encryptperm

import (
	"fmt"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"

	"github.com/ecsperm/ecsperm/internal/loopback"
)

// sdkEndpoints returns the host each service is called at: RAM at
// Options.Endpoint; ECS, Resource Sharing and KMS at their own endpoint
// option, or at Options.Endpoint when that is a loopback address (the
// fake's endpoint serves every service), or else where the SDK resolves
// each request's region. With HTTP, every endpoint used must be loopback.
func sdkEndpoints(o *Options, scheme string) (ramEP, ecsEP, rsEP, kmsEP string, err error) {
	pick := func(own string) string {
		if own != "" {
			return own
		}
		if o.Endpoint != "" && loopback.Is(o.Endpoint) {
			return o.Endpoint
		}
		return ""
	}
	ramEP, ecsEP, rsEP, kmsEP = o.Endpoint, pick(o.ECSEndpoint), pick(o.ResourceSharingEndpoint), pick(o.KMSEndpoint)
	if scheme == "HTTP" {
		for _, ep := range []struct{ name, v string }{{"ECSEndpoint", o.ECSEndpoint}, {"ResourceSharingEndpoint", o.ResourceSharingEndpoint}, {"KMSEndpoint", o.KMSEndpoint}} {
			if ep.v != "" && !loopback.Is(ep.v) {
				return "", "", "", "", invalid("options", ep.name, ep.v, "HTTP is allowed only for loopback endpoints")
			}
		}
	}
	return ramEP, ecsEP, rsEP, kmsEP, nil
}

// newSDKClients builds one client slot of NewRAMApplier: the SDK's RAM,
// ECS, Resource Sharing and KMS clients, on one configuration (and so one
// transport) and one credential. It records in o that the services are
// present.
func newSDKClients(o *Options, scheme string, cfg *sdk.Config, cred auth.Credential) (RAM, error) {
	ramEP, ecsEP, rsEP, kmsEP, err := sdkEndpoints(o, scheme)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (RAM, error) {
		return nil, fmt.Errorf("encryptperm: new RAM applier: %s", Redact(err.Error()))
	}
	rc, err := ram.NewClientWithOptions(o.RegionID, cfg, cred)
	if err != nil {
		return fail(err)
	}
	ec, err := ecs.NewClientWithOptions(o.RegionID, cfg, cred)
	if err != nil {
		return fail(err)
	}
	sc, err := resourcesharing.NewClientWithOptions(o.RegionID, cfg, cred)
	if err != nil {
		return fail(err)
	}
	kc, err := kms.NewClientWithOptions(o.RegionID, cfg, cred)
	if err != nil {
		return fail(err)
	}
	if ramEP != "" {
		rc.Domain = ramEP
	}
	if ecsEP != "" {
		ec.Domain = ecsEP
	}
	if rsEP != "" {
		sc.Domain = rsEP
	}
	if kmsEP != "" {
		kc.Domain = kmsEP
	}
	b := &backends{RAM: rc, ecs: ec, rs: sc, kms: kc}
	if o.ECS == nil {
		// Only a mark that the service is present: calls go through the
		// pool's slots.
		o.ECS, o.ResourceSharing, o.KMS = ec, sc, kc
	}
	return b, nil
}

// buildSDKEndpointTables fills the SDK's package-level endpoint tables of
// the four services once, before any client is built (see NewRAMApplier).
func buildSDKEndpointTables() {
	ram.GetEndpointMap()
	ecs.GetEndpointMap()
	resourcesharing.GetEndpointMap()
	kms.GetEndpointMap()
}
