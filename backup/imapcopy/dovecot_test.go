package imapcopy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// Tests against the private Dovecot of internal/testkit/dovecottest (quota plugin on, UIDPLUS).

const testPass = "Pa55-imapcopy"

// dialer returns a Dial for u over implicit TLS with a generous whole-session deadline.
func dialer(srv *dovecottest.Server, u *dovecottest.User) Dial {
	return func(ctx context.Context) (*imap.Session, error) {
		s, err := imap.Connect(ctx, srv.IMAPSAddr(), &imap.Options{TLSConfig: srv.TLSConfig(), Timeout: 10 * time.Minute})
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

func mustDial(t testing.TB, d Dial) *imap.Session {
	t.Helper()
	s, err := d(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// writeSource makes a Maildir at dir holding msgs: even ones in cur/ marked read,
// odd ones in new/. It returns the file paths in msgs' order.
func writeSource(t testing.TB, dir string, msgs []dovecottest.Message) []string {
	t.Helper()
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	var paths []string
	for i, m := range msgs {
		name := fmt.Sprintf("%d.M%dP1.%s", 1700000000+i, i, m.Name)
		p := filepath.Join(dir, "new", name)
		if i%2 == 0 {
			p = filepath.Join(dir, "cur", name+string(infoSep)+"2,S")
		}
		if err := os.WriteFile(p, m.Stored, 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// crlf is what an IMAP server holds after an upload of b (see crlfReader).
func crlf(b []byte) []byte {
	out, err := io.ReadAll(newCRLFReader(bytes.NewReader(b)))
	if err != nil {
		panic(err)
	}
	return out
}

// serverMessages downloads mailbox of u with go-imap-independent code paths kept small:
// it uses Download into a fresh directory and returns the stored files by name.
func readTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, sub := range []string{"cur", "new"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(dir, sub, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out[filepath.Join(sub, e.Name())] = b
		}
	}
	return out
}

func TestDovecotUploadEdgeCases(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "edge", testPass, 100)
	dial := dialer(srv, u)
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "backup")
	msgs := append(dovecottest.EdgeCases(), dovecottest.Ordinary(20, 3)...)
	// Runs of CRs, which Dovecot collapses before LF and drops at the end.
	msgs = append(msgs, dovecottest.Message{Name: "cr-runs", Stored: []byte(
		"Subject: cr runs\n\nthree\r\r\r\nbare\r\rmid\r\n\r\r\r\n\rlead\nend\r\r")}, dovecottest.Message{Name: "no-id",
		Stored: []byte("Subject: no Message-ID\r\n\r\nbody\r\n")})
	writeSource(t, src, msgs)
	journal := filepath.Join(t.TempDir(), "upload.journal")

	res, err := Upload(ctx, dial, src, "INBOX", &UploadOptions{Journal: journal})
	if err != nil {
		t.Fatalf("Upload: %v (%+v)", err, res)
	}
	t.Logf("plan %+v; result uploaded %d adopted %d skipped %v verified %d", *res.Plan, res.Uploaded, res.Adopted, res.Skipped, res.Verified)
	// The empty message is the one IMAP cannot hold: reported, the source keeps it.
	n := len(msgs) - 1
	if res.Uploaded != n || res.Verified != n || len(res.Skipped) != 1 || !errors.Is(res.Skipped[0].Err, ErrEmptyMessage) {
		t.Fatalf("uploaded %d, verified %d, skipped %v; want %d and the empty one skipped", res.Uploaded, res.Verified, res.Skipped, n)
	}

	// Once more: nothing is sent again.
	res2, err := Upload(ctx, dial, src, "INBOX", &UploadOptions{Journal: journal})
	if err != nil || res2.Uploaded != 0 || res2.Plan.AlreadyUploaded != n || res2.Verified != n {
		t.Fatalf("second Upload: %v, %+v, plan %+v", err, res2, res2.Plan)
	}
	// And with a lost journal: everything is recognised on the server.
	res3, err := Upload(ctx, dial, src, "INBOX", &UploadOptions{Journal: journal + ".new"})
	if err != nil || res3.Uploaded != 0 || res3.Adopted != n {
		t.Fatalf("Upload without journal: %v, %+v, plan %+v", err, res3, res3.Plan)
	}

	// Every message exactly once, byte-identical to its CRLF form, with \Seen where the
	// source was read and the Date header as INTERNALDATE.
	dst := t.TempDir()
	sess := mustDial(t, dial)
	if _, err := Download(ctx, sess, dst, &DownloadOptions{Folders: []string{"INBOX"}}); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, dst)
	if len(got) != n {
		t.Fatalf("%d messages on the server, want %d", len(got), n)
	}
	for i, m := range msgs {
		if len(m.Stored) == 0 {
			continue
		}
		want := crlf(m.Stored)
		var hits []string
		for name, b := range got {
			if bytes.Equal(b, want) {
				hits = append(hits, name)
			}
		}
		if len(hits) != 1 {
			for _, b := range got {
				if bytes.Contains(b, []byte(m.Name)) {
					t.Logf("%s on the server:\n%q\nwant\n%q", m.Name, b[len(b)-80:], want[len(want)-80:])
				}
			}
			t.Errorf("%s: %d byte-identical copies on the server, want 1", m.Name, len(hits))
			continue
		}
		_, flags := splitInfo(filepath.Base(hits[0]))
		if seen := slices.Contains(flags, `\Seen`); seen != (i%2 == 0) {
			t.Errorf("%s: flags %v", m.Name, flags)
		}
	}
}

// crashCorpus starts with ordinary messages, every fourth without Message-ID (found
// again by content hash), so that the failpoint kills hit both kinds; then the edge cases.
func crashCorpus() []dovecottest.Message {
	var msgs []dovecottest.Message
	for i, m := range dovecottest.Ordinary(60, 21) {
		if i%4 == 0 {
			m.Stored = []byte(strings.Replace(string(m.Stored), "Message-ID:", "X-Old-Message-ID:", 1))
		}
		msgs = append(msgs, m)
	}
	for _, m := range dovecottest.EdgeCases() {
		if len(m.Stored) > 0 && len(m.Stored) < 1<<20 {
			msgs = append(msgs, m)
		}
	}
	return msgs
}

// serverCopies counts, for each message of msgs, its copies in u's INBOX.
func serverCopies(t *testing.T, srv *dovecottest.Server, u *dovecottest.User, msgs []dovecottest.Message) []int {
	t.Helper()
	dst := t.TempDir()
	sess := mustDial(t, dialer(srv, u))
	if _, err := Download(context.Background(), sess, dst, &DownloadOptions{Folders: []string{"INBOX"}}); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, dst)
	counts := make([]int, len(msgs))
	total := 0
	for i, m := range msgs {
		counts[i] = countEqual(got, crlf(m.Stored))
		total += counts[i]
	}
	if total != len(got) {
		t.Errorf("%d messages on the server, %d of them from the source", len(got), total)
	}
	return counts
}
