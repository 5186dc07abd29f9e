package cli

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

func TestParseAgeAndSize(t *testing.T) {
	day := 24 * time.Hour
	ages := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, true}, {"2y", 730 * day, true}, {"6m", 180 * day, true}, {"3w", 21 * day, true},
		{"30d", 30 * day, true}, {"2Y", 730 * day, true}, {"y", 0, false}, {"-1y", 0, false},
		{"0d", 0, false}, {"2h", 0, false}, {"1000y", 0, false},
	}
	for _, tc := range ages {
		got, err := ParseAge(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseAge(%q) = %v, %v", tc.in, got, err)
		}
	}
	sizes := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, true}, {"10M", 10 << 20, true}, {"500K", 500 << 10, true}, {"1G", 1 << 30, true},
		{"10MB", 10 << 20, true}, {"10MiB", 10 << 20, true}, {"4096", 4096, true}, {"10m", 10 << 20, true},
		{"M", 0, false}, {"-5M", 0, false}, {"ten", 0, false}, {"99999999999G", 0, false},
	}
	for _, tc := range sizes {
		got, err := ParseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseSize(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestSwitchAndArchiveUsage(t *testing.T) {
	env := newEnv(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"switch"}, "exactly one"},
		{[]string{"switch", "Home"}, "--to imap"},
		{[]string{"switch", "Home", "--to", "exchange"}, "--to imap"},
		{[]string{"switch", "Home", "--to", "pop3", "--keep-forever", "--keep-days", "3"}, "only one"},
		{[]string{"archive"}, "exactly one"},
		{[]string{"archive", "Work"}, "choose the mail"},
		{[]string{"archive", "Work", "--older-than", "soon"}, "not an age"},
		{[]string{"archive", "Work", "--larger-than", "big"}, "not a size"},
	}
	for _, tc := range cases {
		r := runCLI(t, env, "", tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: code %d, stderr %q; want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// addPOP3Home adds the POP3 account "Home" for u through the CLI; its backups delete
// mail from the server right away.
func addPOP3Home(t *testing.T, env *Env, srv *dovecottest.Server, u *dovecottest.User) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "backup")
	r := runCLI(t, env, u.Password+"\n", "account", "add", "--name", "Home", "--email", u.Name+"@example.org",
		"--protocol", "pop3", "--host", srv.Host, "--port", strconv.Itoa(srv.POP3SPort), "--username", u.Name,
		"--password-stdin", "--backup-dir", dir, "--delete-after-backup")
	if r.code != 0 {
		t.Fatalf("add: %+v", r)
	}
	if r := runCLI(t, env, "", "backup", "Home"); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	return dir
}

// TestDovecotSwitchCommand: the edge corpus, backed up over POP3 and deleted from the
// server, goes back into the IMAP INBOX through `postfach switch`: a dry run changes
// nothing, the switch exits 0 with every message once, a second switch is refused.
func TestDovecotSwitchCommand(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "cliswitch", "pw", 100)
	for _, m := range dovecottest.EdgeCases() {
		u.Deliver(t, m.Stored)
	}
	env := newEnv(t)
	env.Roots = srv.CertPool
	addPOP3Home(t, env, srv, u)
	if n := u.MessageCount(t); n != 0 {
		t.Fatalf("%d messages left on the server after the backup", n)
	}
	port := strconv.Itoa(srv.IMAPSPort)
	r := runCLI(t, env, "", "switch", "Home", "--to", "imap", "--port", port, "--dry-run", "--json")
	var plan switchJSON
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil || r.code != 0 || !plan.Fits || plan.Messages == 0 || plan.Switched {
		t.Fatalf("dry run: %v %+v", err, r)
	}
	if u.MessageCount(t) != 0 {
		t.Fatal("the dry run uploaded mail")
	}
	r = runCLI(t, env, "", "switch", "Home", "--to", "imap", "--port", port)
	if r.code != 0 || !strings.Contains(r.stdout, "Home is now an IMAP account") {
		t.Fatalf("switch: %+v", r)
	}
	if n := u.MessageCount(t); n != plan.Messages {
		t.Errorf("%d messages on the server, planned %d", n, plan.Messages)
	}
	a, _ := env.Store.Get("Home")
	if a.Protocol != accounts.IMAP || len(a.Switches) != 1 {
		t.Fatalf("account: %+v", a)
	}
	r = runCLI(t, env, "", "switch", "Home", "--to", "imap")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "already") {
		t.Errorf("second switch: %+v", r)
	}
}

