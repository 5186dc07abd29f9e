//go:build linux

package leaktest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
	"github.com/postfach/postfach/internal/testkit/oauthmock"
)

// tokenSecret is an OAuth2 token and the forms it could leak in: as it is, and as the
// base64 SASL initial responses that carry it (XOAUTH2; OAUTHBEARER for each port).
func tokenSecret(name, user, tok string, ports ...int) secret {
	b64 := func(s string) []byte {
		return []byte(strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(s)), "="))
	}
	forms := map[string][]byte{
		"token":           []byte(tok),
		"base64(XOAUTH2)": b64("user=" + user + "\x01auth=Bearer " + tok + "\x01\x01"),
	}
	for _, p := range ports {
		forms["base64(OAUTHBEARER port "+strconv.Itoa(p)+")"] = b64("n,a=" + user + ",\x01host=127.0.0.1\x01port=" + strconv.Itoa(p) + "\x01auth=Bearer " + tok + "\x01\x01")
	}
	return secret{name: name, forms: forms}
}

// TestOAuth2TokenLeakSweep is the leak sweep for OAuth2 accounts: the real binary adds
// an IMAP and a POP3 account with --auth oauth2 against the mock authorization server
// (opening the "browser" as on a desktop), tests, backs up and reads the quota across an
// access-token expiry, fails after a revocation, signs in again and removes the
// accounts; then every authorization code, access token and refresh token the mock
// issued is searched for in every file, every output and the argv and environment of
// every postfach process and its children. The refresh tokens must have been in the
// keyring (the positive control) and be gone from it after the removal.
func TestOAuth2TokenLeakSweep(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		if os.Getenv("POSTFACH_REQUIRE_KEYRING") == "1" {
			t.Fatal("POSTFACH_REQUIRE_KEYRING=1 but no D-Bus session")
		}
		t.Skip("needs a D-Bus session with a Secret Service: run inside .ci/with-session.sh (make test)")
	}
	requireKeyring(t)
	mock := oauthmock.Start(t, oauthmock.Config{User: "leakoauth", Email: "leakoauth@example.org", RotateRefreshTokens: true})
	srv := dovecottest.StartOAuth2(t, dovecottest.OAuth2{IntrospectionURL: mock.IntrospectionURL(), CACertPEM: mock.CertPEM()})
	user := srv.AddUser(t, "leakoauth", randomPassword(t), 100)
	for i := 0; i < 3; i++ {
		user.Deliver(t, []byte(fmt.Sprintf("From: a@example.org\nTo: leakoauth@example.org\nSubject: %d\n\nbody %d\n", i, i)))
	}
	s := newSweep(t, srv)

	// Outside the sweep's root, which is scanned: the trusted certificates (Dovecot's
	// and the mock's) and the browser link.
	dovecotPEM, err := os.ReadFile(srv.CertPEMFile)
	if err != nil {
		t.Fatal(err)
	}
	aside, certs := mock.BrowserEnv(t, dovecotPEM)
	var env []string
	for _, kv := range s.env {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "SSL_CERT_FILE", "PATH", "DISPLAY", "WAYLAND_DISPLAY":
			continue
		}
		env = append(env, kv)
	}
	s.env = append(env, "SSL_CERT_FILE="+certs, "PATH="+aside+string(os.PathListSeparator)+os.Getenv("PATH"), "DISPLAY=:99")

	add := func(name, proto string, port int, extra ...string) {
		args := []string{"account", "add", "--name", name, "--email", "leakoauth@example.org", "--protocol", proto,
			"--host", "127.0.0.1", "--port", strconv.Itoa(port), "--username", "leakoauth",
			"--auth", "oauth2", "--oauth-provider", mock.URL, "--oauth-client-id", mock.ClientID()}
		s.mustRun("", append(args, extra...)...)
	}
	add("oauth-imap", "imap", srv.IMAPSPort)
	add("oauth-pop3", "pop3", srv.POP3SPort, "--backup-dir", filepath.Join(s.root, "backup-oauth"), "--keep-forever", "--schedule", "off")
	list := s.mustRun("", "account", "list", "--json")
	var accts []accounts.Account
	if err := json.Unmarshal(list.stdout, &accts); err != nil || len(accts) != 2 {
		t.Fatalf("account list: %v %s", err, list.stdout)
	}
	ctx := context.Background()
	for _, a := range accts {
		if _, err := secrets.Get(ctx, oauth.KeyringKey(a.ID)); err != nil {
			t.Fatalf("positive control: the refresh token of %s is not in the keyring: %v", a.Name, err)
		}
	}

	s.mustRun("", "test", "oauth-imap")
	s.mustRun("", "test", "oauth-pop3")
	s.mustRun("", "backup", "oauth-pop3")
	s.mustRun("", "quota", "--json", "--folders", "oauth-imap")
	mock.ExpireAccessTokens()
	s.mustRun("", "backup", "--json", "oauth-pop3")
	s.mustRun("", "quota", "oauth-imap")
	s.mustRun("", "verify", "--json")
	mock.RevokeAll()
	s.mustFail("", "backup", "oauth-pop3")
	s.mustFail("", "backup", "--json", "oauth-pop3")
	s.mustFail("", "quota", "oauth-imap")
	s.mustFail("", "test", "oauth-imap")
	s.mustRun("", "account", "signin", "oauth-imap")
	s.mustRun("", "account", "signin", "oauth-pop3")
	s.mustRun("", "backup", "oauth-pop3")
	s.mustRun("", "quota", "oauth-imap")
	s.mustRun("", "account", "remove", "oauth-imap")
	s.mustRun("", "account", "remove", "oauth-pop3")
	for _, a := range accts {
		if _, err := secrets.Get(ctx, oauth.KeyringKey(a.ID)); !errors.Is(err, secrets.ErrNotFound) {
			t.Errorf("the refresh token of %s outlived the account: %v", a.Name, err)
		}
	}

	codes, access, refresh := mock.Issued()
	if len(codes) < 4 || len(access) < 4 || len(refresh) < 4 {
		t.Fatalf("the mock issued %d codes, %d access and %d refresh tokens: the sweep would prove little", len(codes), len(access), len(refresh))
	}
	for i, c := range codes {
		s.secrets = append(s.secrets, secret{name: fmt.Sprintf("authorization code %d", i), forms: map[string][]byte{"code": []byte(c)}})
	}
	for i, tok := range access {
		s.secrets = append(s.secrets, tokenSecret(fmt.Sprintf("access token %d", i), "leakoauth", tok, srv.IMAPSPort, srv.POP3SPort))
	}
	for i, tok := range refresh {
		s.secrets = append(s.secrets, tokenSecret(fmt.Sprintf("refresh token %d", i), "leakoauth", tok))
	}

	files := s.checkFiles()
	s.checkPrivate()
	for name, out := range s.outputs {
		if hits := find(out, s.secrets); len(hits) > 0 {
			t.Errorf("%s contains the %s:\n%s", name, strings.Join(hits, ", "), out)
		}
	}
	for name, data := range s.procSeen {
		if hits := find(data, s.secrets); len(hits) > 0 {
			t.Errorf("%s contains the %s", name, strings.Join(hits, ", "))
		}
	}
	if s.children == 0 {
		t.Error("no browser process was seen: the sign-ins did not go through xdg-open")
	}
	t.Logf("oauth2 sweep: %d commands, %d postfach processes sampled (%d /proc snapshots), %d child processes, %d files scanned, %d codes, %d access and %d refresh tokens searched",
		s.n, len(s.pids), len(s.procSeen), s.children, files, len(codes), len(access), len(refresh))
}
