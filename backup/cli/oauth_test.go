package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
	"github.com/postfach/postfach/internal/testkit/oauthmock"
)

// TestOAuth2UsageErrors checks the command line rules of --auth.
func TestOAuth2UsageErrors(t *testing.T) {
	env := newEnv(t)
	base := []string{"account", "add", "--name", "A", "--email", "a@example.org", "--protocol", "imap", "--host", "imap.example.org"}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--auth", "oauth2"}, "needs --oauth-provider"},
		{[]string{"--auth", "oauth2", "--oauth-provider", "google", "--password-stdin"}, "sign in in the browser"},
		{[]string{"--auth", "kerberos"}, `unknown --auth "kerberos"`},
		{[]string{"--oauth-provider", "google", "--password-stdin"}, "need --auth oauth2"},
		{[]string{"--password-stdin"}, ""}, // the control: a valid password account
	}
	for _, tc := range cases {
		r := runCLI(t, env, "pw\n", append(base, tc.args...)...)
		if tc.want == "" {
			if r.code != ExitOK {
				t.Errorf("%v: %+v", tc.args, r)
			}
			continue
		}
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: code %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if r := runCLI(t, env, "", "account", "signin", "A"); r.code != ExitFail || !strings.Contains(r.stderr, "signs in with a password") {
		t.Errorf("signin of a password account: %+v", r)
	}
}

// TestOAuth2NotInThisBuild checks that a build without a client ID says so, and how to
// get one, before any browser opens.
func TestOAuth2NotInThisBuild(t *testing.T) {
	if oauth.MicrosoftClientID != "" {
		t.Skip("this build has a Microsoft client ID")
	}
	env := newEnv(t)
	env.Browser = func(context.Context, string) error { return nil }
	r := runCLI(t, env, "", "account", "add", "--name", "A", "--email", "a@outlook.com", "--protocol", "imap",
		"--host", "outlook.office365.com", "--auth", "oauth2", "--oauth-provider", "microsoft")
	if r.code != ExitFail || !strings.Contains(r.stderr, "not available") || !strings.Contains(r.stderr, "docs/oauth.md") ||
		strings.Contains(r.stderr, "Sign in in your browser") {
		t.Fatalf("no client ID: %+v", r)
	}
	if all, _ := env.Store.List(); len(all) != 0 {
		t.Fatalf("the failed sign-in stored an account: %+v", all)
	}
}

// TestOAuth2EndToEnd adds an IMAP and a POP3 account with --auth oauth2 against the
// mock authorization server and Dovecot's oauth2 passdb, reads the quota and backs up
// across an access-token expiry, and after a revocation gets "sign in again" (exit 1,
// kind reauth-required in --json) until "account signin" repairs it.
func TestOAuth2EndToEnd(t *testing.T) {
	mock := oauthmock.Start(t, oauthmock.Config{})
	srv := dovecottest.StartOAuth2(t, dovecottest.OAuth2{IntrospectionURL: mock.IntrospectionURL(), CACertPEM: mock.CertPEM()})
	user := srv.AddUser(t, "alice", "unused-password", 50)
	for i := range 3 {
		user.Deliver(t, fmt.Appendf(nil, "From: bob@example.test\nTo: alice@example.test\nSubject: %d\n\nbody %d\n", i, i))
	}
	env := newEnv(t)
	env.Roots = srv.CertPool
	env.OAuth = &oauth.Options{HTTPClient: mock.HTTPClient()}
	env.Browser = mock.Browser().Open
	add := func(name, proto string, port int, extra ...string) {
		t.Helper()
		args := append([]string{"account", "add", "--name", name, "--email", "alice@example.test", "--protocol", proto,
			"--host", srv.Host, "--port", strconv.Itoa(port), "--username", "alice",
			"--auth", "oauth2", "--oauth-provider", mock.URL, "--oauth-client-id", mock.ClientID(), "--json"}, extra...)
		r := runCLI(t, env, "", args...)
		var a accounts.Account
		if err := json.Unmarshal([]byte(r.stdout), &a); r.code != ExitOK || err != nil || a.Auth != accounts.AuthOAuth2 {
			t.Fatalf("add %s: %v %+v", name, err, r)
		}
		if !strings.Contains(r.stderr, mock.URL+"/authorize?") {
			t.Errorf("add %s did not print the sign-in address: %q", name, r.stderr)
		}
	}
	add("Cloud", "imap", srv.IMAPSPort)
	add("Home", "pop3", srv.POP3SPort, "--backup-dir", filepath.Join(t.TempDir(), "backup"), "--keep-forever")

	backupRun := func() (cliRun, backupJSON) {
		t.Helper()
		r := runCLI(t, env, "", "backup", "Home", "--json")
		var res []backupJSON
		if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || len(res) != 1 {
			t.Fatalf("backup: %v %+v", err, r)
		}
		return r, res[0]
	}
	for _, name := range []string{"Cloud", "Home"} {
		if r := runCLI(t, env, "", "test", name); r.code != ExitOK {
			t.Fatalf("test %s: %+v", name, r)
		}
	}
	if r, res := backupRun(); r.code != ExitOK || res.New != 3 {
		t.Fatalf("backup: %+v %+v", r, res)
	}
	mock.ExpireAccessTokens()
	if r := runCLI(t, env, "", "quota", "Cloud"); r.code != ExitOK {
		t.Fatalf("quota across an expiry: %+v", r)
	}
	if r, res := backupRun(); r.code != ExitOK || res.AlreadyHad != 3 {
		t.Fatalf("backup across an expiry: %+v %+v", r, res)
	}

	mock.RevokeAll()
	if r, res := backupRun(); r.code != ExitFail || res.Kind != backup.KindReauth {
		t.Fatalf("backup after revocation: %+v %+v", r, res)
	}
	if r := runCLI(t, env, "", "backup", "Home"); r.code != ExitFail || !strings.Contains(r.stderr, "postfach account signin") {
		t.Fatalf("backup after revocation, as text: %+v", r)
	}
	if r := runCLI(t, env, "", "quota", "Cloud"); r.code != ExitFail || !strings.Contains(r.stderr, "Sign in again") {
		t.Fatalf("quota after revocation: %+v", r)
	}
	for _, name := range []string{"Cloud", "Home"} {
		if r := runCLI(t, env, "", "account", "signin", name); r.code != ExitOK {
			t.Fatalf("signin %s: %+v", name, r)
		}
	}
	if r, _ := backupRun(); r.code != ExitOK {
		t.Fatalf("backup after signing in again: %+v", r)
	}
	if r := runCLI(t, env, "", "quota", "Cloud"); r.code != ExitOK {
		t.Fatalf("quota after signing in again: %+v", r)
	}
}

