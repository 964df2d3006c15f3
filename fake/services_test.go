package fake_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/kms"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ram"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/resourcesharing"
	"github.com/google/go-cmp/cmp"

	"github.com/ecsperm/ecsperm/encryptperm"
	"github.com/ecsperm/ecsperm/fake"
)

const (
	svcRegion   = "cn-hangzhou"
	svcKey      = "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
	otherKey    = "1c2f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
	recipient   = "2234567890123456"
	recipient2  = "3234567890123456"
	outsider    = "9234567890123456"
	sharedImage = "m-bp1shared01"
	svcImage    = "m-bp1servicekey"
	sharedSnap  = "s-bp1shared01"
)

const svcSeed = `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "members": ["2234567890123456", "3234567890123456"], "folders": ["fd-Folder01"]},
 "keys": [{"region": "cn-hangzhou", "id": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "state": "Enabled"},
          {"region": "cn-hangzhou", "id": "1c2f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", "state": "Disabled"}],
 "images": [{"region": "cn-hangzhou", "id": "m-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"},
            {"region": "cn-hangzhou", "id": "m-bp1servicekey", "serviceKey": true},
            {"region": "cn-hangzhou", "id": "m-bp1plain01"},
            {"region": "cn-hangzhou", "id": "m-bp1disabled", "kmsKeyId": "1c2f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}],
 "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1shared01", "kmsKeyId": "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"},
               {"region": "cn-hangzhou", "id": "s-bp1plain01"}]}`

// shareTrust lets ECS in the given accounts assume a share role.
func shareTrust(accounts ...string) string {
	ps := make([]string, len(accounts))
	for i, a := range accounts {
		ps[i] = `"` + a + `@ecs.aliyuncs.com"`
	}
	return `{"Version":"1","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":[` + strings.Join(ps, ",") + `]}}]}`
}

// keyUse grants what ECS needs on one key of the default account.
func keyUse(keyID string) string {
	return `{"Version":"1","Statement":[` +
		`{"Effect":"Allow","Action":["kms:List*","kms:DescribeKey","kms:TagResource","kms:UntagResource"],"Resource":["acs:kms:cn-hangzhou:1234567890123456:key"]},` +
		`{"Effect":"Allow","Action":["kms:DescribeKey","kms:TagResource","kms:UntagResource","kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],"Resource":["acs:kms:cn-hangzhou:1234567890123456:key/` + keyID + `"]}]}`
}

func seeded(t *testing.T, opts *fake.Options) (*fake.RAM, *testClock) {
	t.Helper()
	f, c := newFake(t, opts)
	if err := fake.LoadSeedBytes(f, []byte(svcSeed)); err != nil {
		t.Fatal(err)
	}
	return f, c
}

func shareImage(c encryptperm.ECS, image string, add ...string) error {
	req := ecs.CreateModifyImageSharePermissionRequest()
	req.RegionId = svcRegion
	req.ImageId = image
	req.AddAccount = &add
	_, err := c.ModifyImageSharePermission(req)
	return err
}

// grantShareRole makes the role and policy for the given key.
func grantShareRole(t *testing.T, f *fake.RAM, role, keyID string, accounts ...string) {
	t.Helper()
	mustCreateRole(t, f, role, shareTrust(accounts...))
	mustCreatePolicy(t, f, role+"-key", keyUse(keyID))
	mustAttach(t, f, "Custom", role+"-key", role)
}

func TestImageShareThroughECSClientFollowsRAM(t *testing.T) {
	f, _ := seeded(t, nil)
	ep := start(t, f, nil)
	c, err := ep.ECSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	rc := client(t, ep, fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)

	err = shareImage(c, sharedImage, recipient)
	if got := serverError(t, err); got.ErrorCode() != "AssumeRoleError" || got.HttpStatus() != 403 {
		t.Fatalf("share without the role: %s %d, want AssumeRoleError 403", got.ErrorCode(), got.HttpStatus())
	}

	// A role whose policy covers another key.
	role := encryptperm.ShareImageRoleName
	mustCreateRole(t, f, role, shareTrust(recipient))
	mustCreatePolicy(t, f, "ShareKey", keyUse(otherKey))
	mustAttach(t, f, "Custom", "ShareKey", role)
	err = shareImage(c, sharedImage, recipient)
	if got := serverError(t, err); got.ErrorCode() != "InvalidParameter.KMSKeyId.CMKUnauthorized" || got.HttpStatus() != 403 {
		t.Fatalf("share with a policy for another key: %s %d, want InvalidParameter.KMSKeyId.CMKUnauthorized 403", got.ErrorCode(), got.HttpStatus())
	}

	// Put RAM right through the RAM client on the same endpoint.
	v := ram.CreateCreatePolicyVersionRequest()
	v.PolicyName, v.PolicyDocument, v.SetAsDefault = "ShareKey", keyUse(svcKey), requests.NewBoolean(true)
	if _, err := rc.CreatePolicyVersion(v); err != nil {
		t.Fatal(err)
	}
	if err := shareImage(c, sharedImage, recipient); err != nil {
		t.Fatalf("share once RAM is right: %v", err)
	}
	got, _ := f.ImageSharedWith(svcRegion, sharedImage)
	if diff := cmp.Diff([]string{recipient}, got); diff != "" {
		t.Errorf("shared with (-want +got):\n%s", diff)
	}
	// A recipient the trust policy does not name.
	err = shareImage(c, sharedImage, recipient2)
	if code := errCode(t, err); code != "AssumeRoleError" {
		t.Errorf("share with an account the trust policy leaves out: %s, want AssumeRoleError", code)
	}
}

