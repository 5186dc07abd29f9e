package crashchild

import (
	"crypto/x509"
	"encoding/json"
	"os"
	"testing"
)

// Job starts the child side of a crash test: it skips the test when env is not set (the
// test runs only as a child, started by Run) and decodes the job the parent put there
// into job.
func Job(t testing.TB, env string, job any) {
	t.Helper()
	spec := os.Getenv(env)
	if spec == "" {
		t.Skip("the crash tests run this in a child process")
	}
	if err := json.Unmarshal([]byte(spec), job); err != nil {
		t.Fatal(err)
	}
}

// Roots returns a certificate pool holding the PEM certificates in file: the child
// trusts the parent's private Dovecot through it.
func Roots(t testing.TB, file string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	return roots
}
