package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/internal/testkit/desktop"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
	"github.com/postfach/postfach/internal/testkit/oauthmock"
)

// Where the overview has "Add account", and the decision page "Use IMAP for this
// address" after scrolling down (next to usePOP3X), on the 1280x800 screen.
const (
	addAccountX, addAccountY = 788, 28
	useIMAPX, useIMAPY       = 218, 572
)

// TestWizardOAuth2 adds an Outlook.com POP3 account and then a Hotmail IMAP account
// through the real binary's wizard with "Sign in with Microsoft". The config file's
// oauth_providers points Microsoft at the mock authorization server (the product's
// override for distributors and organisations, docs/oauth.md), whose certificate the
// app trusts through SSL_CERT_FILE; the "browser" is this test binary, which approves
// the sign-in. The address page must offer the sign-in in place of the password, the
// server page is pointed at a private Dovecot whose oauth2 passdb asks the mock about
// every token, and the connection test must log in with XOAUTH2 or OAUTHBEARER (never a
// password). After saving, the POP3 account's first backup must run, land in the backup
// folder and be announced on the bus; the IMAP account is stored and its quota read.
//
// The wizard has no accessibility tree to query, so fields and buttons are reached with
// the keyboard (Tab order) where the layout varies with the provider's notes, and with
// fixed positions (wizard_test.go's and the ones above) for the wizard's bottom bar, the
// decision page and the overview, which are the same for every address.
func TestWizardOAuth2(t *testing.T) {
	desktop.Skip(t)
	mock := oauthmock.Start(t, oauthmock.Config{User: "anna", Email: "anna@outlook.com"})
	srv := dovecottest.StartOAuth2(t, dovecottest.OAuth2{IntrospectionURL: mock.IntrospectionURL(), CACertPEM: mock.CertPEM()})
	user := srv.AddUser(t, "anna", "a-password-nobody-uses", 0)
	user.Deliver(t, []byte("From: a@example.org\r\nSubject: hello\r\n\r\nfirst\r\n"))

	home := t.TempDir()
	config := fmt.Sprintf(`{"version": 2, "accounts": [], "oauth_providers": {"microsoft": {"issuer": %q, "client_id": %q}}}`,
		mock.URL, mock.ClientID())
	if err := os.WriteFile(filepath.Join(home, "config.json"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	// Outside POSTFACH_HOME: the trusted certificates (Dovecot's and the mock's) and the
	// browser link.
	dovecotPEM, err := os.ReadFile(srv.CertPEMFile)
	if err != nil {
		t.Fatal(err)
	}
	aside, certs := mock.BrowserEnv(t, dovecotPEM)

	s := desktop.Start(t, desktop.Options{Binary: binary(t), Home: home, Env: []string{
		"HOME=" + home,
		"SSL_CERT_FILE=" + certs,
		"PATH=" + aside + string(os.PathListSeparator) + os.Getenv("PATH"),
	}})
	s.WaitWindow("set up a mail account", 30*time.Second)
	time.Sleep(time.Second)

	snap := s.Step
	scrollDown := func() { s.ScrollDown(430, 400) }
	// next tabs to a field and replaces its text.
	next := func(text string) {
		s.Key("Tab")
		s.Key("ctrl+a")
		s.Type(text)
	}
	// add goes through the wizard with a sign-in: address, decision, server, test.
	add := func(email, name string, p accounts.Protocol, port, signIns int) {
		t.Helper()
		s.Type(email)
		s.Key("Tab")
		s.Type(name)
		snap(string(p) + "-address")
		// The password field is gone: the next stop is "Sign in with Microsoft".
		s.Key("Tab")
		s.Key("space")
		waitFor(t, 30*time.Second, func() bool { return strings.Count(s.AppLog(), "browser: signed in") == signIns }, s.AppLog)
		snap(string(p) + "-signed-in")
		s.Click(nextX, nextY)
		s.Click(severalX, severalY)
		scrollDown()
		if p == accounts.POP3 {
			s.Click(usePOP3X, usePOP3Y)
		} else {
			s.Click(useIMAPX, useIMAPY)
		}
		snap(string(p) + "-chosen")
		s.Click(nextX, nextY)
		time.Sleep(12 * time.Second) // the network sources of discovery give up (no internet)
		snap(string(p) + "-server")
		// Tab order on the server page: server, encryption, port, user name, Test connection.
		next(srv.Host)
		s.Key("Tab")
		next(strconv.Itoa(port))
		next("anna")
		s.Key("Tab")
		s.Key("space")
		snap(string(p) + "-connected")
	}

	add("anna@outlook.com", "Anna", accounts.POP3, srv.POP3SPort, 1)
	s.Click(nextX, nextY)
	snap("pop3-backup")
	s.Click(saveX, saveY)
	log := s.WaitNotification("Backup finished", 60*time.Second)
	if !strings.Contains(log, "Anna: 1 new message saved") {
		t.Errorf("notification:\n%s", log)
	}
	snap("pop3-overview")

	s.Click(addAccountX, addAccountY)
	s.WaitWindow("set up a mail account", 30*time.Second)
	time.Sleep(time.Second)
	add("anna@hotmail.com", "Anna IMAP", accounts.IMAP, srv.IMAPSPort, 2)
	s.Click(saveX, saveY) // IMAP has no backup page: the server page saves
	waitFor(t, 30*time.Second, func() bool {
		accts, err := accounts.OpenStore(home).List()
		return err == nil && len(accts) == 2
	}, s.AppLog)
	time.Sleep(3 * time.Second) // the quota reading after saving
	snap("imap-overview")

	accts, err := accounts.OpenStore(home).List()
	if err != nil || len(accts) != 2 {
		t.Fatalf("stored accounts %v, %v", accts, err)
	}
	for i, want := range []struct {
		p    accounts.Protocol
		port int
	}{{accounts.POP3, srv.POP3SPort}, {accounts.IMAP, srv.IMAPSPort}} {
		a := accts[i]
		if a.Protocol != want.p || a.Auth != accounts.AuthOAuth2 || a.OAuthProvider != oauth.NameMicrosoft ||
			a.Host != srv.Host || a.Port != want.port || a.Username != "anna" || (a.Backup != nil) != (want.p == accounts.POP3) {
			t.Errorf("stored %+v", a)
		}
	}
	// The logins were token logins, over both protocols: Dovecot names the SASL
	// mechanism of each ("imap-login: Info: Login: user=<anna>, method=OAUTHBEARER, …").
	dlog := srv.Log(t)
	for _, proto := range []string{"pop3", "imap"} {
		re := regexp.MustCompile(proto + `-login: Info: Login: user=<anna>, method=(OAUTHBEARER|XOAUTH2),`)
		if !re.MatchString(dlog) {
			t.Errorf("Dovecot saw no OAuth2 login over %s:\n%s", proto, dlog)
		}
	}
	if regexp.MustCompile(`Login: user=<anna>, method=(PLAIN|LOGIN)`).MatchString(dlog) {
		t.Errorf("Dovecot saw a password login:\n%s", dlog)
	}
	if n := mock.TokenRequests("authorization_code"); n != 2 {
		t.Errorf("%d code exchanges at the mock, want 2", n)
	}
	files, _ := filepath.Glob(filepath.Join(accts[0].Backup.Dir, "*", "*"))
	var mails int
	for _, f := range files {
		if d := filepath.Base(filepath.Dir(f)); d == "new" || d == "cur" {
			mails++
		}
	}
	if mails != 1 {
		t.Errorf("backup folder %s holds %d messages, want 1", accts[0].Backup.Dir, mails)
	}
	s.Stop(15 * time.Second)
}

// waitFor polls cond until it holds or the timeout passes; then it fails with what
// report says.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool, report func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v:\n%s", timeout, report())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
