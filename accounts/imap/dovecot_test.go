package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/trust"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// Integration tests against a private Dovecot 2.3 (see internal/testkit/dovecottest): the quota and
// folder sizes must equal what Dovecot itself reports, over implicit TLS and STARTTLS,
// with the certificate trusted by CA or by pin.

func TestDovecot(t *testing.T) {
	srv := dovecottest.Start(t)
	const pass = "alice-Pa55"
	u := srv.AddUser(t, "alice", pass, 10)
	// All users up front: Dovecot re-reads the passwd-file at most once per second, so a
	// user added later may still be unknown at its first login.
	over := srv.AddUser(t, "victor", pass, 1)
	unlimited := srv.AddUser(t, "nolimit", pass, 0)
	msgs := dovecottest.Ordinary(25, 7)
	var inboxSize int64
	for _, m := range msgs {
		u.Deliver(t, m.Stored)
		inboxSize += dovecottest.ListSize(m.Stored)
	}
	sent := []byte("From: alice@postfach.test\r\nTo: bob@example.org\r\nSubject: sent\r\n\r\nhello\r\n")
	appendTo(t, srv, u, "Sent", sent)

	ctx := context.Background()
	byCA := &trust.Options{Roots: srv.CertPool}
	ends := []struct {
		security, addr string
	}{
		{SecurityTLS, srv.IMAPSAddr()},
		{SecurityStartTLS, srv.IMAPAddr()},
	}
	opts := func(security string, to *trust.Options) *Options {
		return &Options{Security: security, TLSConfig: trust.Config(srv.Host, to), Timeout: 20 * time.Second}
	}

	for _, e := range ends {
		t.Run("fetch/"+e.security, func(t *testing.T) {
			rep, err := Fetch(ctx, e.addr, u.Name, pass, opts(e.security, byCA), true)
			if err != nil {
				t.Fatal(err)
			}
			usageKiB, limitKiB := u.QuotaStorageKiB(t)
			used, limit, ok := rep.Storage()
			if !rep.Supported || !ok || used != usageKiB*1024 || limit != limitKiB*1024 {
				t.Errorf("Storage = %d, %d, %v (supported %v); doveadm quota get says %d KiB of %d KiB",
					used, limit, ok, rep.Supported, usageKiB, limitKiB)
			}
			if limitKiB != 10*1024 {
				t.Errorf("doveadm limit %d KiB, want the 10 MiB rule", limitKiB)
			}
			if p, ok := rep.Percent(); !ok || p <= 0 || p >= 100 {
				t.Errorf("Percent = %v, %v", p, ok)
			}
			want := map[string]Folder{
				"INBOX":  {"INBOX", int64(len(msgs)), inboxSize},
				"Drafts": {"Drafts", 0, 0},
				"Sent":   {"Sent", 1, dovecottest.ListSize(sent)},
				"Trash":  {"Trash", 0, 0},
			}
			for _, f := range rep.Folders {
				if w, ok := want[f.Name]; ok {
					if f != w {
						t.Errorf("folder %+v, want %+v", f, w)
					}
					delete(want, f.Name)
				}
			}
			if len(want) > 0 {
				t.Errorf("folders missing: %v (got %+v)", want, rep.Folders)
			}
			// The sum of the folder sizes is what the count backend charges.
			var total int64
			for _, f := range rep.Folders {
				total += f.Size
			}
			if kib := (total + 1023) / 1024; kib != usageKiB {
				t.Errorf("folders total %d bytes = %d KiB, quota usage %d KiB", total, kib, usageKiB)
			}
		})

		t.Run("pinned/"+e.security, func(t *testing.T) {
			rep, state, err := Check(ctx, e.addr, u.Name, pass, opts(e.security, &trust.Options{PinnedSHA256: srv.CertSHA256}))
			if err != nil {
				t.Fatal(err)
			}
			caps := rep.Caps
			if state == nil || state.Version < tls.VersionTLS12 || trust.Fingerprint(state.PeerCertificates[0]) != srv.CertSHA256 {
				t.Errorf("TLS state %+v", state)
			}
			if !slices.Contains(caps, "QUOTA") || !slices.Contains(caps, "STATUS=SIZE") || !slices.Contains(caps, "LIST-STATUS") {
				t.Errorf("caps after login = %q", caps)
			}
			if slices.Contains(caps, "STARTTLS") || slices.Contains(caps, "LOGINDISABLED") {
				t.Errorf("pre-login or pre-TLS capabilities kept: %q", caps)
			}
		})

		t.Run("wrong pin/"+e.security, func(t *testing.T) {
			wrong := strings.Repeat("ab", 32)
			_, _, err := Check(ctx, e.addr, u.Name, pass, opts(e.security, &trust.Options{PinnedSHA256: wrong}))
			var ce *trust.CertError
			if !errors.Is(err, trust.ErrUntrusted) || !errors.As(err, &ce) || !ce.PinMismatch || ce.Fingerprint != srv.CertSHA256 {
				t.Fatalf("Check = %v, want a pin mismatch", err)
			}
		})

		t.Run("system roots/"+e.security, func(t *testing.T) {
			_, _, err := Check(ctx, e.addr, u.Name, pass, opts(e.security, nil))
			if !errors.Is(err, trust.ErrUntrusted) {
				t.Fatalf("Check = %v, want ErrUntrusted for a self-signed certificate", err)
			}
		})

		t.Run("wrong password/"+e.security, func(t *testing.T) {
			const bad = "not-the-Pa55word"
			_, _, err := Check(ctx, e.addr, u.Name, bad, opts(e.security, byCA))
			if !errors.Is(err, mailerr.ErrAuthFailed) {
				t.Fatalf("Check = %v, want ErrAuthFailed", err)
			}
			if strings.Contains(err.Error(), bad) {
				t.Errorf("password in error: %v", err)
			}
		})
	}

	t.Run("plaintext", func(t *testing.T) {
		if _, err := Fetch(ctx, srv.IMAPAddr(), u.Name, pass, &Options{Security: SecurityNone}, false); !errors.Is(err, mailerr.ErrPlaintextRefused) {
			t.Fatalf("without opt-in: %v", err)
		}
		rep, err := Fetch(ctx, srv.IMAPAddr(), u.Name, pass, &Options{Security: SecurityNone, AllowPlaintext: true}, false)
		if err != nil || !rep.Supported {
			t.Fatalf("with opt-in: %+v, %v", rep, err)
		}
	})

	t.Run("over quota", func(t *testing.T) {
		// Delivered behind Dovecot's back, so the quota is exceeded as after a lowered
		// limit; the bar must say more than 100 %, not clamp or wrap.
		v := over
		v.Deliver(t, dovecottest.Large(1536*1024).Stored)
		rep, err := Fetch(ctx, srv.IMAPSAddr(), v.Name, pass, opts(SecurityTLS, byCA), false)
		if err != nil {
			t.Fatal(err)
		}
		usageKiB, limitKiB := v.QuotaStorageKiB(t)
		used, limit, _ := rep.Storage()
		p, ok := rep.Percent()
		if used != usageKiB*1024 || limit != limitKiB*1024 || !ok || p <= 100 {
			t.Errorf("Storage %d/%d, Percent %v %v; doveadm %d/%d KiB", used, limit, p, ok, usageKiB, limitKiB)
		}
	})

	t.Run("no limit", func(t *testing.T) {
		n := unlimited
		n.Deliver(t, msgs[0].Stored)
		rep, err := Fetch(ctx, srv.IMAPSAddr(), n.Name, pass, opts(SecurityTLS, byCA), false)
		if err != nil {
			t.Fatal(err)
		}
		// Dovecot answers "* QUOTAROOT INBOX" with no root: nothing limits INBOX.
		if _, _, ok := rep.Storage(); ok || !rep.Supported || len(rep.Roots) != 0 {
			t.Errorf("no limit: %+v", rep)
		}
		if _, ok := rep.Percent(); ok {
			t.Errorf("Percent known without a limit: %+v", rep)
		}
	})
}

// appendTo stores msg in another folder through IMAP APPEND (dovecottest delivers to
// INBOX only), with go-imap directly so the code under test is not involved.
func appendTo(t *testing.T, srv *dovecottest.Server, u *dovecottest.User, mailbox string, msg []byte) {
	t.Helper()
	c, err := imapclient.DialTLS(srv.IMAPSAddr(), &imapclient.Options{TLSConfig: srv.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(u.Name, u.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	w := c.Append(mailbox, int64(len(msg)), nil)
	if _, err := w.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Wait(); err != nil {
		t.Fatalf("append to %s: %v", mailbox, err)
	}
	_ = c.Logout().Wait()
}
