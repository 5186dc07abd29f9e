package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/pop3"
	"github.com/postfach/postfach/backup/maildir"
)

// fakeServer is a scripted POP3 mailbox for the cases a real Dovecot will not produce:
// re-keyed and duplicate UIDLs, refused RETRs, a UIDL that fails.
type fakeServer struct {
	msgs    []fakeMsg
	uidlErr error
	noTop   bool         // answer TOP with -ERR, as a server without TOP does
	deleted map[int]bool // DELE'd in the current session
	// Counts of commands, for tests that check what was (not) sent.
	sessions, retrs, tops int
}

type fakeMsg struct {
	uid     string
	body    string
	retrErr bool
	top     string // if set, what TOP n 0 answers instead of the real header block
}

func (s *fakeServer) UIDL(context.Context) ([]pop3.UID, error) {
	if s.uidlErr != nil {
		return nil, s.uidlErr
	}
	var out []pop3.UID
	for i, m := range s.msgs {
		out = append(out, pop3.UID{Num: i + 1, UID: m.uid})
	}
	return out, nil
}

func (s *fakeServer) List(context.Context) ([]pop3.Size, error) {
	var out []pop3.Size
	for i, m := range s.msgs {
		out = append(out, pop3.Size{Num: i + 1, Octets: int64(len(m.body))})
	}
	return out, nil
}

func (s *fakeServer) RetrAll(_ context.Context, nums []int, fn func(int, io.Reader, error) error) error {
	for _, n := range nums {
		m := s.msgs[n-1]
		var err error
		if m.retrErr {
			err = mailerr.NewServerError("RETR", "", "no such message", nil)
			if ferr := fn(n, nil, err); ferr != nil {
				return ferr
			}
			continue
		}
		s.retrs++
		if ferr := fn(n, strings.NewReader(m.body), nil); ferr != nil {
			return ferr
		}
	}
	return nil
}

func (s *fakeServer) TopAll(_ context.Context, nums []int, fn func(int, io.Reader, error) error) error {
	for _, n := range nums {
		s.tops++
		m := s.msgs[n-1]
		if s.noTop {
			if err := fn(n, nil, mailerr.NewServerError("TOP", "", "unknown command", nil)); err != nil {
				return err
			}
			continue
		}
		head := m.top
		if head == "" {
			head = m.body
			if i := strings.Index(head, "\r\n\r\n"); i >= 0 {
				head = head[:i+4]
			}
		}
		if err := fn(n, strings.NewReader(head), nil); err != nil {
			return err
		}
	}
	return nil
}

func (s *fakeServer) Dele(_ context.Context, n int) error {
	s.deleted[n] = true
	return nil
}

func (s *fakeServer) Quit(context.Context) error {
	var kept []fakeMsg
	for i, m := range s.msgs {
		if !s.deleted[i+1] {
			kept = append(kept, m)
		}
	}
	s.msgs = kept
	return nil
}

func (s *fakeServer) Close() error { return nil }

// useFake routes the runs with options o to srv.
func useFake(o *Options, srv *fakeServer) {
	o.dial = func(context.Context, *accounts.Account, string, *Options) (session, error) {
		srv.deleted = map[int]bool{}
		srv.sessions++
		return srv, nil
	}
}

func fakeAccount(t *testing.T, mode accounts.RetentionMode) (accounts.Account, *Options) {
	a := accounts.Account{Name: "fake", Email: "f@example.org", Protocol: accounts.POP3, Host: "pop.example.org",
		Security: accounts.TLS, Username: "f", Backup: &accounts.BackupPolicy{Dir: filepath.Join(t.TempDir(), "b"),
			Schedule: accounts.Schedule{Kind: accounts.Off}, Retention: accounts.Retention{Mode: mode}}}
	a.Normalize()
	clock := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	return a, &Options{StateDir: t.TempDir(), Now: func() time.Time { return clock }}
}

func bodies(n int, tag string) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, fmt.Sprintf("Subject: %s %d\r\n\r\nbody %d\r\n", tag, i, i))
	}
	return out
}