// TestOAuth2ConfigOverride checks that the CLI honours the config file's
// oauth_providers: with "microsoft" pointed at the mock's issuer and client ID,
// "account add --oauth-provider microsoft" signs in there and the account logs in to
// Dovecot's oauth2 passdb; a broken override is refused with the file and key named.
func TestOAuth2ConfigOverride(t *testing.T) {
	mock := oauthmock.Start(t, oauthmock.Config{})
	srv := dovecottest.StartOAuth2(t, dovecottest.OAuth2{IntrospectionURL: mock.IntrospectionURL(), CACertPEM: mock.CertPEM()})
	srv.AddUser(t, "alice", "unused-password", 0)
	env := newEnv(t)
	env.Roots = srv.CertPool
	env.OAuth = &oauth.Options{HTTPClient: mock.HTTPClient()}
	env.Browser = mock.Browser().Open
	write := func(providers string) {
		t.Helper()
		if err := os.MkdirAll(env.Store.Dir(), 0o700); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(env.Store.Path())
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		c := map[string]any{"version": 2, "accounts": []any{}}
		if len(data) > 0 {
			if err := json.Unmarshal(data, &c); err != nil {
				t.Fatal(err)
			}
		}
		c["oauth_providers"] = json.RawMessage(providers)
		out, _ := json.Marshal(c)
		if err := os.WriteFile(env.Store.Path(), out, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(fmt.Sprintf(`{"microsoft":{"issuer":%q,"client_id":%q}}`, mock.URL, mock.ClientID()))
	r := runCLI(t, env, "", "account", "add", "--name", "Outlook", "--email", "alice@outlook.com", "--protocol", "imap",
		"--host", srv.Host, "--port", strconv.Itoa(srv.IMAPSPort), "--username", "alice",
		"--auth", "oauth2", "--oauth-provider", "microsoft")
	if r.code != ExitOK || !strings.Contains(r.stderr, mock.URL+"/authorize?") {
		t.Fatalf("add with the overridden Microsoft: %+v", r)
	}
	if r := runCLI(t, env, "", "test", "Outlook"); r.code != ExitOK {
		t.Fatalf("test: %+v", r)
	}
	a, err := env.Store.Get("Outlook")
	if err != nil || a.OAuthProvider != oauth.NameMicrosoft || a.OAuthClientID != "" {
		t.Errorf("stored %+v, %v", a, err)
	}

	write(`{"microsoft":{"auth_url":"https://127.0.0.1/authorize"}}`)
	if r := runCLI(t, env, "", "account", "list"); r.code != ExitFail || !strings.Contains(r.stderr, `oauth_providers "microsoft"`) ||
		!strings.Contains(r.stderr, "token_url") {
		t.Errorf("broken override: %+v", r)
	}
}
