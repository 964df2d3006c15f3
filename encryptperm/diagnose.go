// This file holds Diagnose: the ECS, KMS and RAM error codes users meet, each
// with its cause and the grant that fixes it.

package encryptperm

import (
	"errors"
	"sort"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
)

// Diagnosis explains an error code that ECS, KMS or RAM returns when ECS
// cannot use a key, and says what fixes it.
type Diagnosis struct {
	// Code is the error code, such as "AssumeRoleError".
	Code string `json:"code"`
	// Status is the HTTP status the service answers with.
	Status int `json:"status"`
	// Operations are calls known to return the code.
	Operations []string `json:"operations"`
	// Cause says what is missing or wrong.
	Cause string `json:"cause"`
	// Grant is the kind of grant that fixes it; empty when no RAM grant does
	// (a disabled key, for example).
	Grant Kind `json:"grant,omitempty"`
	// Fix is what to do: the builder call for a grant, or the step outside RAM.
	Fix string `json:"fix"`
}

// diagnoses holds what Diagnose knows, by code.
var diagnoses = map[string]Diagnosis{
	"AssumeRoleError": {
		Status:     403,
		Operations: []string{"ModifyImageSharePermission"},
		Cause: "ECS of the recipient account cannot assume AliyunECSShareEncryptImageDefaultRole in the sharing account: " +
			"the role does not exist, or its trust policy does not name the recipient. The usual mistake is the principal " +
			"\"ecs.aliyuncs.com\", which is ECS of the sharing account itself; the recipient's ECS is \"<uid>@ecs.aliyuncs.com\". " +
			"Snapshots shared through Resource Sharing need AliyunECSShareEncryptSnapshotDefaultRole in the same way (ShareSnapshot).",
		Grant: KindShareImage,
		Fix: `encryptperm.ShareImage().WithAccounts("<recipient-uid>").` +
			`WithKey(encryptperm.Key{Region: "<region>", Owner: "<owner-uid>", ID: "<key-id>"}).Build()` +
			`, or WithResourceDirectory("rd-...") / WithFolder("rd-.../r-.../fd-...") for a resource directory; then Apply, and run Check to confirm`,
	},
	"InvalidParameter.KMSKeyId.CMKUnauthorized": {
		Status:     403,
		Operations: []string{"ModifyImageSharePermission"},
		Cause: "ECS may assume the share role, but the role's policies do not let it use the image's customer key: " +
			"the custom policy is missing, names another key or region, or lacks one of " +
			"kms:List* on acs:kms:<region>:<owner>:key and kms:DescribeKey, kms:TagResource, kms:UntagResource, kms:Encrypt, " +
			"kms:Decrypt, kms:GenerateDataKey on the key's ARN.",
		Grant: KindShareImage,
		Fix: `encryptperm.ShareImage().WithAccounts("<recipient-uid>").` +
			`WithKey(encryptperm.Key{Region: "<region>", Owner: "<owner-uid>", ID: "<key-id>"}).Build()` +
			` (WithKey once for every key that encrypts a shared image), then Apply`,
	},
	"InvalidParameter.KMSKeyId.KMSUnauthorized": {
		Status:     403,
		Operations: []string{"CopyImage", "CopySnapshot", "CreateDisk", "RunInstances"},
		Cause: "ECS of this account has no right to use KMS: AliyunECSDiskEncryptDefaultRole is missing, " +
			"is not trusted by ecs.aliyuncs.com, or has no policy allowing the key.",
		Grant: KindDiskEncryption,
		Fix: `encryptperm.DiskEncryption().WithKey(encryptperm.Key{Region: "<region>", Owner: "<owner-uid>", ID: "<key-id>"}).Build()` +
			` (or DiskEncryption().Build() for the console's system policy on every key), then Apply`,
	},
	"InvalidOperation.ServiceKeyEncryptedImageUnsupported": {
		Status:     403,
		Operations: []string{"ModifyImageSharePermission"},
		Cause: "the image is encrypted with the ECS service key, and ECS does not share such images; " +
			"granting AliyunKMSFullAccess does not change that and would expose every key.",
		Grant: KindShareImage,
		Fix: `copy the image with a customer key (CopyImage with Encrypted=true and KMSKeyId), share the copy, and grant ` +
			`encryptperm.ShareImage().WithAccounts("<recipient-uid>").` +
			`WithKey(encryptperm.Key{Region: "<region>", Owner: "<owner-uid>", ID: "<key-id>"}).Build()`,
	},
	"InvalidParameter.KMSKeyId.CMKNotEnabled": {
		Status:     403,
		Operations: []string{"CopyImage", "ModifyImageSharePermission"},
		Cause:      "the customer key is disabled or pending deletion; no RAM permission helps.",
		Fix:        "enable the key in KMS (EnableKey, or CancelKeyDeletion first) or choose an enabled key",
	},
	"InvalidParameter.KMSKeyId.NotFound": {
		Status:     404,
		Operations: []string{"CopyImage"},
		Cause:      "KMS has no key with that ID in the destination region; no RAM permission helps.",
		Fix:        "give the ID of a key in the destination region (keys are regional; an alias or the ARN of another region does not resolve)",
	},
	"InvalidParameter.EncryptedIllegal": {
		Status:     400,
		Operations: []string{"CopyImage"},
		Cause:      "a KMSKeyId was given without Encrypted=true.",
		Fix:        "set Encrypted=true whenever KMSKeyId is set",
	},
	"InvalidAccount.Forbbiden": {
		Status:     404,
		Operations: []string{"ModifyImageSharePermission"},
		Cause:      "the image was shared with the account that owns it (the code is spelled this way by ECS).",
		Fix:        "remove the owner's own UID from the share; it needs no share and no trust entry",
	},
	"NoPermission": {
		Status:     403,
		Operations: []string{"CreateRole", "UpdateRole", "CreatePolicy", "AttachPolicyToRole", "GetRole"},
		Cause:      "the credentials that manage the grant may not call RAM.",
		Fix:        "run Apply (and Check) with a RAM identity allowed to read and write roles and policies, such as one with AliyunRAMFullAccess",
	},
}

