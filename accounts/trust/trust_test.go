package trust

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

// certMaker issues test certificates.
type certMaker struct {
	t      *testing.T
	serial int64
}

type issued struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func (m *certMaker) issue(tmpl *x509.Certificate, parent *issued) issued {
	m.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		m.t.Fatal(err)
	}
	m.serial++
	tmpl.SerialNumber = big.NewInt(m.serial)
	signer, parentCert := key, tmpl
	if parent != nil {
		signer, parentCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, &key.PublicKey, signer)
	if err != nil {
		m.t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		m.t.Fatal(err)
	}
	return issued{cert, key}
}

func caTemplate(name string) *x509.Certificate {
	return &x509.Certificate{
		Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
}

func leafTemplate(names []string, ips []net.IP, notBefore, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject: pkix.Name{CommonName: "mail.test"}, NotBefore: notBefore, NotAfter: notAfter,
		DNSNames: names, IPAddresses: ips, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
}

// serve starts a TLS server presenting chain and returns its address.
func serve(t *testing.T, chain []issued, maxVersion uint16) string {
	t.Helper()
	tc := tls.Certificate{PrivateKey: chain[0].key, Leaf: chain[0].cert}
	for _, c := range chain {
		tc.Certificate = append(tc.Certificate, c.cert.Raw)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{tc}, MaxVersion: maxVersion, MinVersion: tls.VersionTLS10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.(*tls.Conn).Handshake()
			}()
		}
	}()
	return ln.Addr().String()
}

func TestCertificateMatrix(t *testing.T) {
	m := &certMaker{t: t}
	ca := m.issue(caTemplate("Test Root"), nil)
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	now := time.Now()
	local := []net.IP{net.ParseIP("127.0.0.1")}
	good := m.issue(leafTemplate([]string{"localhost"}, local, now.Add(-time.Hour), now.Add(time.Hour)), &ca)
	expired := m.issue(leafTemplate([]string{"localhost"}, local, now.Add(-48*time.Hour), now.Add(-24*time.Hour)), &ca)
	future := m.issue(leafTemplate([]string{"localhost"}, local, now.Add(24*time.Hour), now.Add(48*time.Hour)), &ca)
	wrongHost := m.issue(leafTemplate([]string{"other.example"}, nil, now.Add(-time.Hour), now.Add(time.Hour)), &ca)
	selfSigned := m.issue(leafTemplate([]string{"localhost"}, local, now.Add(-time.Hour), now.Add(time.Hour)), nil)
	strayCA := m.issue(caTemplate("Stray Intermediate"), nil)
	viaStray := m.issue(leafTemplate([]string{"localhost"}, local, now.Add(-time.Hour), now.Add(time.Hour)), &strayCA)

	cases := []struct {
		name     string
		chain    []issued
		host     string
		pin      string
		maxTLS   uint16
		wantErr  bool
		wantPinM bool
	}{
		{"valid", []issued{good}, "localhost", "", 0, false, false},
		{"valid by IP", []issued{good}, "127.0.0.1", "", 0, false, false},
		{"expired", []issued{expired}, "localhost", "", 0, true, false},
		{"not yet valid", []issued{future}, "localhost", "", 0, true, false},
		{"wrong host", []issued{wrongHost}, "localhost", "", 0, true, false},
		{"self-signed", []issued{selfSigned}, "localhost", "", 0, true, false},
		{"untrusted intermediate", []issued{viaStray, strayCA}, "localhost", "", 0, true, false},
		{"self-signed, pinned", []issued{selfSigned}, "localhost", Fingerprint(selfSigned.cert), 0, false, false},
		{"pinned, upper case with colons", []issued{selfSigned}, "localhost", colonHex(Fingerprint(selfSigned.cert)), 0, false, false},
		{"pin overrides expiry the user accepted", []issued{expired}, "localhost", Fingerprint(expired.cert), 0, false, false},
		{"changed after pinning", []issued{good}, "localhost", Fingerprint(selfSigned.cert), 0, true, true},
		{"TLS 1.1 only", []issued{good}, "localhost", "", tls.VersionTLS11, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := serve(t, tc.chain, tc.maxTLS)
			conn, err := tls.Dial("tcp", addr, Config(tc.host, &Options{Roots: roots, PinnedSHA256: tc.pin}))
			if err == nil {
				conn.Close()
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr || tc.maxTLS != 0 {
				return
			}
			var ce *CertError
			if !errors.As(err, &ce) || !errors.Is(err, ErrUntrusted) {
				t.Fatalf("err = %v (%T), want *CertError", err, err)
			}
			if ce.Fingerprint != Fingerprint(tc.chain[0].cert) || ce.Subject == "" || ce.NotAfter.IsZero() {
				t.Errorf("CertError lacks the certificate's details: %+v", ce)
			}
			if ce.PinMismatch != tc.wantPinM {
				t.Errorf("PinMismatch = %v, want %v", ce.PinMismatch, tc.wantPinM)
			}
		})
	}
}

func colonHex(fp string) string {
	var parts []string
	for i := 0; i < len(fp); i += 2 {
		parts = append(parts, strings.ToUpper(fp[i:i+2]))
	}
	return strings.Join(parts, ":")
}

func TestFingerprintHelpers(t *testing.T) {
	cases := []struct {
		in    string
		valid bool
	}{
		{"", false},
		{"abc", false},
		{"zz" + string(make([]byte, 62)), false},
		{"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89", true},
		{"abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", true},
	}
	for _, tc := range cases {
		if got := ValidFingerprint(tc.in); got != tc.valid {
			t.Errorf("ValidFingerprint(%q) = %v", tc.in, got)
		}
	}
}
