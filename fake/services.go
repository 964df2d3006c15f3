// This file holds the fake's ECS, Resource Sharing and KMS state: keys,
// images, snapshots, the resource directory and shares.

package fake

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// KMS key states, as KMS spells them.
const (
	// KeyEnabled is the state of a key that may be used.
	KeyEnabled = "Enabled"
	// KeyDisabled is the state of a key that was disabled.
	KeyDisabled = "Disabled"
	// KeyPendingDeletion is the state of a key scheduled for deletion.
	KeyPendingDeletion = "PendingDeletion"
)

// Resource types of Resource Sharing that the fake serves.
const (
	// ShareResourceImage is the Resource Sharing type of a custom image.
	ShareResourceImage = "Image"
	// ShareResourceSnapshot is the Resource Sharing type of a snapshot.
	ShareResourceSnapshot = "Snapshot"
)

// Association statuses of Resource Sharing.
const (
	// AssociationAssociated is the status of a resource or target in force.
	AssociationAssociated = "Associated"
	// AssociationAssociating is the status of a target outside the resource
	// directory whose invitation is still pending.
	AssociationAssociating = "Associating"
	// AssociationDisassociated is the status of a removed resource or target.
	AssociationDisassociated = "Disassociated"
)

// Limits of the shares, as ECS and Resource Sharing publish them.
const (
	// MaxImageShareAccountsPerCall is how many AddAccount.N (and
	// RemoveAccount.N) values ModifyImageSharePermission reads; it ignores
	// the rest.
	MaxImageShareAccountsPerCall = 10
	// MaxImageShareAccounts is how many accounts one image may be shared with.
	MaxImageShareAccounts = 50
	// MaxShareEntriesPerCall is how many Targets.N, and how many
	// Resources.N, one Resource Sharing call takes.
	MaxShareEntriesPerCall = 5
)

// Key is a KMS key the fake holds.
type Key struct {
	// Region is the key's region ID, such as cn-hangzhou.
	Region string `json:"region"`
	// ID is the key ID: a UUID or key- followed by letters and digits.
	ID string `json:"id"`
	// State is KeyEnabled, KeyDisabled or KeyPendingDeletion. Empty means
	// KeyEnabled.
	State string `json:"state"`
	// Account is the UID of the account that holds the key. PutKey puts
	// the key in that account, which the fake must hold; empty means the
	// account of the *RAM PutKey is called on. Keys leaves it empty for
	// the fake's own account.
	Account string `json:"account,omitempty"`
	// Instance is the ID of the KMS instance that holds the key, kst-...,
	// which DescribeKey reports as DKMSInstanceId; empty for a key of the
	// default kind, which has no key policy.
	Instance string `json:"instance,omitempty"`
	// Policy is the key policy of a key in an instance, as JSON text. Empty
	// means the one KMS gives a new key (DefaultKeyPolicy of the key's
	// account). A key without an instance has none.
	Policy string `json:"policy,omitempty"`
}

// Image is a custom image the fake's ECS holds. An image with neither
// KMSKeyID nor ServiceKey is unencrypted.
type Image struct {
	// Region is the image's region ID.
	Region string `json:"region"`
	// ID is the image ID, m-....
	ID string `json:"id"`
	// KMSKeyID is the ID of the customer key that encrypts the image.
	KMSKeyID string `json:"kmsKeyId,omitempty"`
	// ServiceKey is true for an image encrypted with ECS's service key.
	ServiceKey bool `json:"serviceKey,omitempty"`
	// SnapshotID is the snapshot the image's system disk is made from, as
	// ECS links them: DescribeImages names it in the image's disk device
	// mapping, and only DescribeSnapshots tells which key encrypts it.
	// Empty means s-img followed by the image ID's characters after m-
	// (cut to 40 characters). PutImage stores this snapshot too, with the
	// image's encryption, replacing a snapshot of that ID.
	SnapshotID string `json:"snapshotId,omitempty"`
	// DataDisks are the image's data disks, after its system disk, each
	// made from a snapshot of its own that may have a key of its own.
	// PutImage stores their snapshots too, replacing snapshots of those
	// IDs.
	DataDisks []ImageDisk `json:"dataDisks,omitempty"`
	// SharedWith lists, in order, the accounts the image is shared with.
	// Put ignores it; inspection fills it.
	SharedWith []string `json:"-"`
	// Account is the UID of the account that holds the image, as
	// Key.Account says of a key; the image's keys are that account's.
	Account string `json:"account,omitempty"`
}

