// This file holds the handlers of the ECS, Resource Sharing and KMS
// operations.

package fake

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// API versions of the services the fake plays beside RAM.
const (
	// ECSAPIVersion is the ECS API version the endpoint serves.
	ECSAPIVersion = "2014-05-26"
	// ResourceSharingAPIVersion is the Resource Sharing API version the
	// endpoint serves.
	ResourceSharingAPIVersion = "2020-01-10"
	// KMSAPIVersion is the KMS API version the endpoint serves.
	KMSAPIVersion = "2016-01-20"
)

// serviceHandlers maps each API version other than RAM's to the actions the
// fake serves in it.
var serviceHandlers = map[string]map[string]handler{
	ECSAPIVersion: {
		"DescribeImages":               (*RAM).describeImages,
		"DescribeSnapshots":            (*RAM).describeSnapshots,
		"ModifyImageSharePermission":   (*RAM).modifyImageSharePermission,
		"DescribeImageSharePermission": (*RAM).describeImageSharePermission,
	},
	ResourceSharingAPIVersion: {
		"CreateResourceShare":                     (*RAM).createResourceShare,
		"AssociateResourceShare":                  (*RAM).associateResourceShare,
		"DisassociateResourceShare":               (*RAM).disassociateResourceShare,
		"ListResourceShares":                      (*RAM).listResourceShares,
		"ListResourceShareAssociations":           (*RAM).listResourceShareAssociations,
		"ListSharedTargets":                       (*RAM).listSharedTargets,
		"ListSharedResources":                     (*RAM).listSharedResources,
		"CheckSharingWithResourceDirectoryStatus": (*RAM).checkSharingWithResourceDirectoryStatus,
		"ListResourceShareInvitations":            (*RAM).listResourceShareInvitations,
		"AcceptResourceShareInvitation":           (*RAM).acceptResourceShareInvitation,
	},
	KMSAPIVersion: {
		"DescribeKey":  (*RAM).describeKey,
		"GetKeyPolicy": (*RAM).getKeyPolicy,
		"SetKeyPolicy": (*RAM).setKeyPolicy,
		"ListKeys":     (*RAM).listKeys,
	},
	STSAPIVersion: {
		"AssumeRole": (*RAM).assumeRole,
	},
	ResourceManagerAPIVersion: {
		"GetResourceDirectory":  (*RAM).getResourceDirectory,
		"ListAccounts":          (*RAM).listAccounts,
		"ListAccountsForParent": (*RAM).listAccountsForParent,
		"ListFoldersForParent":  (*RAM).listFoldersForParent,
	},
}

// serviceHandler returns the handler of an ECS, Resource Sharing or KMS
// action, whatever its version.
func serviceHandler(action string) (handler, bool) {
	for _, hs := range serviceHandlers {
		if h, ok := hs[action]; ok {
			return h, true
		}
	}
	return nil, false
}

// serviceCodes are the error codes of ECS, Resource Sharing and KMS, with
// their statuses. The package documentation marks those that are inferred.
var serviceCodes = map[string]codeInfo{
	"InvalidImageId.NotFound":                                 {404, "The specified ImageId does not exist."},
	"InvalidAccount.NotFound":                                 {404, "The specified account does not exist."},
	"InvalidAccount.Forbbiden":                                {404, "An image cannot be shared with its owner."},
	"QuotaExceed.ShareImageUser":                              {403, "The image cannot be shared with more than 50 accounts."},
	"AssumeRoleError":                                         {403, "Requires a RAM role before sharing an encrypted resource."},
	"InvalidParameter.KMSKeyId.CMKUnauthorized":               {403, "The KMS key is not authorized."},
	"InvalidParameter.KMSKeyId.CMKNotEnabled":                 {403, "The KMS key is not enabled."},
	"InvalidOperation.ServiceKeyEncryptedImageUnsupported":    {403, "An image encrypted with a service key cannot be shared."},
	"InvalidOperation.ServiceKeyEncryptedSnapshotUnsupported": {403, "A snapshot encrypted with a service key cannot be shared."},
	"InvalidParameter.IsPublic":                               {400, "The fake does not publish community images."},
	"InvalidParameter.PageSize":                               {400, "The specified PageSize is out of range."},
	"InvalidParameter.PageNumber":                             {400, "The specified PageNumber is not valid."},
	"InvalidParameter.SnapshotIds":                            {400, "The specified SnapshotIds is not a JSON array of IDs."},
	"InvalidParameter.ResourceShareName":                      {400, "The specified ResourceShareName is not valid."},
	"InvalidParameter.ResourceOwner":                          {400, "The specified ResourceOwner is not valid."},
	"InvalidParameter.AssociationType":                        {400, "The specified AssociationType is not valid."},
	"InvalidParameter.MaxResults":                             {400, "The specified MaxResults is out of range."},
	"InvalidParameter.NextToken":                              {400, "The specified NextToken is not valid."},
	"InvalidParameter.ResourceType":                           {400, "The specified ResourceType is not supported."},
	"InvalidParameter.Resources":                              {400, "The specified Resources are not valid."},
	"InvalidParameter.Targets":                                {400, "The specified Targets are not valid."},
	"InvalidParameter.AllowExternalTargets":                   {400, "The specified AllowExternalTargets is not valid."},
	"EntityNotExists.ResourceShare":                           {404, "The specified resource share does not exist."},
	"EntityNotExists.Resource":                                {404, "The specified resource does not exist."},
	"EntityNotExists.Target":                                  {404, "The specified target does not exist."},
	"OperationDenied.SharingWithRdDisabled":                   {403, "Sharing with the resource directory is not enabled."},
	"OperationDenied.ExternalTargetsNotAllowed":               {403, "The resource share does not allow targets outside the resource directory."},
	"Forbidden.KeyNotFound":                                   {404, "The specified Key is not found."},
	"Forbidden.ResourceNotFound":                              {404, "The specified key policy is not found."},
	"UnsupportedOperation":                                    {400, "The key is not in a KMS instance."},
	"InvalidParameter":                                        {400, "The specified parameter is not valid."},
	"EntityNotExists.ResourceDirectory":                       {404, "The resource directory for the account is not enabled."},
	"EntityNotExists.Folder":                                  {404, "The resource directory folder does not exist."},
	"InvalidParameter.ParentFolderId":                         {400, "The ParentFolderId is invalid."},
	"InvalidParameter.IncludeTags":                            {400, "The IncludeTags is invalid."},
	"InvalidParameter.RoleArn":                                {400, "The parameter RoleArn is wrongly formed."},
	"InvalidParameter.RoleSessionName":                        {400, "The parameter RoleSessionName is wrongly formed."},
	"InvalidParameter.DurationSeconds":                        {400, "The Min/Max value of DurationSeconds is 15min/the role's MaxSessionDuration."},
	"InvalidParameter.ExternalId":                             {400, "The parameter ExternalId is wrongly formed."},
	"InvalidParameter.PolicyGrammar":                          {400, "The parameter Policy has not passed grammar check."},
	"InvalidAccessKeyId.NotFound":                             {404, "Specified access key is not found."},
	"InvalidSecurityToken.MismatchWithAccessKey":              {400, "The specified SecurityToken does not match the access key."},
	"InvalidSecurityToken.Expired":                            {400, "Specified SecurityToken is expired."},
	"MissingParameter.ResourceShareInvitationId":              {400, "You must specify ResourceShareInvitationId."},
	"InvalidParameter.ResourceShareInvitationId":              {400, "The ResourceShareInvitationId is invalid."},
	"InvalidParameter.ResourceShareInvitationIds":             {400, "The ResourceShareInvitationIds is invalid."},
	"InvalidParameter.ResourceShareIds":                       {400, "The ResourceShareIds is invalid."},
	"EntityNotExists.ResourceShareInvitation":                 {409, "The resource share invitation does not exist in the current account."},
	"InvitationStatus.AlreadyAccepted":                        {409, "The resource share invitation status is already accepted."},
	"InvitationStatus.Expired":                                {409, "The resource share invitation status is expired."},
	"InvitationStatus.Cancelled":                              {409, "The resource share invitation status is cancelled."},
}

