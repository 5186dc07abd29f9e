package discover

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts/trust"
)

// mailConfig describes a fake IMAP or POP3 server.
type mailConfig struct {
	protocol    string
	implicitTLS bool
	starttls    bool     // advertise and accept STARTTLS / STLS
	inject      string   // plaintext bytes sent right after the STARTTLS OK (response injection)
	greeting    string   // replaces the normal greeting line
	silent      bool     // accept the connection and never answer
	certHosts   []string // names on the certificate; nil means whatever name the client asks for
}

// mailServer is a fake IMAP or POP3 server: it greets, answers CAPABILITY / CAPA, STARTTLS /
// STLS and LOGOUT / QUIT, refuses everything else with NO / -ERR, and records every line it
// receives, so tests can check that discovery never logs in.
type mailServer struct {
	cfg mailConfig
	tls *tls.Config
	ln  net.Listener

	mu       sync.Mutex
	commands []string
	conns    []net.Conn
}

func startMail(t testing.TB, ca *testCA, cfg mailConfig) *mailServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &mailServer{cfg: cfg, ln: ln, tls: ca.serverTLS()}
	if cfg.certHosts != nil {
		cert, err := ca.issue(cfg.certHosts...)
		if err != nil {
			t.Fatal(err)
		}
		m.tls = &tls.Config{Certificates: []tls.Certificate{*cert}}
	}
	go m.serve()
	t.Cleanup(m.close)
	return m
}

func (m *mailServer) close() {
	m.ln.Close()
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.conns {
		c.Close()
	}
}

func (m *mailServer) seen() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.commands...)
}

func (m *mailServer) serve() {
	for {
		c, err := m.ln.Accept()
		if err != nil {
			return
		}
		m.mu.Lock()
		m.conns = append(m.conns, c)
		m.mu.Unlock()
		go m.handle(c)
	}
}

func (m *mailServer) handle(c net.Conn) {
	defer func() { c.Close() }()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	secure := m.cfg.implicitTLS
	if secure {
		tc := tls.Server(c, m.tls)
		if tc.Handshake() != nil {
			return
		}
		c = tc
	}
	if m.cfg.silent {
		io.Copy(io.Discard, c)
		return
	}
	imap := m.cfg.protocol == ProtocolIMAP
	greeting := m.cfg.greeting
	switch {
	case greeting != "":
	case imap:
		greeting = "* OK [CAPABILITY IMAP4rev1] fake IMAP ready"
	default:
		greeting = "+OK fake POP3 ready"
	}
	io.WriteString(c, greeting+"\r\n")
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		m.mu.Lock()
		m.commands = append(m.commands, line)
		m.mu.Unlock()
		tag, cmd, _ := strings.Cut(line, " ")
		if !imap {
			cmd, tag = tag, ""
		}
		cmd = strings.ToUpper(strings.Fields(cmd + " x")[0])
		upgrade := false
		switch {
		case imap && cmd == "CAPABILITY":
			caps := "IMAP4rev1 IDLE AUTH=PLAIN"
			if m.cfg.starttls && !secure {
				caps += " STARTTLS LOGINDISABLED"
			}
			io.WriteString(c, "* CAPABILITY "+caps+"\r\n"+tag+" OK done\r\n")
		case imap && cmd == "STARTTLS" && m.cfg.starttls && !secure:
			io.WriteString(c, tag+" OK begin TLS\r\n"+m.cfg.inject)
			upgrade = true
		case imap && cmd == "LOGOUT":
			io.WriteString(c, "* BYE bye\r\n"+tag+" OK done\r\n")
			return
		case imap:
			io.WriteString(c, tag+" NO not in this test\r\n")
		case cmd == "CAPA":
			caps := "UIDL\r\nTOP\r\nSASL PLAIN\r\n"
			if m.cfg.starttls && !secure {
				caps += "STLS\r\n"
			}
			io.WriteString(c, "+OK capabilities\r\n"+caps+".\r\n")
		case cmd == "STLS" && m.cfg.starttls && !secure:
			io.WriteString(c, "+OK begin TLS\r\n"+m.cfg.inject)
			upgrade = true
		case cmd == "QUIT":
			io.WriteString(c, "+OK bye\r\n")
			return
		default:
			io.WriteString(c, "-ERR not in this test\r\n")
		}
		if upgrade {
			tc := tls.Server(c, m.tls)
			if tc.Handshake() != nil {
				return
			}
			c, br, secure = tc, bufio.NewReader(tc), true
		}
	}
}