// ImageDisk is a data disk of an image: the snapshot it is made from, and
// that snapshot's encryption. A disk with neither KMSKeyID nor ServiceKey
// is unencrypted.
type ImageDisk struct {
	// SnapshotID is the snapshot the disk is made from, s-....
	SnapshotID string `json:"snapshotId"`
	// KMSKeyID is the ID of the customer key that encrypts the disk's
	// snapshot; the key must be stored first, in the image's region.
	KMSKeyID string `json:"kmsKeyId,omitempty"`
	// ServiceKey is true for a disk encrypted with ECS's service key.
	ServiceKey bool `json:"serviceKey,omitempty"`
	// Unflagged makes DescribeImages leave the disk's Encrypted out (the
	// SDK reads it as false), so that only the snapshot tells whether the
	// disk is encrypted, and with which key.
	Unflagged bool `json:"unflagged,omitempty"`
}

// encrypted reports whether the disk is encrypted.
func (d ImageDisk) encrypted() bool { return d.KMSKeyID != "" || d.ServiceKey }

// Snapshot is a snapshot the fake's ECS holds. A snapshot with neither
// KMSKeyID nor ServiceKey is unencrypted.
type Snapshot struct {
	// Region is the snapshot's region ID.
	Region string `json:"region"`
	// ID is the snapshot ID, s-....
	ID string `json:"id"`
	// KMSKeyID is the ID of the customer key that encrypts the snapshot.
	KMSKeyID string `json:"kmsKeyId,omitempty"`
	// ServiceKey is true for a snapshot encrypted with ECS's service key.
	ServiceKey bool `json:"serviceKey,omitempty"`
	// Account is the UID of the account that holds the snapshot, as
	// Key.Account says of a key; its key is that account's.
	Account string `json:"account,omitempty"`
}

// ResourceDirectory is the resource directory the fake's account belongs
// to, as Resource Sharing sees it, and, when Root is set, as Resource
// Manager lists it: its folders and member accounts. The fake's own
// account (the one New made) is its management account.
type ResourceDirectory struct {
	// ID is the directory ID, rd-....
	ID string `json:"id"`
	// SharingEnabled is true when the account may share with the directory
	// and its folders.
	SharingEnabled bool `json:"sharingEnabled"`
	// Members are the UIDs of the directory's other accounts. Sharing with
	// them needs no invitation. They joined the directory by invitation
	// and have no access role. Without Root, where they sit is not known:
	// sharing with the directory or any folder reaches them all (see the
	// package documentation).
	Members []string `json:"members,omitempty"`
	// Folders are the IDs of the directory's root (r-...) and folders
	// (fd-...) that may be share targets. With Root set, each must be the
	// root or a folder of FolderTree, all of which are targets anyway.
	Folders []string `json:"folders,omitempty"`
	// Root is the ID of the directory's root folder, r-.... Setting it gives
	// the directory a tree: FolderTree places folders in it, Accounts
	// places member accounts, and Members not among Accounts sit in the
	// root.
	Root string `json:"root,omitempty"`
	// FolderTree holds the folders below the root, each naming its parent.
	FolderTree []Folder `json:"folderTree,omitempty"`
	// Accounts are member accounts created in the directory, each in a
	// folder. Each is a member, the fake holds it with a RAM of its own
	// (see RAM.Account), and it gets the directory's access role
	// (Options.AccessRoleName), trusting the management account. The
	// management account may be listed too, to place it in a folder; it
	// gets no access role.
	Accounts []DirectoryAccount `json:"accounts,omitempty"`
}

// Folder is a folder of a resource directory's tree.
type Folder struct {
	// ID is the folder ID, fd-....
	ID string `json:"id"`
	// Parent is the ID of the folder that holds it: the root (r-...) or
	// another folder of the tree.
	Parent string `json:"parent"`
	// Name is the folder's name, as Resource Manager lists it. Empty means
	// the ID.
	Name string `json:"name,omitempty"`
}

// DirectoryAccount is a member account placed in a resource directory's
// tree.
type DirectoryAccount struct {
	// UID is the account's UID, 16 digits.
	UID string `json:"uid"`
	// Folder is the ID of the folder that holds it: the root or a folder of
	// the tree.
	Folder string `json:"folder"`
	// Name is the account's display name. Empty means the UID.
	Name string `json:"name,omitempty"`
}

