package connect

import (
	"context"
	"crypto/tls"
	"fmt"
	"sort"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/accounts/trust"
)

// Report is what a successful test learned.
type Report struct {
	Protocol     accounts.Protocol `json:"protocol"`
	Addr         string            `json:"addr"`
	Capabilities []string          `json:"capabilities"`
	TLSVersion   string            `json:"tls_version,omitempty"` // empty for plaintext
	CertSHA256   string            `json:"cert_sha256,omitempty"`
	CertSubject  string            `json:"cert_subject,omitempty"`
	Duration     time.Duration     `json:"duration_ns"`
	// Warnings are things that work now but will matter (e.g. a POP3 server without
	// UIDL cannot be backed up incrementally).
	Warnings []string `json:"warnings,omitempty"`
	// Quota is an IMAP account's quota, read in the same session as the login (Supported
	// false when the server reports none); nil for POP3.
	Quota *imap.Report `json:"quota,omitempty"`
}

// Test connects with the account's settings, logs in with password, and logs out again.
// An IMAP test reads the quota in the same session: one login, one TLS handshake.
func Test(ctx context.Context, a accounts.Account, password string, opts *Options) (*Report, error) {
	return TestLogin(ctx, a, Password(password), opts)
}

// TestLogin is Test with a credential: a password or OAuth2 tokens.
func TestLogin(ctx context.Context, a accounts.Account, cred Credential, opts *Options) (*Report, error) {
	o := opts.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	start := time.Now()
	rep := &Report{Protocol: a.Protocol, Addr: a.Addr()}
	var state *tls.ConnectionState
	var err error
	switch a.Protocol {
	case accounts.POP3:
		state, err = testPOP3(ctx, a, cred, &o, rep)
	case accounts.IMAP:
		err = imapLogin(ctx, a, cred, func(auth imap.Auth) error {
			var err error
			rep.Quota, state, err = imap.CheckAuth(ctx, a.Addr(), auth, QuotaOptions(a, &o))
			return err
		})
		if rep.Quota != nil {
			rep.Capabilities = rep.Quota.Caps
		}
	default:
		err = fmt.Errorf("unknown protocol %q", a.Protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("test %s: %w", a.Addr(), err)
	}
	if state != nil {
		rep.TLSVersion = tls.VersionName(state.Version)
		if len(state.PeerCertificates) > 0 {
			rep.CertSHA256 = trust.Fingerprint(state.PeerCertificates[0])
			rep.CertSubject = state.PeerCertificates[0].Subject.String()
		}
	}
	sort.Strings(rep.Capabilities)
	rep.Duration = time.Since(start)
	return rep, nil
}

func testPOP3(ctx context.Context, a accounts.Account, cred Credential, o *Options, rep *Report) (*tls.ConnectionState, error) {
	c, err := POP3Login(ctx, a, cred, o)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	rep.Capabilities = c.Caps().Names()
	if _, err := c.UIDL(ctx); err != nil {
		rep.Warnings = append(rep.Warnings, "the server cannot list stable message IDs (UIDL): backups would not be incremental")
	}
	if err := c.Quit(ctx); err != nil {
		return nil, err
	}
	if st, ok := c.ConnectionState(); ok {
		return &st, nil
	}
	return nil, nil
}