// Diagnose explains an error code that users meet when ECS cannot use a key:
// AssumeRoleError, InvalidParameter.KMSKeyId.CMKUnauthorized,
// InvalidParameter.KMSKeyId.KMSUnauthorized,
// InvalidOperation.ServiceKeyEncryptedImageUnsupported,
// InvalidParameter.KMSKeyId.CMKNotEnabled, InvalidParameter.KMSKeyId.NotFound,
// InvalidParameter.EncryptedIllegal, InvalidAccount.Forbbiden and
// NoPermission. For an unknown code ok is false.
//
// Reach for Diagnose when you hold the code as text (a log line, a ticket,
// the command line's argument); with an error in hand, DiagnoseError finds
// its code for you.
func Diagnose(code string) (d Diagnosis, ok bool) {
	d, ok = diagnoses[code]
	if !ok {
		return Diagnosis{}, false
	}
	d.Code = code
	d.Operations = append([]string(nil), d.Operations...)
	return d, true
}

// DiagnoseError is Diagnose for the code of an error from the Alibaba Cloud
// SDK (*errors.ServerError) or from this package (*APIError). Reach for it
// when a call of ECS, KMS or this package has failed: it digs the code out
// of the error, which Diagnose leaves to you. It exists beside Diagnose
// because a code also arrives without an error around it.
func DiagnoseError(err error) (Diagnosis, bool) {
	var ae *APIError
	if errors.As(err, &ae) && ae.Code != "" {
		return Diagnose(ae.Code)
	}
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		return Diagnose(se.ErrorCode())
	}
	return Diagnosis{}, false
}

// DiagnosedCodes returns the codes Diagnose knows, sorted.
func DiagnosedCodes() []string {
	out := make([]string, 0, len(diagnoses))
	for c := range diagnoses {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
