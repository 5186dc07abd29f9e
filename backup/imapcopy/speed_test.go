package imapcopy

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// speedEnv, set to a message count, runs TestSpeed: upload and download of that many
// messages against Dovecot, and mbsync's download of the same mailbox when mbsync is
// installed. A measurement, not a check: it is not part of make test.
const speedEnv = "POSTFACH_IMAPCOPY_SPEED"

func TestSpeed(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(speedEnv))
	if n <= 0 {
		t.Skip("set " + speedEnv + "=N to measure")
	}
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "speed", testPass, 0)
	ctx := context.Background()
	msgs := dovecottest.Ordinary(n, 42)
	src := filepath.Join(t.TempDir(), "src")
	writeSource(t, src, msgs)
	var total int64
	for _, m := range msgs {
		total += int64(len(crlf(m.Stored)))
	}
	report := func(what string, d time.Duration, bytes int64) {
		t.Logf("%-28s %6d msgs %7.1f MB in %6.2fs: %7.0f msg/s %6.1f MB/s", what, n, float64(bytes)/1e6, d.Seconds(),
			float64(n)/d.Seconds(), float64(bytes)/1e6/d.Seconds())
	}

	start := time.Now()
	res, err := Upload(ctx, dialer(srv, u), src, "INBOX", &UploadOptions{Journal: filepath.Join(t.TempDir(), "j")})
	if err != nil || res.Uploaded != n {
		t.Fatalf("upload: %v %+v", err, res)
	}
	report("imapcopy upload (APPEND)", time.Since(start), res.Bytes)

	// The same upload to a user whose mail Dovecot does not fsync: what is left is the
	// cost of Postfach's side (reading, journal fsync) and the protocol round trips.
	nofsync := srv.AddUserFields(t, "speednofsync", testPass, 0, "userdb_mail_fsync=never")
	start = time.Now()
	res, err = Upload(ctx, dialer(srv, nofsync), src, "INBOX", &UploadOptions{Journal: filepath.Join(t.TempDir(), "j")})
	if err != nil || res.Uploaded != n {
		t.Fatalf("upload: %v %+v", err, res)
	}
	report("upload, Dovecot mail_fsync=never", time.Since(start), res.Bytes)

	dst := t.TempDir()
	sess := mustDial(t, dialer(srv, u))
	start = time.Now()
	dres, err := Download(ctx, sess, dst, &DownloadOptions{Folders: []string{"INBOX"}})
	if err != nil || dres[0].Fetched != n {
		t.Fatalf("download: %v %+v", err, dres)
	}
	report("imapcopy download (FETCH)", time.Since(start), dres[0].Bytes)
	start = time.Now()
	if _, err := Download(ctx, sess, dst, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("imapcopy second download (nothing new, all folders): %v", time.Since(start))

	// Large messages: 40 of 1 MiB each, where MB/s means something.
	bigUser := srv.AddUser(t, "speedbig", testPass, 0)
	var big []dovecottest.Message
	for i := range 40 {
		m := dovecottest.Large(1<<20 + i)
		m.Name = fmt.Sprintf("big-%02d", i)
		big = append(big, m)
	}
	bigSrc := filepath.Join(t.TempDir(), "big")
	writeSource(t, bigSrc, big)
	start = time.Now()
	res, err = Upload(ctx, dialer(srv, bigUser), bigSrc, "INBOX", &UploadOptions{Journal: filepath.Join(t.TempDir(), "j")})
	if err != nil || res.Uploaded != len(big) {
		t.Fatalf("upload: %v %+v", err, res)
	}
	t.Logf("large: upload   %d msgs %.1f MB in %.2fs: %.1f MB/s", len(big), float64(res.Bytes)/1e6, time.Since(start).Seconds(),
		float64(res.Bytes)/1e6/time.Since(start).Seconds())
	bigSess := mustDial(t, dialer(srv, bigUser))
	start = time.Now()
	dres, err = Download(ctx, bigSess, t.TempDir(), &DownloadOptions{Folders: []string{"INBOX"}})
	if err != nil || dres[0].Fetched != len(big) {
		t.Fatalf("download: %v %+v", err, dres)
	}
	t.Logf("large: download %d msgs %.1f MB in %.2fs: %.1f MB/s", len(big), float64(dres[0].Bytes)/1e6, time.Since(start).Seconds(),
		float64(dres[0].Bytes)/1e6/time.Since(start).Seconds())

	mbsync, err := exec.LookPath("mbsync")
	if err != nil {
		t.Log("mbsync not installed: no side-by-side number")
		return
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "mbsyncrc")
	cfg := fmt.Sprintf(`IMAPAccount dv
Host localhost
Port %d
User %s
Pass %s
SSLType IMAPS
CertificateFile %s

IMAPStore far
Account dv

MaildirStore near
Inbox %s/mail
SubFolders Maildir++

Channel ch
Far :far:
Near :near:
Patterns INBOX
Create Near
Sync Pull
SyncState *
`, srv.IMAPSPort, u.Name, u.Password, srv.CertPEMFile, dir)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	out, err := exec.Command(mbsync, "-c", conf, "-a").CombinedOutput()
	if err != nil {
		t.Fatalf("mbsync: %v\n%s", err, out)
	}
	report("mbsync download (same box)", time.Since(start), total)
	start = time.Now()
	if out, err := exec.Command(mbsync, "-c", conf, "-a").CombinedOutput(); err != nil {
		t.Fatalf("mbsync: %v\n%s", err, out)
	}
	t.Logf("mbsync second run (nothing new): %v", time.Since(start))

	// imapcopy again into a fresh tree, now that Dovecot's caches are as warm as mbsync
	// found them.
	start = time.Now()
	dres, err = Download(ctx, sess, t.TempDir(), &DownloadOptions{Folders: []string{"INBOX"}})
	if err != nil || dres[0].Fetched != n {
		t.Fatalf("download: %v %+v", err, dres)
	}
	report("imapcopy download (warm)", time.Since(start), dres[0].Bytes)
}