func TestModifyImageSharePermissionRefusals(t *testing.T) {
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%016d", 5000000000000000+i)
		}
		return out
	}
	tests := []struct {
		name       string
		image      string
		add        []string
		wantCode   string
		wantStatus int
	}{
		{"owner itself", "m-bp1plain01", []string{fake.DefaultAccountID}, "InvalidAccount.Forbbiden", 404},
		{"unknown image", "m-bp1nothere", []string{recipient}, "InvalidImageId.NotFound", 404},
		{"malformed account", "m-bp1plain01", []string{"12ab"}, "InvalidAccount.NotFound", 404},
		{"service key", svcImage, []string{recipient}, "InvalidOperation.ServiceKeyEncryptedImageUnsupported", 403},
		{"disabled key", "m-bp1disabled", []string{recipient}, "InvalidParameter.KMSKeyId.CMKNotEnabled", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := seeded(t, nil)
			se := serverError(t, shareImage(f, tt.image, tt.add...))
			if se.ErrorCode() != tt.wantCode || se.HttpStatus() != tt.wantStatus {
				t.Errorf("got %s %d, want %s %d", se.ErrorCode(), se.HttpStatus(), tt.wantCode, tt.wantStatus)
			}
			if got, _ := f.ImageSharedWith(svcRegion, tt.image); len(got) != 0 {
				t.Errorf("shared with %v after a refusal", got)
			}
		})
	}

	// A refused call changes nothing, not even the part that was valid.
	t.Run("a refused call is not applied in part", func(t *testing.T) {
		f, _ := seeded(t, nil)
		if err := shareImage(f, "m-bp1plain01", recipient); err != nil {
			t.Fatal(err)
		}
		calls := []struct {
			name        string
			add, remove []string
			wantCode    string
		}{
			{"remove a recipient, add the owner", []string{fake.DefaultAccountID}, []string{recipient}, "InvalidAccount.Forbbiden"},
			{"add a valid account and a malformed one", []string{outsider, "12ab"}, nil, "InvalidAccount.NotFound"},
		}
		for _, c := range calls {
			req := ecs.CreateModifyImageSharePermissionRequest()
			req.RegionId, req.ImageId = svcRegion, "m-bp1plain01"
			req.AddAccount = &c.add
			if c.remove != nil {
				req.RemoveAccount = &c.remove
			}
			_, err := f.ModifyImageSharePermission(req)
			if se := serverError(t, err); se.ErrorCode() != c.wantCode {
				t.Errorf("%s: got %s, want %s", c.name, se.ErrorCode(), c.wantCode)
			}
			got, _ := f.ImageSharedWith(svcRegion, "m-bp1plain01")
			if diff := cmp.Diff([]string{recipient}, got); diff != "" {
				t.Errorf("%s: shared with (-want +got):\n%s", c.name, diff)
			}
		}
	})

	t.Run("eleven accounts a call: the eleventh is ignored", func(t *testing.T) {
		f, _ := seeded(t, nil)
		accs := many(11)
		if err := shareImage(f, "m-bp1plain01", accs...); err != nil {
			t.Fatal(err)
		}
		got, _ := f.ImageSharedWith(svcRegion, "m-bp1plain01")
		if diff := cmp.Diff(accs[:10], got); diff != "" {
			t.Errorf("shared with (-want +got):\n%s", diff)
		}
	})
	t.Run("eleven accounts to remove a call: the eleventh stays shared", func(t *testing.T) {
		f, _ := seeded(t, nil)
		accs := many(11)
		for _, c := range [][]string{accs[:10], accs[10:]} {
			if err := shareImage(f, "m-bp1plain01", c...); err != nil {
				t.Fatal(err)
			}
		}
		req := ecs.CreateModifyImageSharePermissionRequest()
		req.RegionId, req.ImageId, req.RemoveAccount = svcRegion, "m-bp1plain01", &accs
		if _, err := f.ModifyImageSharePermission(req); err != nil {
			t.Fatal(err)
		}
		got, _ := f.ImageSharedWith(svcRegion, "m-bp1plain01")
		if diff := cmp.Diff([]string{"5000000000000010"}, got); diff != "" {
			t.Errorf("shared with (-want +got):\n%s", diff)
		}
	})
	t.Run("fifty-one accounts an image", func(t *testing.T) {
		f, _ := seeded(t, nil)
		accs := many(51)
		for i := 0; i < 50; i += 10 {
			if err := shareImage(f, "m-bp1plain01", accs[i:i+10]...); err != nil {
				t.Fatal(err)
			}
		}
		se := serverError(t, shareImage(f, "m-bp1plain01", accs[50]))
		if se.ErrorCode() != "QuotaExceed.ShareImageUser" || se.HttpStatus() != 403 {
			t.Errorf("51st account: %s %d, want QuotaExceed.ShareImageUser 403", se.ErrorCode(), se.HttpStatus())
		}
		req := ecs.CreateDescribeImageSharePermissionRequest()
		req.RegionId, req.ImageId, req.PageSize, req.PageNumber = svcRegion, "m-bp1plain01", requests.NewInteger(20), requests.NewInteger(3)
		res, err := f.DescribeImageSharePermission(req)
		if err != nil {
			t.Fatal(err)
		}
		if res.TotalCount != 50 || len(res.Accounts.Account) != 10 || res.Accounts.Account[0].AliyunId != accs[40] {
			t.Errorf("page 3 of 20: total %d, %d accounts, first %v; want 50, 10, %s", res.TotalCount, len(res.Accounts.Account), res.Accounts.Account, accs[40])
		}
	})
}