// ResourceShare is a resource share, as the inspection helpers show it.
type ResourceShare struct {
	// Region is the share's region ID.
	Region string
	// ID is the share ID, rs-....
	ID string
	// Name is the share's name.
	Name string
	// AllowExternalTargets is true when accounts outside the resource
	// directory may be targets.
	AllowExternalTargets bool
	// Resources are the share's resources, in the order they were added.
	Resources []ShareEntry
	// Targets are the share's targets, in the order they were added.
	Targets []ShareEntry
}

// ShareEntry is one resource or target of a resource share.
type ShareEntry struct {
	// Type is ShareResourceImage or ShareResourceSnapshot for a resource,
	// and "Account", "ResourceDirectory" or "Folder" for a target.
	Type string
	// ID is the resource's or target's ID.
	ID string
	// Status is AssociationAssociated, or AssociationAssociating for an
	// account outside the directory whose invitation is pending.
	Status string
	// External is true for a target outside the resource directory.
	External bool
	// Created is when the entry was added.
	Created time.Time
}

// Target kinds of a ShareEntry.
const (
	targetAccount   = "Account"
	targetDirectory = "ResourceDirectory"
	targetFolder    = "Folder"
)

var (
	regionIDFormat = regexp.MustCompile(`^[a-z]{2}(-[a-z0-9]+)+$`)
	keyIDFormat    = regexp.MustCompile(`^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|key-[a-z0-9]{8,40})$`)
	// implicitKeyFormat is the looser form of a key ID that KMS answers
	// for in an account no key was put in: every form package encryptperm's
	// builders accept (a UUID in either case, key- and letters or digits).
	implicitKeyFormat = regexp.MustCompile(`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|key-[A-Za-z0-9]{1,64})$`)
	imageIDFormat     = regexp.MustCompile(`^m-[A-Za-z0-9]{4,40}$`)
	snapshotIDFormat  = regexp.MustCompile(`^s-[A-Za-z0-9]{4,40}$`)
	accountIDFormat   = regexp.MustCompile(`^[0-9]{16}$`)
	rdIDFormat        = regexp.MustCompile(`^rd-[A-Za-z0-9]{2,40}$`)
	folderIDFormat    = regexp.MustCompile(`^(r|fd)-[A-Za-z0-9]{2,40}$`)
)

// imageRec is a stored image.
type imageRec struct {
	Image
	shared []shareGrant // in order of sharing
}

// shareGrant is one account an image is shared with.
type shareGrant struct {
	account string
	at      time.Time
}

// shareRec is a stored resource share.
type shareRec struct {
	region, id, name string
	external         bool
	created, updated time.Time
	resources        []ShareEntry
	targets          []ShareEntry
}

// services is the state of ECS, Resource Sharing and KMS in the account.
type services struct {
	keys      map[string]Key       // by key ID
	images    map[string]*imageRec // by regional key
	snapshots map[string]Snapshot  // by regional key
	shares    map[string]*shareRec // by share ID
	shareSeq  uint64
	// keysPut is set once a key is put in the account: until then KMS
	// answers for any well-formed key ID (see implicitKey).
	keysPut bool
	// views holds ECS's past views of RAM while a rule lags it; see
	// ramViewLocked.
	views []ramView
}

func newServices() *services {
	return &services{
		keys:      make(map[string]Key),
		images:    make(map[string]*imageRec),
		snapshots: make(map[string]Snapshot),
		shares:    make(map[string]*shareRec),
	}
}

// regional is the lookup key of a regional resource.
func regional(region, id string) string { return region + "/" + id }