func mustRun(t *testing.T, a accounts.Account, o *Options) *Result {
	t.Helper()
	res, err := Run(context.Background(), a, "pw", o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func TestServerRekeysEveryUIDL(t *testing.T) {
	a, o := fakeAccount(t, accounts.DeleteNow)
	a.Backup.Retention = accounts.Retention{Mode: accounts.KeepForever}
	srv := &fakeServer{}
	for i, b := range bodies(5, "rekey") {
		srv.msgs = append(srv.msgs, fakeMsg{uid: fmt.Sprintf("old-%d", i), body: b})
	}
	useFake(o, srv)
	mustRun(t, a, o)

	// The server migrates: same messages, every UIDL new.
	for i := range srv.msgs {
		srv.msgs[i].uid = fmt.Sprintf("new-%d", i)
	}
	a.Backup.Retention = accounts.Retention{Mode: accounts.DeleteNow}
	res := mustRun(t, a, o)
	if res.New != 0 || res.AlreadyHad != 5 || res.Deleted != 0 {
		t.Fatalf("after re-keying: %+v (want nothing new, nothing deleted yet)", res)
	}
	if n := len(stored(t, a.Backup.Dir)); n != 5 {
		t.Fatalf("backup holds %d files, want 5 (no duplicates)", n)
	}
	if len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Err, "renamed") {
		t.Errorf("no note about the re-keying: %+v", res.Errors)
	}
	res = mustRun(t, a, o)
	if res.Deleted != 5 || len(srv.msgs) != 0 {
		t.Fatalf("the run after: %+v, server keeps %d", res, len(srv.msgs))
	}
	rep, err := Verify(context.Background(), a, o)
	if err != nil || !rep.Healthy() {
		t.Fatalf("verify: %v %+v", err, rep)
	}
}

func TestDuplicateUIDLIsNeverDeleted(t *testing.T) {
	a, o := fakeAccount(t, accounts.DeleteNow)
	b := bodies(3, "dup")
	srv := &fakeServer{msgs: []fakeMsg{{uid: "x", body: b[0]}, {uid: "y", body: b[1]}, {uid: "x", body: b[2]}}}
	useFake(o, srv)
	res := mustRun(t, a, o)
	if res.New != 2 || res.Deleted != 1 {
		t.Fatalf("%+v", res)
	}
	if len(srv.msgs) != 2 || srv.msgs[0].uid != "x" || srv.msgs[1].uid != "x" {
		t.Fatalf("server keeps %+v, want both x", srv.msgs)
	}
	found := false
	for _, e := range res.Errors {
		found = found || e.UIDL == "x" && strings.Contains(e.Err, "more than once")
	}
	if !found {
		t.Errorf("no note about the duplicate: %+v", res.Errors)
	}
}

func TestReusedUIDLIsANewMessage(t *testing.T) {
	a, o := fakeAccount(t, accounts.DeleteNow)
	b := bodies(2, "reuse")
	srv := &fakeServer{msgs: []fakeMsg{{uid: "u1", body: b[0]}}}
	useFake(o, srv)
	if res := mustRun(t, a, o); res.New != 1 || res.Deleted != 1 {
		t.Fatalf("%+v", res)
	}
	srv.msgs = []fakeMsg{{uid: "u1", body: b[1]}}
	if res := mustRun(t, a, o); res.New != 1 || res.Deleted != 1 {
		t.Fatalf("reused UIDL: %+v", res)
	}
	md, err := maildir.Open(a.Backup.Dir)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := md.Scan()
	var got []string
	for k, rel := range files {
		data, _ := os.ReadFile(filepath.Join(a.Backup.Dir, rel))
		got = append(got, fmt.Sprintf("%s/%d=%s", k.UIDL, k.Gen, data))
	}
	sort.Strings(got)
	want := []string{"u1/0=" + b[0], "u1/1=" + b[1]}
	if !slices.Equal(got, want) {
		t.Fatalf("backup holds %q, want %q", got, want)
	}
	rep, err := Verify(context.Background(), a, o)
	if err != nil || !rep.Healthy() {
		t.Fatalf("verify: %v %+v", err, rep)
	}
}

func TestRefusedRetrStaysOnServer(t *testing.T) {
	a, o := fakeAccount(t, accounts.DeleteNow)
	b := bodies(3, "refused")
	srv := &fakeServer{msgs: []fakeMsg{{uid: "a", body: b[0]}, {uid: "b", body: b[1], retrErr: true}, {uid: "c", body: b[2]}}}
	useFake(o, srv)
	res := mustRun(t, a, o)
	if res.New != 2 || res.Failed != 1 || res.Deleted != 2 || len(res.Errors) != 1 || res.Errors[0].UIDL != "b" {
		t.Fatalf("%+v", res)
	}
	if len(srv.msgs) != 1 || srv.msgs[0].uid != "b" {
		t.Fatalf("server keeps %+v", srv.msgs)
	}
}

func TestNoUIDLFetchesNothing(t *testing.T) {
	a, o := fakeAccount(t, accounts.DeleteNow)
	srv := &fakeServer{msgs: []fakeMsg{{uid: "a", body: "x\r\n"}}, uidlErr: fmt.Errorf("uidl: %w", mailerr.ErrNoUIDL)}
	useFake(o, srv)
	res, err := Run(context.Background(), a, "pw", o)
	if !errors.Is(err, mailerr.ErrNoUIDL) || res.New != 0 || len(srv.msgs) != 1 {
		t.Fatalf("err %v, %+v", err, res)
	}
	if h, _ := History(o.StateDir, a.ID); len(h) != 1 || h[0].OK() {
		t.Fatalf("history should record the failed run: %+v", h)
	}
}