// ---- ECS ----

type ecsDiskMapping struct {
	Type       string `json:"Type"`
	Device     string `json:"Device"`
	SnapshotID string `json:"SnapshotId"`
	Encrypted  bool   `json:"Encrypted"`
}

type ecsImage struct {
	ImageID            string `json:"ImageId"`
	ImageOwnerID       int64  `json:"ImageOwnerId"`
	ImageOwnerAlias    string `json:"ImageOwnerAlias"`
	Status             string `json:"Status"`
	IsSelfShared       string `json:"IsSelfShared"`
	DiskDeviceMappings struct {
		DiskDeviceMapping []ecsDiskMapping `json:"DiskDeviceMapping"`
	} `json:"DiskDeviceMappings"`
}

type bodyImages struct {
	RequestID  string `json:"RequestId"`
	RegionID   string `json:"RegionId"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	TotalCount int    `json:"TotalCount"`
	Images     struct {
		Image []ecsImage `json:"Image"`
	} `json:"Images"`
}

// pageOf reads PageNumber (1 to b.MaxPageNumber, default 1) and PageSize
// (1 to b.MaxPageSize, default 10) and returns them with the page of all they
// select: empty past the last page.
func pageOf[T any](b Paging, p params, all []T) (num, size int, page []T, e *apiError) {
	num, size = 1, min(10, b.MaxPageSize)
	if v, ok := p["PageNumber"]; ok {
		x, err := strconv.Atoi(v)
		if err != nil || x < 1 || x > b.MaxPageNumber {
			return 0, 0, nil, newServiceError("InvalidParameter.PageNumber")
		}
		num = x
	}
	if v, ok := p["PageSize"]; ok {
		x, err := strconv.Atoi(v)
		if err != nil || x < 1 || x > b.MaxPageSize {
			return 0, 0, nil, newServiceError("InvalidParameter.PageSize")
		}
		size = x
	}
	// (num-1)*size may overflow; a page that starts past the end is empty.
	from := len(all)
	if num-1 < (len(all)+size-1)/size {
		from = (num - 1) * size
	}
	to := min(from+size, len(all))
	return num, size, all[from:to], nil
}

func newServiceError(code string) *apiError { return newError(code) }

func region(p params) (string, *apiError) {
	v := p["RegionId"]
	if v == "" {
		return "", missing("RegionId")
	}
	return v, nil
}

// regionalID reads RegionId and the required ID parameter name.
func regionalID(p params, name string) (reg, id string, e *apiError) {
	reg, e = region(p)
	if e != nil {
		return "", "", e
	}
	id = p[name]
	if id == "" {
		return "", "", missing(name)
	}
	return reg, id, nil
}

func (r *RAM) describeImages(p params, rid string, _ time.Time) (any, *apiError) {
	reg, e := region(p)
	if e != nil {
		return nil, e
	}
	var want []string
	if v := p["ImageId"]; v != "" {
		want = strings.Split(v, ",")
	}
	var ims []*imageRec
	if want != nil {
		for _, id := range want {
			if im, ok := r.svc.images[regional(reg, id)]; ok && !slices.Contains(ims, im) {
				ims = append(ims, im)
			}
		}
	} else {
		for _, im := range r.svc.images {
			if im.Region == reg {
				ims = append(ims, im)
			}
		}
	}
	slices.SortFunc(ims, func(a, b *imageRec) int { return strings.Compare(a.ID, b.ID) })
	num, size, page, e := pageOf(r.paging, p, ims)
	if e != nil {
		return nil, e
	}
	b := bodyImages{RequestID: rid, RegionID: reg, PageNumber: num, PageSize: size, TotalCount: len(ims)}
	b.Images.Image = []ecsImage{}
	owner, _ := strconv.ParseInt(r.opts.AccountID, 10, 64)
	for _, im := range page {
		ei := ecsImage{ImageID: im.ID, ImageOwnerAlias: "self", Status: "Available", IsSelfShared: "False", ImageOwnerID: owner}
		if len(im.shared) > 0 {
			ei.IsSelfShared = "True"
		}
		ei.DiskDeviceMappings.DiskDeviceMapping = []ecsDiskMapping{{
			Type: "system", Device: "/dev/xvda", SnapshotID: im.SnapshotID, Encrypted: im.KMSKeyID != "" || im.ServiceKey,
		}}
		for i, d := range im.DataDisks {
			ei.DiskDeviceMappings.DiskDeviceMapping = append(ei.DiskDeviceMappings.DiskDeviceMapping, ecsDiskMapping{
				Type: "data", Device: fmt.Sprintf("/dev/xvd%c", 'b'+i%24), SnapshotID: d.SnapshotID, Encrypted: d.encrypted() && !d.Unflagged,
			})
		}
		b.Images.Image = append(b.Images.Image, ei)
	}
	return b, nil
}

type ecsSnapshot struct {
	SnapshotID string `json:"SnapshotId"`
	Status     string `json:"Status"`
	Usage      string `json:"Usage"`
	Encrypted  bool   `json:"Encrypted"`
	KMSKeyID   string `json:"KMSKeyId"`
}

type bodySnapshots struct {
	RequestID  string `json:"RequestId"`
	PageNumber int    `json:"PageNumber"`
	PageSize   int    `json:"PageSize"`
	TotalCount int    `json:"TotalCount"`
	NextToken  string `json:"NextToken"`
	Snapshots  struct {
		Snapshot []ecsSnapshot `json:"Snapshot"`
	} `json:"Snapshots"`
}

func (r *RAM) describeSnapshots(p params, rid string, _ time.Time) (any, *apiError) {
	reg, e := region(p)
	if e != nil {
		return nil, e
	}
	var want []string
	if v := p["SnapshotIds"]; v != "" {
		if err := json.Unmarshal([]byte(v), &want); err != nil || len(want) == 0 {
			return nil, newServiceError("InvalidParameter.SnapshotIds")
		}
	}
	ofImage := map[string]bool{} // the region's snapshots images are made of
	for _, im := range r.svc.images {
		if im.Region == reg {
			for _, d := range im.disks() {
				ofImage[d.SnapshotID] = true
			}
		}
	}
	usageOf := func(s Snapshot) string {
		if ofImage[s.ID] {
			return "image"
		}
		return "none" // the fake has no disks for a snapshot to make
	}
	var ss []Snapshot
	for _, s := range r.svc.snapshots {
		if s.Region != reg || (want != nil && !slices.Contains(want, s.ID)) {
			continue
		}
		if v := p["Usage"]; v != "" && usageOf(s) != v {
			continue
		}
		if v := p["KMSKeyId"]; v != "" && s.KMSKeyID != v {
			continue
		}
		if v := p["Encrypted"]; v != "" && strconv.FormatBool(s.KMSKeyID != "" || s.ServiceKey) != strings.ToLower(v) {
			continue
		}
		ss = append(ss, s)
	}
	slices.SortFunc(ss, func(a, b Snapshot) int { return strings.Compare(a.ID, b.ID) })
	num, size, page, e := pageOf(r.paging, p, ss)
	if e != nil {
		return nil, e
	}
	b := bodySnapshots{RequestID: rid, PageNumber: num, PageSize: size, TotalCount: len(ss)}
	b.Snapshots.Snapshot = []ecsSnapshot{}
	for _, s := range page {
		b.Snapshots.Snapshot = append(b.Snapshots.Snapshot, ecsSnapshot{
			SnapshotID: s.ID, Status: "accomplished", Usage: usageOf(s), Encrypted: s.KMSKeyID != "" || s.ServiceKey, KMSKeyID: s.KMSKeyID,
		})
	}
	return b, nil
}

// repeated reads Name.1, Name.2, ... up to limit values (0: no limit),
// stopping at the first gap, and reports how many were given in all.
func repeated(p params, name string, limit int) (vals []string, given int) {
	for i := 1; ; i++ {
		v, ok := p[name+"."+strconv.Itoa(i)]
		if !ok {
			return vals, given
		}
		given++
		if limit == 0 || len(vals) < limit {
			vals = append(vals, v)
		}
	}
}

func (r *RAM) modifyImageSharePermission(p params, rid string, now time.Time) (any, *apiError) {
	reg, id, e := regionalID(p, "ImageId")
	if e != nil {
		return nil, e
	}
	if v := p["IsPublic"]; strings.EqualFold(v, "true") {
		return nil, newServiceError("InvalidParameter.IsPublic")
	}
	im, ok := r.svc.images[regional(reg, id)]
	if !ok {
		return nil, newServiceError("InvalidImageId.NotFound")
	}
	add, _ := repeated(p, "AddAccount", MaxImageShareAccountsPerCall)
	remove, _ := repeated(p, "RemoveAccount", MaxImageShareAccountsPerCall)
	for _, a := range slices.Concat(add, remove) {
		if !accountIDFormat.MatchString(a) {
			return nil, errorf("InvalidAccount.NotFound", "The specified account %q does not exist.", a)
		}
	}
	if slices.Contains(add, r.opts.AccountID) {
		return nil, newServiceError("InvalidAccount.Forbbiden")
	}
	next := slices.Clone(im.shared)
	next = slices.DeleteFunc(next, func(g shareGrant) bool { return slices.Contains(remove, g.account) })
	var fresh []string
	for _, a := range add {
		if !slices.ContainsFunc(next, func(g shareGrant) bool { return g.account == a }) && !slices.Contains(fresh, a) {
			fresh = append(fresh, a)
		}
	}
	if len(fresh) > 0 {
		keyIDs, serviceKey := im.keys()
		if serviceKey {
			return nil, newServiceError("InvalidOperation.ServiceKeyEncryptedImageUnsupported")
		}
		if len(next)+len(fresh) > MaxImageShareAccounts {
			return nil, newServiceError("QuotaExceed.ShareImageUser")
		}
		// Every disk's key: a data disk may have a key of its own.
		for _, k := range keyIDs {
			if e := r.checkShareKeyLocked(rid, encryptperm.ResourceImage, k, fresh, now); e != nil {
				return nil, e
			}
		}
	}
	for _, a := range fresh {
		next = append(next, shareGrant{account: a, at: now})
	}
	im.shared = next
	return bodyRequestID{rid}, nil
}

// checkShareKeyLocked plays ECS before it shares a resource encrypted with
// keyID: the key must be enabled, and the share role must let ECS in each
// recipient account use it.
func (r *RAM) checkShareKeyLocked(rid string, res encryptperm.ResourceType, keyID string, recipients []string, now time.Time) *apiError {
	k, ok := r.svc.keys[keyID]
	if !ok || k.State != KeyEnabled {
		return newServiceError("InvalidParameter.KMSKeyId.CMKNotEnabled")
	}
	for _, a := range recipients {
		if e := r.judgeShareLocked(rid, res, k, a, now); e != nil {
			return e
		}
	}
	return nil
}

type bodyImageShares struct {
	RequestID   string `json:"RequestId"`
	RegionID    string `json:"RegionId"`
	ImageID     string `json:"ImageId"`
	PageNumber  int    `json:"PageNumber"`
	PageSize    int    `json:"PageSize"`
	TotalCount  int    `json:"TotalCount"`
	ShareGroups struct {
		ShareGroup []struct{} `json:"ShareGroup"`
	} `json:"ShareGroups"`
	Accounts struct {
		Account []ecsAccount `json:"Account"`
	} `json:"Accounts"`
}

type ecsAccount struct {
	AliyunID   string `json:"AliyunId"`
	SharedTime string `json:"SharedTime"`
}

func (r *RAM) describeImageSharePermission(p params, rid string, _ time.Time) (any, *apiError) {
	reg, id, e := regionalID(p, "ImageId")
	if e != nil {
		return nil, e
	}
	im, ok := r.svc.images[regional(reg, id)]
	if !ok {
		return nil, newServiceError("InvalidImageId.NotFound")
	}
	num, size, page, e := pageOf(r.paging, p, im.shared)
	if e != nil {
		return nil, e
	}
	b := bodyImageShares{RequestID: rid, RegionID: reg, ImageID: id, PageNumber: num, PageSize: size, TotalCount: len(im.shared)}
	b.ShareGroups.ShareGroup = []struct{}{}
	b.Accounts.Account = []ecsAccount{}
	for _, g := range page {
		b.Accounts.Account = append(b.Accounts.Account, ecsAccount{AliyunID: g.account, SharedTime: formatDate(g.at)})
	}
	return b, nil
}

// ---- KMS ----

type bodyKey struct {
	RequestID   string `json:"RequestId"`
	KeyMetadata struct {
		KeyID           string `json:"KeyId"`
		Arn             string `json:"Arn"`
		KeyState        string `json:"KeyState"`
		KeyUsage        string `json:"KeyUsage"`
		KeySpec         string `json:"KeySpec"`
		Origin          string `json:"Origin"`
		Creator         string `json:"Creator"`
		ProtectionLevel string `json:"ProtectionLevel"`
		DKMSInstanceID  string `json:"DKMSInstanceId,omitempty"`
	} `json:"KeyMetadata"`
}

func (r *RAM) describeKey(p params, rid string, _ time.Time) (any, *apiError) {
	holder, k, e := r.keyFor(p)
	if e != nil {
		return nil, e
	}
	b := bodyKey{RequestID: rid}
	m := &b.KeyMetadata
	m.KeyID, m.KeyState = k.ID, k.State
	m.Arn = encryptperm.Key{Region: k.Region, Owner: holder.opts.AccountID, ID: k.ID}.ARN()
	m.KeyUsage, m.KeySpec, m.Origin, m.ProtectionLevel = "ENCRYPT/DECRYPT", "Aliyun_AES_256", "Aliyun_KMS", "SOFTWARE"
	m.Creator = holder.opts.AccountID
	m.DKMSInstanceID = k.Instance
	return b, nil
}

// ---- Resource Sharing ----

// validShareName reports whether s is a resource share name: 1 to 50
// letters, digits, periods, underscores and hyphens.
func validShareName(s string) bool {
	if len(s) < 1 || len(s) > 50 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// shareEntries reads and checks the Resources.N and Targets.N of a call.
func shareEntries(p params) (res []ShareEntry, targets []ShareEntry, e *apiError) {
	for i := 1; ; i++ {
		pre := "Resources." + strconv.Itoa(i) + "."
		id, okID := p[pre+"ResourceId"]
		typ, okType := p[pre+"ResourceType"]
		if !okID && !okType {
			break
		}
		if id == "" || typ == "" {
			return nil, nil, errorf("InvalidParameter.Resources", "Resources.%d.ResourceId and Resources.%d.ResourceType must be given together.", i, i)
		}
		if typ != ShareResourceImage && typ != ShareResourceSnapshot {
			return nil, nil, errorf("InvalidParameter.ResourceType", "The resource type %q is not supported: the fake shares Image and Snapshot.", typ)
		}
		if x := (ShareEntry{Type: typ, ID: id, Status: AssociationAssociated}); indexEntry(res, x) < 0 {
			res = append(res, x)
		}
	}
	if len(res) > MaxShareEntriesPerCall {
		return nil, nil, errorf("InvalidParameter.Resources", "At most %d resources can be given in one call.", MaxShareEntriesPerCall)
	}
	ts, given := repeated(p, "Targets", 0)
	if given > MaxShareEntriesPerCall {
		return nil, nil, errorf("InvalidParameter.Targets", "At most %d targets can be given in one call.", MaxShareEntriesPerCall)
	}
	for _, t := range ts {
		var x ShareEntry
		switch {
		case accountIDFormat.MatchString(t):
			x = ShareEntry{Type: targetAccount, ID: t}
		case rdIDFormat.MatchString(t):
			x = ShareEntry{Type: targetDirectory, ID: t}
		case folderIDFormat.MatchString(t):
			x = ShareEntry{Type: targetFolder, ID: t}
		default:
			return nil, nil, errorf("InvalidParameter.Targets", "The target %q is not an account, resource directory or folder ID.", t)
		}
		// A target or resource named twice in one call is one entry: the
		// call asks for it once (Resource Sharing documents no error for
		// it; inferred).
		if indexEntry(targets, x) < 0 {
			targets = append(targets, x)
		}
	}
	return res, targets, nil
}

// admitLocked checks new resources and targets of share s (already holding
// the rest) and fills each target's status. It plays Resource Sharing and,
// for encrypted resources, ECS consulting RAM.
func (r *RAM) admitLocked(rid string, s *shareRec, res, targets []ShareEntry, now time.Time) *apiError {
	owner := r.opts.AccountID
	d := r.dirLocked()
	for i, t := range targets {
		switch t.Type {
		case targetAccount:
			if t.ID == owner {
				return errorf("InvalidParameter.Targets", "A resource cannot be shared with its owner %s.", t.ID)
			}
			if d == nil || !d.has(t.ID) {
				if !s.external {
					return newServiceError("OperationDenied.ExternalTargetsNotAllowed")
				}
				targets[i].External = true
				targets[i].Status = AssociationAssociating
				continue
			}
		case targetDirectory:
			if d == nil || t.ID != d.rd.ID {
				return errorf("EntityNotExists.Target", "The resource directory %q is not the account's.", t.ID)
			}
			if !d.rd.SharingEnabled {
				return newServiceError("OperationDenied.SharingWithRdDisabled")
			}
		case targetFolder:
			if d == nil || !d.hasFolder(t.ID) {
				return errorf("EntityNotExists.Target", "The folder %q is not in the account's resource directory.", t.ID)
			}
			if !d.rd.SharingEnabled {
				return newServiceError("OperationDenied.SharingWithRdDisabled")
			}
		}
		targets[i].Status = AssociationAssociated
	}
	// Only what the call adds is judged, so that a call costs the same on a
	// share of any size: a new resource reaches every recipient of the
	// share after the call, a resource the share held already reaches only
	// the recipients the new targets bring. Recipients the share held are
	// not judged again: their associations stand.
	added := recipientsOf(targets, d, owner)
	var all []string            // every recipient after the call, worked out once a new resource needs it
	judged := map[string]bool{} // kind/key/scope already admitted: the same judgment
	for _, x := range slices.Concat(s.resources, res) {
		keyIDs, serviceKey, ok := r.resourceKeysLocked(s.region, x)
		if !ok {
			return errorf("EntityNotExists.Resource", "The %s %q does not exist in %s.", strings.ToLower(x.Type), x.ID, s.region)
		}
		who, scope := added, "added"
		if slices.Contains(res, x) {
			if all == nil {
				all = recipientsOf(slices.Concat(s.targets, targets), d, owner)
			}
			who, scope = all, "all"
		}
		if len(who) == 0 {
			continue
		}
		if serviceKey {
			if x.Type == ShareResourceImage {
				return newServiceError("InvalidOperation.ServiceKeyEncryptedImageUnsupported")
			}
			return newServiceError("InvalidOperation.ServiceKeyEncryptedSnapshotUnsupported")
		}
		kind := encryptperm.ResourceSnapshot
		if x.Type == ShareResourceImage {
			kind = encryptperm.ResourceImage
		}
		for _, keyID := range keyIDs {
			k := string(kind) + "/" + keyID
			// Judged for every recipient covers the added ones too.
			if judged[k+"/all"] || judged[k+"/"+scope] {
				continue
			}
			if e := r.checkShareKeyLocked(rid, kind, keyID, who, now); e != nil {
				return e
			}
			judged[k+"/"+scope] = true
		}
	}
	for i := range res {
		res[i].Created = now
	}
	for i := range targets {
		targets[i].Created = now
	}
	return nil
}

// recipientsOf returns, sorted and once each, the accounts that targets of
// a share of owner reach: an account target itself; for a directory
// target, every other account of the directory d; for a folder target, the
// other accounts in the folder and the folders below it, or, where the
// directory does not say which folder holds whom, every other account.
func recipientsOf(targets []ShareEntry, d *directory, owner string) []string {
	var out []string
	for _, t := range targets {
		switch {
		case t.Type == targetAccount:
			out = append(out, t.ID)
		case d == nil:
		case t.Type == targetFolder && d.placed(t.ID):
			out = d.appendUnder(out, t.ID)
		default:
			out = append(out, d.sorted...)
		}
	}
	out = slices.DeleteFunc(out, func(uid string) bool { return uid == owner })
	slices.Sort(out)
	return slices.Compact(out)
}

// resourceKeysLocked finds a shared resource and its encryption: the
// customer keys of its disks (an image's data disks may have keys of their
// own), and whether a disk is encrypted with the service key.
func (r *RAM) resourceKeysLocked(reg string, x ShareEntry) (keyIDs []string, serviceKey, ok bool) {
	if x.Type == ShareResourceImage {
		im, ok := r.svc.images[regional(reg, x.ID)]
		if !ok {
			return nil, false, false
		}
		keyIDs, serviceKey = im.keys()
		return keyIDs, serviceKey, true
	}
	s, ok := r.svc.snapshots[regional(reg, x.ID)]
	if s.KMSKeyID != "" {
		keyIDs = []string{s.KMSKeyID}
	}
	return keyIDs, s.ServiceKey, ok
}

type rsShare struct {
	ResourceShareID      string `json:"ResourceShareId"`
	ResourceShareName    string `json:"ResourceShareName"`
	ResourceShareOwner   string `json:"ResourceShareOwner"`
	ResourceShareStatus  string `json:"ResourceShareStatus"`
	AllowExternalTargets bool   `json:"AllowExternalTargets"`
	CreateTime           string `json:"CreateTime"`
	UpdateTime           string `json:"UpdateTime"`
}

func (s *shareRec) body(owner string) rsShare {
	return rsShare{s.id, s.name, owner, "Active", s.external, formatDate(s.created), formatDate(s.updated)}
}

type bodyShare struct {
	RequestID     string  `json:"RequestId"`
	ResourceShare rsShare `json:"ResourceShare"`
}

func (r *RAM) createResourceShare(p params, rid string, now time.Time) (any, *apiError) {
	reg, e := region(p)
	if e != nil {
		return nil, e
	}
	name := p["ResourceShareName"]
	if name == "" {
		return nil, missing("ResourceShareName")
	}
	if !validShareName(name) {
		return nil, newServiceError("InvalidParameter.ResourceShareName")
	}
	ext := false
	if v, ok := p["AllowExternalTargets"]; ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, newServiceError("InvalidParameter.AllowExternalTargets")
		}
		ext = b
	}
	res, targets, e := shareEntries(p)
	if e != nil {
		return nil, e
	}
	s := &shareRec{region: reg, name: name, external: ext, created: now, updated: now}
	if e := r.admitLocked(rid, s, res, targets, now); e != nil {
		return nil, e
	}
	r.svc.shareSeq++
	s.id = fmt.Sprintf("rs-%010X", mix(r.svc.shareSeq^uint64(r.opts.Seed))&0xffffffffff)
	s.resources, s.targets = res, targets
	r.svc.shares[s.id] = s
	r.inviteLocked(s, targets, now)
	return bodyShare{rid, s.body(r.opts.AccountID)}, nil
}

type rsAssociation struct {
	ResourceShareID          string   `json:"ResourceShareId"`
	ResourceShareName        string   `json:"ResourceShareName"`
	EntityID                 string   `json:"EntityId"`
	EntityType               string   `json:"EntityType"`
	AssociationType          string   `json:"AssociationType"`
	AssociationStatus        string   `json:"AssociationStatus"`
	AssociationStatusMessage string   `json:"AssociationStatusMessage"`
	External                 bool     `json:"External"`
	CreateTime               string   `json:"CreateTime"`
	UpdateTime               string   `json:"UpdateTime"`
	AssociationFailedDetails []string `json:"AssociationFailedDetails"`
}

func association(s *shareRec, x ShareEntry, assocType, status string, now time.Time) rsAssociation {
	return rsAssociation{
		ResourceShareID: s.id, ResourceShareName: s.name, EntityID: x.ID, EntityType: x.Type,
		AssociationType: assocType, AssociationStatus: status, External: x.External,
		CreateTime: formatDate(x.Created), UpdateTime: formatDate(now), AssociationFailedDetails: []string{},
	}
}

type bodyAssociations struct {
	RequestID                 string          `json:"RequestId"`
	NextToken                 string          `json:"NextToken,omitempty"`
	ResourceShareAssociations []rsAssociation `json:"ResourceShareAssociations"`
}

func (r *RAM) shareOf(p params) (*shareRec, *apiError) {
	reg, id, e := regionalID(p, "ResourceShareId")
	if e != nil {
		return nil, e
	}
	s, ok := r.svc.shares[id]
	if !ok || s.region != reg {
		return nil, newServiceError("EntityNotExists.ResourceShare")
	}
	return s, nil
}

func (r *RAM) associateResourceShare(p params, rid string, now time.Time) (any, *apiError) {
	s, e := r.shareOf(p)
	if e != nil {
		return nil, e
	}
	res, targets, e := shareEntries(p)
	if e != nil {
		return nil, e
	}
	res = slices.DeleteFunc(res, func(x ShareEntry) bool { return indexEntry(s.resources, x) >= 0 })
	targets = slices.DeleteFunc(targets, func(x ShareEntry) bool { return indexEntry(s.targets, x) >= 0 })
	if e := r.admitLocked(rid, s, res, targets, now); e != nil {
		return nil, e
	}
	s.resources = append(s.resources, res...)
	s.targets = append(s.targets, targets...)
	s.updated = now
	r.inviteLocked(s, targets, now)
	return associationsBody(rid, s, res, targets, now), nil
}

func (r *RAM) disassociateResourceShare(p params, rid string, now time.Time) (any, *apiError) {
	s, e := r.shareOf(p)
	if e != nil {
		return nil, e
	}
	res, targets, e := shareEntries(p)
	if e != nil {
		return nil, e
	}
	for _, x := range slices.Concat(res, targets) {
		if indexEntry(s.resources, x) < 0 && indexEntry(s.targets, x) < 0 {
			return nil, errorf("EntityNotExists.Resource", "%s %q is not associated with the resource share %s.", x.Type, x.ID, s.id)
		}
	}
	s.resources, res = detach(s.resources, res)
	s.targets, targets = detach(s.targets, targets)
	s.updated = now
	r.cancelInvitationsLocked(s, targets, now)
	return associationsBody(rid, s, res, targets, now), nil
}

// indexEntry returns the index in list of the entry of x's type and ID, or
// -1.
func indexEntry(list []ShareEntry, x ShareEntry) int {
	return slices.IndexFunc(list, func(y ShareEntry) bool { return y.Type == x.Type && y.ID == x.ID })
}

// detach removes each of xs from list, and returns what is left and the
// removed entries as they were stored, marked disassociated.
func detach(list, xs []ShareEntry) (kept, removed []ShareEntry) {
	for _, x := range xs {
		i := indexEntry(list, x)
		y := list[i]
		y.Status = AssociationDisassociated
		removed = append(removed, y)
		list = slices.Delete(list, i, i+1)
	}
	return list, removed
}

// associationsBody answers an association call of share s with the
// resources and targets it changed, each with its status.
func associationsBody(rid string, s *shareRec, res, targets []ShareEntry, now time.Time) bodyAssociations {
	b := bodyAssociations{RequestID: rid, ResourceShareAssociations: []rsAssociation{}}
	for _, x := range res {
		b.ResourceShareAssociations = append(b.ResourceShareAssociations, association(s, x, "Resource", x.Status, now))
	}
	for _, x := range targets {
		b.ResourceShareAssociations = append(b.ResourceShareAssociations, association(s, x, "Target", x.Status, now))
	}
	return b
}

// pageTokens reads MaxResults (1 to b.MaxResults, default 20) and NextToken
// (an offset the fake issued, at most b.MaxTokenBytes long) and returns the
// page of all they select (never nil, so that it renders as a JSON array)
// and the next token.
func pageTokens[T any](b Paging, p params, all []T) (page []T, next string, e *apiError) {
	n := len(all)
	size, from := min(20, b.MaxResults), 0
	if v, ok := p["MaxResults"]; ok {
		x, err := strconv.Atoi(v)
		if err != nil || x < 1 || x > b.MaxResults {
			return nil, "", newServiceError("InvalidParameter.MaxResults")
		}
		size = x
	}
	if v := p["NextToken"]; v != "" {
		if len(v) > b.MaxTokenBytes {
			return nil, "", newServiceError("InvalidParameter.NextToken")
		}
		x, err := strconv.Atoi(v)
		if err != nil || x < 1 || x > n {
			return nil, "", newServiceError("InvalidParameter.NextToken")
		}
		from = x
	}
	to := min(from+size, n)
	if to < n {
		next = strconv.Itoa(to)
	}
	return append([]T{}, all[from:to]...), next, nil
}

// ownedShares returns, sorted, the region's shares that ResourceShareIds
// names (all when absent). ResourceOwner must be Self or OtherAccounts; the
// fake's account receives no shares, so OtherAccounts gives none.
func (r *RAM) ownedShares(p params, ownerRequired bool) ([]*shareRec, *apiError) {
	reg, e := region(p)
	if e != nil {
		return nil, e
	}
	owner, ok := p["ResourceOwner"]
	if ownerRequired && !ok {
		return nil, missing("ResourceOwner")
	}
	if ok && owner != "Self" && owner != "OtherAccounts" {
		return nil, newServiceError("InvalidParameter.ResourceOwner")
	}
	if owner == "OtherAccounts" {
		return nil, nil
	}
	ids, _ := repeated(p, "ResourceShareIds", 0)
	var out []*shareRec
	for _, s := range r.sortedSharesLocked() {
		if s.region == reg && (ids == nil || slices.Contains(ids, s.id)) {
			out = append(out, s)
		}
	}
	return out, nil
}

type bodyShares struct {
	RequestID      string    `json:"RequestId"`
	NextToken      string    `json:"NextToken,omitempty"`
	ResourceShares []rsShare `json:"ResourceShares"`
}

func (r *RAM) listResourceShares(p params, rid string, _ time.Time) (any, *apiError) {
	ss, e := r.ownedShares(p, true)
	if e != nil {
		return nil, e
	}
	ss = slices.DeleteFunc(ss, func(s *shareRec) bool {
		n := p["ResourceShareName"]
		st := p["ResourceShareStatus"]
		return (n != "" && s.name != n) || (st != "" && st != "Active")
	})
	page, next, e := pageTokens(r.paging, p, ss)
	if e != nil {
		return nil, e
	}
	b := bodyShares{RequestID: rid, NextToken: next, ResourceShares: []rsShare{}}
	for _, s := range page {
		b.ResourceShares = append(b.ResourceShares, s.body(r.opts.AccountID))
	}
	return b, nil
}

func (r *RAM) listResourceShareAssociations(p params, rid string, now time.Time) (any, *apiError) {
	typ := p["AssociationType"]
	if typ == "" {
		return nil, missing("AssociationType")
	}
	if typ != "Resource" && typ != "Target" {
		return nil, newServiceError("InvalidParameter.AssociationType")
	}
	ss, e := r.ownedShares(p, false)
	if e != nil {
		return nil, e
	}
	var all []rsAssociation
	for _, s := range ss {
		list := s.resources
		if typ == "Target" {
			list = s.targets
		}
		for _, x := range list {
			if (p["ResourceId"] != "" && (typ != "Resource" || x.ID != p["ResourceId"])) ||
				(p["Target"] != "" && (typ != "Target" || x.ID != p["Target"])) ||
				(p["AssociationStatus"] != "" && x.Status != p["AssociationStatus"]) {
				continue
			}
			a := association(s, x, typ, x.Status, now)
			a.UpdateTime = formatDate(x.Created)
			all = append(all, a)
		}
	}
	page, next, e := pageTokens(r.paging, p, all)
	if e != nil {
		return nil, e
	}
	return bodyAssociations{RequestID: rid, NextToken: next, ResourceShareAssociations: page}, nil
}

type rsTarget struct {
	ResourceShareID string `json:"ResourceShareId"`
	TargetID        string `json:"TargetId"`
	External        bool   `json:"External"`
	CreateTime      string `json:"CreateTime"`
	UpdateTime      string `json:"UpdateTime"`
}

type bodyTargets struct {
	RequestID     string     `json:"RequestId"`
	NextToken     string     `json:"NextToken,omitempty"`
	SharedTargets []rsTarget `json:"SharedTargets"`
}

func (r *RAM) listSharedTargets(p params, rid string, _ time.Time) (any, *apiError) {
	ss, e := r.ownedShares(p, true)
	if e != nil {
		return nil, e
	}
	want, _ := repeated(p, "Targets", 0)
	var all []rsTarget
	for _, s := range ss {
		if id := p["ResourceId"]; id != "" && !slices.ContainsFunc(s.resources, func(x ShareEntry) bool {
			return x.ID == id && (p["ResourceType"] == "" || x.Type == p["ResourceType"])
		}) {
			continue
		}
		for _, t := range s.targets {
			if want != nil && !slices.Contains(want, t.ID) {
				continue
			}
			all = append(all, rsTarget{s.id, t.ID, t.External, formatDate(t.Created), formatDate(t.Created)})
		}
	}
	page, next, e := pageTokens(r.paging, p, all)
	if e != nil {
		return nil, e
	}
	return bodyTargets{RequestID: rid, NextToken: next, SharedTargets: page}, nil
}

type rsResource struct {
	ResourceShareID       string `json:"ResourceShareId"`
	ResourceID            string `json:"ResourceId"`
	ResourceType          string `json:"ResourceType"`
	ResourceStatus        string `json:"ResourceStatus"`
	ResourceStatusMessage string `json:"ResourceStatusMessage"`
	CreateTime            string `json:"CreateTime"`
	UpdateTime            string `json:"UpdateTime"`
}

type bodyResources struct {
	RequestID       string       `json:"RequestId"`
	NextToken       string       `json:"NextToken,omitempty"`
	SharedResources []rsResource `json:"SharedResources"`
}

func (r *RAM) listSharedResources(p params, rid string, _ time.Time) (any, *apiError) {
	ss, e := r.ownedShares(p, true)
	if e != nil {
		return nil, e
	}
	ids, _ := repeated(p, "ResourceIds", 0)
	var all []rsResource
	for _, s := range ss {
		if t := p["Target"]; t != "" && !slices.ContainsFunc(s.targets, func(x ShareEntry) bool { return x.ID == t }) {
			continue
		}
		for _, x := range s.resources {
			if (ids != nil && !slices.Contains(ids, x.ID)) || (p["ResourceType"] != "" && x.Type != p["ResourceType"]) {
				continue
			}
			all = append(all, rsResource{s.id, x.ID, x.Type, "Available", "", formatDate(x.Created), formatDate(x.Created)})
		}
	}
	page, next, e := pageTokens(r.paging, p, all)
	if e != nil {
		return nil, e
	}
	return bodyResources{RequestID: rid, NextToken: next, SharedResources: page}, nil
}

type bodyRDStatus struct {
	RequestID           string `json:"RequestId"`
	EnableSharingWithRd bool   `json:"EnableSharingWithRd"`
}

func (r *RAM) checkSharingWithResourceDirectoryStatus(_ params, rid string, _ time.Time) (any, *apiError) {
	d := r.dirLocked()
	return bodyRDStatus{rid, d != nil && d.rd.SharingEnabled}, nil
}