// PutKey stores a KMS key, replacing one with the same ID.
func (r *RAM) PutKey(k Key) error {
	if k.State == "" {
		k.State = KeyEnabled
	}
	if err := checkKey(k); err != "" {
		return fmt.Errorf("fake: put key %q: %s: %w", k.ID, err, ErrInvalidSeed)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t, err := r.holderLocked(k.Account)
	if err != nil {
		return fmt.Errorf("fake: put key %q: %w", k.ID, err)
	}
	k.Account = ""
	if k.Instance != "" && k.Policy == "" {
		k.Policy = DefaultKeyPolicy(t.opts.AccountID)
	}
	t.svc.keys[k.ID] = k
	t.svc.keysPut = true
	return nil
}

// implicitKey returns the key KMS answers for id in region reg in an
// account no key was put in: any well-formed key ID there (a UUID, or key-
// and letters or digits) is an Enabled customer key of the account, so that code naming a key works on a fake
// nobody seeded. Once a key is put in the account, KMS knows only the keys
// put, and ok is false.
func (r *RAM) implicitKey(reg, id string) (k Key, ok bool) {
	if r.svc.keysPut || !regionIDFormat.MatchString(reg) || !implicitKeyFormat.MatchString(id) {
		return Key{}, false
	}
	return Key{Region: reg, ID: id, State: KeyEnabled}, true
}

// holderLocked returns the account of UID uid, which the fake must hold,
// or r when uid is empty: the account a Put method puts into.
func (r *RAM) holderLocked(uid string) (*RAM, error) {
	if uid == "" {
		return r, nil
	}
	t, ok := r.w.accounts[uid]
	if !ok {
		return nil, fmt.Errorf("account: the fake holds no account %s: %w", quoted(uid), ErrInvalidSeed)
	}
	return t, nil
}

func checkKey(k Key) string {
	switch {
	case !regionIDFormat.MatchString(k.Region):
		return "region: not a region ID"
	case !keyIDFormat.MatchString(k.ID):
		return "id: not a KMS key ID"
	case k.State != KeyEnabled && k.State != KeyDisabled && k.State != KeyPendingDeletion:
		return "state: not Enabled, Disabled or PendingDeletion"
	}
	if field, msg := checkKeyFields(k); field != "" {
		return field + ": " + msg
	}
	return ""
}

// PutImage stores a custom image, replacing one with the same region and
// ID and its shares. Its key must be stored first, in its region.
func (r *RAM) PutImage(im Image) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, err := r.holderLocked(im.Account)
	if err != nil {
		return fmt.Errorf("fake: put image %q: %w", im.ID, err)
	}
	im.Account = ""
	return t.putImageLocked(im)
}

func (r *RAM) putImageLocked(im Image) error {
	if err := r.checkEncryptedLocked(im.Region, im.ID, imageIDFormat, im.KMSKeyID, im.ServiceKey); err != "" {
		return fmt.Errorf("fake: put image %q: %s: %w", im.ID, err, ErrInvalidSeed)
	}
	im.SharedWith = nil
	if im.SnapshotID == "" {
		im.SnapshotID = imageSnapshotID(im.ID)
	}
	if !snapshotIDFormat.MatchString(im.SnapshotID) {
		return fmt.Errorf("fake: put image %q: snapshotId: malformed: %w", im.ID, ErrInvalidSeed)
	}
	im.DataDisks = slices.Clone(im.DataDisks)
	for i, d := range im.DataDisks {
		if err := r.checkEncryptedLocked(im.Region, d.SnapshotID, snapshotIDFormat, d.KMSKeyID, d.ServiceKey); err != "" {
			return fmt.Errorf("fake: put image %q: dataDisks[%d].%s: %w", im.ID, i, strings.Replace(err, "id:", "snapshotId:", 1), ErrInvalidSeed)
		}
		if d.SnapshotID == im.SnapshotID || slices.ContainsFunc(im.DataDisks[:i], func(o ImageDisk) bool { return o.SnapshotID == d.SnapshotID }) {
			return fmt.Errorf("fake: put image %q: dataDisks[%d].snapshotId: %q makes another disk of the image: %w", im.ID, i, d.SnapshotID, ErrInvalidSeed)
		}
	}
	r.svc.images[regional(im.Region, im.ID)] = &imageRec{Image: im}
	r.svc.snapshots[regional(im.Region, im.SnapshotID)] = Snapshot{Region: im.Region, ID: im.SnapshotID, KMSKeyID: im.KMSKeyID, ServiceKey: im.ServiceKey}
	for _, d := range im.DataDisks {
		r.svc.snapshots[regional(im.Region, d.SnapshotID)] = Snapshot{Region: im.Region, ID: d.SnapshotID, KMSKeyID: d.KMSKeyID, ServiceKey: d.ServiceKey}
	}
	return nil
}

// disks returns the image's disks, its system disk first, as ImageDisks.
func (im *imageRec) disks() []ImageDisk {
	return append([]ImageDisk{{SnapshotID: im.SnapshotID, KMSKeyID: im.KMSKeyID, ServiceKey: im.ServiceKey}}, im.DataDisks...)
}

// keys returns the customer keys of the image's disks, without
// duplicates, and whether a disk is encrypted with the service key.
func (im *imageRec) keys() (keyIDs []string, serviceKey bool) {
	for _, d := range im.disks() {
		if d.KMSKeyID != "" && !slices.Contains(keyIDs, d.KMSKeyID) {
			keyIDs = append(keyIDs, d.KMSKeyID)
		}
		serviceKey = serviceKey || d.ServiceKey
	}
	return keyIDs, serviceKey
}

