// Package backuptool is an example of a user's own service: a backup tool
// that shares encrypted snapshots with a disaster-recovery account
// (Sharer.ShareBackup). Its test, backup_test.go, shows how to test such
// code offline with the fake: the fake holds the snapshots and their key,
// plays RAM, ECS, Resource Sharing and KMS, fails as they fail, and lets the
// recovery account accept the share's invitation.
package backuptool
