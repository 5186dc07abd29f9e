package dovecottest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// RemoteEnv names the environment variable that hands a Dovecot to test binaries on a
// system where it cannot run: the URL of a server for them (serve.go) on the Linux side of
// Wine, which .ci/wine/test.sh starts. Start then asks it for a fresh instance of its own
// and reaches the instance's files (passwd-files, Maildirs, log, certificate) through
// Wine's drive Z:, the Linux root. Everything else (ports, TLS, users, Deliver, Doveadm,
// Stop, Restart) behaves as with a local Dovecot; operations that need the Linux side
// (doveadm, chown, stopping) are asked of the server.
const RemoteEnv = "POSTFACH_DOVECOT_REMOTE"

// remoteTimeout bounds one request to the server; Restart may take up to startTimeout.
const remoteTimeout = 3 * startTimeout

// remoteRequest is one operation on an instance; Op "start" creates one.
type remoteRequest struct {
	Op     string // start, stop, restart, doveadm, chown, close
	ID     int
	Args   []string // doveadm: its arguments; chown: the Linux path
	OAuth2 *OAuth2  // start: Dovecot's oauth2 passdb, if set
}

// remoteInstance is an instance as the Linux side sees it.
type remoteInstance struct {
	ID                                       int
	Dir, ConfPath                            string
	IMAPPort, IMAPSPort, POP3Port, POP3SPort int
	Root                                     bool
	MailUID, MailGID                         int
}

// remoteResponse answers a remoteRequest; Err is set when the operation failed.
type remoteResponse struct {
	Instance *remoteInstance
	Out      string
	Err      string
}

// remote is a Server's connection to the instance it runs on the Linux side.
type remote struct {
	url string
	id  int
}

// call performs op on the instance; out, if set, receives the operation's output.
func (r *remote) call(op string, args []string, out *string) error {
	resp, err := remoteDo(r.url, remoteRequest{Op: op, ID: r.id, Args: args})
	if out != nil {
		*out = resp.Out
	}
	return err
}

func remoteDo(url string, req remoteRequest) (remoteResponse, error) {
	var resp remoteResponse
	body, err := json.Marshal(req)
	if err != nil {
		return resp, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return resp, fmt.Errorf("%s: %w", req.Op, err)
	}
	hresp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return resp, fmt.Errorf("%s: %w", req.Op, err)
	}
	defer hresp.Body.Close()
	if err := json.NewDecoder(hresp.Body).Decode(&resp); err != nil {
		return resp, fmt.Errorf("%s: %s: %w", req.Op, hresp.Status, err)
	}
	if resp.Err != "" {
		return resp, errors.New(resp.Err)
	}
	return resp, nil
}

// attach is Start on a system without Dovecot: a fresh instance from the server at url.
func attach(t testing.TB, url string, o *OAuth2) *Server {
	t.Helper()
	resp, err := remoteDo(url, remoteRequest{Op: "start", OAuth2: o})
	if err != nil {
		t.Fatalf("dovecottest: %s=%s: %v", RemoteEnv, url, err)
	}
	in := resp.Instance
	r := &remote{url: url, id: in.ID}
	dir := localPath(in.Dir)
	s := &Server{
		Dir:      dir,
		Host:     "127.0.0.1",
		IMAPPort: in.IMAPPort, IMAPSPort: in.IMAPSPort, POP3Port: in.POP3Port, POP3SPort: in.POP3SPort,
		ConfPath:    in.ConfPath,
		CertPEMFile: filepath.Join(dir, "cert.pem"),
		logPath:     filepath.Join(dir, "dovecot.log"),
		passwdDir:   filepath.Join(dir, "passwd.d"),
		root:        in.Root,
		mailUID:     in.MailUID,
		mailGID:     in.MailGID,
		oauth2:      o,
		remote:      r,
		users:       map[string]*User{},
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dovecottest: tail of %s:\n%s", s.logPath, tail(s.readLog(), 40))
		}
		r.call("close", nil, nil)
	})
	if err := s.loadCert(); err != nil {
		t.Fatalf("dovecottest: certificate: %v", err)
	}
	return s
}

// loadCert fills CACert, CertPool and CertSHA256 from CertPEMFile.
func (s *Server) loadCert() error {
	data, err := os.ReadFile(s.CertPEMFile)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return fmt.Errorf("%s: no PEM block", s.CertPEMFile)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	s.CACert = cert
	s.CertPool = x509.NewCertPool()
	s.CertPool.AddCert(cert)
	sum := sha256.Sum256(block.Bytes)
	s.CertSHA256 = hex.EncodeToString(sum[:])
	return nil
}

// localPath returns a Linux path as this process reaches it: under Wine on Windows,
// through drive Z:, the Linux root (/tmp/a becomes Z:\tmp\a).
func localPath(linux string) string {
	if runtime.GOOS != "windows" {
		return linux
	}
	return `Z:` + strings.ReplaceAll(linux, "/", `\`)
}

// hostPath is the inverse of localPath: a path of this process as Dovecot on the Linux
// side sees it (for the passwd-file and for chown).
func (s *Server) hostPath(local string) string {
	if s.remote == nil || runtime.GOOS != "windows" {
		return local
	}
	return strings.ReplaceAll(strings.TrimPrefix(local, `Z:`), `\`, "/")
}