func TestECSViewLagHoldsShareBack(t *testing.T) {
	f, clk := seeded(t, &fake.Options{Faults: []fake.Rule{{Action: "ModifyImageSharePermission", ECSViewLag: 5 * time.Minute}}})
	clk.Advance(time.Minute)
	grantShareRole(t, f, encryptperm.ShareImageRoleName, svcKey, recipient)

	clk.Advance(4 * time.Minute) // the role is 4 minutes old: ECS does not see it yet
	if code := errCode(t, shareImage(f, sharedImage, recipient)); code != "AssumeRoleError" {
		t.Fatalf("4 minutes after the grant: %q, want AssumeRoleError", code)
	}
	clk.Advance(time.Minute + time.Second)
	if err := shareImage(f, sharedImage, recipient); err != nil {
		t.Fatalf("5 minutes after the grant: %v", err)
	}

	// Without the rule, ECS sees RAM at once.
	g, _ := seeded(t, nil)
	grantShareRole(t, g, encryptperm.ShareImageRoleName, svcKey, recipient)
	if err := shareImage(g, sharedImage, recipient); err != nil {
		t.Fatalf("no lag: %v", err)
	}
}

func TestNewActionsTakeFaultRulesAndShowInCalls(t *testing.T) {
	f, _ := seeded(t, &fake.Options{Faults: []fake.Rule{{Action: "DescribeKey", Nth: 1, Code: "Throttling.User"}}})
	req := kms.CreateDescribeKeyRequest()
	req.RegionId, req.KeyId = svcRegion, svcKey
	if code := errCode(t, func() error { _, err := f.DescribeKey(req); return err }()); code != "Throttling.User" {
		t.Fatalf("first DescribeKey: %q, want Throttling.User", code)
	}
	req = kms.CreateDescribeKeyRequest()
	req.RegionId, req.KeyId = svcRegion, svcKey
	res, err := f.DescribeKey(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.KeyMetadata.KeyState != "Enabled" || res.KeyMetadata.Arn != "acs:kms:cn-hangzhou:1234567890123456:key/"+svcKey {
		t.Errorf("KeyMetadata = %+v", res.KeyMetadata)
	}
	calls := f.Calls()
	var got []string
	for _, c := range calls {
		got = append(got, c.Action+":"+c.Code+":"+c.Params["RegionId"])
	}
	want := []string{"DescribeKey:Throttling.User:cn-hangzhou", "DescribeKey::cn-hangzhou"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	req = kms.CreateDescribeKeyRequest()
	req.RegionId, req.KeyId = "cn-shanghai", svcKey
	if code := errCode(t, func() error { _, err := f.DescribeKey(req); return err }()); code != "Forbidden.KeyNotFound" {
		t.Errorf("key in another region: %q, want Forbidden.KeyNotFound", code)
	}
}

func shareReq(name string, external bool, targets []string, res ...[2]string) *resourcesharing.CreateResourceShareRequest {
	req := resourcesharing.CreateCreateResourceShareRequest()
	req.RegionId = svcRegion
	req.ResourceShareName = name
	if external {
		req.AllowExternalTargets = requests.NewBoolean(true)
	}
	if targets != nil {
		req.Targets = &targets
	}
	var rs []resourcesharing.CreateResourceShareResources
	for _, x := range res {
		rs = append(rs, resourcesharing.CreateResourceShareResources{ResourceType: x[0], ResourceId: x[1]})
	}
	if rs != nil {
		req.Resources = &rs
	}
	return req
}

func TestResourceSharingRules(t *testing.T) {
	plain := [2]string{"Snapshot", "s-bp1plain01"}
	enc := [2]string{"Snapshot", sharedSnap}
	tests := []struct {
		name     string
		setup    func(*testing.T, *fake.RAM)
		req      *resourcesharing.CreateResourceShareRequest
		wantCode string
	}{
		{"member account", nil, shareReq("a", false, []string{recipient}, plain), ""},
		{"directory", nil, shareReq("a", false, []string{"rd-3GabcD"}, plain), ""},
		{"folder", nil, shareReq("a", false, []string{"fd-Folder01"}, plain), ""},
		{"unknown folder", nil, shareReq("a", false, []string{"fd-Nowhere"}, plain), "EntityNotExists.Target"},
		{"outsider without AllowExternalTargets", nil, shareReq("a", false, []string{outsider}, plain), "OperationDenied.ExternalTargetsNotAllowed"},
		{"outsider with AllowExternalTargets", nil, shareReq("a", true, []string{outsider}, plain), ""},
		{"six targets", nil, shareReq("a", true, []string{"5000000000000001", "5000000000000002", "5000000000000003", "5000000000000004", "5000000000000005", "5000000000000006"}), "InvalidParameter.Targets"},
		{"six resources", nil, shareReq("a", false, nil, plain, enc, [2]string{"Image", "m-bp1plain01"}, [2]string{"Image", sharedImage}, [2]string{"Image", svcImage}, [2]string{"Snapshot", "s-bp1other"}), "InvalidParameter.Resources"},
		{"unknown resource", nil, shareReq("a", false, []string{recipient}, [2]string{"Snapshot", "s-bp1nothere"}), "EntityNotExists.Resource"},
		{"other resource type", nil, shareReq("a", false, nil, [2]string{"VSwitch", "vsw-1"}), "InvalidParameter.ResourceType"},
		{"encrypted snapshot without the role", nil, shareReq("a", false, []string{recipient}, enc), "AssumeRoleError"},
		{"encrypted snapshot to the directory without the role", nil, shareReq("a", false, []string{"rd-3GabcD"}, enc), "AssumeRoleError"},
		{"encrypted snapshot with the role", func(t *testing.T, f *fake.RAM) {
			grantShareRole(t, f, encryptperm.ShareSnapshotRoleName, svcKey, recipient)
		}, shareReq("a", false, []string{recipient}, enc), ""},
		{"encrypted snapshot, role for another key", func(t *testing.T, f *fake.RAM) {
			grantShareRole(t, f, encryptperm.ShareSnapshotRoleName, otherKey, recipient)
		}, shareReq("a", false, []string{recipient}, enc), "InvalidParameter.KMSKeyId.CMKUnauthorized"},
		{"bad name", nil, shareReq("a b", false, nil), "InvalidParameter.ResourceShareName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := seeded(t, nil)
			if tt.setup != nil {
				tt.setup(t, f)
			}
			_, err := f.CreateResourceShare(tt.req)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatal(err)
				}
				if n := len(f.ResourceShares()); n != 1 {
					t.Errorf("%d shares, want 1", n)
				}
				return
			}
			if code := errCode(t, err); code != tt.wantCode {
				t.Errorf("code %q, want %q", code, tt.wantCode)
			}
			if n := len(f.ResourceShares()); n != 0 {
				t.Errorf("%d shares after a refusal, want 0", n)
			}
		})
	}

	t.Run("directory sharing disabled", func(t *testing.T) {
		f, _ := newFake(t, nil)
		if err := f.PutResourceDirectory(fake.ResourceDirectory{ID: "rd-3GabcD", Folders: []string{"fd-Folder01"}}); err != nil {
			t.Fatal(err)
		}
		if err := f.PutSnapshot(fake.Snapshot{Region: svcRegion, ID: "s-bp1plain01"}); err != nil {
			t.Fatal(err)
		}
		for _, target := range []string{"rd-3GabcD", "fd-Folder01"} {
			_, err := f.CreateResourceShare(shareReq("a", false, []string{target}, plain))
			if code := errCode(t, err); code != "OperationDenied.SharingWithRdDisabled" {
				t.Errorf("%s: code %q, want OperationDenied.SharingWithRdDisabled", target, code)
			}
		}
		st, err := f.CheckSharingWithResourceDirectoryStatus(resourcesharing.CreateCheckSharingWithResourceDirectoryStatusRequest())
		if err != nil || st.EnableSharingWithRd {
			t.Errorf("CheckSharingWithResourceDirectoryStatus = %v, %v; want false", st.EnableSharingWithRd, err)
		}
	})
	t.Run("outsider invitation pending", func(t *testing.T) {
		f, _ := seeded(t, nil)
		res, err := f.CreateResourceShare(shareReq("ext", true, []string{outsider, recipient}, plain))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{res.ResourceShare.ResourceShareId + "/" + outsider}
		if diff := cmp.Diff(want, f.Invitations()); diff != "" {
			t.Errorf("invitations (-want +got):\n%s", diff)
		}
	})
}

