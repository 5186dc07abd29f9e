//go:build linux

// Package leaktest is the credential-leak sweep (reliability notes, case 28): it drives
// the real postfach binary through every command that touches a password — account add,
// test, backup, verify, quota, list, remove, a wrong password, a pinned certificate that
// does not match, runs killed in the middle of the login — against the Dovecot fixture,
// and then looks for the password everywhere it must not be: every file Postfach could
// have written (its home, the backup folders, its TMPDIR, HOME and XDG folders), every
// line of output, the argv and environment of every postfach process and its children
// (sampled while they run), and every byte sent before TLS.
//
// It needs a D-Bus session with a Secret Service (`make test` runs it inside
// .ci/with-session.sh); without one it is skipped, unless POSTFACH_REQUIRE_KEYRING=1.
// Linux only: it reads /proc.
package leaktest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/backup/cli"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
	"github.com/postfach/postfach/internal/testkit/oauthmock"
)

// TestMain lets the test binary stand in for postfach (LEAKTEST_AS_CLI=1) when the
// module has no main package to build, and for the system browser (oauthmock.BrowserName).
func TestMain(m *testing.M) {
	if status, ok := oauthmock.ActAsBrowser(); ok {
		os.Exit(status)
	}
	if os.Getenv("LEAKTEST_AS_CLI") == "1" {
		os.Exit(cli.Main(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// secret is one credential and the encodings it could leak in.
type secret struct {
	name  string
	forms map[string][]byte
}

func newSecret(name, user, pw string) secret {
	b64 := func(s string) []byte { return []byte(base64.StdEncoding.EncodeToString([]byte(s))) }
	unpadded := func(b []byte) []byte { return bytes.TrimRight(b, "=") }
	return secret{name: name, forms: map[string][]byte{
		"password":                       []byte(pw),
		"base64(password)":               unpadded(b64(pw)),                                 // AUTH LOGIN
		`base64("\0user\0password")`:     unpadded(b64("\x00" + user + "\x00" + pw)),        // AUTH PLAIN
		`base64("user\0user\0password")`: unpadded(b64(user + "\x00" + user + "\x00" + pw)), // AUTH PLAIN with authzid
		"hex(password)":                  []byte(hex.EncodeToString([]byte(pw))),
	}}
}

// find reports which forms of which secrets occur in data.
func find(data []byte, secrets []secret) []string {
	var hits []string
	for _, s := range secrets {
		for form, b := range s.forms {
			if bytes.Contains(data, b) {
				hits = append(hits, s.name+" as "+form)
			}
		}
	}
	return hits
}

// randomPassword returns a unique password that Dovecot's passwd-file accepts and that
// cannot occur by chance: 32 characters from letters, digits and a few symbols.
func randomPassword(t *testing.T) string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%+-_=~"
	var b strings.Builder
	b.WriteString("Lk")
	for b.Len() < 32 {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			t.Fatal(err)
		}
		b.WriteByte(alphabet[n.Int64()])
	}
	return b.String()
}

// sweep is one test run: the binary, its private folders and everything observed.
type sweep struct {
	t       *testing.T
	bin     string
	binEnv  []string // extra env when bin is the test binary itself
	srv     *dovecottest.Server
	root    string // parent of every folder postfach may write to
	home    string // POSTFACH_HOME
	env     []string
	secrets []secret

	mu       sync.Mutex
	outputs  map[string][]byte // "cmd #n stdout" -> bytes
	procSeen map[string][]byte // "pid N cmdline|environ" -> bytes
	pids     map[int]bool
	children int // processes started by postfach processes
	n        int
}

func TestCredentialLeakSweep(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		if os.Getenv("POSTFACH_REQUIRE_KEYRING") == "1" {
			t.Fatal("POSTFACH_REQUIRE_KEYRING=1 but no D-Bus session")
		}
		t.Skip("needs a D-Bus session with a Secret Service: run inside .ci/with-session.sh (make test)")
	}
	requireKeyring(t)
	srv := dovecottest.Start(t)

	pw, wrongPW, pinPW := randomPassword(t), randomPassword(t), randomPassword(t)
	// Every user is added before the first login (a user added within a second of an
	// auth lookup may not be visible to Dovecot yet).
	user := srv.AddUser(t, "leak", pw, 100)
	srv.AddUser(t, "leakbad", randomPassword(t), 0) // logged into with wrongPW only
	srv.AddUser(t, "leakpin", pinPW, 0)             // must never see a login attempt
	ctrlPW := randomPassword(t)
	srv.AddUser(t, "leakplain", ctrlPW, 0) // the positive control: plaintext on purpose
	for i := 0; i < 3; i++ {
		user.Deliver(t, []byte(fmt.Sprintf("From: a@example.org\nTo: leak@example.org\nSubject: %d\n\nbody %d\n", i, i)))
	}

	s := newSweep(t, srv)
	s.secrets = []secret{newSecret("password", "leak", pw), newSecret("wrong password", "leakbad", wrongPW),
		newSecret("password of the pinned account", "leakpin", pinPW)}

	// A recording proxy in front of each port; every account goes through one.
	pop3 := newProxy(t, srv.POP3Addr(), "STLS")
	pop3s := newProxy(t, srv.POP3SAddr(), "")
	imap := newProxy(t, srv.IMAPAddr(), "STARTTLS")
	imaps := newProxy(t, srv.IMAPSAddr(), "")

	type acct struct {
		name, proto, security string
		proxy                 *recProxy
	}
	accts := []acct{
		{"pop3-starttls", "pop3", "starttls", pop3},
		{"pop3-tls", "pop3", "tls", pop3s},
		{"imap-starttls", "imap", "starttls", imap},
		{"imap-tls", "imap", "tls", imaps},
	}
	add := func(name, proto, security string, p *recProxy, username, password string, extra ...string) {
		args := []string{"account", "add", "--name", name, "--email", username + "@example.org", "--protocol", proto,
			"--host", "127.0.0.1", "--port", strconv.Itoa(p.port()), "--security", security,
			"--username", username, "--password-stdin"}
		if proto == "pop3" {
			args = append(args, "--backup-dir", filepath.Join(s.root, "backup-"+name), "--keep-forever", "--schedule", "off")
		}
		s.mustRun(password+"\n", append(args, extra...)...)
	}
	for _, a := range accts {
		add(a.name, a.proto, a.security, a.proxy, "leak", pw)
	}
	s.mustRun("", "account", "list")
	s.mustRun("", "account", "list", "--json")
	for _, a := range accts {
		s.mustRun("", "test", a.name)
	}
	s.mustRun("", "backup", "pop3-starttls", "pop3-tls")
	s.mustRun("", "backup", "--json")
	s.mustRun("", "verify")
	s.mustRun("", "verify", "--json")
	s.mustRun("", "quota", "imap-starttls", "imap-tls")
	s.mustRun("", "quota", "--json", "--folders")

	// Positive control for the wire check: an account that explicitly allows plaintext
	// (security none) through the same proxy must be caught by it, or the check of the
	// real accounts below would prove nothing.
	ctrl := newSecret("control password", "leakplain", ctrlPW)
	before := len(pop3.all())
	add("plain-control", "pop3", "none", pop3, "leakplain", ctrlPW, "--allow-plaintext")
	s.mustRun("", "test", "plain-control")
	control := map[*session]bool{}
	caught := false
	for _, sess := range pop3.all()[before:] {
		control[sess] = true
		c2s, _ := sess.snapshot()
		if len(find(c2s, []secret{ctrl})) > 0 && len(loginBeforeTLS(c2s, "STLS")) > 0 {
			caught = true
		}
	}
	if !caught {
		t.Error("positive control: the proxy did not see the plaintext account's login in the clear; the wire check is blind")
	}
	s.mustRun("", "account", "remove", "plain-control")

	// A wrong password: the login fails on the server.
	add("bad-pop3", "pop3", "starttls", pop3, "leakbad", wrongPW)
	add("bad-imap", "imap", "starttls", imap, "leakbad", wrongPW)
	s.mustFail("", "test", "bad-pop3")
	s.mustFail("", "backup", "bad-pop3")
	s.mustFail("", "backup", "--json", "bad-pop3")
	s.mustFail("", "test", "bad-imap")
	s.mustFail("", "quota", "bad-imap")
	if !srv.WaitLog(t, "user=<leakbad>", 5*time.Second) {
		t.Error("the wrong-password runs never reached Dovecot's login (the test would prove nothing)")
	}

	// A pinned fingerprint that is not the server's: refused before any login.
	wrongPin := strings.Repeat("ab", 32)
	if wrongPin == srv.CertSHA256 {
		t.Fatal("the wrong pin happens to be right")
	}
	add("pin-pop3", "pop3", "starttls", pop3, "leakpin", pinPW, "--trust-fingerprint", wrongPin)
	add("pin-pop3s", "pop3", "tls", pop3s, "leakpin", pinPW, "--trust-fingerprint", wrongPin)
	add("pin-imap", "imap", "starttls", imap, "leakpin", pinPW, "--trust-fingerprint", wrongPin)
	add("pin-imaps", "imap", "tls", imaps, "leakpin", pinPW, "--trust-fingerprint", wrongPin)
	for _, n := range []string{"pin-pop3", "pin-pop3s", "pin-imap", "pin-imaps"} {
		s.mustFail("", "test", n)
	}
	s.mustFail("", "backup", "pin-pop3")
	s.mustFail("", "backup", "pin-pop3s")
	s.mustFail("", "quota", "pin-imap")
	s.mustFail("", "quota", "pin-imaps")

	// Runs killed in the middle of the login: the proxy stops forwarding the server's
	// answers once the client has sent its k-th encrypted record, the test samples the
	// stuck process, then kills it. k=1 is the TLS Finished, 2 the capability request,
	// 3 the login itself (POP3 AUTH PLAIN, IMAP LOGIN: the goroutine dumps show the client
	// waiting in authPlain / Login), 4 what follows. The k=3 kill is SIGQUIT, whose
	// goroutine dump goes to stderr and is searched like every other output.
	for _, k := range []struct {
		acct  string
		args  []string
		proxy *recProxy
	}{
		{"pop3-starttls", []string{"backup", "pop3-starttls"}, pop3},
		{"pop3-tls", []string{"backup", "pop3-tls"}, pop3s},
		{"imap-starttls", []string{"quota", "imap-starttls"}, imap},
	} {
		for rec := 1; rec <= 4; rec++ {
			sig := syscall.SIGKILL
			if rec == 3 {
				sig = syscall.SIGQUIT
			}
			s.killDuringLogin(k.proxy, rec, sig, k.args...)
		}
	}
	// After the kills the next run completes.
	s.mustRun("", "backup", "pop3-starttls")

	for _, n := range []string{"bad-pop3", "bad-imap", "pin-pop3", "pin-pop3s", "pin-imap", "pin-imaps"} {
		s.mustRun("", "account", "remove", n)
	}
	for _, a := range accts {
		s.mustRun("", "account", "remove", a.name)
	}

	// ---- The checks ----
	// 1. Nothing before TLS: no credential and no login command in any plaintext part.
	for _, p := range []*recProxy{pop3, pop3s, imap, imaps} {
		for i, sess := range p.all() {
			if control[sess] {
				continue
			}
			s.checkSession(fmt.Sprintf("%s session %d", p.target, i), sess, p.starttls)
		}
	}
	// 2. The pinned accounts never attempted a login.
	if log := srv.Log(t); strings.Contains(log, "user=<leakpin>") {
		t.Errorf("Dovecot saw a login attempt for the account with a wrong pinned fingerprint:\n%s", grepLines(log, "leakpin"))
	}
	// 3. Files: no secret anywhere; what Postfach keeps is private to the user.
	files := s.checkFiles()
	s.checkPrivate()
	// 4. Output.
	for name, out := range s.outputs {
		if hits := find(out, s.secrets); len(hits) > 0 {
			t.Errorf("%s contains the %s:\n%s", name, strings.Join(hits, ", "), out)
		}
	}
	// 5. argv and environment of every postfach process and its children.
	for name, data := range s.procSeen {
		if hits := find(data, s.secrets); len(hits) > 0 {
			t.Errorf("%s contains the %s", name, strings.Join(hits, ", "))
		}
	}
	if len(s.procSeen) == 0 {
		t.Error("no /proc sample was taken: the process check proved nothing")
	}
	// 6. The keyring entries are gone with the accounts (checked through the CLI's view:
	// every account was removed without --keep-password).
	t.Logf("sweep: %d commands, %d postfach processes sampled (%d /proc snapshots), %d child processes seen, %d files scanned, %d proxied sessions",
		s.n, len(s.pids), len(s.procSeen), s.children, files, len(pop3.all())+len(pop3s.all())+len(imap.all())+len(imaps.all()))
}

// requireKeyring checks that a Secret Service answers.
func requireKeyring(t *testing.T) {
	ctx := context.Background()
	id := "leaktest-probe-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := secrets.Set(ctx, id, "probe"); err != nil {
		if os.Getenv("POSTFACH_REQUIRE_KEYRING") != "1" && errors.Is(err, secrets.ErrUnavailable) {
			t.Skipf("no Secret Service: %v", err)
		}
		t.Fatal(err)
	}
	if err := secrets.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
}

