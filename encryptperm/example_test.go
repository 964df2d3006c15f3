package encryptperm_test

import (
	"fmt"
	"log"

	"github.com/ecsperm/ecsperm/encryptperm"
)

// Share an encrypted snapshot with two accounts: the ECS page's first
// scenario, with its custom policy for a customer key.
func ExampleShareSnapshot() {
	g, err := encryptperm.ShareSnapshot().
		WithAccounts("2000000000000002", "2000000000000001").
		WithKey(encryptperm.Key{Region: "cn-hangzhou", Owner: "1234567890123456", ID: "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}).
		Build()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("role:", g.Role.Name)
	fmt.Println(g.Role.TrustPolicy.Indent())
	for _, p := range g.Policies {
		fmt.Printf("policy: %s (%s)\n", p.Name, p.Type)
		fmt.Println(p.Document.Indent())
	}
	// Output:
	// role: AliyunECSShareEncryptSnapshotDefaultRole
	// {
	//   "Statement": [
	//     {
	//       "Action": "sts:AssumeRole",
	//       "Effect": "Allow",
	//       "Principal": {
	//         "Service": [
	//           "2000000000000001@ecs.aliyuncs.com",
	//           "2000000000000002@ecs.aliyuncs.com"
	//         ]
	//       }
	//     }
	//   ],
	//   "Version": "1"
	// }
	// policy: EncryptPerm-ShareSnapshotKeys (Custom)
	// {
	//   "Statement": [
	//     {
	//       "Action": "kms:List*",
	//       "Effect": "Allow",
	//       "Resource": "acs:kms:cn-hangzhou:1234567890123456:key"
	//     },
	//     {
	//       "Action": [
	//         "kms:Decrypt",
	//         "kms:DescribeKey",
	//         "kms:Encrypt",
	//         "kms:GenerateDataKey",
	//         "kms:TagResource",
	//         "kms:UntagResource"
	//       ],
	//       "Effect": "Allow",
	//       "Resource": "acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"
	//     }
	//   ],
	//   "Version": "1"
	// }
}

// Share with every account of a resource directory: the wildcard ECS
// principal, always with its condition.
func ExampleShareBuilder_WithResourceDirectory() {
	g, err := encryptperm.ShareImage().
		WithResourceDirectory("rd-3GabcD").
		WithKey(encryptperm.Key{Region: "cn-hangzhou", Owner: "1234567890123456", ID: "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}).
		Build()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("role:", g.Role.Name)
	fmt.Println(g.Role.TrustPolicy)
	// Output:
	// role: AliyunECSShareEncryptImageDefaultRole
	// {"Statement":[{"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ServiceOwnerRDId":"rd-3GabcD"}},"Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"}}],"Version":"1"}
}

// Share with the accounts in a resource directory folder and below it. The
// builder adds the ECS page's trailing *, and says what else it matches.
func ExampleShareBuilder_WithFolder() {
	g, err := encryptperm.ShareSnapshot().
		WithFolder("rd-3GabcD/r-Wm12cd/fd-bOnB34ef").
		WithKey(encryptperm.Key{Region: "cn-hangzhou", Owner: "1234567890123456", ID: "0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b"}).
		Build()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.Role.TrustPolicy)
	for _, f := range g.Findings {
		if f.Code == encryptperm.FindingRDPathPrefix {
			fmt.Println(f)
		}
	}
	// Output:
	// {"Statement":[{"Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:ServiceOwnerRDPath":"rd-3GabcD/r-Wm12cd/fd-bOnB34ef*"}},"Effect":"Allow","Principal":{"Service":"*@ecs.aliyuncs.com"}}],"Version":"1"}
	// info [EP003-RDPathPrefixMatch] Folders[0]: the condition "rd-3GabcD/r-Wm12cd/fd-bOnB34ef*" ends in *, so it also matches sibling folders whose IDs begin with the same characters as the last folder ID
}

// Let ECS in your own account encrypt disks with a customer key. Without
// WithKey the role gets the console's system policy; with it, a custom policy
// scoped to the key.
func ExampleDiskEncryption() {
	console, err := encryptperm.DiskEncryption().Build()
	if err != nil {
		log.Fatal(err)
	}
	scoped, err := encryptperm.DiskEncryption().
		WithKeyARN("acs:kms:cn-hangzhou:1234567890123456:key/key-hzz630494463ejqjx").
		Build()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("role:", console.Role.Name)
	fmt.Println("trust:", console.Role.TrustPolicy)
	for _, g := range []*encryptperm.Grant{console, scoped} {
		for _, p := range g.Policies {
			if p.Document == nil { // a system policy: RAM holds its document
				fmt.Printf("policy: %s (%s)\n", p.Name, p.Type)
				continue
			}
			fmt.Printf("policy: %s (%s) %s\n", p.Name, p.Type, p.Document)
		}
	}
	// Output:
	// role: AliyunECSDiskEncryptDefaultRole
	// trust: {"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ecs.aliyuncs.com"}}],"Version":"1"}
	// policy: AliyunECSDiskEncryptRolePolicy (System)
	// policy: EncryptPerm-DiskEncryptKeys (Custom) {"Statement":[{"Action":"kms:List*","Effect":"Allow","Resource":"acs:kms:cn-hangzhou:1234567890123456:key"},{"Action":["kms:Decrypt","kms:DescribeKey","kms:Encrypt","kms:GenerateDataKey","kms:TagResource","kms:UntagResource"],"Effect":"Allow","Resource":"acs:kms:cn-hangzhou:1234567890123456:key/key-hzz630494463ejqjx"}],"Version":"1"}
}