// svcBackends are the three services of one side of a parity test.
type svcBackends struct {
	ecs encryptperm.ECS
	rs  encryptperm.ResourceSharing
	kms encryptperm.KMS
}

func TestServiceParity(t *testing.T) {
	opts := func() *fake.Options {
		c := &testClock{now: t0}
		// The same Seed gives both twins the same RequestIds.
		return &fake.Options{Clock: c.Now, Seed: 7}
	}
	inProc, overHTTP := fake.New(opts()), fake.New(opts())
	for _, f := range []*fake.RAM{inProc, overHTTP} {
		if err := fake.LoadSeedBytes(f, []byte(svcSeed)); err != nil {
			t.Fatal(err)
		}
	}
	ep := start(t, overHTTP, nil)
	ec, err := ep.ECSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := ep.ResourceSharingClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := ep.KMSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	sides := []svcBackends{{inProc, inProc, inProc}, {ec, rc, kc}}
	shareID := ""
	steps := []struct {
		name     string
		call     func(b svcBackends) (any, error)
		wantCode string
	}{
		{"DescribeImages", func(b svcBackends) (any, error) {
			r := ecs.CreateDescribeImagesRequest()
			r.RegionId = svcRegion
			return b.ecs.DescribeImages(r)
		}, ""},
		{"DescribeSnapshots", func(b svcBackends) (any, error) {
			r := ecs.CreateDescribeSnapshotsRequest()
			r.RegionId, r.SnapshotIds = svcRegion, `["s-bp1shared01"]`
			return b.ecs.DescribeSnapshots(r)
		}, ""},
		{"ModifyImageSharePermission", func(b svcBackends) (any, error) {
			r := ecs.CreateModifyImageSharePermissionRequest()
			r.RegionId, r.ImageId, r.AddAccount = svcRegion, "m-bp1plain01", &[]string{recipient, recipient2}
			return b.ecs.ModifyImageSharePermission(r)
		}, ""},
		{"ModifyImageSharePermission refused", func(b svcBackends) (any, error) {
			r := ecs.CreateModifyImageSharePermissionRequest()
			r.RegionId, r.ImageId, r.AddAccount = svcRegion, sharedImage, &[]string{recipient}
			return b.ecs.ModifyImageSharePermission(r)
		}, "AssumeRoleError"},
		{"DescribeImageSharePermission", func(b svcBackends) (any, error) {
			r := ecs.CreateDescribeImageSharePermissionRequest()
			r.RegionId, r.ImageId = svcRegion, "m-bp1plain01"
			return b.ecs.DescribeImageSharePermission(r)
		}, ""},
		{"DescribeKey", func(b svcBackends) (any, error) {
			r := kms.CreateDescribeKeyRequest()
			r.RegionId, r.KeyId = svcRegion, svcKey
			return b.kms.DescribeKey(r)
		}, ""},
		{"DescribeKey missing", func(b svcBackends) (any, error) {
			r := kms.CreateDescribeKeyRequest()
			r.RegionId, r.KeyId = svcRegion, "key-nothere1234"
			return b.kms.DescribeKey(r)
		}, "Forbidden.KeyNotFound"},
		{"CreateResourceShare", func(b svcBackends) (any, error) {
			res, err := b.rs.CreateResourceShare(shareReq("snaps", true, []string{recipient}, [2]string{"Snapshot", "s-bp1plain01"}))
			if err == nil {
				shareID = res.ResourceShare.ResourceShareId
			}
			return res, err
		}, ""},
		{"AssociateResourceShare", func(b svcBackends) (any, error) {
			r := resourcesharing.CreateAssociateResourceShareRequest()
			r.RegionId, r.ResourceShareId, r.Targets = svcRegion, shareID, &[]string{outsider, "rd-3GabcD"}
			return b.rs.AssociateResourceShare(r)
		}, ""},
		{"ListResourceShares", func(b svcBackends) (any, error) {
			r := resourcesharing.CreateListResourceSharesRequest()
			r.RegionId, r.ResourceOwner = svcRegion, "Self"
			return b.rs.ListResourceShares(r)
		}, ""},
		{"ListResourceShareAssociations", func(b svcBackends) (any, error) {
			r := resourcesharing.CreateListResourceShareAssociationsRequest()
			r.RegionId, r.AssociationType, r.MaxResults = svcRegion, "Target", requests.NewInteger(2)
			return b.rs.ListResourceShareAssociations(r)
		}, ""},
		{"ListSharedTargets", func(b svcBackends) (any, error) {
			r := resourcesharing.CreateListSharedTargetsRequest()
			r.RegionId, r.ResourceOwner = svcRegion, "Self"
			return b.rs.ListSharedTargets(r)
		}, ""},
		{"ListSharedResources", func(b svcBackends) (any, error) {
			r := resourcesharing.CreateListSharedResourcesRequest()
			r.RegionId, r.ResourceOwner = svcRegion, "Self"
			return b.rs.ListSharedResources(r)
		}, ""},
		{"DisassociateResourceShare", func(b svcBackends) (any, error) {
			r := resourcesharing.CreateDisassociateResourceShareRequest()
			r.RegionId, r.ResourceShareId, r.Targets = svcRegion, shareID, &[]string{outsider}
			return b.rs.DisassociateResourceShare(r)
		}, ""},
		{"DisassociateResourceShare unknown share", func(b svcBackends) (any, error) {
			r := resourcesharing.CreateDisassociateResourceShareRequest()
			r.RegionId, r.ResourceShareId, r.Targets = svcRegion, "rs-nothere", &[]string{outsider}
			return b.rs.DisassociateResourceShare(r)
		}, "EntityNotExists.ResourceShare"},
		{"CheckSharingWithResourceDirectoryStatus", func(b svcBackends) (any, error) {
			r := resourcesharing.CreateCheckSharingWithResourceDirectoryStatusRequest()
			r.RegionId = svcRegion
			return b.rs.CheckSharingWithResourceDirectoryStatus(r)
		}, ""},
	}
	for _, st := range steps {
		want, wantErr := st.call(sides[0])
		got, gotErr := st.call(sides[1])
		if code := errorCode(wantErr); code != st.wantCode {
			t.Errorf("%s: in process: code %q (%v), want %q", st.name, code, wantErr, st.wantCode)
		}
		if wantErr != nil || gotErr != nil {
			if diff := cmp.Diff(describe(wantErr), describe(gotErr)); diff != "" {
				t.Errorf("%s: errors differ (-in process +over HTTP):\n%s", st.name, diff)
			}
			continue
		}
		if diff := cmp.Diff(want, got, ignoreBase); diff != "" {
			t.Errorf("%s: responses differ (-in process +over HTTP):\n%s", st.name, diff)
		}
	}
	if diff := cmp.Diff(inProc.ResourceShares(), overHTTP.ResourceShares()); diff != "" {
		t.Errorf("shares differ (-in process +over HTTP):\n%s", diff)
	}
}