func newSweep(t *testing.T, srv *dovecottest.Server) *sweep {
	root := t.TempDir()
	s := &sweep{t: t, srv: srv, root: root, home: filepath.Join(root, "postfach-home"),
		outputs: map[string][]byte{}, procSeen: map[string][]byte{}, pids: map[int]bool{}}
	s.bin, s.binEnv = postfachBinary(t)
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "TMPDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "POSTFACH_HOME", "SSL_CERT_FILE", "SSL_CERT_DIR":
			continue
		}
		env = append(env, kv)
	}
	for k, dir := range map[string]string{"HOME": "home", "TMPDIR": "tmp", "XDG_CONFIG_HOME": "config",
		"XDG_CACHE_HOME": "cache", "XDG_STATE_HOME": "state", "POSTFACH_HOME": "postfach-home"} {
		p := filepath.Join(root, dir)
		if err := os.MkdirAll(p, 0o700); err != nil {
			t.Fatal(err)
		}
		env = append(env, k+"="+p)
	}
	s.env = append(append(env, "SSL_CERT_FILE="+srv.CertPEMFile), s.binEnv...)
	return s
}

// postfachBinary returns the binary to run: $POSTFACH_BIN, else the desktop binary built
// from the module root, else (no main package yet) this test binary as the CLI.
func postfachBinary(t *testing.T) (string, []string) {
	if p := os.Getenv("POSTFACH_BIN"); p != "" {
		return p, nil
	}
	bin := filepath.Join(t.TempDir(), "postfach")
	out, err := exec.Command("go", "build", "-tags", "migrated_fynedo", "-o", bin, "../../..").CombinedOutput()
	if err == nil {
		return bin, nil
	}
	if !bytes.Contains(out, []byte("no Go files")) {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Log("no main package at the module root: running the CLI from the test binary")
	return self, []string{"LEAKTEST_AS_CLI=1"}
}

type result struct {
	stdout, stderr []byte
	exit           int
}

// start runs postfach with args, samples /proc of it and its children until it exits.
func (s *sweep) start(stdin string, args ...string) (*exec.Cmd, func() result) {
	s.n++
	name := fmt.Sprintf("command %d (postfach %s)", s.n, strings.Join(args, " "))
	cmd := exec.Command(s.bin, args...)
	cmd.Env = s.env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("%s: %v", name, err)
	}
	pid := cmd.Process.Pid
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			s.sample(pid)
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return cmd, func() result {
		err := cmd.Wait()
		close(stop)
		<-sampled
		r := result{stdout: stdout.Bytes(), stderr: stderr.Bytes()}
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			r.exit = ee.ExitCode()
		case err != nil:
			// Errorf, not Fatalf: wait may run on another goroutine.
			s.t.Errorf("%s: %v", name, err)
			r.exit = -1
		}
		s.mu.Lock()
		s.outputs[name+" stdout"] = r.stdout
		s.outputs[name+" stderr"] = r.stderr
		s.mu.Unlock()
		return r
	}
}

