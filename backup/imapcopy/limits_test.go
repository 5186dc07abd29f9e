package imapcopy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// TestDovecotQuotaTooSmall: a backup larger than the free quota is refused by the plan
// before a single message is sent.
func TestDovecotQuotaTooSmall(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "small", testPass, 1)
	src := filepath.Join(t.TempDir(), "backup")
	msgs := append(dovecottest.Ordinary(10, 4), dovecottest.Large(600<<10), dovecottest.Large(600<<10+1))
	writeSource(t, src, msgs)
	journal := filepath.Join(t.TempDir(), "j")
	sess := mustDial(t, dialer(srv, u))
	p, err := PlanUpload(context.Background(), sess, src, "INBOX", journal)
	if err != nil {
		t.Fatal(err)
	}
	if p.Fits || p.QuotaFree != 1<<20 || p.Messages != len(msgs) || p.Largest < 600<<10 {
		t.Fatalf("plan %+v, want a plan that does not fit 1 MiB", p)
	}
	res, err := Upload(context.Background(), dialer(srv, u), src, "INBOX", &UploadOptions{Journal: journal})
	if !errors.Is(err, ErrWontFit) || res.Uploaded != 0 || res.Remaining != len(msgs) {
		t.Fatalf("Upload = %+v, %v; want ErrWontFit and nothing sent", res, err)
	}
	if n := u.MessageCount(t); n != 0 {
		t.Fatalf("%d messages on the server after a refused plan", n)
	}
}

// TestDovecotOverQuotaMidway: when the quota fills up during the run (another client
// delivered meanwhile), Upload stops with ErrOverQuota and says what is left.
func TestDovecotOverQuotaMidway(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "midway", testPass, 1)
	src := filepath.Join(t.TempDir(), "backup")
	msgs := []dovecottest.Message{dovecottest.Large(300 << 10), dovecottest.Large(300<<10 + 1), dovecottest.Large(300<<10 + 2)}
	for i := range msgs {
		msgs[i].Name = "large-" + string(rune('a'+i))
	}
	writeSource(t, src, msgs)
	var once sync.Once
	res, err := Upload(context.Background(), dialer(srv, u), src, "INBOX", &UploadOptions{
		Journal: filepath.Join(t.TempDir(), "j"),
		Progress: func(p Progress) {
			// After the first message, something else takes 500 KiB.
			once.Do(func() { u.Deliver(t, dovecottest.Large(500<<10).Stored) })
		},
	})
	if !errors.Is(err, imap.ErrOverQuota) || res.Uploaded != 1 || res.Remaining != 2 {
		t.Fatalf("Upload = %+v, %v; want ErrOverQuota after one message, two left", res, err)
	}
}