func TestEndpointTellsServicesApartByVersion(t *testing.T) {
	f, _ := seeded(t, nil)
	ep := start(t, f, nil)
	rc := client(t, ep, fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	// DescribeKey under RAM's version is no RAM action.
	d := requests.NewCommonRequest()
	d.Version, d.ApiName, d.Product = fake.APIVersion, "DescribeKey", "Kms"
	d.QueryParams["KeyId"] = svcKey
	_, err := rc.ProcessCommonRequest(d)
	if code := errCode(t, err); code != "InvalidAction.NotFound" {
		t.Errorf("DescribeKey under RAM's version: %q, want InvalidAction.NotFound", code)
	}
	// GetRole under ECS's version is no ECS action.
	g := requests.NewCommonRequest()
	g.Version, g.ApiName, g.Product = fake.ECSAPIVersion, "GetRole", "Ecs"
	g.QueryParams["RoleName"] = "x"
	_, err = rc.ProcessCommonRequest(g)
	if code := errCode(t, err); code != "InvalidAction.NotFound" {
		t.Errorf("GetRole under ECS's version: %q, want InvalidAction.NotFound", code)
	}
}

func TestLoadSeedIsStrict(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string // a part of the message
	}{
		{"unknown field", `{"keys": [], "imagez": []}`, `"imagez"`},
		{"wrong type", `{"images": [{"region": "cn-hangzhou", "id": "m-bp1x0001", "serviceKey": "yes"}]}`, "images[0].serviceKey: wrong type"},
		{"key no key has", `{"keys": [], "images": [{"region": "cn-hangzhou", "id": "m-bp1x0001", "kmsKeyId": "` + svcKey + `"}]}`, "images[0].kmsKeyId: no key in keys has the ID"},
		{"bad state", `{"keys": [{"region": "cn-hangzhou", "id": "` + svcKey + `", "state": "On"}]}`, "keys[0]"},
		{"bad directory", `{"resourceDirectory": {"id": "dir", "sharingEnabled": true}}`, "resourceDirectory"},
		{"trailing data", `{} {}`, "data after"},
		// Valid parts first: they must not be left behind either.
		{"bad snapshot after good parts", `{"resourceDirectory": {"id": "rd-3GabcD", "sharingEnabled": true, "members": ["2234567890123456"]},
		  "keys": [{"region": "cn-hangzhou", "id": "` + svcKey + `"}],
		  "images": [{"region": "cn-hangzhou", "id": "m-bp1x0001", "kmsKeyId": "` + svcKey + `"}],
		  "snapshots": [{"region": "cn-hangzhou", "id": "s-bp1x0001", "kmsKeyId": "key-nosuchkey0001"}]}`, "snapshots[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newFake(t, nil)
			err := fake.LoadSeedBytes(f, []byte(tt.give))
			if !errors.Is(err, fake.ErrInvalidSeed) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadSeed = %v; want ErrInvalidSeed naming %s", err, tt.want)
			}
			if len(f.Keys()) != 0 || len(f.Images()) != 0 || len(f.Snapshots()) != 0 {
				t.Errorf("a refused seed left keys %v, images %v, snapshots %v", f.Keys(), f.Images(), f.Snapshots())
			}
			req := resourcesharing.CreateCheckSharingWithResourceDirectoryStatusRequest()
			req.RegionId = "cn-hangzhou"
			if st, err := f.CheckSharingWithResourceDirectoryStatus(req); err != nil || st.EnableSharingWithRd {
				t.Errorf("a refused seed left the directory's sharing on (%v)", err)
			}
		})
	}
}