func (s *sweep) mustRun(stdin string, args ...string) result {
	s.t.Helper()
	_, wait := s.start(stdin, args...)
	r := wait()
	if r.exit != 0 {
		s.t.Fatalf("postfach %s: exit %d\n%s%s", strings.Join(args, " "), r.exit, r.stdout, r.stderr)
	}
	return r
}

func (s *sweep) mustFail(stdin string, args ...string) result {
	s.t.Helper()
	_, wait := s.start(stdin, args...)
	r := wait()
	if r.exit != cli.ExitFail {
		s.t.Fatalf("postfach %s: exit %d, want %d\n%s%s", strings.Join(args, " "), r.exit, cli.ExitFail, r.stdout, r.stderr)
	}
	return r
}

// killDuringLogin runs postfach through p with a stall after the client's rec-th
// encrypted record, samples the stuck process and kills it with sig.
func (s *sweep) killDuringLogin(p *recProxy, rec int, sig syscall.Signal, args ...string) {
	s.t.Helper()
	stalled := p.stallNext(rec)
	defer p.stallNext(0)
	cmd, wait := s.start("", args...)
	exited := make(chan result, 1)
	go func() { exited <- wait() }()
	select {
	case <-stalled:
		// Let the sampler see the stuck process a few times, then kill it.
		time.Sleep(30 * time.Millisecond)
		cmd.Process.Signal(sig)
		r := <-exited
		if r.exit == 0 {
			s.t.Errorf("postfach %s stalled after record %d but exited 0 after %v", strings.Join(args, " "), rec, sig)
		}
		s.t.Logf("postfach %s: stuck after its encrypted record %d, killed with signal %d (exit %d)", strings.Join(args, " "), rec, sig, r.exit)
	case r := <-exited:
		// The session needed fewer records than rec: nothing to stall.
		s.t.Logf("postfach %s finished (exit %d) before sending encrypted record %d", strings.Join(args, " "), r.exit, rec)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-exited
		s.t.Errorf("postfach %s: no stall and no exit within 30 s", strings.Join(args, " "))
	}
}

