// Command quickstart shows the main job of encryptperm against the embedded
// in-memory fake RAM, so it needs no cloud account: it builds the grants of the
// seed page's scenarios, prints their documents, then plans, applies, applies
// again (no change) and revokes them.
//
//	go run ./examples/quickstart
package main
