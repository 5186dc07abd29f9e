package realcore

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/accounts/trust"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/backup/service"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
	"github.com/postfach/postfach/internal/testkit/oauthmock"
)

// TestAgainstDovecot runs every Core method the GUI uses against a real server: the
// wiring between the GUI's types and the core packages.
func TestAgainstDovecot(t *testing.T) {
	keyring.MockInit()
	srv := dovecottest.Start(t)
	anna := srv.AddUser(t, "anna", "pw-anna", 0)
	anna.Deliver(t, []byte("Subject: one\r\n\r\n1\r\n"), []byte("Subject: two\r\n\r\n2\r\n"))
	bob := srv.AddUser(t, "bob", "pw-bob", 10)
	bob.Deliver(t, []byte("Subject: big\r\n\r\n"+strings.Repeat("x", 100_000)+"\r\n"))

	ctx := context.Background()
	store := accounts.OpenStore(t.TempDir())
	c := NewWithOptions(store, &service.Options{Conn: &connect.Options{Roots: srv.CertPool}})
	pop := accounts.Account{Name: "Anna", Email: "anna@example.org", Protocol: accounts.POP3,
		Host: srv.Host, Port: srv.POP3SPort, Security: accounts.TLS, Username: "anna",
		Backup: &accounts.BackupPolicy{Dir: filepath.Join(t.TempDir(), "backup"),
			Schedule: accounts.DefaultSchedule(), Retention: accounts.Retention{Mode: accounts.KeepForever}}}
	imap := accounts.Account{Name: "Bob", Email: "bob@example.org", Protocol: accounts.IMAP,
		Host: srv.Host, Port: srv.IMAPSPort, Security: accounts.TLS, Username: "bob"}

	// Connection test: wrong password, then right; IMAP brings its quota along.
	if _, err := c.TestConnection(ctx, pop, "wrong"); !errors.Is(err, mailerr.ErrAuthFailed) {
		t.Fatalf("wrong password: %v", err)
	}
	if rep, err := c.TestConnection(ctx, pop, "pw-anna"); err != nil || rep.TLSVersion == "" {
		t.Fatalf("pop3 test: %+v %v", rep, err)
	}
	rep, err := c.TestConnection(ctx, imap, "pw-bob")
	if err != nil || rep.Quota == nil || !rep.Quota.Supported || rep.Quota.Limit != 10<<20 || rep.Quota.Used < 100_000 {
		t.Fatalf("imap test: %+v %+v %v", rep, rep.Quota, err)
	}
	// Without the test CA the certificate is untrusted, with the details the GUI shows.
	_, err = New(store).TestConnection(ctx, pop, "pw-anna")
	var certErr *trust.CertError
	if !errors.As(err, &certErr) || certErr.Fingerprint != srv.CertSHA256 {
		t.Fatalf("untrusted: %v", err)
	}
	pop.PinnedSHA256 = certErr.Fingerprint // "trust exactly this certificate"
	imap.PinnedSHA256 = certErr.Fingerprint

	savedPOP, err := c.AddAccount(ctx, pop, "pw-anna")
	if err != nil {
		t.Fatal(err)
	}
	savedIMAP, err := c.AddAccount(ctx, imap, "pw-bob")
	if err != nil {
		t.Fatal(err)
	}
	if list, err := c.ListAccounts(); err != nil || len(list) != 2 {
		t.Fatalf("list: %v %v", list, err)
	}

	// Backup, history, verify.
	var progressed bool
	res, err := c.BackupNow(ctx, savedPOP.ID, func(backup.Progress) { progressed = true })
	if err != nil || res.New != 2 || !progressed {
		t.Fatalf("backup: %+v %v (progress %v)", res, err, progressed)
	}
	hist, err := c.History(savedPOP.ID)
	if err != nil || len(hist) != 1 || !hist[0].OK() {
		t.Fatalf("history: %+v %v", hist, err)
	}
	ver, err := c.Verify(ctx, savedPOP.ID)
	if err != nil || !ver.OK() || ver.Checked != 2 {
		t.Fatalf("verify: %+v %v", ver, err)
	}

	// Quota with folder sizes.
	q, err := c.Quota(ctx, savedIMAP.ID, true)
	if err != nil || !q.Supported || len(q.Folders) == 0 {
		t.Fatalf("quota: %+v %v", q, err)
	}

	// Edit: a new password is stored; the protocol cannot change.
	savedIMAP.Name = "Info"
	if err := c.UpdateAccount(ctx, savedIMAP, "pw-bob"); err != nil {
		t.Fatal(err)
	}
	savedIMAP.Protocol = accounts.POP3
	savedIMAP.Backup = pop.Backup
	if err := c.UpdateAccount(ctx, savedIMAP, ""); !errors.Is(err, accounts.ErrProtocolSwitch) {
		t.Fatalf("protocol switch: %v", err)
	}

	// Remove, deleting the backup folder but keeping a file the user put there.
	own := filepath.Join(pop.Backup.Dir, "my notes.txt")
	if err := os.WriteFile(own, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveAccount(ctx, savedPOP.ID, false, false); err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(pop.Backup.Dir)
	if len(left) != 1 || left[0].Name() != "my notes.txt" {
		t.Errorf("left in the backup folder: %v", left)
	}
	if _, err := keyring.Get("Postfach", savedPOP.ID); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("password kept: %v", err)
	}
}

