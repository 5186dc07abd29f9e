package imapcopy

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// appended is a message placed on the server by the test with go-imap directly, so the
// code under test is not involved.
type appended struct {
	mailbox string
	body    []byte
	flags   []imap.Flag
	date    time.Time
}

func appendRaw(t *testing.T, srv *dovecottest.Server, u *dovecottest.User, msgs []appended) {
	t.Helper()
	c, err := imapclient.DialTLS(srv.IMAPSAddr(), &imapclient.Options{TLSConfig: srv.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(u.Name, u.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	created := map[string]bool{"INBOX": true, "Sent": true, "Drafts": true, "Trash": true}
	for _, m := range msgs {
		if !created[m.mailbox] {
			if err := c.Create(m.mailbox, nil).Wait(); err != nil {
				t.Fatalf("create %s: %v", m.mailbox, err)
			}
			created[m.mailbox] = true
		}
		w := c.Append(m.mailbox, int64(len(m.body)), &imap.AppendOptions{Flags: m.flags, Time: m.date})
		if _, err := w.Write(m.body); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Wait(); err != nil {
			t.Fatalf("append to %s: %v", m.mailbox, err)
		}
	}
	_ = c.Logout().Wait()
}

func TestDovecotDownloadFolders(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "dl", testPass, 100)
	ctx := context.Background()
	inbox := dovecottest.Ordinary(30, 11)
	for _, m := range inbox {
		u.Deliver(t, m.Stored)
	}
	day := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	var extra []appended
	folders := []string{"Sent", "Archive/2024", "Ärger & Co", "Archive/2024/Q1"}
	for i, m := range dovecottest.Ordinary(24, 12) {
		a := appended{mailbox: folders[i%len(folders)], body: crlf(m.Stored), date: day.Add(time.Duration(i) * 36 * time.Hour)}
		switch i % 3 {
		case 0:
			a.flags = []imap.Flag{imap.FlagSeen}
		case 1:
			a.flags = []imap.Flag{imap.FlagAnswered, imap.FlagFlagged, imap.FlagSeen}
		}
		extra = append(extra, a)
	}
	// One large message, to stream more than one read buffer.
	extra = append(extra, appended{mailbox: "Sent", body: crlf(dovecottest.Large(3 << 20).Stored), date: day})
	appendRaw(t, srv, u, extra)

	root := t.TempDir()
	sess := mustDial(t, dialer(srv, u))
	var progress []Progress
	res, err := Download(ctx, sess, root, &DownloadOptions{BatchMessages: 7, Progress: func(p Progress) { progress = append(progress, p) }})
	if err != nil {
		t.Fatal(err)
	}
	wantDirs := map[string]string{"INBOX": "", "Sent": ".Sent", "Archive/2024": ".Archive.2024",
		"Ärger & Co": ".Ärger & Co", "Archive/2024/Q1": ".Archive.2024.Q1", "Drafts": ".Drafts", "Trash": ".Trash", "Archive": ".Archive"}
	fetched := 0
	for _, r := range res {
		if d, ok := wantDirs[r.Mailbox]; !ok || d != r.Dir {
			t.Errorf("folder %q stored in %q", r.Mailbox, r.Dir)
		}
		fetched += r.Fetched
	}
	if fetched != len(inbox)+len(extra) || len(progress) == 0 {
		t.Fatalf("fetched %d, want %d (%+v)", fetched, len(inbox)+len(extra), res)
	}

	// INBOX: what Deliver stored, in IMAP's CRLF form, unread.
	got := readTree(t, root)
	for _, m := range inbox {
		if n := countEqual(got, crlf(m.Stored)); n != 1 {
			t.Errorf("INBOX %s: %d copies", m.Name, n)
		}
	}
	for name := range got {
		if !strings.HasSuffix(name, string(infoSep)+"2,") {
			t.Errorf("INBOX message %s has flags", name)
		}
	}
	// Other folders: byte-exact, flags as Maildir info, date as mtime.
	for _, a := range extra {
		dir := filepath.Join(root, wantDirs[a.mailbox])
		files := readTree(t, dir)
		var hit string
		for name, b := range files {
			if bytes.Equal(b, a.body) {
				hit = name
			}
		}
		if hit == "" {
			t.Errorf("%s: message of %s not stored byte-exact", a.mailbox, a.date)
			continue
		}
		_, flags := splitInfo(filepath.Base(hit))
		want := make([]string, len(a.flags))
		for i, f := range a.flags {
			want[i] = string(f)
		}
		slices.Sort(want)
		if !slices.Equal(flags, want) {
			t.Errorf("%s %s: flags %v, want %v", a.mailbox, hit, flags, want)
		}
		fi, err := os.Stat(filepath.Join(dir, hit))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.ModTime().Equal(a.date) {
			t.Errorf("%s %s: mtime %v, want %v", a.mailbox, hit, fi.ModTime(), a.date)
		}
	}

	// A second run fetches nothing.
	res, err = Download(ctx, sess, root, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Fetched != 0 {
			t.Errorf("second run fetched %d from %s", r.Fetched, r.Mailbox)
		}
	}
	// New mail: only it is fetched.
	more := dovecottest.Ordinary(2, 13)
	u.Deliver(t, more[0].Stored, more[1].Stored)
	res, err = Download(ctx, sess, root, &DownloadOptions{Folders: []string{"INBOX"}})
	if err != nil || len(res) != 1 || res[0].Fetched != 2 {
		t.Fatalf("third run: %+v, %v; want the 2 new messages", res, err)
	}
}

func countEqual(files map[string][]byte, want []byte) int {
	n := 0
	for _, b := range files {
		if bytes.Equal(b, want) {
			n++
		}
	}
	return n
}

// TestDownloadRepairsLostJournal: files renamed into cur/ whose journal update was lost
// (a crash between the two) are recognised by name and not fetched again.
func TestDovecotDownloadRepairsLostJournal(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "lost", testPass, 100)
	for _, m := range dovecottest.Ordinary(12, 14) {
		u.Deliver(t, m.Stored)
	}
	root := t.TempDir()
	sess := mustDial(t, dialer(srv, u))
	if _, err := Download(context.Background(), sess, root, &DownloadOptions{Folders: []string{"INBOX"}}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(journalPath(root, "")); err != nil {
		t.Fatal(err)
	}
	res, err := Download(context.Background(), sess, root, &DownloadOptions{Folders: []string{"INBOX"}})
	if err != nil || res[0].Fetched != 0 || res[0].Present != 12 {
		t.Fatalf("after a lost journal: %+v, %v", res, err)
	}
	if n := len(readTree(t, root)); n != 12 {
		t.Fatalf("%d files, want 12", n)
	}
}

// TestDovecotCancel: cancelling the context stops a download and an upload at once; the
// next run finishes the job with nothing twice.
func TestDovecotCancel(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "cancel", testPass, 100)
	msgs := dovecottest.Ordinary(40, 15)
	src := filepath.Join(t.TempDir(), "src")
	writeSource(t, src, msgs)
	journal := filepath.Join(t.TempDir(), "j")

	ctx, cancel := context.WithCancel(context.Background())
	res, err := Upload(ctx, dialer(srv, u), src, "INBOX", &UploadOptions{Journal: journal, Progress: func(p Progress) {
		if p.Done == 10 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || res.Uploaded != 10 || res.Remaining != 30 {
		t.Fatalf("cancelled upload: %+v, %v", res, err)
	}
	res, err = Upload(context.Background(), dialer(srv, u), src, "INBOX", &UploadOptions{Journal: journal, AllSeen: true})
	if err != nil || res.Uploaded != 30 || res.Verified != 40 {
		t.Fatalf("resumed upload: %+v, %v", res, err)
	}

	root := t.TempDir()
	ctx, cancel = context.WithCancel(context.Background())
	sess := mustDial(t, dialer(srv, u))
	dres, err := Download(ctx, sess, root, &DownloadOptions{Folders: []string{"INBOX"}, BatchMessages: 8,
		Progress: func(Progress) { cancel() }})
	if !errors.Is(err, context.Canceled) || dres[0].Fetched != 8 {
		t.Fatalf("cancelled download: %+v, %v", dres, err)
	}
	sess = mustDial(t, dialer(srv, u))
	dres, err = Download(context.Background(), sess, root, &DownloadOptions{Folders: []string{"INBOX"}})
	if err != nil || dres[0].Fetched != 32 {
		t.Fatalf("resumed download: %+v, %v", dres, err)
	}
	got := readTree(t, root)
	if len(got) != 40 {
		t.Fatalf("%d files, want 40", len(got))
	}
	// The first run kept the source's flags (new/ unread), the resumed one had AllSeen.
	seen := 0
	for name := range got {
		if _, flags := splitInfo(filepath.Base(name)); slices.Contains(flags, `\Seen`) {
			seen++
		}
	}
	if want := 5 + 30; seen != want {
		t.Errorf("%d messages read, want %d", seen, want)
	}
}
