// Package etcdlock is an encryptperm.Locker on etcd, so that several
// processes (the replicas of a service, parallel pipelines) that change the
// same RAM roles take turns instead of losing each other's updates.
//
// RAM has no compare-and-swap: two processes that change one role's trust
// policy at once can each replace what the other wrote, and neither sees it.
// With a Locker shared through etcd, an Applier holds a lock per role from
// its first read of the role to its last write:
//
//	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{"etcd-1:2379"}})
//	if err != nil { ... }
//	locker, err := etcdlock.New(cli, nil) // a 10 s lease, keys under /encryptperm/locks/
//	if err != nil { ... }
//	defer locker.Close()
//	applier, err := encryptperm.NewRAMApplier(&encryptperm.Options{Locker: locker})
//
// It uses etcd's own client and its concurrency package: one session (a
// lease, kept alive by the client) per Locker, and a mutex per lock name,
// whose key is Prefix, the name (path-escaped, so that names never nest),
// "/" and the lease ID in hex.
//
// # A lock that can be lost
//
// A lease can end while its lock is held: the process pauses longer than
// the TTL, etcd cannot be reached, or someone revokes the lease or deletes
// the key. Another process may then take the lock. LockContext returns a
// context that ends as soon as this Locker can no longer be sure it holds
// the lock, and the encryptperm engine makes no write after that: the Apply
// ends with an error for which errors.Is(err, encryptperm.ErrLockLost) is
// true, and its Result says which writes were made and which are unknown.
//
// The Locker ends that context at the earliest of:
//
//   - the lease's own deadline as this process sees it: TTL after the
//     moment it sent the last keepalive that etcd answered, less a tenth of
//     the TTL. etcd renews the lease no earlier than it receives that
//     keepalive, so the context ends at least TTL/10 before etcd can expire
//     the lease and hand the lock to another process, however slow the
//     network or etcd are;
//   - a keepalive answered "lease not found" (revoked or expired);
//   - a change to the lock's key (a revoked lease deletes it at once), seen
//     through a watch;
//   - the unlock function, Close, or the end of the context given to
//     LockContext.
//
// What remains is a write that the engine checked and sent while the lock
// was held, and that RAM carries out after another process has taken the
// lock: one on the wire, or delayed between the check and the send (the
// process paused). RAM takes no fencing token, so no lock closes that
// window; the margin of TTL/10 (one second with the default TTL) covers a
// write that takes less than that from the check to RAM. The lease is
// kept alive every TTL/3, so a process cut off from etcd stops writing at
// most 0.9 × TTL (9 s by default) after its last answered keepalive.
//
// # Errors
//
// Lock and LockContext return the context's error when ctx ends before the
// lock is held, and an error wrapping encryptperm.ErrLockLost when the
// lease ended while waiting; New wraps encryptperm.ErrInvalid for a nil
// client or a negative TTL. The cause of a lock context that ended because
// the lock was lost wraps encryptperm.ErrLockLost (context.Cause).
//
// # Testing
//
// The package's tests run a real etcd server inside the test process
// (go.etcd.io/etcd/server/v3/embed, on loopback ports), and prove the lock
// with separate OS processes that apply grants through NewRAMApplier to one
// fake RAM endpoint (package fake).
package etcdlock