// sample records /proc/PID/{cmdline,environ} of pid and of every process whose parent
// is pid (transitively).
func (s *sweep) sample(pid int) {
	todo := []int{pid}
	seen := map[int]bool{}
	for len(todo) > 0 {
		p := todo[0]
		todo = todo[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		for _, f := range []string{"cmdline", "environ"} {
			data, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", p, f))
			if err != nil {
				continue
			}
			key := fmt.Sprintf("/proc/%d/%s (%s)", p, f, s.exeOf(p))
			s.mu.Lock()
			if old, ok := s.procSeen[key]; !ok || !bytes.Equal(old, data) {
				// Keep every distinct content: a leak may be short-lived.
				if ok {
					key += " @" + strconv.FormatInt(time.Now().UnixNano(), 10)
				}
				s.procSeen[key] = data
			}
			if !s.pids[p] {
				s.pids[p] = true
				if p != pid {
					s.children++
				}
			}
			s.mu.Unlock()
		}
		todo = append(todo, childrenOf(p)...)
	}
}

func (s *sweep) exeOf(pid int) string {
	exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	return filepath.Base(exe)
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	// /proc/PID/task/*/children is exact where the kernel has it.
	var kids []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		data, _ := os.ReadFile(f)
		for _, w := range strings.Fields(string(data)) {
			if n, err := strconv.Atoi(w); err == nil {
				kids = append(kids, n)
			}
		}
	}
	return kids
}