// env is one test's world: a CA, the host-mapping dialer, a DNS server and a web server.
type env struct {
	t      *testing.T
	ca     *testCA
	dialer *hostDialer
	dns    *dnsServer
	web    *webServer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ca := newTestCA(t)
	return &env{t: t, ca: ca, dialer: &hostDialer{}, dns: startDNS(t), web: startWeb(t, ca)}
}

// options returns Options wired to the test world, restricted to sources (all if none).
func (e *env) options(sources ...string) *Options {
	o := &Options{
		Resolver: e.dns.resolver(), Dialer: e.dialer, TLS: &trust.Options{Roots: e.ca.pool},
		Timeout: 5 * time.Second, ProbeTimeout: 2 * time.Second,
	}
	if len(sources) > 0 {
		o.Sources = sources
	}
	return o
}

// doc serves body at https://host+path.
func (e *env) doc(host, path, body string) {
	e.web.mu.Lock()
	e.web.docs[host+path] = body
	e.web.mu.Unlock()
	e.dialer.route(host+":443", e.web.https.Listener.Addr().String())
}

// httpDoc serves body at http://host+path.
func (e *env) httpDoc(host, path, body string) {
	e.web.mu.Lock()
	e.web.docs[host+path] = body
	e.web.mu.Unlock()
	e.dialer.route(host+":80", e.web.http.Listener.Addr().String())
}

// handle serves host+path (HTTPS and HTTP) with h.
func (e *env) handle(host, path string, h http.HandlerFunc) {
	e.web.mu.Lock()
	e.web.handlers[host+path] = h
	e.web.mu.Unlock()
	e.dialer.route(host+":443", e.web.https.Listener.Addr().String())
	e.dialer.route(host+":80", e.web.http.Listener.Addr().String())
}

// mail starts a fake server reachable as host:port.
func (e *env) mail(host string, port int, cfg mailConfig) *mailServer {
	m := startMail(e.t, e.ca, cfg)
	e.dialer.route(net.JoinHostPort(host, itoa(port)), m.ln.Addr().String())
	return m
}

func (e *env) discover(address string, opts *Options) (*Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return Discover(ctx, address, opts)
}

func itoa(i int) string { return strconv.Itoa(i) }

// find returns the candidate for protocol host:port, or fails the test.
func find(t *testing.T, res *Result, protocol, host string, port int) Candidate {
	t.Helper()
	for _, c := range res.Candidates {
		if c.Protocol == protocol && c.Host == host && c.Port == port {
			return c
		}
	}
	t.Fatalf("no candidate %s %s:%d in %s", protocol, host, port, dump(res))
	return Candidate{}
}

// logOf returns the log entries of source.
func logOf(res *Result, source string) []LogEntry {
	var out []LogEntry
	for _, e := range res.Log {
		if e.Source == source {
			out = append(out, e)
		}
	}
	return out
}

// dump renders a result for failure messages.
func dump(res *Result) string {
	if res == nil {
		return "<nil result>"
	}
	var b strings.Builder
	for _, c := range res.Candidates {
		b.WriteString("\n  cand ")
		b.WriteString(strings.Join([]string{itoa(c.Rank), c.Protocol, c.Host, itoa(c.Port), c.Security, c.Source, c.ConfirmReason}, " | "))
	}
	for _, e := range res.Log {
		b.WriteString("\n  log  ")
		b.WriteString(strings.Join([]string{e.Source, e.Target, e.Result, e.Err}, " | "))
	}
	return b.String()
}

// neverLoggedIn fails if any fake server received a command that carries credentials.
func neverLoggedIn(t *testing.T, servers ...*mailServer) {
	t.Helper()
	for _, m := range servers {
		for _, line := range m.seen() {
			up := strings.ToUpper(line)
			for _, bad := range []string{"LOGIN", "AUTHENTICATE", "USER", "PASS", "APOP", "AUTH"} {
				if strings.Contains(up, " "+bad) || strings.HasPrefix(up, bad) {
					t.Errorf("server received %q: discovery must never send credentials", line)
				}
			}
		}
	}
}
