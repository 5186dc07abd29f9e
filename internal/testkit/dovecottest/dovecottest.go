// Package dovecottest starts a private Dovecot (IMAP, IMAPS, POP3 with STLS, POP3S, quota
// plugin, self-signed cert) on 127.0.0.1 for tests.
//
// It plays the role net/http/httptest plays for HTTP: the POP3, IMAP-quota, backup and CLI
// tests talk to a real server instead of a fake, because the facts Postfach depends on
// (how RETR transforms stored bytes, what GETQUOTAROOT reports, how STLS behaves) are only
// trustworthy when measured against the real thing. See the repo notes dovecot.md and
// protocol-libs.md for what was measured.
//
// Everything the server writes lives under one temporary directory (Server.Dir), so
// parallel tests and parallel test binaries never share state. It works as root (mail is
// owned by nobody:nogroup, because Dovecot refuses to access mail as uid 0) and as an
// ordinary user (all Dovecot services run as the caller, chroots disabled).
//
// If no dovecot binary is installed the calling test is skipped, unless the environment
// variable POSTFACH_REQUIRE_DOVECOT=1 is set (CI), in which case it fails, so a broken CI
// image cannot silently skip the integration tests. Where Dovecot cannot run at all (the
// Windows test binaries under Wine), POSTFACH_DOVECOT_REMOTE names a server on the Linux
// side that starts the instances instead (remote.go, serve.go).
package dovecottest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv names the environment variable that turns "dovecot is not installed" from a
// skip into a failure.
const RequireEnv = "POSTFACH_REQUIRE_DOVECOT"

// addrInUse is how Dovecot's bind failure reads (strerror(EADDRINUSE)); start and
// restart retry on it.
const addrInUse = "Address already in use"

// startTimeout bounds how long Start and Restart wait for every port to answer; Dovecot
// normally needs well under a second, so hitting it means something is broken.
const startTimeout = 10 * time.Second

// Server is a running private Dovecot. Its fields are read-only for callers.
type Server struct {
	// Dir is the temporary directory holding the config, the certificate, the log, the
	// runtime and state directories and every user's home. It is removed on cleanup.
	Dir string
	// Host is the address every listener is bound to: "127.0.0.1".
	Host string
	// IMAPPort (plain, STARTTLS available), IMAPSPort (implicit TLS), POP3Port (plain,
	// STLS available) and POP3SPort (implicit TLS) are the listening TCP ports.
	IMAPPort, IMAPSPort, POP3Port, POP3SPort int
	// CACert is the server's self-signed certificate (CN=localhost, SAN DNS:localhost and
	// IP:127.0.0.1). Being self-signed, it is its own CA.
	CACert *x509.Certificate
	// CertPool contains only CACert; use it as tls.Config.RootCAs.
	CertPool *x509.CertPool
	// CertPEMFile is the certificate in PEM form, e.g. for SSL_CERT_FILE in CLI tests that
	// run a subprocess.
	CertPEMFile string
	// CertSHA256 is the lower-case hex SHA-256 of the certificate's DER bytes, the
	// fingerprint a user would pin.
	CertSHA256 string
	// ConfPath is the dovecot.conf this instance runs with (for doveadm -c).
	ConfPath string

	dovecotBin, doveadmBin string
	logPath                string
	passwdDir              string
	root                   bool // running as uid 0: mail must belong to another uid
	mailUID, mailGID       int

	oauth2 *OAuth2 // nil: passwords only
	remote *remote // set when the server runs on the Linux side of Wine (remote.go)

	mu    sync.Mutex
	proc  *process
	users map[string]*User
}

// process is one run of the dovecot master. Restart replaces it.
type process struct {
	cmd     *exec.Cmd
	outPath string        // stdout+stderr: fatal config errors appear here before the log is open
	done    chan struct{} // closed once the master has exited
	err     error         // exit status, valid after done
}

func (p *process) output() string {
	b, _ := os.ReadFile(p.outPath)
	return string(b)
}