// imageSnapshotID is the ID of the snapshot an image is made from when the
// image does not name one.
func imageSnapshotID(imageID string) string {
	id := "s-img" + strings.TrimPrefix(imageID, "m-")
	return id[:min(len(id), 42)]
}

// PutSnapshot stores a snapshot, replacing one with the same region and ID.
// Its key must be stored first, in its region.
func (r *RAM) PutSnapshot(s Snapshot) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, err := r.holderLocked(s.Account)
	if err != nil {
		return fmt.Errorf("fake: put snapshot %q: %w", s.ID, err)
	}
	s.Account = ""
	if err := t.checkEncryptedLocked(s.Region, s.ID, snapshotIDFormat, s.KMSKeyID, s.ServiceKey); err != "" {
		return fmt.Errorf("fake: put snapshot %q: %s: %w", s.ID, err, ErrInvalidSeed)
	}
	t.svc.snapshots[regional(s.Region, s.ID)] = s
	return nil
}

func (r *RAM) checkEncryptedLocked(region, id string, idFormat *regexp.Regexp, keyID string, serviceKey bool) string {
	switch {
	case !regionIDFormat.MatchString(region):
		return "region: not a region ID"
	case !idFormat.MatchString(id):
		return "id: malformed"
	case keyID != "" && serviceKey:
		return "kmsKeyId: set with serviceKey"
	}
	if keyID != "" {
		k, ok := r.svc.keys[keyID]
		if !ok {
			return fmt.Sprintf("kmsKeyId: no key has the ID %q", keyID)
		}
		if k.Region != region {
			return fmt.Sprintf("kmsKeyId: the key %q is in %s, not %s", keyID, k.Region, region)
		}
	}
	return ""
}

// Keys returns the account's KMS keys, sorted by ID.
func (r *RAM) Keys() []Key {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Key, 0, len(r.svc.keys))
	for _, k := range r.svc.keys {
		k.Account = r.w.logName(r.opts.AccountID)
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b Key) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Images returns the images, sorted by region and ID, each with the
// accounts it is shared with.
func (r *RAM) Images() []Image {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Image, 0, len(r.svc.images))
	for _, im := range r.svc.images {
		v := im.view()
		v.Account = r.w.logName(r.opts.AccountID)
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b Image) int {
		return cmp.Or(strings.Compare(a.Region, b.Region), strings.Compare(a.ID, b.ID))
	})
	return out
}

// ImageSharedWith returns the accounts the image is shared with, in the
// order they were added, and whether the image exists.
func (r *RAM) ImageSharedWith(region, imageID string) ([]string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	im, ok := r.svc.images[regional(region, imageID)]
	if !ok {
		return nil, false
	}
	return im.view().SharedWith, true
}

func (im *imageRec) view() Image {
	v := im.Image
	v.DataDisks = slices.Clone(im.DataDisks)
	v.SharedWith = make([]string, len(im.shared))
	for i, g := range im.shared {
		v.SharedWith[i] = g.account
	}
	return v
}

// Snapshots returns the snapshots, sorted by region and ID.
func (r *RAM) Snapshots() []Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Snapshot, 0, len(r.svc.snapshots))
	for _, s := range r.svc.snapshots {
		s.Account = r.w.logName(r.opts.AccountID)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Snapshot) int {
		return cmp.Or(strings.Compare(a.Region, b.Region), strings.Compare(a.ID, b.ID))
	})
	return out
}

// ResourceShares returns the resource shares, sorted by ID, with their
// resources and targets.
func (r *RAM) ResourceShares() []ResourceShare {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]ResourceShare, 0, len(r.svc.shares))
	for _, s := range r.sortedSharesLocked() {
		out = append(out, ResourceShare{
			Region: s.region, ID: s.id, Name: s.name, AllowExternalTargets: s.external,
			Resources: slices.Clone(s.resources), Targets: slices.Clone(s.targets),
		})
	}
	return out
}

// Invitations returns, sorted, the "share/account" pairs of targets
// outside the resource directory whose invitation is pending.
func (r *RAM) Invitations() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, s := range r.sortedSharesLocked() {
		for _, t := range s.targets {
			if t.Status == AssociationAssociating {
				out = append(out, s.id+"/"+t.ID)
			}
		}
	}
	return out
}

func (r *RAM) sortedSharesLocked() []*shareRec {
	out := make([]*shareRec, 0, len(r.svc.shares))
	for _, s := range r.svc.shares {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b *shareRec) int { return strings.Compare(a.id, b.id) })
	return out
}
