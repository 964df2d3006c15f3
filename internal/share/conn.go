// This file holds the share step's connection: the calls it makes to ECS,
// Resource Sharing and KMS, one method a call, and the rows they answer
// with.

package share

import (
	"context"
	"time"
)

// Conn is the share step's way to ECS, Resource Sharing and KMS. Each
// method is one call, made as the caller makes every call (its retries,
// timeouts, redaction and record of calls); errors come back as the caller
// makes them, and Code and OutcomeUnknown read them. A Conn is safe for
// concurrent use: the step makes the calls of one level at once.
type Conn interface {
	// DescribeImages reads the account's own image (ECS DescribeImages).
	DescribeImages(ctx context.Context, region, imageID string) ([]ImageRow, error)
	// ImageSharePage reads one page of the accounts ECS shares an image
	// with (DescribeImageSharePermission), and how many there are in all.
	ImageSharePage(ctx context.Context, region, imageID string, page, size int) (accounts []string, total int, err error)
	// DescribeSnapshots reads snapshots by ID, at most a page of them.
	DescribeSnapshots(ctx context.Context, region string, ids []string) ([]SnapshotRow, error)
	// ImageSnapshots lists the first page of a region's encrypted
	// snapshots that images are made of, with keyID's only when keyID is
	// set. It makes one attempt, never retried: it is a guess.
	ImageSnapshots(ctx context.Context, region, keyID string, size int) ([]SnapshotRow, error)
	// SharesPage reads one page of the account's own resource shares in a
	// region (ListResourceShares), and the token of the next ("" after the
	// last).
	SharesPage(ctx context.Context, region, token string) (shares []ResourceShare, next string, err error)
	// AssociationsPage reads one page of a region's resource share
	// associations of type typ ("Resource" or "Target"), of the shares ids
	// only when ids is not nil (ListResourceShareAssociations).
	AssociationsPage(ctx context.Context, region, typ string, ids []string, token string) (as []Association, next string, err error)
	// DirectorySharing reports whether the account may share with its
	// resource directory (CheckSharingWithResourceDirectoryStatus).
	DirectorySharing(ctx context.Context, region string) (bool, error)
	// DescribeKey reads a key's metadata (KMS DescribeKey); it returns nil
	// and no error when KMS does not find the key.
	DescribeKey(ctx context.Context, region, keyID string) (*KeyMeta, error)
	// ModifyImageShare adds accounts to an image's share permission, or
	// removes them (ModifyImageSharePermission).
	ModifyImageShare(ctx context.Context, region, imageID string, accounts []string, remove bool) error
	// CreateShare makes a resource share that holds one resource, of
	// Resource Sharing's type resourceType ("Image" or "Snapshot"), with
	// targets, and returns its ID (CreateResourceShare).
	CreateShare(ctx context.Context, region, name, resourceType, resourceID string, targets []string, external bool) (string, error)
	// Associate adds targets to a resource share (AssociateResourceShare).
	Associate(ctx context.Context, region, shareID string, targets []string) error
	// Disassociate takes targets out of a resource share
	// (DisassociateResourceShare).
	Disassociate(ctx context.Context, region, shareID string, targets []string) error
	// Sleep waits d, or returns ctx's error when ctx ends first.
	Sleep(ctx context.Context, d time.Duration) error
	// Code returns the service's error code of err, or "".
	Code(err error) string
	// OutcomeUnknown reports whether a write that failed with err may
	// nevertheless have been carried out. Run asks it of the errors of
	// its calls and of its own errors for a write it read again, which
	// carry their answer (see Outcome).
	OutcomeUnknown(err error) bool
}

// ImageRow is an image as DescribeImages answers it.
type ImageRow struct {
	ID string
	// Owner is the owner's UID, "" when the answer does not say.
	Owner string
	Disks []Disk
}

// Disk is one disk of an image: the snapshot it is made of ("" when
// it names none), and whether DescribeImages says it is encrypted.
type Disk struct {
	SnapshotID string
	Encrypted  bool
}

// SnapshotRow is a snapshot as DescribeSnapshots answers it.
type SnapshotRow struct {
	ID        string
	Encrypted bool
	KeyID     string
}

// ResourceShare is a resource share as ListResourceShares answers it.
type ResourceShare struct {
	ID, Name, Status string
	External         bool
}

// Association is one association as ListResourceShareAssociations answers
// it.
type Association struct {
	ShareID, EntityID, EntityType, Status string
	// Type is "Resource" or "Target".
	Type string
}

// KeyMeta is a key as DescribeKey answers it. Instance is the KMS
// instance that holds the key, empty for a key of the default kind.
type KeyMeta struct {
	ARN, Creator, State string
	Instance            string
}