// Start writes a config for a fresh instance, starts dovecot in the foreground and returns
// once all four ports answer with a greeting (at most about 10 s; on failure the test
// fails with Dovecot's output and log). t.Cleanup kills the server and removes Dir. Without
// a dovecot binary the test is skipped, or fails if POSTFACH_REQUIRE_DOVECOT=1.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, nil)
}

// start is Start, with Dovecot's oauth2 passdb when o is set (StartOAuth2).
func start(t testing.TB, o *OAuth2) *Server {
	t.Helper()
	dovecotBin := findBinary("dovecot")
	doveadmBin := findBinary("doveadm")
	if dovecotBin == "" || doveadmBin == "" {
		if url := os.Getenv(RemoteEnv); url != "" {
			return attach(t, url, o)
		}
		msg := "dovecot/doveadm not installed (Debian: apt-get install dovecot-imapd dovecot-pop3d)"
		if runtime.GOOS == "windows" {
			msg = "no Dovecot on Windows, and " + RemoteEnv + " is not set (.ci/wine/test.sh starts one on the Linux side)"
		}
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("dovecottest: %s, and %s=1", msg, RequireEnv)
		}
		t.Skip("dovecottest: " + msg)
	}
	s, err := launch(dovecotBin, doveadmBin, o)
	if err != nil {
		t.Fatalf("dovecottest: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dovecottest: tail of %s:\n%s", s.logPath, tail(s.readLog(), 40))
		}
		s.close()
	})
	return s
}

// launch writes a config for a fresh instance and starts it; close stops it and removes
// its directory. Start and the server for Windows test binaries (serve.go) share it.
func launch(dovecotBin, doveadmBin string, o *OAuth2) (*Server, error) {
	// os.MkdirTemp rather than t.TempDir: Dovecot creates unix sockets under base_dir and
	// sun_path is limited to 108 bytes; t.TempDir embeds the (possibly long) test name.
	root := os.Geteuid() == 0
	base := os.TempDir()
	if root && traversable(base) != nil && traversable("/tmp") == nil {
		// A private TMPDIR (e.g. under /root) would lock out Dovecot's unprivileged
		// processes; /tmp is the usual world-traversable place.
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "dovecottest-")
	if err != nil {
		return nil, err
	}

	s := &Server{
		Dir:        dir,
		Host:       "127.0.0.1",
		ConfPath:   filepath.Join(dir, "dovecot.conf"),
		dovecotBin: dovecotBin,
		doveadmBin: doveadmBin,
		logPath:    filepath.Join(dir, "dovecot.log"),
		passwdDir:  filepath.Join(dir, "passwd.d"),
		root:       root,
		users:      map[string]*User{},
		oauth2:     o,
	}
	if err := s.prepare(); err != nil {
		s.close()
		return nil, err
	}

	// Ports are picked by binding :0 and closing again, so another process may grab one
	// before dovecot binds it; a few fresh attempts make that race harmless.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		ports, err := freePorts(4)
		if err != nil {
			s.close()
			return nil, err
		}
		s.IMAPPort, s.IMAPSPort, s.POP3Port, s.POP3SPort = ports[0], ports[1], ports[2], ports[3]
		if err := s.writeConfig(); err != nil {
			s.close()
			return nil, err
		}
		lastErr = s.start()
		if lastErr == nil {
			return s, nil
		}
		s.stop()
		if !strings.Contains(lastErr.Error(), addrInUse) {
			break
		}
	}
	s.close()
	return nil, lastErr
}

// prepare fills the fresh Dir: permissions, certificate, passwd directory, identities
// and the oauth2 settings.
func (s *Server) prepare() error {
	if err := s.prepareDir(); err != nil {
		return err
	}
	if err := s.writeCert(); err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	// AddUser writes one passwd-file per user into this directory, at any time.
	if err := os.Mkdir(s.passwdDir, 0o755); err != nil {
		return err
	}
	if err := s.identities(); err != nil {
		return err
	}
	if err := s.writeOAuth2(); err != nil {
		return fmt.Errorf("oauth2: %w", err)
	}
	return nil
}

