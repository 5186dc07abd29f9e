package imap

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
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts/trust"
)

// A scripted IMAP server on a net.Pipe, after the faker in emersion/go-smtp's client
// tests: it answers each command from a table and records every line the client sent,
// so tests can assert what was (and was not) said.

const (
	fakeHost = "fake.test"
	fakeAddr = fakeHost + ":143"
	fakePass = "s3cret-Pa55"
)

// Special responses: hang up, say nothing (but keep reading), or send untagged lines
// until the client goes away.
const (
	closeConn = "<close>"
	silent    = "<silent>"
	endless   = "<endless>"
)

// fakeServer answers commands by name. A response is one or more lines joined with
// "\r\n" ("{tag}" and "{arg1}" are replaced by the command's tag and first argument); the
// final CRLF is added. A key "NAME ARG1" overrides "NAME", and a key with "@tls" appended
// overrides the same key once TLS is up.
type fakeServer struct {
	greeting    string
	responses   map[string]string
	implicitTLS bool
	noTLS       bool // never start TLS on the server side, even after STARTTLS OK
	// idle, if set, makes the server hang up when the client sends nothing for that long,
	// so that fuzz inputs which leave the client waiting end quickly.
	idle time.Duration

	mu    sync.Mutex
	lines []fakeLine
	dials atomic.Int32
	done  chan struct{}
}

type fakeLine struct {
	text string
	tls  bool
}

var defaultResponses = map[string]string{
	"CAPABILITY":     "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n{tag} OK done",
	"CAPABILITY@tls": "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done",
	"STARTTLS":       "{tag} OK Begin TLS negotiation now",
	"LOGIN":          "{tag} OK [CAPABILITY IMAP4rev1 QUOTA LIST-EXTENDED LIST-STATUS STATUS=SIZE] Logged in",
	"GETQUOTAROOT":   "* QUOTAROOT INBOX \"User quota\"\r\n* QUOTA \"User quota\" (STORAGE 10 100)\r\n{tag} OK done",
	"LIST": `* LIST (\HasNoChildren) "/" INBOX` + "\r\n" + `* STATUS INBOX (MESSAGES 3 SIZE 3000)` + "\r\n" +
		`* LIST (\HasNoChildren \Sent) "/" Sent` + "\r\n" + `* STATUS Sent (MESSAGES 1 SIZE 100)` + "\r\n{tag} OK done",
	"LOGOUT": "* BYE Logging out\r\n{tag} OK done",
}

func newFake(greeting string, responses map[string]string) *fakeServer {
	r := make(map[string]string, len(defaultResponses)+len(responses))
	for k, v := range defaultResponses {
		r[k] = v
	}
	for k, v := range responses {
		r[k] = v
		if !strings.HasSuffix(k, "@tls") && responses[k+"@tls"] == "" {
			delete(r, k+"@tls") // an override applies before and after TLS
		}
	}
	return &fakeServer{greeting: greeting, responses: r, done: make(chan struct{})}
}

// DialContext implements Dialer: every dial gets a fresh pipe served by f.
func (f *fakeServer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	f.dials.Add(1)
	client, server := net.Pipe()
	go f.serve(newAsyncConn(server))
	return client, nil
}

// asyncConn makes the server's writes non-blocking, in order. A bare net.Pipe has no
// buffer at all, so a client that aborts a TLS handshake (and writes its alert) while the
// server is still writing its flight would deadlock, which real TCP never does. One
// Write is still delivered by one pipe write, so a test's "same segment" is kept.
type asyncConn struct {
	net.Conn
	ch        chan []byte
	done      chan struct{}
	failed    atomic.Bool
	closeOnce sync.Once
}

func newAsyncConn(c net.Conn) *asyncConn {
	a := &asyncConn{Conn: c, ch: make(chan []byte, 256), done: make(chan struct{})}
	go a.loop()
	return a
}

func (a *asyncConn) loop() {
	defer close(a.done)
	for b := range a.ch {
		if _, err := a.Conn.Write(b); err != nil {
			a.failed.Store(true)
			a.Conn.Close()
			for range a.ch {
			}
			return
		}
	}
}

func (a *asyncConn) Write(b []byte) (int, error) {
	if a.failed.Load() {
		return 0, io.ErrClosedPipe
	}
	a.ch <- bytes.Clone(b)
	return len(b), nil
}

// Close flushes what was written (for at most 2 s) and closes the pipe.
func (a *asyncConn) Close() error {
	a.closeOnce.Do(func() { close(a.ch) })
	select {
	case <-a.done:
	case <-time.After(2 * time.Second):
	}
	return a.Conn.Close()
}

