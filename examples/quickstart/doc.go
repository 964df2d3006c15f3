// Command quickstart shows the main job of encryptperm against an in-memory
// fake RAM, so it needs no cloud account and never contacts one: it builds
// the grants of the scenarios of the ECS page "Encryption-related
// permissions" with demo accounts, a demo resource directory and folder, and
// a demo key; prints their documents; then plans, applies, applies again (no
// change), lists what the fake holds, and revokes them.
//
// Exit codes: 0 done; 2 a validation error; 3 any other error, each reported
// on stderr as one block.
//
//	go run ./examples/quickstart
package main
