package pop3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/trust"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// TestDovecot runs the client against a real Dovecot (skipped if it is not installed):
// both ways of encrypting, a wrong password, and byte-exact retrieval of every message
// of the edge-case corpus, pipelined and one at a time.
func TestDovecot(t *testing.T) {
	srv := dovecottest.Start(t)
	const pass, bobPass = "wonder land", "builder"
	alice := srv.AddUser(t, "alice", pass, 0)
	// Users are added before any login: Dovecot caches the passwd-file.
	bob := srv.AddUser(t, "bob", bobPass, 0)
	edge := dovecottest.EdgeCases()
	for _, m := range edge {
		alice.Deliver(t, m.Stored)
	}
	ctx := context.Background()
	tlsConfig := trust.Config("127.0.0.1", &trust.Options{Roots: srv.CertPool})

	dial := func(t *testing.T, addr string, sec Security) *Client {
		t.Helper()
		c, err := Dial(ctx, addr, &Options{Security: sec, TLSConfig: tlsConfig})
		if err != nil {
			t.Fatalf("Dial %v: %v", sec, err)
		}
		t.Cleanup(func() { c.Close() })
		if _, ok := c.ConnectionState(); !ok {
			t.Fatal("not encrypted")
		}
		return c
	}
	checkMessage := func(t *testing.T, num int, got []byte) {
		t.Helper()
		m := edge[num-1]
		if want := dovecottest.WireForm(m.Stored); !bytes.Equal(got, want) {
			t.Errorf("message %d (%s): got %d bytes, want %d; first difference at %d",
				num, m.Name, len(got), len(want), firstDiff(got, want))
		}
	}

	t.Run("implicit TLS, pipelined", func(t *testing.T) {
		c := dial(t, srv.POP3SAddr(), TLS)
		if err := c.Auth(ctx, alice.Name, pass); err != nil {
			t.Fatal(err)
		}
		caps := c.Caps()
		if !caps.Pipelining() || !caps.UIDL() {
			t.Fatalf("Dovecot caps %v: want PIPELINING and UIDL", caps.Names())
		}
		uids, err := c.UIDL(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sizes, err := c.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(uids) != len(edge) || len(sizes) != len(edge) {
			t.Fatalf("UIDL %d, LIST %d entries; delivered %d", len(uids), len(sizes), len(edge))
		}
		seen := map[string]bool{}
		nums := make([]int, len(uids))
		for i, u := range uids {
			if u.Num != i+1 || seen[u.UID] {
				t.Errorf("UIDL entry %d: %+v (duplicate: %v)", i, u, seen[u.UID])
			}
			seen[u.UID] = true
			nums[i] = u.Num
			if want := dovecottest.ListSize(edge[i].Stored); sizes[i].Octets != want {
				t.Errorf("LIST %d = %d, want %d", sizes[i].Num, sizes[i].Octets, want)
			}
		}
		count := 0
		err = c.RetrAll(ctx, nums, func(num int, body io.Reader) error {
			got, err := io.ReadAll(body)
			checkMessage(t, num, got)
			count++
			return err
		})
		if err != nil || count != len(edge) {
			t.Fatalf("RetrAll: %d messages, %v", count, err)
		}
		if err := c.Quit(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("STLS, one at a time", func(t *testing.T) {
		c := dial(t, srv.POP3Addr(), StartTLS)
		if err := c.Auth(ctx, alice.Name, pass); err != nil {
			t.Fatal(err)
		}
		n, _, err := c.Stat(ctx)
		if err != nil || n != len(edge) {
			t.Fatalf("STAT = %d, %v; want %d", n, err, len(edge))
		}
		for num := 1; num <= n; num++ {
			var buf bytes.Buffer
			written, err := c.Retr(ctx, num, &buf)
			if err != nil || written != int64(buf.Len()) {
				t.Fatalf("RETR %d: %d, %v", num, written, err)
			}
			checkMessage(t, num, buf.Bytes())
		}
		if _, err := c.Retr(ctx, n+1, io.Discard); !errors.As(err, new(*MessageError)) {
			t.Errorf("RETR of a missing message: %v, want a MessageError", err)
		}
		if err := c.Noop(ctx); err != nil {
			t.Errorf("NOOP after -ERR: %v", err)
		}
		if err := c.Quit(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		c := dial(t, srv.POP3SAddr(), TLS)
		err := c.Auth(ctx, alice.Name, "not the password")
		if !errors.Is(err, mailerr.ErrAuthFailed) {
			t.Fatalf("Auth: %v, want ErrAuthFailed", err)
		}
		if bytes.Contains([]byte(err.Error()), []byte("not the password")) {
			t.Errorf("error text contains the password: %v", err)
		}
	})

	t.Run("untrusted certificate", func(t *testing.T) {
		_, err := Dial(ctx, srv.POP3SAddr(), &Options{TLSConfig: trust.Config("127.0.0.1", nil)})
		if !errors.Is(err, trust.ErrUntrusted) {
			t.Fatalf("Dial with system roots: %v, want trust.ErrUntrusted", err)
		}
	})

	t.Run("DELE is undone by Close and committed by Quit", func(t *testing.T) {
		for i := range 3 {
			bob.Deliver(t, []byte(fmt.Sprintf("Subject: %d\n\nbody\n", i)))
		}
		session := func() *Client {
			c := dial(t, srv.POP3SAddr(), TLS)
			if err := c.Auth(ctx, bob.Name, bobPass); err != nil {
				t.Fatal(err)
			}
			return c
		}
		c := session()
		if err := c.Dele(ctx, 1); err != nil {
			t.Fatal(err)
		}
		c.Close()
		c = session()
		if n, _, err := c.Stat(ctx); err != nil || n != 3 {
			t.Fatalf("after Close: STAT = %d, %v; want 3 (DELE rolled back)", n, err)
		}
		if err := c.Dele(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if err := c.Quit(ctx); err != nil {
			t.Fatal(err)
		}
		c = session()
		if n, _, err := c.Stat(ctx); err != nil || n != 2 {
			t.Fatalf("after Quit: STAT = %d, %v; want 2", n, err)
		}
	})
}

// TestDovecotLargeMessage checks that a 50 MB message streams (bounded memory) and
// arrives byte-exact.
func TestDovecotLargeMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("50 MB message: skipped in -short mode")
	}
	srv := dovecottest.Start(t)
	const pass = "large pass"
	u := srv.AddUser(t, "carol", pass, 0)
	large := dovecottest.Large(50 << 20)
	u.Deliver(t, large.Stored)
	want := sha256.Sum256(dovecottest.WireForm(large.Stored))
	ctx := context.Background()
	c, err := Dial(ctx, srv.POP3SAddr(), &Options{TLSConfig: trust.Config("127.0.0.1", &trust.Options{Roots: srv.CertPool})})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(ctx, u.Name, pass); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h := sha256.New()
	start := time.Now()
	n, err := c.Retr(ctx, 1, h)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
		t.Fatalf("50 MB message: %d bytes, SHA-256 differs from the wire form", n)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("RETR of %d bytes allocated %d bytes: the message is being buffered", n, alloc)
	}
	t.Logf("50 MB RETR over TLS: %d bytes in %v (%.0f MB/s), %d bytes allocated", n, elapsed, float64(n)/elapsed.Seconds()/1e6, after.TotalAlloc-before.TotalAlloc)
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