func TestResourceShareAssociationsShowStatuses(t *testing.T) {
	f, _ := seeded(t, nil)
	res, err := f.CreateResourceShare(shareReq("snaps", true, []string{recipient, outsider}, [2]string{"Snapshot", "s-bp1plain01"}))
	if err != nil {
		t.Fatal(err)
	}
	id := res.ResourceShare.ResourceShareId
	if res.ResourceShare.ResourceShareStatus != "Active" || res.ResourceShare.ResourceShareOwner != fake.DefaultAccountID || !res.ResourceShare.AllowExternalTargets {
		t.Errorf("ResourceShare = %+v", res.ResourceShare)
	}
	list := func(status string) []string {
		req := resourcesharing.CreateListResourceShareAssociationsRequest()
		req.RegionId, req.AssociationType, req.AssociationStatus = svcRegion, "Target", status
		out, err := f.ListResourceShareAssociations(req)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range out.ResourceShareAssociations {
			got = append(got, a.EntityId+":"+a.AssociationStatus+":"+fmt.Sprint(a.External))
		}
		return got
	}
	if diff := cmp.Diff([]string{recipient + ":Associated:false", outsider + ":Associating:true"}, list("")); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{outsider + ":Associating:true"}, list("Associating")); diff != "" {
		t.Errorf("pending targets (-want +got):\n%s", diff)
	}

	dis := resourcesharing.CreateDisassociateResourceShareRequest()
	dis.RegionId, dis.ResourceShareId, dis.Targets = svcRegion, id, &[]string{outsider}
	out, err := f.DisassociateResourceShare(dis)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.ResourceShareAssociations); n != 1 || out.ResourceShareAssociations[0].AssociationStatus != "Disassociated" {
		t.Errorf("DisassociateResourceShare = %+v", out.ResourceShareAssociations)
	}
	if got := f.Invitations(); len(got) != 0 {
		t.Errorf("invitations after removing the outsider: %v", got)
	}
	// Removing it again: it is no longer associated.
	dis = resourcesharing.CreateDisassociateResourceShareRequest()
	dis.RegionId, dis.ResourceShareId, dis.Targets = svcRegion, id, &[]string{outsider}
	_, err = f.DisassociateResourceShare(dis)
	if code := errCode(t, err); code != "EntityNotExists.Resource" {
		t.Errorf("second removal: %q, want EntityNotExists.Resource", code)
	}

	req := resourcesharing.CreateListSharedResourcesRequest()
	req.RegionId, req.ResourceOwner, req.Target = svcRegion, "Self", recipient
	sr, err := f.ListSharedResources(req)
	if err != nil {
		t.Fatal(err)
	}
	if len(sr.SharedResources) != 1 || sr.SharedResources[0].ResourceId != "s-bp1plain01" || sr.SharedResources[0].ResourceShareId != id {
		t.Errorf("ListSharedResources = %+v", sr.SharedResources)
	}
	lr := resourcesharing.CreateListResourceSharesRequest()
	lr.RegionId = svcRegion
	_, err = f.ListResourceShares(lr)
	if code := errCode(t, err); code != "MissingResourceOwner" {
		t.Errorf("ListResourceShares without ResourceOwner: %q, want MissingResourceOwner", code)
	}
}