// close stops a launched server and removes its directory.
func (s *Server) close() {
	s.stop()
	os.RemoveAll(s.Dir)
}

// Stop kills the server (open connections are reset, new ones refused) so a test can
// check how a client copes with a vanished server. Restart brings it back; cleanup does
// not mind either way. Log lines still in transit to Dovecot's log process may be lost:
// WaitLog for what a test needs before stopping.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.stop()
}

// Restart kills the server if it runs (like Stop: a crash, not a clean shutdown) and
// starts it again with the same config, ports, certificate, users and mailboxes, for tests
// of reconnect and resume logic. Open connections are cut.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.restart(); err != nil {
		t.Fatalf("dovecottest: restart: %v", err)
	}
}

func (s *Server) restart() error {
	if s.remote != nil {
		return s.remote.call("restart", nil, nil)
	}
	s.stop()
	// The ports were ours a moment ago; if the kernel still holds one (a stray child that
	// has not exited yet) the bind fails, so retry briefly instead of failing the test.
	deadline := time.Now().Add(startTimeout)
	for {
		err := s.start()
		if err == nil {
			return nil
		}
		s.stop()
		if !strings.Contains(err.Error(), addrInUse) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// IMAPAddr returns "127.0.0.1:port" of the plain IMAP listener (STARTTLS available).
func (s *Server) IMAPAddr() string { return s.addr(s.IMAPPort) }

// IMAPSAddr returns "127.0.0.1:port" of the implicit-TLS IMAP listener.
func (s *Server) IMAPSAddr() string { return s.addr(s.IMAPSPort) }

// POP3Addr returns "127.0.0.1:port" of the plain POP3 listener (STLS available).
func (s *Server) POP3Addr() string { return s.addr(s.POP3Port) }

// POP3SAddr returns "127.0.0.1:port" of the implicit-TLS POP3 listener.
func (s *Server) POP3SAddr() string { return s.addr(s.POP3SPort) }

func (s *Server) addr(port int) string { return net.JoinHostPort(s.Host, strconv.Itoa(port)) }

// TLSConfig returns a client config that trusts only this server's certificate and
// verifies it for "localhost", the name in the certificate's SAN. Dialling 127.0.0.1 with
// ServerName "127.0.0.1" verifies too (IP SAN).
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.CertPool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
}

// Doveadm runs `doveadm -c ConfPath args...` and returns its standard output. A non-zero
// exit fails the test with doveadm's stderr, since a failing admin command in a test
// fixture is never the behaviour under test.
func (s *Server) Doveadm(t testing.TB, args ...string) string {
	t.Helper()
	out, err := s.DoveadmErr(args...)
	if err != nil {
		t.Fatalf("dovecottest: %v", err)
	}
	return out
}

// DoveadmErr is Doveadm for callers that expect or handle failure (for example a fault
// test that stopped the server).
func (s *Server) DoveadmErr(args ...string) (string, error) {
	if s.remote != nil {
		var out string
		err := s.remote.call("doveadm", args, &out)
		return out, err
	}
	cmd := exec.Command(s.doveadmBin, append([]string{"-c", s.ConfPath}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("doveadm %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// Log returns the whole Dovecot log so far (info and debug lines go to the same file).
func (s *Server) Log(t testing.TB) string {
	t.Helper()
	return s.readLog()
}

// LogContains reports whether the log contains substr right now. Dovecot writes the log
// through a separate log process, so a line about a session that has just ended may not be
// there yet; use WaitLog to assert on such lines.
func (s *Server) LogContains(t testing.TB, substr string) bool {
	t.Helper()
	return strings.Contains(s.readLog(), substr)
}

// WaitLog polls the log until it contains substr or timeout elapses, and reports whether
// it appeared. POP3 logout lines (pop3_logout_format "top=%t/%p, retr=%r/%b, del=%d/%m,
// size=%s") are the typical use: they show exactly what a client fetched and deleted.
func (s *Server) WaitLog(t testing.TB, substr string, timeout time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if strings.Contains(s.readLog(), substr) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) readLog() string {
	b, _ := os.ReadFile(s.logPath)
	return string(b)
}

// findBinary looks in PATH first, then in the sbin directories that non-root PATHs often
// lack (Debian installs dovecot in /usr/sbin).
func findBinary(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/bin", "/opt/homebrew/sbin", "/opt/homebrew/bin"} {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// prepareDir makes Dir reachable for Dovecot's unprivileged users. MkdirTemp creates it
// 0700, which as root would lock out dovenull (login), dovecot (auth, stats) and nobody
// (mail).
func (s *Server) prepareDir() error {
	if err := os.Chmod(s.Dir, 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Join(s.Dir, "home"), 0o755); err != nil {
		return err
	}
	if !s.root {
		return nil
	}
	return traversable(s.Dir)
}

// traversable checks that other users can reach dir: dir and every ancestor need the
// world execute bit.
func traversable(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("%s is not traversable by other users (mode %v), so Dovecot's unprivileged processes cannot reach %s", d, fi.Mode().Perm(), dir)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// identities decides who owns mail and who the Dovecot services run as.
func (s *Server) identities() error {
	if s.root {
		// Dovecot refuses mail access as root; nobody:nogroup exist on every Debian system
		// and own nothing else that a test could damage.
		s.mailUID, s.mailGID = 65534, 65534
		if u, err := user.Lookup("nobody"); err == nil {
			s.mailUID, _ = strconv.Atoi(u.Uid)
		}
		for _, g := range []string{"nogroup", "nobody"} {
			if gr, err := user.LookupGroup(g); err == nil {
				s.mailGID, _ = strconv.Atoi(gr.Gid)
				break
			}
		}
		return nil
	}
	s.mailUID, s.mailGID = os.Getuid(), os.Getgid()
	return nil
}

// writeCert creates a fresh ECDSA P-256 self-signed certificate in Go, so the fixture does
// not depend on the openssl command line (whose flags differ across versions).
func (s *Server) writeCert() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "localhost", Organization: []string{"Postfach dovecottest"}},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		// Backdated so a test machine whose clock is slightly behind still accepts it.
		NotBefore: now.Add(-time.Hour),
		NotAfter:  now.Add(365 * 24 * time.Hour),
		// CA:TRUE like `openssl req -x509`, so the certificate also works as a trust anchor
		// for OpenSSL-based tools run via SSL_CERT_FILE.
		BasicConstraintsValid: true,
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	s.CertPEMFile = filepath.Join(s.Dir, "cert.pem")
	if err := os.WriteFile(s.CertPEMFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return err
	}
	// 0600 is enough: the config process that reads ssl_key runs as the user who started
	// dovecot (root or the caller).
	if err := os.WriteFile(filepath.Join(s.Dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	s.CACert = cert
	s.CertPool = x509.NewCertPool()
	s.CertPool.AddCert(cert)
	sum := sha256.Sum256(der)
	s.CertSHA256 = hex.EncodeToString(sum[:])
	return nil
}

// freePorts asks the kernel for n distinct free ports. All n listeners are held open
// together so the kernel cannot hand out the same port twice.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (s *Server) writeConfig() error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	d := s.Dir
	p("# Generated by github.com/postfach/postfach/internal/testkit/dovecottest.")
	// A unique instance_name keeps doveadm and the log prefixes of parallel instances apart.
	p("instance_name = dovecottest-%s", strings.TrimPrefix(filepath.Base(d), "dovecottest-"))
	p("base_dir = %s/run", d)
	p("state_dir = %s/state", d)
	p("log_path = %s", s.logPath)
	p("info_log_path = %s", s.logPath)
	p("debug_log_path = %s", s.logPath)
	p("protocols = imap pop3")
	p("listen = 127.0.0.1")
	p("ssl = yes")
	p("ssl_cert = <%s/cert.pem", d)
	p("ssl_key = <%s/key.pem", d)
	p("ssl_min_protocol = TLSv1.2")
	// Tests deliberately exercise plaintext login on the plain ports too (that Postfach
	// refuses it without opt-in is tested on the client side).
	p("disable_plaintext_auth = no")
	p("auth_mechanisms = plain login%s", s.oauth2Mechanisms())
	p("auth_verbose = yes")
	// Every wrong-password test would otherwise wait 2 s for the reply (Dovecot still
	// answers failures in 0.5 s batches, so that is the floor).
	p("auth_failure_delay = 0")
	// One passwd-file per user (the path has a %%u variable): Dovecot re-reads a changed
	// passwd-file at most once per second, so users appended to one shared file right
	// after a login stayed unknown for up to a second. A new user's file is read fresh.
	p("passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%%u %s/%%u\n}", s.passwdDir)
	s.oauth2Passdb(p)
	p("userdb {\n  driver = passwd-file\n  args = username_format=%%u %s/%%u\n}", s.passwdDir)
	p("mail_location = maildir:~/Maildir")
	p(`namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \Drafts
    auto = create
  }
  mailbox Sent {
    special_use = \Sent
    auto = create
  }
  mailbox Trash {
    special_use = \Trash
    auto = create
  }
}`)
	p("mail_plugins = $mail_plugins quota")
	// quota_vsizes: count message sizes with LF as CRLF, the size IMAP and POP3 report, so
	// usage matches what a client can compute from RFC822.SIZE / LIST.
	p("plugin {\n  quota = count:User quota\n  quota_vsizes = yes\n}")
	// UID plus UIDVALIDITY: stable across sessions and unique within the mailbox.
	p("pop3_uidl_format = %%08Xu%%08Xv")
	p("pop3_logout_format = top=%%t/%%p, retr=%%r/%%b, del=%%d/%%m, size=%%s")
	p("protocol imap {\n  mail_plugins = $mail_plugins imap_quota\n  mail_max_userip_connections = 1000\n}")
	p("protocol pop3 {\n  mail_max_userip_connections = 1000\n}")
	p("service imap-login {\n  inet_listener imap {\n    port = %d\n  }\n  inet_listener imaps {\n    port = %d\n    ssl = yes\n  }\n}", s.IMAPPort, s.IMAPSPort)
	p("service pop3-login {\n  inet_listener pop3 {\n    port = %d\n  }\n  inet_listener pop3s {\n    port = %d\n    ssl = yes\n  }\n}", s.POP3Port, s.POP3SPort)
	// All logins come from 127.0.0.1, so anvil's per-IP auth penalty (measured: about
	// 4.5 s for every failure after the first) would make one wrong-password test slow
	// down every later login failure. mode = 0 creates no socket, and without it the auth
	// process silently skips the penalty.
	p("service anvil {\n  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n}")
	if s.root {
		p("default_internal_user = dovecot")
		p("default_login_user = dovenull")
	} else {
		u, err := user.Current()
		if err != nil {
			return err
		}
		g, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
		if err != nil {
			return err
		}
		// Rootless: Dovecot cannot switch users, so every service runs as the caller and
		// nothing may chroot (chroot needs root).
		p("default_internal_user = %s", u.Username)
		p("default_login_user = %s", u.Username)
		p("default_internal_group = %s", g.Name)
		p("first_valid_uid = 1")
		for _, svc := range []string{"imap-login", "pop3-login", "submission-login", "anvil", "ipc", "aggregator", "director", "old-stats", "imap-urlauth-login"} {
			p("service %s {\n  chroot =\n}", svc)
		}
	}
	return os.WriteFile(s.ConfPath, []byte(b.String()), 0o644)
}

// start runs the dovecot master in the foreground (-F) as our child, so that cleanup can
// wait for it and no daemon outlives the test binary.
func (s *Server) start() error {
	// A file, not a pipe: Dovecot's children inherit stdout/stderr, and with a pipe
	// exec.Cmd.Wait would wait for the last straggler to close it.
	outPath := filepath.Join(s.Dir, "dovecot.out")
	out, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer out.Close() // the child has its own copy
	cmd := exec.Command(s.dovecotBin, "-F", "-c", s.ConfPath)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Dir = s.Dir
	setProcAttr(cmd)
	p := &process{cmd: cmd, outPath: outPath, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// On Linux the child gets SIGTERM when the thread that forked it exits (Pdeathsig);
		// holding this goroutine's thread until dovecot exits makes that "when the test
		// binary dies", not "when the Go scheduler retires a thread".
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("starting %s: %v", s.dovecotBin, err)
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()

	if err := s.waitReady(p); err != nil {
		return fmt.Errorf("%v\n--- dovecot output:\n%s--- %s:\n%s", err, p.output(), s.logPath, tail(s.readLog(), 60))
	}
	return nil
}

// waitReady returns once every listener answers with a protocol greeting (the TLS ones
// after a verified handshake), which proves the login processes, the certificate and the
// config are all usable, not only that the master has bound the ports.
func (s *Server) waitReady(p *process) error {
	deadline := time.Now().Add(startTimeout)
	checks := []struct {
		name     string
		port     int
		tls      bool
		greeting string
	}{
		{"imap", s.IMAPPort, false, "* OK"},
		{"imaps", s.IMAPSPort, true, "* OK"},
		{"pop3", s.POP3Port, false, "+OK"},
		{"pop3s", s.POP3SPort, true, "+OK"},
	}
	for _, c := range checks {
		var lastErr error
		for {
			select {
			case <-p.done:
				return s.exitError(p)
			default:
			}
			lastErr = s.greet(c.port, c.tls, c.greeting)
			if lastErr == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s port %d not ready after %v: %v", c.name, c.port, startTimeout, lastErr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// A plain-port greeting could have come from another process holding that port. The
	// TLS greetings verified this instance's own certificate, and the master binds every
	// listener before it starts any login process, so all ports are ours; this last look
	// only guards that reasoning.
	select {
	case <-p.done:
		return s.exitError(p)
	default:
	}
	return nil
}

// exitError describes a master that exited during startup; it mentions addrInUse when
// that was the reason, so callers can retry with other ports.
func (s *Server) exitError(p *process) error {
	msg := fmt.Sprintf("dovecot exited during startup: %v", p.err)
	if strings.Contains(p.output()+s.readLog(), addrInUse) {
		msg += " (" + addrInUse + ")"
	}
	return errors.New(msg)
}

func (s *Server) greet(port int, useTLS bool, want string) error {
	conn, err := net.DialTimeout("tcp", s.addr(port), time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if useTLS {
		tc := tls.Client(conn, s.TLSConfig())
		if err := tc.Handshake(); err != nil {
			return err
		}
		conn = tc
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, want) {
		return fmt.Errorf("unexpected greeting %q", line)
	}
	return nil
}

// stop kills dovecot's whole process group and waits for the master. There is no
// graceful shutdown on purpose: Dovecot's own takes a second even when idle and up to 30 s
// while a client sits unauthenticated in a login process, and Dovecot is built to recover
// from a crash (which is also the more useful fault for Restart to simulate). Killing the
// group, not just the master, makes sure no orphaned login process keeps a listening
// socket that would make Restart fail to bind.
func (s *Server) stop() {
	if s.remote != nil {
		s.remote.call("stop", nil, nil)
		return
	}
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return
	}
	killGroup(p.cmd)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		// Cannot happen short of a kernel problem; do not hang the test binary over it.
	}
}

func tail(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}
