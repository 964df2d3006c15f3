// This file holds the share step's way to ECS, Resource Sharing and KMS:
// its calls through the engine's caller.

package encryptperm

import (
	"context"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
)

// backends is what one client slot of the engine's pool holds: the RAM
// client, and the ECS, Resource Sharing and KMS clients of the share step
// (nil when there is none). Calls on one slot are serialized, as the SDK's
// clients need; with NewApplier the four are often one object (the fake).
type backends struct {
	RAM
	ecs ECS
	rs  ResourceSharing
	kms KMS
}

// withBackends wraps the RAM client given to NewApplier with the share
// step's clients: those Options names, or else the RAM client itself when
// it implements them. It records in o which services are present.
func withBackends(ramClient RAM, o *Options) RAM {
	b := &backends{RAM: ramClient, ecs: o.ECS, rs: o.ResourceSharing, kms: o.KMS}
	if x, ok := ramClient.(ECS); ok && b.ecs == nil {
		b.ecs = x
	}
	if x, ok := ramClient.(ResourceSharing); ok && b.rs == nil {
		b.rs = x
	}
	if x, ok := ramClient.(KMS); ok && b.kms == nil {
		b.kms = x
	}
	o.ECS, o.ResourceSharing, o.KMS = b.ecs, b.rs, b.kms
	return b
}

// svcCall makes one ECS, Resource Sharing or KMS call on a client slot,
// with the engine's retries, timeouts, logging and record.
func svcCall[Resp any](ctx context.Context, c *caller, rec *recorder, action, target string, write bool, fn func(b *backends, t time.Duration) (Resp, error)) (Resp, error) {
	return svcOp(ctx, c, op{action: action, target: target, write: write, rec: rec}, fn)
}

// svcOp is svcCall with the whole op given.
func svcOp[Resp any](ctx context.Context, c *caller, o op, fn func(b *backends, t time.Duration) (Resp, error)) (Resp, error) {
	return invoke(ctx, c, o, func(r RAM, t time.Duration) (Resp, error) {
		b, ok := r.(*backends)
		if !ok || b.ecs == nil && b.rs == nil && b.kms == nil {
			var zero Resp
			return zero, &clientError{o.action, o.target, "has no ECS, Resource Sharing or KMS backend"}
		}
		return fn(b, t)
	})
}

// describeKey reads a key's metadata.
func describeKey(ctx context.Context, c *caller, rec *recorder, region, keyID string) (*kms.DescribeKeyResponse, error) {
	return svcCall(ctx, c, rec, "DescribeKey", keyID, false, func(b *backends, t time.Duration) (*kms.DescribeKeyResponse, error) {
		req := kms.CreateDescribeKeyRequest()
		setTimeout(req, t)
		req.RegionId, req.KeyId = region, keyID
		return b.kms.DescribeKey(req)
	})
}