func TestLostShareAnswerCommits(t *testing.T) {
	f, _ := seeded(t, &fake.Options{Faults: []fake.Rule{{Action: "ModifyImageSharePermission", LoseAnswer: true}}})
	err := shareImage(f, "m-bp1plain01", recipient)
	var ue interface{ Unwrap() error }
	if err == nil || !errors.As(err, &ue) {
		t.Fatalf("lost answer: %v, want a transport error", err)
	}
	got, _ := f.ImageSharedWith(svcRegion, "m-bp1plain01")
	if diff := cmp.Diff([]string{recipient}, got); diff != "" {
		t.Errorf("shared with (-want +got):\n%s", diff)
	}
}

func TestResetForgetsServices(t *testing.T) {
	f, _ := seeded(t, nil)
	if err := shareImage(f, "m-bp1plain01", recipient); err != nil {
		t.Fatal(err)
	}
	f.Reset()
	if len(f.Keys())+len(f.Images())+len(f.Snapshots())+len(f.ResourceShares()) != 0 {
		t.Errorf("after Reset: keys %v, images %v, snapshots %v, shares %v", f.Keys(), f.Images(), f.Snapshots(), f.ResourceShares())
	}
}

func TestECSViewLagOverEndpoint(t *testing.T) {
	f, clk := seeded(t, nil)
	ep := start(t, f, nil)
	c, err := ep.ECSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	f.AddFault(fake.Rule{Action: "ModifyImageSharePermission", ECSViewLag: time.Minute})
	grantShareRole(t, f, encryptperm.ShareImageRoleName, svcKey, recipient)
	if code := errCode(t, shareImage(c, sharedImage, recipient)); code != "AssumeRoleError" {
		t.Fatalf("right after the grant: %q, want AssumeRoleError", code)
	}
	clk.Advance(time.Minute)
	if err := shareImage(c, sharedImage, recipient); err != nil {
		t.Fatalf("a minute after the grant: %v", err)
	}
	// The rule acted on both share calls.
	fr := f.Fired()
	if len(fr) != 2 || fr[0].Rule.ECSViewLag != time.Minute {
		t.Errorf("fired = %+v, want the lag rule twice", fr)
	}
}

