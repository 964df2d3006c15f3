// Command doctor answers "can account B's ECS use this key?" for a shared
// encrypted snapshot or image: it reads the share role, its trust policy and
// its permission policies, and prints the decision with a reason for every
// step.
//
// By default it runs against the in-memory fake, seeded with the seed page's
// first scenario (an image shared with one account, encrypted with a customer
// key), and prints an allowed decision and a denied one; then it shares the
// image (or, with -type snapshot, the snapshot) with an account the role does
// not trust, the way a user would without this library, and explains the
// share ECS refuses: the error code's cause and fix, and Check on the named
// resource, which finds the key and shows the missing step:
//
//	go run ./examples/doctor
//
// With -real it reads real RAM, with credentials from the SDK's default chain
// (for example ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET),
// and exits with status 1 when access is not allowed:
//
//	go run ./examples/doctor -real -type image -account 2000000000000001 \
//		-key acs:kms:cn-hangzhou:1234567890123456:key/key-hzabc
//
// With -code it explains an error code that ECS returned and exits:
//
//	go run ./examples/doctor -code AssumeRoleError
package main
