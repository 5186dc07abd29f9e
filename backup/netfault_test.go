package backup

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// netCase is one network fault: a run through the fault proxy that must fail cleanly
// (or, for a slow link, succeed), leave the oracle intact and delete nothing it should
// not, followed by a fault-free run that must complete and reconcile.
type netCase struct {
	name  string
	plain bool // through Dovecot's plain POP3 port (the proxy sees commands)
	fault *fault
	// small uses a few ordinary messages instead of the edge-case corpus.
	small   bool
	timeout time.Duration
	// wantOK: the faulty run must succeed (slow link, one DELE refused); otherwise it
	// must fail.
	wantOK bool
	errIs  error
	// newInFaulty, if >= 0, is how many messages the faulty run must keep (allMessages:
	// every one); a func of the replies the proxy saw, for cuts. With atMost it is an
	// upper bound: after a reset the client's kernel drops whatever it had received but
	// the client not yet read, so fewer complete messages may arrive than were sent.
	newInFaulty func() int
	atMost      bool
	// serverAfter is how many messages the server holds after the faulty run: -1 means
	// all (nothing deleted).
	serverAfter int
	// after checks the fault-free run's result.
	after func(t *testing.T, mb *mailbox, dir string, res *Result)
}

// allMessages as netCase.newInFaulty means every delivered message.
const allMessages = -2

