package connect

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/trust"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

func account(p accounts.Protocol, host string, port int, sec accounts.Security, user string) accounts.Account {
	a := accounts.Account{Name: "t", Email: user + "@example.org", Protocol: p, Host: host, Port: port,
		Security: sec, Username: user, AllowPlaintext: sec == accounts.None}
	if p == accounts.POP3 {
		a.Backup = &accounts.BackupPolicy{Dir: "/tmp/x", Schedule: accounts.DefaultSchedule(), Retention: accounts.DefaultRetention()}
	}
	a.Normalize()
	return a
}

// silentListener accepts connections and never says anything.
func silentListener(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestConnectionTest(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "conn", "right", 10)
	ctx := context.Background()
	roots := &Options{Roots: srv.CertPool, Timeout: 5 * time.Second}
	type connCase struct {
		name    string
		acct    accounts.Account
		pw      string
		opts    *Options
		wantErr error
		caps    string
	}
	cases := []connCase{
		{"POP3S", account(accounts.POP3, srv.Host, srv.POP3SPort, accounts.TLS, u.Name), u.Password, roots, nil, "UIDL"},
		{"POP3 STLS", account(accounts.POP3, srv.Host, srv.POP3Port, accounts.StartTLS, u.Name), u.Password, roots, nil, "UIDL"},
		{"IMAPS", account(accounts.IMAP, srv.Host, srv.IMAPSPort, accounts.TLS, u.Name), u.Password, roots, nil, "QUOTA"},
		{"IMAP STARTTLS", account(accounts.IMAP, srv.Host, srv.IMAPPort, accounts.StartTLS, u.Name), u.Password, roots, nil, "QUOTA"},
		{"IMAP plaintext opt-in", account(accounts.IMAP, srv.Host, srv.IMAPPort, accounts.None, u.Name), u.Password, roots, nil, "QUOTA"},
		{"POP3 wrong password", account(accounts.POP3, srv.Host, srv.POP3SPort, accounts.TLS, u.Name), "wrong", roots, mailerr.ErrAuthFailed, ""},
		{"IMAP wrong password", account(accounts.IMAP, srv.Host, srv.IMAPSPort, accounts.TLS, u.Name), "wrong", roots, mailerr.ErrAuthFailed, ""},
		{"POP3 self-signed untrusted", account(accounts.POP3, srv.Host, srv.POP3SPort, accounts.TLS, u.Name), u.Password, nil, trust.ErrUntrusted, ""},
		{"IMAP self-signed untrusted", account(accounts.IMAP, srv.Host, srv.IMAPSPort, accounts.TLS, u.Name), u.Password, nil, trust.ErrUntrusted, ""},
		{"POP3 implicit TLS on a plain port", account(accounts.POP3, srv.Host, srv.POP3Port, accounts.TLS, u.Name), u.Password, roots, mailerr.ErrNotTLS, ""},
		{"IMAP implicit TLS on a plain port", account(accounts.IMAP, srv.Host, srv.IMAPPort, accounts.TLS, u.Name), u.Password, roots, mailerr.ErrNotTLS, ""},
		{"unreachable", account(accounts.IMAP, srv.Host, closedPort(t), accounts.TLS, u.Name), u.Password, roots, mailerr.ErrUnreachable, ""},
		{"unknown host", account(accounts.POP3, "no-such-host.invalid", 995, accounts.TLS, u.Name), u.Password, roots, mailerr.ErrUnreachable, ""},
		{"silent server", account(accounts.POP3, srv.Host, silentListener(t), accounts.StartTLS, u.Name), u.Password, &Options{Timeout: time.Second}, mailerr.ErrTimeout, ""},
	}
	pinned := account(accounts.POP3, srv.Host, srv.POP3SPort, accounts.TLS, u.Name)
	pinned.PinnedSHA256 = srv.CertSHA256
	cases = append(cases, connCase{"POP3S pinned", pinned, u.Password, nil, nil, "UIDL"})
	plainNoOptIn := account(accounts.POP3, srv.Host, srv.POP3Port, accounts.None, u.Name)
	plainNoOptIn.AllowPlaintext = false
	cases = append(cases, connCase{"plaintext without opt-in", plainNoOptIn, u.Password, roots, mailerr.ErrPlaintextRefused, ""})

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Test(ctx, tc.acct, tc.pw, tc.opts)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				var ce *trust.CertError
				if errors.Is(tc.wantErr, trust.ErrUntrusted) && (!errors.As(err, &ce) || ce.Fingerprint != srv.CertSHA256) {
					t.Fatalf("untrusted error without the server's fingerprint: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, c := range rep.Capabilities {
				found = found || c == tc.caps
			}
			if !found {
				t.Errorf("capabilities %v lack %s", rep.Capabilities, tc.caps)
			}
			if tc.acct.Security != accounts.None && (rep.TLSVersion == "" || rep.CertSHA256 != srv.CertSHA256) {
				t.Errorf("TLS details missing: %+v", rep)
			}
		})
	}
}

// countingDialer counts the connections it opens.
type countingDialer struct {
	net.Dialer
	n atomic.Int32
}

func (d *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.n.Add(1)
	return d.Dialer.DialContext(ctx, network, addr)
}

// TestOneSessionPerTest checks that the options' dialer reaches both protocols and that
// a connection test opens one connection: an IMAP test reads its quota in the same
// session as the login.
func TestOneSessionPerTest(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "once", "pw", 10)
	for _, a := range []accounts.Account{
		account(accounts.IMAP, srv.Host, srv.IMAPSPort, accounts.TLS, u.Name),
		account(accounts.POP3, srv.Host, srv.POP3SPort, accounts.TLS, u.Name),
	} {
		t.Run(string(a.Protocol), func(t *testing.T) {
			d := &countingDialer{}
			rep, err := Test(context.Background(), a, u.Password, &Options{Roots: srv.CertPool, Dialer: d})
			if err != nil {
				t.Fatal(err)
			}
			if n := d.n.Load(); n != 1 {
				t.Errorf("%d connections, want 1", n)
			}
			if a.Protocol == accounts.IMAP && (rep.Quota == nil || !rep.Quota.Supported) {
				t.Errorf("IMAP test without quota: %+v", rep.Quota)
			}
			if a.Protocol == accounts.POP3 && rep.Quota != nil {
				t.Errorf("POP3 test with quota: %+v", rep.Quota)
			}
		})
	}
}

func TestQuotaMatchesDoveadm(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "quota", "pw", 25)
	for _, m := range dovecottest.Ordinary(20, 4) {
		u.Deliver(t, m.Stored)
	}
	a := account(accounts.IMAP, srv.Host, srv.IMAPSPort, accounts.TLS, u.Name)
	rep, err := Quota(context.Background(), a, u.Password, true, &Options{Roots: srv.CertPool})
	if err != nil {
		t.Fatal(err)
	}
	used, limit, ok := rep.Storage()
	wantUsed, wantLimit := u.QuotaStorageKiB(t)
	if !ok || used != wantUsed*1024 || limit != wantLimit*1024 {
		t.Fatalf("Storage() = %d, %d, %v; doveadm: %d KiB of %d KiB", used, limit, ok, wantUsed, wantLimit)
	}
	if len(rep.Folders) < 4 {
		t.Fatalf("folders: %+v", rep.Folders)
	}
}
