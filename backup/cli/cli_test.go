package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup/service"
	"github.com/postfach/postfach/backup/tr"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

type cliRun struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, env *Env, stdin string, args ...string) cliRun {
	t.Helper()
	var out, errb bytes.Buffer
	e := *env
	e.Stdin, e.Stdout, e.Stderr = strings.NewReader(stdin), &out, &errb
	code := Run(args, &e)
	return cliRun{code, out.String(), errb.String()}
}

func newEnv(t *testing.T) *Env {
	keyring.MockInit()
	return &Env{Store: accounts.OpenStore(t.TempDir())}
}

func TestUsageErrors(t *testing.T) {
	env := newEnv(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"account"}, "subcommand"},
		{[]string{"account", "add", "--name", "x"}, "--password-stdin"},
		{[]string{"account", "add", "--bogus"}, "bogus"},
		{[]string{"account", "add", "--protocol", "pop3", "--password-stdin", "--keep-forever", "--keep-days", "3"}, "only one"},
		{[]string{"account", "add", "--protocol", "pop3", "--password-stdin"}, "--backup-dir"},
		{[]string{"test"}, "exactly one"},
		{[]string{"discover"}, "exactly one"},
	}
	for _, tc := range cases {
		r := runCLI(t, env, "pw\n", tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: code %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if r := runCLI(t, env, "", "help"); r.code != 0 || !strings.Contains(r.stdout, "postfach backup") {
		t.Errorf("help: %+v", r)
	}
}

func TestAccountAddValidates(t *testing.T) {
	env := newEnv(t)
	r := runCLI(t, env, "pw\n", "account", "add", "--name", "A", "--email", "a@example.org", "--protocol", "imap",
		"--host", "imap.example.org", "--security", "none", "--password-stdin")
	if r.code != ExitFail || !strings.Contains(r.stderr, "opt-in") {
		t.Fatalf("plaintext without opt-in: %+v", r)
	}
	r = runCLI(t, env, "pw\n", "account", "add", "--name", "A", "--email", "a@example.org", "--host", "h", "--password-stdin")
	if r.code != ExitFail || !strings.Contains(r.stderr, "POP3 or IMAP") {
		t.Fatalf("no protocol: %+v", r)
	}
	if all, _ := env.Store.List(); len(all) != 0 {
		t.Fatalf("failed adds stored accounts: %+v", all)
	}
}

func TestEndToEndAgainstDovecot(t *testing.T) {
	srv := dovecottest.Start(t)
	pop := srv.AddUser(t, "clipop", "pop-secret", 100)
	imapUser := srv.AddUser(t, "cliimap", "imap-secret", 50)
	msgs := dovecottest.Ordinary(5, 21)
	for _, m := range msgs {
		pop.Deliver(t, m.Stored)
		imapUser.Deliver(t, m.Stored)
	}
	env := newEnv(t)
	env.Roots = srv.CertPool
	backupDir := filepath.Join(t.TempDir(), "backup")

	r := runCLI(t, env, "pop-secret\n", "account", "add", "--name", "Home", "--email", "clipop@example.org",
		"--protocol", "pop3", "--host", srv.Host, "--port", strconv.Itoa(srv.POP3SPort), "--username", "clipop",
		"--password-stdin", "--backup-dir", backupDir, "--keep-days", "30")
	if r.code != 0 {
		t.Fatalf("add pop3: %+v", r)
	}
	if same, known := service.OnSystemDisk(backupDir); strings.Contains(r.stderr, "system disk") != (same && known) {
		t.Errorf("system disk %v (known %v), but stderr %q", same, known, r.stderr)
	}
	r = runCLI(t, env, "imap-secret", "account", "add", "--name", "Work", "--email", "cliimap@example.org",
		"--protocol", "imap", "--host", srv.Host, "--port", strconv.Itoa(srv.IMAPPort), "--security", "starttls",
		"--username", "cliimap", "--password-stdin")
	if r.code != 0 {
		t.Fatalf("add imap: %+v", r)
	}

	r = runCLI(t, env, "", "account", "list", "--json")
	var listed []accounts.Account
	if err := json.Unmarshal([]byte(r.stdout), &listed); err != nil || len(listed) != 2 {
		t.Fatalf("list: %v %q", err, r.stdout)
	}
	if strings.Contains(r.stdout, "secret") {
		t.Fatal("account list shows a password")
	}

	for _, name := range []string{"Home", "Work"} {
		if r := runCLI(t, env, "", "test", name); r.code != 0 || !strings.Contains(r.stdout, "logged in") {
			t.Fatalf("test %s: %+v", name, r)
		}
	}

	r = runCLI(t, env, "", "backup", "--json")
	var res []backupJSON
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != 0 {
		t.Fatalf("backup: %v %+v", err, r)
	}
	if len(res) != 1 || res[0].New != 5 || res[0].BackupDir != backupDir || !res[0].OK || res[0].Bytes == 0 {
		t.Fatalf("backup result: %+v", res)
	}
	r = runCLI(t, env, "", "backup", "Home")
	if r.code != 0 || !strings.Contains(r.stdout, "0 new") || !strings.Contains(r.stdout, "5 already") {
		t.Fatalf("second backup: %+v", r)
	}

	r = runCLI(t, env, "", "verify", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"healthy": true`) {
		t.Fatalf("verify: %+v", r)
	}
	de := *env
	de.Lang = tr.German
	if r := runCLI(t, &de, "", "test", "Home"); r.code != 0 || !strings.Contains(r.stdout, "verbunden und angemeldet") {
		t.Errorf("test in German: %+v", r)
	}
	if r := runCLI(t, &de, "", "backup", "Home"); r.code != 0 || !strings.Contains(r.stdout, "Home: 0 neu (0 B), 5 schon gesichert") {
		t.Errorf("backup in German: %+v", r)
	}
	if r := runCLI(t, &de, "", "verify", "Home"); r.code != 0 || !strings.Contains(r.stdout, "Home: Alle 5 Nachrichten sind vollständig und unverändert in") {
		t.Errorf("verify in German: %+v", r)
	}

	r = runCLI(t, env, "", "quota", "--json", "--folders")
	var q []quotaJSON
	if err := json.Unmarshal([]byte(r.stdout), &q); err != nil || r.code != 0 || len(q) != 1 {
		t.Fatalf("quota: %v %+v", err, r)
	}
	usage, limit := imapUser.QuotaStorageKiB(t)
	var found bool
	for _, res := range q[0].Resources {
		if res.Name == "STORAGE" {
			found = true
			if res.Usage != usage*1024 || res.Limit != limit*1024 {
				t.Errorf("STORAGE %d/%d bytes, doveadm says %d/%d KiB", res.Usage, res.Limit, usage, limit)
			}
		}
	}
	if !found || !q[0].Supported || len(q[0].Folders) == 0 {
		t.Fatalf("quota: %+v", q[0])
	}

	// A wrong password is a plain sentence and exit 1.
	keyring.Set("Postfach", listed[0].ID, "wrong")
	r = runCLI(t, env, "", "backup", "Home")
	if r.code != ExitFail || !strings.Contains(r.stderr, "rejected the user name or password") {
		t.Fatalf("wrong password: %+v", r)
	}

	r = runCLI(t, env, "", "account", "remove", "Home")
	if r.code != 0 || !strings.Contains(r.stdout, "left as it is") {
		t.Fatalf("remove: %+v", r)
	}
	if _, err := keyring.Get("Postfach", listed[0].ID); err == nil {
		t.Fatal("remove kept the password")
	}
}