func TestDiscoverNothingFound(t *testing.T) {
	c := New(accounts.OpenStore(t.TempDir()))
	d, err := c.Discover(context.Background(), "not an address")
	if err == nil && d != nil && len(d.Candidates) > 0 {
		t.Fatalf("found %+v", d)
	}
}

// TestSignInOffer checks the wizard's question to the provider table: Outlook.com signs
// in only with Microsoft's page, Gmail also takes a password, an unknown domain a
// password; in a build without client IDs the offer says so.
func TestSignInOffer(t *testing.T) {
	c := NewWithOptions(accounts.OpenStore(t.TempDir()), nil)
	ctx := context.Background()
	cases := []struct {
		email              string
		provider, display  string
		only, unconfigured bool
	}{
		{"anna@outlook.com", oauth.NameMicrosoft, "Microsoft", true, oauth.MicrosoftClientID == ""},
		{"anna@hotmail.de", oauth.NameMicrosoft, "Microsoft", true, oauth.MicrosoftClientID == ""},
		{"anna@gmail.com", oauth.NameGoogle, "Google", false, oauth.GoogleClientID == ""},
		{"anna@example.org", "", "", false, false},
	}
	for _, tc := range cases {
		offer, err := c.SignInOffer(ctx, tc.email)
		if err != nil {
			t.Fatalf("%s: %v", tc.email, err)
		}
		if tc.provider == "" {
			if offer != nil {
				t.Errorf("%s: offer %+v", tc.email, offer)
			}
			continue
		}
		if offer == nil || offer.Provider != tc.provider || offer.DisplayName != tc.display || offer.OAuth2Only != tc.only ||
			errors.Is(offer.Unavailable, oauth.ErrNotConfigured) != tc.unconfigured {
			t.Errorf("%s: offer %+v", tc.email, offer)
		}
	}
}

// TestSignedInAgainstDovecot runs the wizard's OAuth2 path through the real Core: sign
// in (the browser follows the mock's page), test with the token, save, read the quota
// of the saved account, and after a revocation sign in again, against Dovecot's oauth2
// passdb.
func TestSignedInAgainstDovecot(t *testing.T) {
	keyring.MockInit()
	mock := oauthmock.Start(t, oauthmock.Config{})
	srv := dovecottest.StartOAuth2(t, dovecottest.OAuth2{IntrospectionURL: mock.IntrospectionURL(), CACertPEM: mock.CertPEM()})
	srv.AddUser(t, "alice", "unused", 10)
	c := NewWithOptions(accounts.OpenStore(t.TempDir()), &service.Options{Conn: &connect.Options{Roots: srv.CertPool},
		OAuth: &oauth.Options{HTTPClient: mock.HTTPClient()}})
	ctx := context.Background()
	a := accounts.Account{Name: "Cloud", Email: "alice@example.test", Protocol: accounts.IMAP, Host: srv.Host,
		Port: srv.IMAPSPort, Security: accounts.TLS, Username: "alice",
		Auth: accounts.AuthOAuth2, OAuthProvider: mock.URL, OAuthClientID: mock.ClientID()}
	open := func(u *url.URL) error { return mock.Browser().Open(ctx, u.String()) }
	tok, err := c.SignIn(ctx, a, open)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.TestSignedIn(ctx, a, tok)
	if err != nil || rep.Quota == nil || !rep.Quota.Supported {
		t.Fatalf("test: %+v %v", rep, err)
	}
	saved, err := c.AddSignedIn(ctx, a, tok)
	if err != nil {
		t.Fatal(err)
	}
	if q, err := c.Quota(ctx, saved.ID, false); err != nil || !q.Supported {
		t.Fatalf("quota: %+v %v", q, err)
	}
	mock.RevokeAll()
	if _, err := c.Quota(ctx, saved.ID, false); backup.KindOf(err) != backup.KindReauth {
		t.Fatalf("quota after revocation: %v", err)
	}
	if err := c.Reauthorize(ctx, saved.ID, open); err != nil {
		t.Fatal(err)
	}
	if q, err := c.Quota(ctx, saved.ID, false); err != nil || !q.Supported {
		t.Fatalf("quota after signing in again: %+v %v", q, err)
	}
}
