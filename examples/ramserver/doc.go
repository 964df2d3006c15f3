// Command ramserver runs the fake RAM's RPC endpoint on its own, so that any
// RAM client (the official SDKs, or a command-line client given a custom
// endpoint) can be pointed at an in-memory RAM:
//
//	go run ./examples/ramserver -addr 127.0.0.1:8080 \
//		-access-key-id ID -access-key-secret SECRET \
//		-account 1234567890123456 [-security-token TOKEN] [-latency 20ms] \
//		[-read-timeout 30s] [-idle-timeout 2m] [-seed world.json]
//
// The same endpoint serves ECS, Resource Sharing and KMS; -seed loads their
// keys, images, snapshots and resource directory from a JSON file in the form
// fake.LoadSeed documents, strictly: a file that is null, gives a field
// twice or spells one in another case, or gives an image a key that
// contradicts its snapshot's (among the other refusals LoadSeed lists) stops
// the command before it listens, with a message naming the field's path and
// quoting at most 100 bytes of a bad value.
//
// It prints one line, "ramserver listening on http://ADDR", once it accepts
// requests, and stops cleanly on SIGINT or SIGTERM. Clients must use plain
// HTTP, sign with the given key (and send the token, if one is given), and
// keep their clock within 15 minutes of the server's. Both signature methods
// are accepted: V1 (HMAC-SHA1), as the official Go SDK signs, and V3
// (ACS3-HMAC-SHA256), the default of the current darabonba SDKs. A client
// that takes longer than -read-timeout to send one request is cut off, and
// oversize requests are refused in RAM's error format.
package main
