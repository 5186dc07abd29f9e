package imapcopy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts/imap"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// TestDovecotArchive: a mailbox with mail spread over two years (dates set through
// APPEND); archiving what is older than a year removes exactly those messages from the
// server, each with a byte-exact copy in the archive, and frees their size in the quota.
// A copy that does not check out keeps its message on the server.
func TestDovecotArchive(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "archive", testPass, 50)
	first := time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)
	var msgs []appended
	for i, m := range dovecottest.Ordinary(52, 31) {
		box := "INBOX"
		if i%3 == 0 {
			box = "Old"
		}
		msgs = append(msgs, appended{mailbox: box, body: crlf(m.Stored), date: first.AddDate(0, 0, 14*i)})
	}
	appendRaw(t, srv, u, msgs)
	cutoff := first.AddDate(1, 0, 0)
	old := func(in imap.MessageInfo) bool { return in.InternalDate.Before(cutoff) }
	var wantOld, wantKept int
	for _, m := range msgs {
		if m.date.Before(cutoff) {
			wantOld++
		}
	}
	ctx := context.Background()
	root := t.TempDir()
	sess := mustDial(t, dialer(srv, u))

	// A full download of Old earlier (its journal then says "all done"), and one of its
	// copies damaged since: that message must stay on the server.
	pre, err := Download(ctx, sess, root, &DownloadOptions{Folders: []string{"Old"}})
	if err != nil || len(pre) != 1 || pre[0].Fetched == 0 {
		t.Fatalf("first download: %+v, %v", pre, err)
	}
	have, err := storedUIDs(filepath.Join(root, ".Old"), pre[0].UIDValidity)
	if err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(root, ".Old", have[pre[0].UIDs[0]])
	if err := os.Truncate(damaged, 10); err != nil {
		t.Fatal(err)
	}
	wantKept = 1

	usedBefore, _ := u.QuotaStorageKiB(t)
	res, err := Archive(ctx, sess, root, &DownloadOptions{Select: old})
	if err != nil {
		t.Fatal(err)
	}
	deleted, kept := 0, 0
	var freed int64
	for _, r := range res {
		deleted += r.Deleted
		kept += len(r.Kept)
		freed += r.Freed
	}
	if deleted != wantOld-wantKept || kept != wantKept {
		t.Fatalf("deleted %d, kept %d; want %d and %d (%+v)", deleted, kept, wantOld-wantKept, wantKept, res)
	}
	if n := u.MailboxMessages(t, "INBOX") + u.MailboxMessages(t, "Old"); n != len(msgs)-deleted {
		t.Errorf("%d messages left on the server, want %d", n, len(msgs)-deleted)
	}
	usedAfter, _ := u.QuotaStorageKiB(t)
	if d := usedBefore - usedAfter; d < freed/1024-1 || d > freed/1024+1 {
		t.Errorf("quota went from %d to %d KiB, freed %d bytes", usedBefore, usedAfter, freed)
	}
	// Every old message is in the archive byte-exact (but the damaged one, which is
	// still on the server), no newer one of INBOX is.
	tree := readTree(t, root)
	for name, b := range readTree(t, filepath.Join(root, ".Old")) {
		tree[filepath.Join(".Old", name)] = b
	}
	missing := 0
	for _, m := range msgs {
		n := countEqual(tree, m.body)
		switch {
		case !m.date.Before(cutoff) && m.mailbox == "INBOX" && n != 0:
			t.Errorf("message of %s archived", m.date) // (Old was downloaded in full)
		case m.date.Before(cutoff) && n == 0:
			missing++ // the damaged copy
		case m.date.Before(cutoff) && n != 1:
			t.Errorf("message of %s: %d copies in the archive", m.date, n)
		}
	}
	if missing != wantKept {
		t.Errorf("%d old messages without an intact copy, want %d (the damaged one)", missing, wantKept)
	}

	// Again: nothing to fetch; the damaged one is still kept.
	res, err = Archive(ctx, sess, root, &DownloadOptions{Select: old})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Fetched != 0 || r.Deleted != 0 {
			t.Errorf("second archive of %s: %+v", r.Mailbox, r)
		}
	}
	if _, err := Archive(ctx, sess, root, nil); err == nil {
		t.Error("Archive without a selection accepted")
	}
}

// TestArchiveNeedsUIDPlus: without UIDPLUS nothing is downloaded or deleted.
func TestDovecotArchiveNeedsUIDPlus(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "archnoplus", testPass, 10)
	u.Deliver(t, dovecottest.Ordinary(3, 1)[0].Stored)
	addr := rewriteProxy(t, srv.IMAPAddr(), func(line string) string { return appendUID.ReplaceAllString(stripUIDPlus(line), "") })
	sess := mustDial(t, plainDialer(addr, u))
	_, err := Archive(context.Background(), sess, t.TempDir(), &DownloadOptions{Select: func(imap.MessageInfo) bool { return true }})
	if !errors.Is(err, imap.ErrNoUIDPlus) || u.MessageCount(t) != 1 {
		t.Fatalf("Archive = %v", err)
	}
}
