// Command share-image-rd lets the ECS of every account in a Resource
// Directory, or in one of its folders, use the customer key of an encrypted
// image you share with them (scenarios 2 and 3 of the ECS page
// "Encryption-related permissions"): it builds the grant, prints its findings
// and the trust policy of AliyunECSShareEncryptImageDefaultRole (a statement
// conditioned on sts:ServiceOwnerRDId or sts:ServiceOwnerRDPath), plans, and
// applies, adding to what the role already holds and removing nothing. It
// does not share the image itself.
//
// By default it runs against an in-memory fake RAM, with a demo folder (when
// neither -rd nor -folder is given) and a demo key (when -key is not). With
// -real it applies to RAM with the SDK's default credentials; -key and one of
// -rd or -folder are then required (a missing one stops it with exit 2
// before RAM is contacted), and it shows the plan and asks for "yes" before
// writing, unless -yes is given.
//
// Exit codes: 0 done or no changes; 1 not confirmed; 2 usage or validation
// error; 3 RAM, network or credential error.
//
//	go run ./examples/share-image-rd -real -rd rd-3GabcD -key acs:kms:cn-hangzhou:1234567890123456:key/0b1f4a2c-3d5e-4f60-8a7b-9c0d1e2f3a4b
//	go run ./examples/share-image-rd -folder rd-3GabcD/r-Wm12cd/fd-bOnB34ef
package main
