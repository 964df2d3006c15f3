// Package conformance holds the suite that proves the Applier against every
// backend it runs on: the in-memory fake called in process, the official SDK
// client talking HTTP to the fake's endpoint, and the Applier that builds its
// own SDK clients (NewRAMApplier) pointed at that endpoint. Every scenario
// runs on each of them and asserts the final RAM state through the fake's
// inspection API, so the fake and the engine are held to one contract.
//
// The package has no API: its tests are the suite.
package conformance
