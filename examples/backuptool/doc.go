// Package backuptool is an example of a user's own service: a backup tool
// that shares encrypted snapshots with a disaster-recovery account. Its test,
// backup_test.go, shows how to test such code offline with the fake RAM,
// including RAM's failures.
package backuptool