// TestNetworkFaults injects network faults (issue 5 item 2) under "delete right after backup", the policy with the most to lose: resets and
// FINs mid-RETR at chosen and random bytes (inside the final ".\r\n" too), a stalled and
// a trickling server, connections dropped between DELEs and before QUIT, the QUIT reply
// lost or turned into -ERR (with the server keeping or removing the messages), one DELE
// refused, [IN-USE] at login, and TLS streams cut mid-message.
func TestNetworkFaults(t *testing.T) {
	srv := dovecottest.Start(t)
	corpus := func(small bool, tag string) []dovecottest.Message {
		if small {
			return tagged(tag, 8, 3)
		}
		return append(smallEdgeCases(), tagged(tag, 8, 3)...)
	}
	none := func() int { return 0 }
	everything := func() int { return allMessages }
	keep := func(n int) func() int { return func() int { return n } }
	all := -1
	redeleted := func(t *testing.T, mb *mailbox, dir string, res *Result) {
		if res.New != 0 || res.Deleted != len(mb.msgs) {
			t.Errorf("next run: new %d, deleted %d; want 0 and %d", res.New, res.Deleted, len(mb.msgs))
		}
	}
	// confirmedByReconcile: the server removed everything although the run could not
	// know; the next run fetches nothing and records every deletion as confirmed.
	confirmedByReconcile := func(t *testing.T, mb *mailbox, dir string, res *Result) {
		if res.New != 0 || res.Deleted != 0 {
			t.Errorf("next run: %+v", res)
		}
		for _, e := range readBackup(t, dir).ix.Entries() {
			if e.Deleted.IsZero() {
				t.Errorf("%s: deletion not confirmed by the next run", e.UIDL)
			}
		}
	}
	// completeBefore counts the replies wholly received before a cut: exactly the
	// messages the run may keep.
	type cutLog struct {
		mu      sync.Mutex
		replies []retrReply
		cut     int
	}
	completeBefore := func(l *cutLog) func() int {
		return func() int {
			l.mu.Lock()
			defer l.mu.Unlock()
			n := 0
			for _, r := range l.replies {
				if r.end <= l.cut {
					n++
				}
			}
			return n
		}
	}
	logged := func(l *cutLog, cut func([]byte) int) func([]byte) int {
		return func(region []byte) int {
			c := cut(region)
			if c >= 0 {
				l.mu.Lock()
				l.replies, l.cut = retrReplies(region), c
				l.mu.Unlock()
			}
			return c
		}
	}
	// cutCase cuts reply k at where() with action act.
	cutCase := func(name string, k int, act action, where func(r retrReply, region []byte) int) netCase {
		l := &cutLog{}
		return netCase{name: name, plain: true, fault: &fault{retrCut: logged(l, cutInReply(k, where)), atCut: act},
			newInFaulty: completeBefore(l), atMost: act == actReset, serverAfter: all}
	}
	at := func(off int) func(r retrReply, region []byte) int {
		return func(r retrReply, region []byte) int { return r.term + off }
	}
	midBody := func(r retrReply, region []byte) int { return (r.body + r.term) / 2 }
	// A line end in the middle of the body: a reader that took "the connection ended at
	// a line end" for "the message ended" would store a truncated message.
	lineEnd := func(r retrReply, region []byte) int {
		mid := (r.body + r.term) / 2
		i := strings.Index(string(region[mid:r.term]), "\r\n")
		if i < 0 {
			return mid
		}
		return mid + i + 2
	}

	cases := []netCase{
		cutCase("reset mid-body of the first message", 0, actReset, midBody),
		cutCase("reset at a line end mid-body of the third message", 2, actReset, lineEnd),
		cutCase("reset before the final CRLF", 2, actReset, at(0)),
		cutCase("reset inside the terminator after CRLF", 2, actReset, at(2)),
		cutCase("reset inside the terminator after the dot", 2, actReset, at(3)),
		cutCase("reset inside the terminator after dot-CR", 2, actReset, at(4)),
		cutCase("FIN inside the terminator after the dot", 2, actClose, at(3)),
		cutCase("FIN inside the terminator after dot-CR", 2, actClose, at(4)),
		cutCase("reset right after a complete terminator", 2, actReset, at(5)),
		cutCase("FIN right after a complete terminator", 2, actClose, at(5)),
		{name: "stall mid-RETR", plain: true, timeout: time.Second,
			fault: &fault{retrCut: cutInReply(1, midBody), atCut: actStall}, errIs: mailerr.ErrTimeout,
			newInFaulty: keep(1), serverAfter: all},
		{name: "slow trickle completes", plain: true, small: true, timeout: 3 * time.Second,
			fault: &fault{trickle: 2 * time.Millisecond}, wantOK: true, serverAfter: 0,
			after: func(t *testing.T, mb *mailbox, dir string, res *Result) {
				if res.New != 0 || res.Deleted != 0 {
					t.Errorf("after a complete run: %+v", res)
				}
			}},
		{name: "drop after DELE, before QUIT", plain: true,
			fault:       &fault{command: func(verb string, n int) verdict { return verdict{drop: verb == "QUIT"} }},
			newInFaulty: everything, serverAfter: all, after: redeleted},
		{name: "drop between DELEs", plain: true,
			fault:       &fault{command: func(verb string, n int) verdict { return verdict{drop: verb == "DELE" && n == 3} }},
			newInFaulty: everything, serverAfter: all, after: redeleted},
		{name: "QUIT answered -ERR, nothing removed", plain: true,
			fault: &fault{command: func(verb string, n int) verdict {
				if verb == "QUIT" {
					return verdict{reply: "-ERR some deleted messages not removed"}
				}
				return verdict{}
			}},
			newInFaulty: everything, serverAfter: all, after: redeleted},
		{name: "QUIT answered -ERR although the server removed them", plain: true,
			fault: &fault{command: func(verb string, n int) verdict {
				if verb == "QUIT" {
					return verdict{rewriteReply: "-ERR some deleted messages not removed"}
				}
				return verdict{}
			}},
			newInFaulty: everything, serverAfter: 0, after: confirmedByReconcile},
		{name: "connection lost while the QUIT +OK is in flight", plain: true,
			fault:       &fault{command: func(verb string, n int) verdict { return verdict{dropReply: verb == "QUIT"} }},
			newInFaulty: everything, serverAfter: 0, after: confirmedByReconcile},
		{name: "DELE refused for one message", plain: true, wantOK: true,
			fault: &fault{command: func(verb string, n int) verdict {
				if verb == "DELE" && n == 2 {
					return verdict{reply: "-ERR message is locked"}
				}
				return verdict{}
			}},
			newInFaulty: everything, serverAfter: 1,
			after: func(t *testing.T, mb *mailbox, dir string, res *Result) {
				if res.New != 0 || res.Deleted != 1 {
					t.Errorf("next run: new %d, deleted %d; want 0 and the 1 refused before", res.New, res.Deleted)
				}
			}},
		{name: "[IN-USE] at login", plain: true,
			fault: &fault{command: func(verb string, n int) verdict {
				if verb == "AUTH" || verb == "PASS" || verb == "USER" {
					return verdict{reply: "-ERR [IN-USE] Mailbox is locked by another POP3 session"}
				}
				return verdict{}
			}},
			errIs: mailerr.ErrTemporary, newInFaulty: none, serverAfter: all},
		{name: "TLS: reset mid-stream", fault: &fault{streamCut: 120 << 10, atCut: actReset},
			newInFaulty: func() int { return -1 }, serverAfter: all},
		{name: "TLS: FIN without close_notify mid-stream", fault: &fault{streamCut: 120 << 10, atCut: actClose},
			newInFaulty: func() int { return -1 }, serverAfter: all},
	}
	// Random cuts anywhere in the RETR replies: status lines, bodies, terminators.
	seed := uint64(time.Now().UnixNano())
	t.Logf("random cuts: seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	corpusLen := len(corpus(false, ""))
	for i := 0; i < 10; i++ {
		l := &cutLog{}
		frac := rng.Float64()
		act := []action{actReset, actClose}[rng.IntN(2)]
		cases = append(cases, netCase{name: fmt.Sprintf("random cut %d", i), plain: true,
			fault: &fault{retrCut: logged(l, func(region []byte) int {
				rs := retrReplies(region)
				if len(rs) < corpusLen {
					return -1
				}
				return int(frac * float64(rs[len(rs)-1].end))
			}), atCut: act},
			newInFaulty: completeBefore(l), atMost: act == actReset, serverAfter: all})
	}

	users := readyUsers(t, srv, len(cases))
	forEachConcurrently(len(cases), func(i int) {
		tc := cases[i]
		t.Run(tc.name, func(t *testing.T) {
			mb := newMailbox(srv, users[i])
			mb.deliver(t, corpus(tc.small, fmt.Sprintf("net%d", i))...)
			dir := filepath.Join(t.TempDir(), "backup")
			acct := faultAccount(t, srv, users[i], dir, accounts.Retention{Mode: accounts.DeleteNow})
			upstream := srv.POP3SAddr()
			if tc.plain {
				upstream = srv.POP3Addr()
				acct.Security, acct.AllowPlaintext = accounts.None, true
			}
			proxy := startProxy(t, upstream)
			acct.Port = proxy.port()
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			opts := &Options{StateDir: t.TempDir(), Conn: &connect.Options{Roots: srv.CertPool, Timeout: timeout}}

			proxy.setFault(tc.fault)
			start := time.Now()
			res, err := Run(context.Background(), acct, users[i].Password, opts)
			elapsed := time.Since(start)
			switch {
			case tc.wantOK && err != nil:
				t.Fatalf("run through a slow link failed: %v", err)
			case !tc.wantOK && err == nil:
				t.Fatalf("run through the fault succeeded: %+v", res)
			case tc.errIs != nil && !errors.Is(err, tc.errIs):
				t.Fatalf("error %v, want one wrapping %v", err, tc.errIs)
			}
			if err != nil {
				if res.OK() || res.Err == "" {
					t.Errorf("Result does not carry the error: %+v", res)
				}
				t.Logf("faulty run: %v (after %v)", err, elapsed.Round(time.Millisecond))
			}
			if elapsed > 2*timeout+5*time.Second {
				t.Errorf("the faulty run took %v with a %v timeout", elapsed, timeout)
			}
			if tc.newInFaulty != nil {
				want := tc.newInFaulty()
				if want == allMessages {
					want = len(mb.msgs)
				}
				switch {
				case want < 0:
				case tc.atMost && res.New > want:
					t.Errorf("faulty run kept %d messages, but only %d were wholly sent", res.New, want)
				case !tc.atMost && res.New != want:
					t.Errorf("faulty run kept %d messages, want %d (every message wholly received, and no other)", res.New, want)
				}
			}
			if err != nil && res.Deleted != 0 {
				t.Errorf("the failed run reports %d deletions", res.Deleted)
			}
			if tc.wantOK && tc.serverAfter > 0 && (res.Deleted != len(mb.msgs)-tc.serverAfter || len(res.Errors) == 0) {
				t.Errorf("deleted %d with errors %v; want %d deleted and the refusal reported", res.Deleted, res.Errors, len(mb.msgs)-tc.serverAfter)
			}
			kept := res.New
			mb.checkNoLoss(t, dir)
			want := tc.serverAfter
			if want < 0 {
				want = len(mb.msgs)
			}
			if got := len(mb.serverHas(t)); got != want {
				t.Fatalf("after the faulty run the server holds %d messages, want %d", got, want)
			}

			proxy.setFault(nil)
			res, err = Run(context.Background(), acct, users[i].Password, opts)
			if err != nil {
				t.Fatalf("the run after the fault failed: %v", err)
			}
			mb.checkSettled(t, acct, opts, 0)
			if tc.serverAfter == all && (res.New != len(mb.msgs)-kept || res.AlreadyHad != kept) {
				t.Errorf("next run: new %d, already had %d; want %d and %d (nothing kept downloaded again)",
					res.New, res.AlreadyHad, len(mb.msgs)-kept, kept)
			}
			if tc.after != nil {
				tc.after(t, mb, dir, res)
			}
		})
	})
}

// TestServerRestartDuringRun kills and restarts Dovecot in the middle of a download (from
// the progress callback, so the moment is exact): the run fails with a network error,
// keeps the messages it completed, deletes nothing, and the next run completes.
func TestServerRestartDuringRun(t *testing.T) {
	srv := dovecottest.Start(t)
	u := readyUsers(t, srv, 1)[0]
	mb := newMailbox(srv, u)
	// Large messages keep the server busy sending when the restart comes, so the cut
	// lands inside a RETR rather than after everything was already buffered.
	mb.deliver(t, tagged("restart", 4, 5)...)
	mb.deliver(t, largeTagged("restart", 3, 2<<20)...)
	mb.deliver(t, tagged("restart-tail", 4, 6)...)
	dir := filepath.Join(t.TempDir(), "backup")
	acct := faultAccount(t, srv, u, dir, accounts.Retention{Mode: accounts.DeleteNow})
	opts := &Options{StateDir: t.TempDir(), Conn: &connect.Options{Roots: srv.CertPool, Timeout: 5 * time.Second}}
	restarted := false
	opts.Progress = func(p Progress) {
		if p.Phase == PhaseDownload && p.Done == 4 && !restarted {
			restarted = true
			srv.Restart(t)
		}
	}
	res, err := Run(context.Background(), acct, u.Password, opts)
	if !restarted {
		t.Fatal("the run never reached the restart point")
	}
	if err == nil {
		t.Fatalf("run survived a server restart without an error: %+v", res)
	}
	t.Logf("run during restart: %v; kept %d", err, res.New)
	if res.New < 4 || res.Deleted != 0 {
		t.Errorf("kept %d (want at least the 4 completed before the restart), deleted %d", res.New, res.Deleted)
	}
	mb.checkNoLoss(t, dir)
	if n := len(mb.serverHas(t)); n != len(mb.msgs) {
		t.Fatalf("server holds %d of %d after the interrupted run", n, len(mb.msgs))
	}
	waitLogin(t, srv, u)
	opts.Progress = nil
	res, err = Run(context.Background(), acct, u.Password, opts)
	if err != nil {
		t.Fatalf("run after the restart: %v", err)
	}
	if res.AlreadyHad < 4 {
		t.Errorf("messages kept before the restart were downloaded again: %+v", res)
	}
	mb.checkSettled(t, acct, opts, 0)
}
