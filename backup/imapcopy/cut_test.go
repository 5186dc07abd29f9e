package imapcopy

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// cutProxy forwards plaintext IMAP to target and cuts each connection (both directions)
// once more than up bytes went from client to server, or more than down bytes from server
// to client (0: no limit that way). It imitates a network that drops in the middle of an
// APPEND literal, just after the server stored a message, or in the middle of a FETCH.
type cutProxy struct {
	l        net.Listener
	target   string
	up, down atomic.Int64
	wg       sync.WaitGroup
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{l: l, target: target}
	t.Cleanup(func() { l.Close(); p.wg.Wait() })
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
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
			up, down := p.up.Load(), p.down.Load()
			cut := func() { c.Close(); s.Close() }
			p.wg.Add(2)
			go func() { defer p.wg.Done(); copyCut(s, c, up); cut() }()
			go func() { defer p.wg.Done(); copyCut(c, s, down); cut() }()
		}
	}()
	return p
}

// copyCut copies until EOF, or until limit bytes (0: unlimited) have passed.
func copyCut(dst io.Writer, src io.Reader, limit int64) {
	if limit > 0 {
		src = io.LimitReader(src, limit)
	}
	io.Copy(dst, src)
}

func (p *cutProxy) addr() string { return p.l.Addr().String() }

// TestDovecotNetworkCuts: uploads and downloads cut by the network at many points, then
// finished over a good connection: every message exactly once on the server and in the
// download.
func TestDovecotNetworkCuts(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "cuts", testPass, 100)
	proxy := newCutProxy(t, srv.IMAPAddr())
	dial := plainDialer(proxy.addr(), u)
	msgs := crashCorpus()
	src := filepath.Join(t.TempDir(), "src")
	writeSource(t, src, msgs)
	journal := filepath.Join(t.TempDir(), "j")
	ctx := context.Background()

	// Client-to-server cuts during APPENDs: each run gets a little further.
	cuts := 0
	for limit := int64(1500); limit < 400_000; limit = limit*5/4 + 777 {
		proxy.up.Store(limit)
		if _, err := Upload(ctx, dial, src, "INBOX", &UploadOptions{Journal: journal}); err != nil {
			cuts++
		}
		for i, n := range serverCopies(t, srv, u, msgs) {
			if n > 1 {
				t.Fatalf("after a cut at %d bytes: %s is on the server %d times", limit, msgs[i].Name, n)
			}
		}
	}
	proxy.up.Store(0)
	if res, err := Upload(ctx, dial, src, "INBOX", &UploadOptions{Journal: journal}); err != nil || res.Verified != len(msgs) {
		t.Fatalf("final upload: %+v, %v", res, err)
	}
	for i, n := range serverCopies(t, srv, u, msgs) {
		if n != 1 {
			t.Errorf("%s: %d copies on the server", msgs[i].Name, n)
		}
	}
	t.Logf("%d uploads cut", cuts)

	// Server-to-client cuts during FETCH.
	root := t.TempDir()
	cuts = 0
	for limit := int64(3000); limit < 600_000; limit = limit*3/2 + 1234 {
		proxy.down.Store(limit)
		sess, err := dial(ctx)
		if err != nil {
			continue // cut during login
		}
		if _, err := Download(ctx, sess, root, &DownloadOptions{Folders: []string{"INBOX"}, BatchMessages: 10}); err != nil {
			cuts++
		}
		sess.Close()
	}
	proxy.down.Store(0)
	sess := mustDial(t, dial)
	if _, err := Download(ctx, sess, root, &DownloadOptions{Folders: []string{"INBOX"}}); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, root)
	if len(got) != len(msgs) {
		t.Errorf("%d files after the cut downloads, want %d", len(got), len(msgs))
	}
	for _, m := range msgs {
		if n := countEqual(got, crlf(m.Stored)); n != 1 {
			t.Errorf("%s: %d copies in the download", m.Name, n)
		}
	}
	t.Logf("%d downloads cut", cuts)
}