func (f *fakeServer) serve(c net.Conn) {
	defer close(f.done)
	defer c.Close()
	var conn net.Conn = c
	isTLS := false
	if f.implicitTLS {
		tc := tls.Server(c, fakeServerTLS())
		if tc.Handshake() != nil {
			return
		}
		conn, isTLS = tc, true
	}
	br := bufio.NewReader(conn)
	if f.greeting != silent {
		if _, err := conn.Write([]byte(f.greeting + "\r\n")); err != nil {
			return
		}
	}
	for {
		if f.idle > 0 {
			_ = c.SetReadDeadline(time.Now().Add(f.idle))
		}
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		f.mu.Lock()
		f.lines = append(f.lines, fakeLine{line, isTLS})
		f.mu.Unlock()
		tag, rest, _ := strings.Cut(line, " ")
		name, args, _ := strings.Cut(rest, " ")
		name = strings.ToUpper(name)
		arg1, _, _ := strings.Cut(args, " ")
		arg1 = strings.Trim(arg1, `"`)
		resp := f.lookup(isTLS, name+" "+arg1, name)
		switch resp {
		case closeConn:
			return
		case silent:
			continue
		case endless:
			for {
				if _, err := conn.Write([]byte("* OK still thinking\r\n")); err != nil {
					return
				}
			}
		}
		resp = strings.NewReplacer("{tag}", tag, "{arg1}", arg1).Replace(resp) + "\r\n"
		if _, err := conn.Write([]byte(resp)); err != nil {
			return
		}
		switch {
		case name == "STARTTLS" && strings.Contains("\n"+resp, "\n"+tag+" OK") && !f.noTLS && !isTLS:
			tc := tls.Server(c, fakeServerTLS())
			if tc.Handshake() != nil {
				return
			}
			conn, isTLS = tc, true
			br = bufio.NewReader(conn)
		case name == "LOGOUT":
			return
		}
	}
}

// lookup returns the response for the first key found, trying each key's "@tls"
// variant first on an encrypted connection.
func (f *fakeServer) lookup(isTLS bool, keys ...string) string {
	for _, k := range keys {
		if r, ok := f.responses[k+"@tls"]; ok && isTLS {
			return r
		}
		if r, ok := f.responses[k]; ok {
			return r
		}
	}
	return "{tag} BAD unknown command"
}

// wait returns once the server goroutine has ended (the client hung up).
func (f *fakeServer) wait(t *testing.T) {
	t.Helper()
	select {
	case <-f.done:
	case <-time.After(5 * time.Second):
		t.Fatal("fake server still running 5 s after the client finished")
	}
}

// commands returns the upper-cased command names the client sent, in order, with
// "@tls" appended to those sent over TLS.
func (f *fakeServer) commands() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, l := range f.lines {
		_, rest, _ := strings.Cut(l.text, " ")
		name, _, _ := strings.Cut(rest, " ")
		name = strings.ToUpper(name)
		if l.tls {
			name += "@tls"
		}
		out = append(out, name)
	}
	return out
}

// assertNoCredentials fails if LOGIN (or any authentication) was sent or the password
// appeared on the wire.
func (f *fakeServer) assertNoCredentials(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range f.lines {
		up := strings.ToUpper(l.text)
		if strings.Contains(up, " LOGIN") || strings.Contains(up, " AUTHENTICATE") || strings.Contains(l.text, fakePass) {
			t.Errorf("credentials sent: %q (tls=%v)", l.text, l.tls)
		}
	}
}

func (f *fakeServer) options(security string) *Options {
	return &Options{
		Security:       security,
		TLSConfig:      trust.Config(fakeHost, &trust.Options{Roots: fakeCertPool()}),
		AllowPlaintext: security == SecurityNone,
		Timeout:        5 * time.Second,
		Dialer:         f,
	}
}

var (
	fakeCertOnce sync.Once
	fakeCert     tls.Certificate
	fakePool     *x509.CertPool
)

func makeFakeCert() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: fakeHost},
		DNSNames:              []string{fakeHost},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	fakeCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}
	fakePool = x509.NewCertPool()
	fakePool.AddCert(cert)
}

func fakeServerTLS() *tls.Config {
	fakeCertOnce.Do(makeFakeCert)
	return &tls.Config{Certificates: []tls.Certificate{fakeCert}, MinVersion: tls.VersionTLS12}
}

func fakeCertPool() *x509.CertPool {
	fakeCertOnce.Do(makeFakeCert)
	return fakePool
}
