package imapcopy

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/internal/testkit/crashchild"
)

// The child side of the crash harness (crash_test.go). It builds on every system: under
// Wine the child is this package's Windows test binary (crash_wine_test.go).

const uploadCrashEnv = "POSTFACH_IMAPCOPY_CRASH_CHILD"

type uploadCrashJob struct {
	Addr, User, Password, CertFile string
	Src, Journal                   string
	// Download, if set, is a download root: the child downloads every folder into it
	// instead of uploading.
	Download string
	// Nth kills the child at the Nth failpoint call (0: none).
	Nth int
}

// TestUploadCrashChild is the child side of the crash tests; on its own it skips.
func TestUploadCrashChild(t *testing.T) {
	var job uploadCrashJob
	crashchild.Job(t, uploadCrashEnv, &job)
	roots := crashchild.Roots(t, job.CertFile)
	dial := func(ctx context.Context) (*imap.Session, error) {
		s, err := imap.Connect(ctx, job.Addr, &imap.Options{TLSConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"}, Timeout: time.Minute})
		if err != nil {
			return nil, err
		}
		if err := s.Login(job.User, job.Password); err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	}
	calls := 0
	failpoint := func(string) {
		calls++
		if calls == job.Nth {
			crashchild.Kill()
		}
	}
	if job.Download != "" {
		sess, err := dial(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		if _, err := Download(context.Background(), sess, job.Download, &DownloadOptions{BatchMessages: 9, failpoint: failpoint}); err != nil {
			t.Fatalf("child download: %v", err)
		}
		return
	}
	opts := &UploadOptions{Journal: job.Journal, failpoint: failpoint}
	if _, err := Upload(context.Background(), dial, job.Src, "INBOX", opts); err != nil {
		t.Fatalf("child upload: %v", err)
	}
}
