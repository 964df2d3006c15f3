// This file holds a member's session: the temporary credentials STS
// AssumeRole issues for the access role, renewed before they expire.

package fleet

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"
)

// Session holds a member's temporary credentials, issued by STS AssumeRole
// for the access role (Options.Role) with the management account's
// client, and renews them with another AssumeRole when they come within
// Options.RenewBefore of their expiry by Options.Clock, so that the work of
// a member on a long run never signs with credentials about to expire.
//
// Session implements the SDK's credentials.CredentialsProvider, so it can
// be given as the Credential of an SDK client or of encryptperm.Options:
// the SDK asks it for credentials before signing each request. It is safe
// for concurrent use, and valid while the run that made it works on the
// member; its text never holds a secret.
type Session struct {
	member Member
	renew  func() (credentials.Credentials, time.Time, error)
	now    func() time.Time
	before time.Duration

	mu      sync.Mutex
	cred    credentials.Credentials
	expires time.Time
	assumed int
}

// Member returns the account the session signs in to.
func (s *Session) Member() Member { return s.member }

// GetCredentials returns the session's credentials, renewed first when
// they expire within Options.RenewBefore. When a renewal fails, it returns
// the error, and the call that asked for them is not sent.
func (s *Session) GetCredentials() (*credentials.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.now().Add(s.before).Before(s.expires) {
		cred, expires, err := s.renew()
		if err != nil {
			return nil, err
		}
		s.cred, s.expires = cred, expires
		s.assumed++
	}
	c := s.cred
	return &c, nil
}

// GetProviderName implements credentials.CredentialsProvider.
func (s *Session) GetProviderName() string { return "fleet_session" }

// Expires returns when the current credentials expire.
func (s *Session) Expires() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expires
}

// Assumed returns how many times the role was assumed for the session:
// 1, and one more for each renewal.
func (s *Session) Assumed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.assumed
}

// String names the session's member and expiry, never its credentials.
func (s *Session) String() string {
	return fmt.Sprintf("session in %s until %s", s.member.UID, s.Expires().UTC().Format(time.RFC3339))
}

var _ credentials.CredentialsProvider = (*Session)(nil)

// roleARN is the ARN of the access role in the member of UID uid.
func (r *Runner) roleARN(uid string) string {
	return "acs:ram::" + uid + ":role/" + r.opts.Role
}

// assume obtains a session in m. The session renews itself under ctx,
// the context of m's work.
func (r *Runner) assume(ctx context.Context, m Member) (*Session, error) {
	s := &Session{member: m, now: r.opts.Clock, before: r.opts.RenewBefore}
	s.renew = func() (credentials.Credentials, time.Time, error) { return r.assumeRole(ctx, m) }
	cred, expires, err := s.renew()
	if err != nil {
		return nil, err
	}
	s.cred, s.expires, s.assumed = cred, expires, 1
	return s, nil
}

// assumeRole makes one AssumeRole of the access role in m, with retries.
func (r *Runner) assumeRole(ctx context.Context, m Member) (credentials.Credentials, time.Time, error) {
	arn := r.roleARN(m.UID)
	var out credentials.Credentials
	var expires time.Time
	err := r.retry(ctx, func() error {
		return invoke(ctx, r.sts, func(c STS) error {
			req := sts.CreateAssumeRoleRequest()
			req.RoleArn = arn
			req.RoleSessionName = r.opts.SessionName
			req.DurationSeconds = requests.NewInteger(int(r.opts.SessionDuration / time.Second))
			req.ExternalId = r.opts.ExternalID
			resp, err := c.AssumeRole(req)
			if err != nil {
				return wrapCall("AssumeRole", arn, err)
			}
			cr := resp.Credentials
			t, perr := time.Parse(time.RFC3339, cr.Expiration)
			if perr != nil || cr.AccessKeyId == "" || cr.AccessKeySecret == "" || cr.SecurityToken == "" {
				// Credentials without a readable expiry cannot be renewed in
				// time; none at all cannot sign.
				return &callError{action: "AssumeRole", target: arn, message: fmt.Sprintf("the answer holds no usable credentials (Expiration %q)", cr.Expiration)}
			}
			out = credentials.Credentials{AccessKeyId: cr.AccessKeyId, AccessKeySecret: cr.AccessKeySecret,
				SecurityToken: cr.SecurityToken, ProviderName: "fleet_session"}
			expires = t
			return nil
		})
	})
	if err != nil {
		// A call the context abandoned may still be writing out.
		return credentials.Credentials{}, time.Time{}, err
	}
	return out, expires, nil
}
