package pop3

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts/trust"
)

// fakeServer is a scripted POP3 server on 127.0.0.1 for one connection. It records every
// byte the client wrote (decrypted, after TLS) so tests can assert what was — and what
// was never — sent. A real TCP socket, not net.Pipe: pipelining needs kernel buffers.
type fakeServer struct {
	t       testing.TB
	ln      net.Listener
	handler func(*fakeSession)

	mu      sync.Mutex
	written bytes.Buffer
	errs    []string
	done    chan struct{}
}

// fakeSession is the server side of the one connection.
type fakeSession struct {
	srv     *fakeServer
	raw     net.Conn
	conn    net.Conn // raw or TLS, wrapped so reads are recorded
	br      *bufio.Reader
	closed  bool
	stalled bool // the script ended with STALL: the client may still be sending
}

// newFake starts a server that runs handler on the first connection. After handler
// returns, the server keeps reading until the client closes, and reports any byte the
// client sends then as unexpected.
func newFake(t testing.TB, handler func(*fakeSession)) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{t: t, ln: ln, handler: handler, done: make(chan struct{})}
	go s.serve()
	t.Cleanup(func() {
		ln.Close()
		s.wait()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, e := range s.errs {
			t.Errorf("fake server: %s", e)
		}
	})
	return s
}

// newScript starts a server that replays a transcript; see transcript.
func newScript(t testing.TB, lines ...string) *fakeServer {
	return newFake(t, transcript(lines...))
}

func (s *fakeServer) addr() string { return s.ln.Addr().String() }

func (s *fakeServer) serve() {
	defer close(s.done)
	raw, err := s.ln.Accept()
	if err != nil {
		return // no client came; fine for tests that fail before dialling
	}
	defer raw.Close()
	fs := &fakeSession{srv: s, raw: raw}
	fs.setConn(raw)
	s.handler(fs)
	if fs.closed {
		return
	}
	// Whatever the client sends now was not in the script.
	raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	if rest, _ := io.ReadAll(fs.br); len(rest) > 0 && !fs.stalled {
		s.errorf("unexpected client bytes after the script: %q", clipString(string(rest)))
	}
}

// wait blocks until the connection is over.
func (s *fakeServer) wait() {
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.t.Error("fake server: session did not end")
	}
}

// clientWrote waits for the session to end and returns everything the client sent.
func (s *fakeServer) clientWrote() string {
	s.wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written.String()
}

func (s *fakeServer) errorf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
}

// recorder copies what the client sends into the server's log.
type recorder struct {
	net.Conn
	srv *fakeServer
}

func (r recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.srv.mu.Lock()
	r.srv.written.Write(p[:n])
	r.srv.mu.Unlock()
	return n, err
}

func (fs *fakeSession) setConn(c net.Conn) {
	fs.conn = recorder{Conn: c, srv: fs.srv}
	fs.br = bufio.NewReader(fs.conn)
}

// readLine returns the client's next line without CRLF.
func (fs *fakeSession) readLine() (string, error) {
	fs.raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := fs.br.ReadString('\n')
	if err != nil {
		return line, err
	}
	if !strings.HasSuffix(line, "\r\n") {
		fs.srv.errorf("client line %q does not end in CRLF", line)
	}
	return strings.TrimSuffix(line, "\r\n"), nil
}

// send writes raw bytes; false if the client is gone.
func (fs *fakeSession) send(raw string) bool {
	fs.raw.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := io.WriteString(fs.conn, raw)
	return err == nil
}

// startTLS runs the server side of a TLS handshake; nothing buffered may be left.
func (fs *fakeSession) startTLS() bool {
	if fs.br.Buffered() > 0 {
		fs.srv.errorf("client sent data before the TLS handshake")
	}
	tc := tls.Server(fs.raw, serverTLS(fs.srv.t))
	fs.raw.SetDeadline(time.Now().Add(10 * time.Second))
	if err := tc.Handshake(); err != nil {
		fs.srv.t.Logf("fake server: handshake: %v", err)
		return false
	}
	fs.setConn(tc)
	return true
}

// transcript replays a session. Lines:
//
//	"S: text"   server sends text + CRLF
//	"R: raw"    server sends raw bytes as they are
//	"C: line"   client must send exactly line
//	"C~ prefix" client must send a line starting with prefix
//	"TLS"       server side of a TLS handshake
//	"SLEEP 50ms"
//	"STALL"     stop here, keep the connection open until the client closes it
//	"CLOSE"     close the connection now
func transcript(lines ...string) func(*fakeSession) {
	return func(fs *fakeSession) {
		for _, l := range lines {
			switch {
			case l == "TLS":
				if !fs.startTLS() {
					return
				}
			case l == "STALL":
				fs.stalled = true
				return
			case l == "CLOSE":
				fs.raw.Close()
				fs.closed = true
				return
			case strings.HasPrefix(l, "SLEEP "):
				d, err := time.ParseDuration(l[6:])
				if err != nil {
					panic(err)
				}
				time.Sleep(d)
			case strings.HasPrefix(l, "S: "):
				if !fs.send(l[3:] + "\r\n") {
					return
				}
			case strings.HasPrefix(l, "R: "):
				if !fs.send(l[3:]) {
					return
				}
			case strings.HasPrefix(l, "C: "), strings.HasPrefix(l, "C~ "):
				got, err := fs.readLine()
				want := l[3:]
				ok := got == want || (l[1] == '~' && strings.HasPrefix(got, want))
				if err != nil || !ok {
					fs.srv.errorf("client sent %q (%v), script wants %q", clipString(got), err, l)
					return
				}
			default:
				panic("bad transcript line " + l)
			}
		}
	}
}

