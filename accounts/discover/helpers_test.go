package discover

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// The test world: every host name a test uses is served on 127.0.0.1 — autoconfig over
// HTTPS and HTTP, DNS over UDP, fake IMAP and POP3 servers — and reached through a Dialer
// that maps "host:port" to the local listener, with certificates from a private CA.

// testCA issues server certificates for any host name.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool

	mu    sync.Mutex
	cache map[string]*tls.Certificate
}

func newTestCA(t testing.TB) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Postfach discover test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool, cache: map[string]*tls.Certificate{}}
}

// issue returns a certificate for the host names.
func (ca *testCA) issue(hosts ...string) (*tls.Certificate, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	id := strings.Join(hosts, ",")
	if c, ok := ca.cache[id]; ok {
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: hosts[0]},
		DNSNames:     hosts,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	ca.cache[id] = c
	return c, nil
}

// serverTLS serves a valid certificate for whatever name the client asks for (SNI).
func (ca *testCA) serverTLS() *tls.Config {
	return &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		return ca.issue(hello.ServerName)
	}}
}

// hostDialer maps "host:port" to local listeners and records every dial. Unknown names fail
// like a DNS miss, so no test ever reaches the real network.
type hostDialer struct {
	mu     sync.Mutex
	routes map[string]string
	dialed []string
}

func (d *hostDialer) route(hostport, local string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.routes == nil {
		d.routes = map[string]string{}
	}
	d.routes[hostport] = local
}

func (d *hostDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	d.mu.Lock()
	d.dialed = append(d.dialed, address)
	local, ok := d.routes[address]
	d.mu.Unlock()
	if !ok {
		host, _, _ := net.SplitHostPort(address)
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}
	var nd net.Dialer
	return nd.DialContext(ctx, "tcp", local)
}

func (d *hostDialer) dials() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dialed...)
}

// dnsServer is a tiny authoritative DNS server on UDP 127.0.0.1 for SRV and MX questions.
type dnsServer struct {
	pc net.PacketConn

	mu       sync.Mutex
	srv      map[string][]dnsmessage.SRVResource // key: lower-case absolute name
	mx       map[string][]dnsmessage.MXResource
	servfail bool
	asked    []string
}

func startDNS(t testing.TB) *dnsServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &dnsServer{pc: pc, srv: map[string][]dnsmessage.SRVResource{}, mx: map[string][]dnsmessage.MXResource{}}
	t.Cleanup(func() { pc.Close() })
	go s.serve()
	return s
}

// addSRV publishes name (e.g. "_imaps._tcp.example.com") → target:port.
func (s *dnsServer) addSRV(name, target string, port, priority, weight uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(name) + "."
	s.srv[key] = append(s.srv[key], dnsmessage.SRVResource{
		Priority: priority, Weight: weight, Port: port, Target: dnsmessage.MustNewName(strings.TrimSuffix(target, ".") + "."),
	})
}

// addMX publishes domain MX host ("." for a null MX).
func (s *dnsServer) addMX(domain, host string, pref uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(domain) + "."
	s.mx[key] = append(s.mx[key], dnsmessage.MXResource{Pref: pref, MX: dnsmessage.MustNewName(strings.TrimSuffix(host, ".") + ".")})
}

func (s *dnsServer) questions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.asked...)
}

func (s *dnsServer) serve() {
	buf := make([]byte, 4096)
	for {
		n, from, err := s.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if reply, err := s.answer(buf[:n]); err == nil {
			s.pc.WriteTo(reply, from)
		}
	}
}

func (s *dnsServer) answer(query []byte) ([]byte, error) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, err
	}
	q, err := p.Question()
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(q.Name.String())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, q.Type.String()+" "+name)
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	srvs, mxs := s.srv[name], s.mx[name]
	switch {
	case s.servfail:
		rh.RCode = dnsmessage.RCodeServerFailure
	case len(srvs) == 0 && len(mxs) == 0:
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if err := b.StartAnswers(); err != nil {
		return nil, err
	}
	hdr := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
	if rh.RCode == dnsmessage.RCodeSuccess {
		switch q.Type {
		case dnsmessage.TypeSRV:
			for _, r := range srvs {
				if err := b.SRVResource(hdr, r); err != nil {
					return nil, err
				}
			}
		case dnsmessage.TypeMX:
			for _, r := range mxs {
				if err := b.MXResource(hdr, r); err != nil {
					return nil, err
				}
			}
		}
	}
	return b.Finish()
}

// resolver returns a pure-Go resolver that asks only this server.
func (s *dnsServer) resolver() *net.Resolver {
	addr := s.pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

// webServer serves autoconfig documents by host and path, over HTTPS and plain HTTP, and
// records every request.
type webServer struct {
	https, http *httptest.Server

	mu       sync.Mutex
	docs     map[string]string           // "host/path" → body
	handlers map[string]http.HandlerFunc // "host/path" → special behaviour
	requests []*http.Request
}

func startWeb(t testing.TB, ca *testCA) *webServer {
	t.Helper()
	w := &webServer{docs: map[string]string{}, handlers: map[string]http.HandlerFunc{}}
	h := http.HandlerFunc(w.serveHTTP)
	w.https = httptest.NewUnstartedServer(h)
	w.https.TLS = ca.serverTLS()
	w.https.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake failures are expected in some tests
	w.https.StartTLS()
	w.http = httptest.NewServer(h)
	t.Cleanup(w.https.Close)
	t.Cleanup(w.http.Close)
	return w
}

func (w *webServer) serveHTTP(rw http.ResponseWriter, req *http.Request) {
	host, _, err := net.SplitHostPort(req.Host)
	if err != nil {
		host = req.Host
	}
	key := host + req.URL.Path
	w.mu.Lock()
	w.requests = append(w.requests, req.Clone(context.Background()))
	doc, ok := w.docs[key]
	handler := w.handlers[key]
	w.mu.Unlock()
	switch {
	case handler != nil:
		handler(rw, req)
	case ok:
		rw.Header().Set("Content-Type", "text/plain") // content type is not trusted anyway
		rw.Write([]byte(doc))
	default:
		http.NotFound(rw, req)
	}
}

func (w *webServer) seen() []*http.Request {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]*http.Request(nil), w.requests...)
}