// TestDovecotSwitchRefusedCommand: a switch that does not fit the target's quota exits 1
// with the wont-fit kind before anything is uploaded, and the account stays POP3.
func TestDovecotSwitchRefusedCommand(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "clibig", "pw", 0)
	small := srv.AddUser(t, "clismall", "pw2", 1)
	u.Deliver(t, dovecottest.Large(700_000).Stored, dovecottest.Large(700_001).Stored)
	env := newEnv(t)
	env.Roots = srv.CertPool
	addPOP3Home(t, env, srv, u)
	r := runCLI(t, env, small.Password+"\n", "switch", "Home", "--to", "imap", "--port", strconv.Itoa(srv.IMAPSPort),
		"--username", small.Name, "--password-stdin", "--json")
	var out switchJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != ExitFail || out.Kind != backup.KindWontFit || out.Fits {
		t.Fatalf("switch: %v %+v", err, r)
	}
	if small.MessageCount(t) != 0 {
		t.Error("mail was uploaded despite the refusal")
	}
	if a, _ := env.Store.Get("Home"); a.Protocol != accounts.POP3 {
		t.Error("the account was switched")
	}
}

// childEnv names the environment of a `postfach switch` run in a child process:
// the store directory, the POP3 password, the CA file and the arguments.
const childEnv = "POSTFACH_CLI_SWITCH_CHILD"

// TestSwitchChild is the child process of TestDovecotSwitchKilled; it does nothing in
// an ordinary test run.
func TestSwitchChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		t.Skip("only run as a child process")
	}
	var c struct {
		Dir, ID, Password, CA string
		Args                  []string
	}
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		t.Fatal(err)
	}
	keyring.MockInit()
	if err := keyring.Set("Postfach", c.ID, c.Password); err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(c.CA)
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Stdin: strings.NewReader(""), Stdout: os.Stdout, Stderr: os.Stderr, Store: accounts.OpenStore(c.Dir)}
	env.Roots = certPool(t, pem)
	os.Exit(Run(c.Args, env))
}

// TestDovecotSwitchKilled: `postfach switch` killed (SIGKILL) at several moments of the
// upload and run again: never a message twice on the server, and the last run exits 0
// with every message there once.
func TestDovecotSwitchKilled(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "clikill", "pw", 100)
	msgs := dovecottest.Ordinary(150, 5)
	for _, m := range msgs {
		u.Deliver(t, m.Stored)
	}
	env := newEnv(t)
	env.Roots = srv.CertPool
	addPOP3Home(t, env, srv, u)
	a, _ := env.Store.Get("Home")
	spec, _ := json.Marshal(map[string]any{"Dir": env.Store.Dir(), "ID": a.ID, "Password": u.Password, "CA": srv.CertPEMFile,
		"Args": []string{"switch", "Home", "--to", "imap", "--port", strconv.Itoa(srv.IMAPSPort)}})
	run := func(killAfter time.Duration) (int, string) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSwitchChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if killAfter > 0 {
			timer := time.AfterFunc(killAfter, func() { _ = cmd.Process.Kill() })
			defer timer.Stop()
		}
		_ = cmd.Wait()
		return cmd.ProcessState.ExitCode(), out.String()
	}
	partial, finished := false, false
	for _, d := range []time.Duration{300 * time.Millisecond, 700 * time.Millisecond, 1200 * time.Millisecond, 1800 * time.Millisecond} {
		if code, out := run(d); code == 0 {
			t.Logf("the run to be killed at %v finished first:\n%s", d, out)
			finished = true
			break
		}
		if ids := duplicateIDs(t, srv, u); len(ids) > 0 {
			t.Fatalf("after a kill at %v: duplicates %v", d, ids)
		}
		n := u.MessageCount(t)
		partial = partial || (n > 0 && n < len(msgs))
		t.Logf("killed at %v: %d of %d messages on the server", d, n, len(msgs))
	}
	if !partial {
		t.Log("no kill fell into the upload itself (a slow or fast machine); the re-run still has to finish")
	}
	if !finished {
		if code, out := run(0); code != 0 {
			t.Fatalf("last run: exit %d\n%s", code, out)
		}
	}
	if n := u.MessageCount(t); n != len(msgs) {
		t.Errorf("%d messages on the server, want %d", n, len(msgs))
	}
	if ids := duplicateIDs(t, srv, u); len(ids) > 0 {
		t.Fatalf("duplicates %v", ids)
	}
	if a, _ := env.Store.Get("Home"); a.Protocol != accounts.IMAP {
		t.Errorf("not switched: %+v", a)
	}
}

func certPool(t *testing.T, pem []byte) *x509.CertPool {
	t.Helper()
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in the CA file")
	}
	return p
}

// duplicateIDs returns the Message-IDs found more than once in u's INBOX.
func duplicateIDs(t *testing.T, srv *dovecottest.Server, u *dovecottest.User) []string {
	t.Helper()
	ctx := context.Background()
	sess, err := imap.Connect(ctx, srv.IMAPSAddr(), &imap.Options{TLSConfig: srv.TLSConfig(), Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.Login(u.Name, u.Password); err != nil {
		t.Fatal(err)
	}
	sel, err := sess.Examine(ctx, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := sel.ListMessages(ctx, 1, "Message-ID")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var dups []string
	for _, m := range msgs {
		id := strings.TrimSpace(string(m.Header))
		if seen[id]++; seen[id] == 2 {
			dups = append(dups, id)
		}
	}
	return dups
}