func clipString(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// Test credentials and the transcript of a login with them.
const (
	testUser = "alice"
	testPass = "s3cret pass"
)

// capaLines is the transcript of a CAPA exchange announcing caps.
func capaLines(caps ...string) []string {
	lines := []string{"C: CAPA", "S: +OK capability list follows"}
	for _, c := range caps {
		lines = append(lines, "S: "+c)
	}
	return append(lines, "S: .")
}

// loginScript is greeting, CAPA, USER/PASS and the CAPA after login, then rest.
func loginScript(caps []string, rest ...string) []string {
	s := []string{"S: +OK POP3 ready"}
	s = append(s, capaLines(caps...)...)
	s = append(s, "C: USER "+testUser, "S: +OK", "C: PASS "+testPass, "S: +OK logged in")
	s = append(s, capaLines(caps...)...)
	return append(s, rest...)
}

// testOptions trusts the test certificate for 127.0.0.1 and uses a short timeout so
// stall tests finish fast.
func testOptions(t testing.TB, sec Security) *Options {
	return &Options{
		Security:       sec,
		TLSConfig:      trust.Config("127.0.0.1", &trust.Options{Roots: testRoots(t)}),
		AllowPlaintext: sec == Plain,
		Timeout:        2 * time.Second,
	}
}

// login dials srv in clear text (allowed explicitly: these tests are about mailbox
// commands, not transport security) and logs in with loginScript's credentials.
func login(t testing.TB, srv *fakeServer, timeout time.Duration) *Client {
	t.Helper()
	opts := testOptions(t, Plain)
	if timeout > 0 {
		opts.Timeout = timeout
	}
	c, err := Dial(context.Background(), srv.addr(), opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Auth(context.Background(), testUser, testPass); err != nil {
		t.Fatalf("Auth: %v", err)
	}
	return c
}

// stuff is the sender's side of RFC 1939 section 3: double every '.' at a line start,
// make sure the body ends with a line end, and append the terminator.
func stuff(msg []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(msg) + len(msg)/64 + 5)
	lineStart := true
	for _, c := range msg {
		if lineStart && c == '.' {
			b.WriteByte('.')
		}
		b.WriteByte(c)
		lineStart = c == '\n'
	}
	if len(msg) > 0 && msg[len(msg)-1] != '\n' {
		b.WriteString("\r\n")
	}
	b.WriteString(".\r\n")
	return b.Bytes()
}

// unstuffed is what a client must deliver for stuff(msg): msg, plus the line end stuff
// added.
func unstuffed(msg []byte) []byte {
	if len(msg) > 0 && msg[len(msg)-1] != '\n' {
		return append(bytes.Clone(msg), '\r', '\n')
	}
	return msg
}

// retrReplyScript is the transcript of a successful RETR of msg.
func retrReplyScript(num int, msg string) []string {
	return []string{fmt.Sprintf("C: RETR %d", num), fmt.Sprintf("R: +OK %d octets\r\n%s", len(msg), stuff([]byte(msg)))}
}

// A self-signed certificate for 127.0.0.1 and localhost, made once per test binary.
var testPKI struct {
	once sync.Once
	cert tls.Certificate
	pool *x509.CertPool
	err  error
}

func loadTestPKI() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		testPKI.err = err
		return
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "postfach pop3 test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		testPKI.err = err
		return
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		testPKI.err = err
		return
	}
	testPKI.cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	testPKI.pool = x509.NewCertPool()
	testPKI.pool.AddCert(leaf)
}

func serverTLS(t testing.TB) *tls.Config {
	testPKI.once.Do(loadTestPKI)
	if testPKI.err != nil {
		t.Fatal(testPKI.err)
	}
	return &tls.Config{Certificates: []tls.Certificate{testPKI.cert}, MinVersion: tls.VersionTLS12}
}

func testRoots(t testing.TB) *x509.CertPool {
	testPKI.once.Do(loadTestPKI)
	if testPKI.err != nil {
		t.Fatal(testPKI.err)
	}
	return testPKI.pool
}

// errIs reports whether err matches every target (nil targets are skipped).
func errIs(err error, targets ...error) bool {
	for _, t := range targets {
		if t != nil && !errors.Is(err, t) {
			return false
		}
	}
	return true
}