// checkSession verifies one proxied connection: the plaintext part carries no credential
// and no login command, and TLS really starts after the STARTTLS line.
func (s *sweep) checkSession(name string, sess *session, starttls string) {
	c2s, _ := sess.snapshot()
	if hits := find(c2s, s.secrets); len(hits) > 0 {
		s.t.Errorf("%s: the client sent the %s in the clear", name, strings.Join(hits, ", "))
	}
	for _, line := range loginBeforeTLS(c2s, starttls) {
		s.t.Errorf("%s: login command before TLS: %q", name, line)
	}
	_, rest, started := split(c2s, starttls)
	if started && len(rest) >= 2 && !bytes.HasPrefix(rest, []byte{0x16, 0x03}) {
		s.t.Errorf("%s: after %s the client did not start a TLS handshake: % x", name, starttls, rest[:min(len(rest), 16)])
	}
}

// checkPrivate verifies that nothing in POSTFACH_HOME or a backup folder is readable by
// group or others (config, state and mail are created 0600 / 0700).
func (s *sweep) checkPrivate() {
	dirs, _ := filepath.Glob(filepath.Join(s.root, "backup-*"))
	for _, dir := range append(dirs, s.home) {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if fi, err := d.Info(); err == nil && fi.Mode().Perm()&0o077 != 0 {
				s.t.Errorf("%s is accessible to others: %v", path, fi.Mode().Perm())
			}
			return nil
		})
	}
}

// loginBeforeTLS returns the login commands (USER, PASS, AUTH, APOP; IMAP LOGIN,
// AUTHENTICATE) the client sent before TLS started.
func loginBeforeTLS(c2s []byte, starttls string) []string {
	plain, _, _ := split(c2s, starttls)
	var bad []string
	for _, line := range strings.Split(string(plain), "\n") {
		f := strings.Fields(strings.ToUpper(line))
		if len(f) == 0 {
			continue
		}
		cmd := f[0]
		if starttls == "STARTTLS" && len(f) > 1 { // IMAP: the tag comes first
			cmd = f[1]
		}
		switch cmd {
		case "USER", "PASS", "AUTH", "APOP", "LOGIN", "AUTHENTICATE":
			bad = append(bad, strings.TrimSpace(line))
		}
	}
	return bad
}

// checkFiles scans every file under the sweep's root (POSTFACH_HOME, backup folders,
// TMPDIR, HOME, XDG folders) for the secrets, in names and contents.
func (s *sweep) checkFiles() int {
	n := 0
	err := filepath.WalkDir(s.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if hits := find([]byte(path), s.secrets); len(hits) > 0 {
			s.t.Errorf("file name %s contains the %s", path, strings.Join(hits, ", "))
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if hits := find(data, s.secrets); len(hits) > 0 {
			s.t.Errorf("%s contains the %s", path, strings.Join(hits, ", "))
		}
		return nil
	})
	if err != nil {
		s.t.Error(err)
	}
	if n == 0 {
		s.t.Error("no file to scan: the file check proved nothing")
	}
	return n
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