// TestShareEntriesNamedTwice names the same target and resource twice in one
// call: they count once, and removing them does not crash the fake.
func TestShareEntriesNamedTwice(t *testing.T) {
	f, _ := seeded(t, nil)
	plain := [2]string{"Snapshot", "s-bp1plain01"}
	res, err := f.CreateResourceShare(shareReq("twice", false, []string{recipient, recipient}, plain, plain))
	if err != nil {
		t.Fatal(err)
	}
	shares := f.ResourceShares()
	if len(shares) != 1 || len(shares[0].Targets) != 1 || len(shares[0].Resources) != 1 {
		t.Fatalf("shares = %+v; want one share with one target and one resource", shares)
	}
	dis := resourcesharing.CreateDisassociateResourceShareRequest()
	dis.RegionId, dis.ResourceShareId, dis.Targets = svcRegion, res.ResourceShare.ResourceShareId, &[]string{recipient, recipient}
	if _, err := f.DisassociateResourceShare(dis); err != nil {
		t.Fatalf("disassociate a target named twice: %v", err)
	}
	if shares := f.ResourceShares(); len(shares) != 1 || len(shares[0].Targets) != 0 {
		t.Errorf("shares = %+v; want the target gone", shares)
	}
}

// TestKMSAnswersAnyKeyUntilOneIsPut: an account no key was put in answers
// DescribeKey for any well-formed key ID as an Enabled customer key of its
// own, in the region asked, in process and through the endpoint; once a
// key is put there, it knows only the keys put. Another account keeps its
// own rule.
func TestKMSAnswersAnyKeyUntilOneIsPut(t *testing.T) {
	f := fake.New(&fake.Options{AccountID: "1234567890123456"})
	ep, err := fake.Start(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ep.Close()
	wire, err := ep.KMSClient(fake.DefaultAccessKeyID, fake.DefaultAccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	describe := func(region, id string) (state, arn, code string) {
		t.Helper()
		req := kms.CreateDescribeKeyRequest()
		req.RegionId, req.KeyId = region, id
		res, err := f.DescribeKey(req)
		wreq := kms.CreateDescribeKeyRequest()
		wreq.RegionId, wreq.KeyId = region, id
		wres, werr := wire.DescribeKey(wreq)
		if (err == nil) != (werr == nil) {
			t.Fatalf("in process %v, through the endpoint %v", err, werr)
		}
		if err != nil {
			if errCode(t, err) != errCode(t, werr) {
				t.Fatalf("in process %v, through the endpoint %v", err, werr)
			}
			return "", "", errCode(t, err)
		}
		if diff := cmp.Diff(res.KeyMetadata, wres.KeyMetadata); diff != "" {
			t.Fatalf("in process and through the endpoint differ (-in process +endpoint):\n%s", diff)
		}
		return res.KeyMetadata.KeyState, res.KeyMetadata.Arn, ""
	}
	type answer struct{ State, ARN, Code string }
	ask := func(region, id string) answer {
		s, a, c := describe(region, id)
		return answer{s, a, c}
	}
	tests := []struct {
		name   string
		region string
		id     string
		want   answer
	}{
		{"a UUID key", "cn-hangzhou", "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", answer{"Enabled", "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", ""}},
		{"a key- key in another region", "cn-beijing", "key-bjz6a2f1b0c3d4e5f", answer{"Enabled", "acs:kms:cn-beijing:1234567890123456:key/key-bjz6a2f1b0c3d4e5f", ""}},
		{"a short key- key in capitals, as the builders accept", "cn-hangzhou", "key-HZ01", answer{"Enabled", "acs:kms:cn-hangzhou:1234567890123456:key/key-HZ01", ""}},
		{"not a key ID", "cn-hangzhou", "alias/acs/ecs", answer{"", "", "Forbidden.KeyNotFound"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, ask(tt.region, tt.id)); diff != "" {
			t.Errorf("before any key is put, %s (-want +got):\n%s", tt.name, diff)
		}
	}
	if err := f.PutKey(fake.Key{Region: "cn-hangzhou", ID: "1c2f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", State: fake.KeyDisabled}); err != nil {
		t.Fatal(err)
	}
	after := []struct {
		name string
		id   string
		want answer
	}{
		{"the key put", "1c2f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", answer{"Disabled", "acs:kms:cn-hangzhou:1234567890123456:key/1c2f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", ""}},
		{"a key answered before", "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b", answer{"", "", "Forbidden.KeyNotFound"}},
	}
	for _, tt := range after {
		if diff := cmp.Diff(tt.want, ask("cn-hangzhou", tt.id)); diff != "" {
			t.Errorf("after a key is put, %s (-want +got):\n%s", tt.name, diff)
		}
	}
	if got := len(f.Keys()); got != 1 {
		t.Errorf("Keys lists %d keys, want the 1 put", got)
	}
	// Another account of the fake has put no key: it still answers.
	member, err := f.AddAccount("2000000000000001")
	if err != nil {
		t.Fatal(err)
	}
	req := kms.CreateDescribeKeyRequest()
	req.RegionId, req.KeyId = "cn-hangzhou", "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
	res, err := member.DescribeKey(req)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.KeyMetadata.Arn, "acs:kms:cn-hangzhou:2000000000000001:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"; got != want {
		t.Errorf("the member's key ARN = %s, want %s", got, want)
	}
	// Reset forgets the keys put: any key answers again.
	f.Reset()
	if diff := cmp.Diff(tests[0].want, ask("cn-hangzhou", tests[0].id)); diff != "" {
		t.Errorf("after Reset (-want +got):\n%s", diff)
	}
}
