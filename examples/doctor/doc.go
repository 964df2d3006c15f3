// Command doctor answers "can account B's ECS use this key?" for a shared
// encrypted snapshot or image, or for disk encryption in the key owner's own
// account: it reads the role, its trust policy and its permission policies,
// and prints the decision with a reason for every step. It writes nothing.
//
// By default it runs against an in-memory fake, seeded with the first
// scenario of the ECS page "Encryption-related permissions" (an image shared
// with one demo account, encrypted with a demo customer key), and prints the
// decision for the question asked, then one whose answer differs, so that an
// allowed and a denied decision are both shown; then it shares the image
// (or, with -type snapshot, the snapshot) with an account the role does not
// trust, the way a user would without this library, and explains the share
// ECS refuses: the error code's cause and fix, and Check on the named
// resource, which finds the key and shows the missing step:
//
//	go run ./examples/doctor
//
// With -real it reads RAM with credentials from the SDK's default chain (for
// example ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET);
// -key, and -account for a snapshot or image, are then required (a missing
// one stops it with exit 2 before RAM is contacted):
//
//	go run ./examples/doctor -real -type image -account 2000000000000001 \
//		-key acs:kms:cn-hangzhou:1234567890123456:key/key-hzabc
//
// With -code it explains an error code that ECS returned and exits:
//
//	go run ./examples/doctor -code AssumeRoleError
//
// Exit codes: 0 allowed (for the question asked) or a code explained; 1 not
// allowed; 2 usage or validation error, an unknown code included; 3 RAM,
// network or credential error.
package main
