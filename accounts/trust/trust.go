// Package trust builds the TLS configuration every Postfach connection uses.
//
// The rules (RFC 8314, RFC 7817): TLS 1.2 or newer; the certificate must chain to a system
// root (so SSL_CERT_FILE works) and name the host the user configured; or, only when the
// user explicitly chose to trust it, the server must present exactly the certificate whose
// SHA-256 fingerprint was pinned for that account. A pinned host that presents another
// certificate fails hard; nothing is ever re-pinned silently.
//
// Verification is done in VerifyConnection rather than by crypto/tls itself so that a
// failure carries the certificate's details (fingerprint, subject, issuer, validity): the
// wizard shows them and lets the user trust exactly that certificate.
package trust

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrUntrusted is matched by every *CertError (errors.Is(err, trust.ErrUntrusted)).
var ErrUntrusted = errors.New("certificate not trusted")

// Options says what to trust. A nil *Options is the same as the zero value: system roots,
// no pin.
type Options struct {
	// PinnedSHA256 is the hex SHA-256 fingerprint of the one certificate the user trusts
	// for this host:port (case and ':' separators are ignored). Empty means normal
	// verification against the roots.
	PinnedSHA256 string
	// Roots replaces the system roots; tests use it for their private CA. Nil means the
	// system pool (which honours SSL_CERT_FILE and SSL_CERT_DIR).
	Roots *x509.CertPool
}

// Config returns a client TLS configuration for serverName (a host name or IP address,
// without port).
func Config(serverName string, opts *Options) *tls.Config {
	var o Options
	if opts != nil {
		o = *opts
	}
	pin := NormalizeFingerprint(o.PinnedSHA256)
	return &tls.Config{
		ServerName: serverName,
		MinVersion: tls.VersionTLS12,
		// Verification happens in VerifyConnection below, which does the same chain and
		// name checks as crypto/tls but keeps the certificate for the error report.
		InsecureSkipVerify: true, //nolint:gosec // verified in VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verify(cs, serverName, pin, o.Roots)
		},
	}
}

// Fingerprint returns the lower-case hex SHA-256 of the certificate's DER bytes.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}

// NormalizeFingerprint lower-cases a fingerprint and removes ':' and space separators, so
// that the form browsers and openssl print ("AB:CD:…") is accepted too.
func NormalizeFingerprint(fp string) string {
	fp = strings.ToLower(strings.TrimSpace(fp))
	return strings.NewReplacer(":", "", " ", "").Replace(fp)
}

// ValidFingerprint reports whether fp (after normalisation) is 64 hex digits.
func ValidFingerprint(fp string) bool {
	fp = NormalizeFingerprint(fp)
	if len(fp) != 64 {
		return false
	}
	_, err := hex.DecodeString(fp)
	return err == nil
}

// CertError reports a certificate Postfach did not trust, with what the user needs to
// decide whether to trust it.
type CertError struct {
	Host        string
	Subject     string
	Issuer      string
	NotBefore   time.Time
	NotAfter    time.Time
	Fingerprint string // lower-case hex SHA-256 of the leaf certificate
	// PinMismatch is true when the user had pinned another certificate for this server:
	// the server's certificate changed, which may be an attack.
	PinMismatch bool
	Reason      error
}

func (e *CertError) Error() string {
	if e.PinMismatch {
		return fmt.Sprintf("certificate of %s changed: it is not the one you trusted (SHA-256 %s)", e.Host, e.Fingerprint)
	}
	return fmt.Sprintf("certificate of %s not trusted (subject %q, SHA-256 %s): %v", e.Host, e.Subject, e.Fingerprint, e.Reason)
}

// Is makes errors.Is(err, ErrUntrusted) true for every CertError.
func (e *CertError) Is(target error) bool { return target == ErrUntrusted }

// Unwrap returns the underlying verification error.
func (e *CertError) Unwrap() error { return e.Reason }

func verify(cs tls.ConnectionState, host, pin string, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return &CertError{Host: host, Reason: errors.New("server sent no certificate")}
	}
	leaf := cs.PeerCertificates[0]
	certErr := func(reason error) *CertError {
		return &CertError{
			Host: host, Subject: leaf.Subject.String(), Issuer: leaf.Issuer.String(),
			NotBefore: leaf.NotBefore, NotAfter: leaf.NotAfter,
			Fingerprint: Fingerprint(leaf), Reason: reason,
		}
	}
	if pin != "" {
		if Fingerprint(leaf) != pin {
			e := certErr(errors.New("fingerprint does not match the trusted certificate"))
			e.PinMismatch = true
			return e
		}
		return nil
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter})
	if err != nil {
		return certErr(err)
	}
	return nil
}