// rewriteProxy forwards a plaintext IMAP connection to Dovecot and rewrites every line
// the server sends with rewrite: a scripted way to make Dovecot 2.3 look like a server
// with other capabilities (APPENDLIMIT, no UIDPLUS).
func rewriteProxy(t *testing.T, target string, rewrite func(string) string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(s, c); s.Close() }()
			go func() {
				defer wg.Done()
				defer c.Close()
				r := bufio.NewReader(s)
				for {
					line, err := r.ReadString('\n')
					line = rewrite(line)
					if _, werr := io.WriteString(c, line); werr != nil || err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// TestAppendLimit: a message over the announced APPENDLIMIT is reported by the plan and
// skipped, the rest is uploaded.
func TestAppendLimit(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "limit", testPass, 10)
	addr := rewriteProxy(t, srv.IMAPAddr(), func(line string) string {
		return strings.Replace(line, "CAPABILITY ", "CAPABILITY APPENDLIMIT=100000 ", 1)
	})
	dial := plainDialer(addr, u)
	src := filepath.Join(t.TempDir(), "backup")
	big := dovecottest.Large(200 << 10)
	big.Name = "big"
	msgs := append(dovecottest.Ordinary(5, 9), big)
	writeSource(t, src, msgs)
	res, err := Upload(context.Background(), dial, src, "INBOX", &UploadOptions{Journal: filepath.Join(t.TempDir(), "j")})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Plan
	if p.AppendLimit != 100000 || len(p.TooBig) != 1 || !strings.HasSuffix(p.TooBig[0], ".big") {
		t.Fatalf("plan %+v, want the big message over the limit", p)
	}
	if res.Uploaded != 5 || res.Verified != 5 || len(res.Skipped) != 1 || !errors.Is(res.Skipped[0].Err, imap.ErrTooBig) {
		t.Fatalf("result %+v", res)
	}
	if n := u.MessageCount(t); n != 5 {
		t.Fatalf("%d messages on the server, want 5", n)
	}
}

// TestDovecotTooBigRefused: without APPENDLIMIT, Dovecot's own refusal of a message over
// quota_max_mail_size ([LIMIT], not [TOOBIG]) is reported for that message, and the rest
// is uploaded.
func TestDovecotTooBigRefused(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUserFields(t, "maxsize", testPass, 10, "userdb_quota_max_mail_size=100k")
	src := filepath.Join(t.TempDir(), "backup")
	big := dovecottest.Large(200 << 10)
	big.Name = "big"
	msgs := append(dovecottest.Ordinary(3, 5), big)
	msgs = append(msgs, dovecottest.Ordinary(3, 6)...)
	writeSource(t, src, msgs)
	res, err := Upload(context.Background(), dialer(srv, u), src, "INBOX", &UploadOptions{Journal: filepath.Join(t.TempDir(), "j")})
	if err != nil {
		t.Fatalf("Upload: %v (%+v)", err, res)
	}
	if res.Uploaded != 6 || len(res.Skipped) != 1 || !errors.Is(res.Skipped[0].Err, imap.ErrLimit) {
		t.Fatalf("result %+v", res)
	}
}

// plainDialer dials addr without TLS (the rewriting proxy needs to read the stream).
func plainDialer(addr string, u *dovecottest.User) Dial {
	return func(ctx context.Context) (*imap.Session, error) {
		s, err := imap.Connect(ctx, addr, &imap.Options{Security: imap.SecurityNone, AllowPlaintext: true, Timeout: time.Minute})
		if err != nil {
			return nil, err
		}
		if err := s.Login(u.Name, u.Password); err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	}
}

var appendUID = regexp.MustCompile(`\[APPENDUID \d+ \d+\] ?`)

// TestDovecotWithoutUIDPlus: on a server without UIDPLUS the new message's UID is found
// by UID SEARCH HEADER Message-ID and size, or by size and content hash, and a lost
// journal still produces no duplicate.
func TestDovecotWithoutUIDPlus(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "noplus", testPass, 10)
	addr := rewriteProxy(t, srv.IMAPAddr(), func(line string) string {
		return appendUID.ReplaceAllString(stripUIDPlus(line), "")
	})
	dial := plainDialer(addr, u)
	if s := mustDial(t, dial); s.HasUIDPlus() {
		t.Fatal("proxy left UIDPLUS in place")
	}
	src := filepath.Join(t.TempDir(), "backup")
	msgs := dovecottest.Ordinary(8, 17)
	for i := range msgs {
		if i%3 == 0 {
			msgs[i].Stored = []byte(strings.Replace(string(msgs[i].Stored), "Message-ID:", "X-No-ID:", 1))
		}
	}
	writeSource(t, src, msgs)
	journal := filepath.Join(t.TempDir(), "j")
	res, err := Upload(context.Background(), dial, src, "INBOX", &UploadOptions{Journal: journal})
	if err != nil || res.Uploaded != 8 || res.Verified != 8 {
		t.Fatalf("Upload: %+v, %v", res, err)
	}
	entries, err := openUploadJournalReadOnly(journal)
	if err != nil {
		t.Fatal(err)
	}
	uids := map[uint32]bool{}
	for _, e := range entries {
		uids[e.UID] = true
	}
	if len(uids) != 8 {
		t.Fatalf("journal UIDs %v, want 8 different", uids)
	}
	res, err = Upload(context.Background(), dial, src, "INBOX", &UploadOptions{Journal: journal + ".lost"})
	if err != nil || res.Uploaded != 0 || res.Adopted != 8 || u.MessageCount(t) != 8 {
		t.Fatalf("Upload with a lost journal: %+v, %v", res, err)
	}
}

func stripUIDPlus(line string) string { return strings.Replace(line, " UIDPLUS", "", 1) }
