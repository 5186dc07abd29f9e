package pop3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts/mailerr"
)

func TestRetr(t *testing.T) {
	msg := "Subject: test\r\n\r\n.hidden dot\r\n..\r\nbody\r\n"
	big := strings.Repeat("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuv\r\n", 30000)
	// The big message arrives in 12 slices 50 ms apart: 600 ms in total, longer than the
	// 400 ms timeout, but never idle for that long (wide margins for loaded CI machines).
	var slow []string
	bigWire := string(stuff([]byte(big)))
	for i := range 12 {
		part := bigWire[i*len(bigWire)/12 : (i+1)*len(bigWire)/12]
		slow = append(slow, "R: "+part, "SLEEP 50ms")
	}
	tests := []struct {
		name     string
		exchange []string
		w        io.Writer
		timeout  time.Duration
		want     string  // the message, if no error
		wantErr  []error // nil: success
		usable   bool    // the client still works after the error
	}{
		{
			name:     "message",
			exchange: retrReplyScript(1, msg),
			want:     msg,
		},
		{
			name:     "slow large message within the idle timeout",
			exchange: concat([]string{"C: RETR 1", "R: +OK\r\n"}, slow),
			timeout:  400 * time.Millisecond,
			want:     big,
		},
		{
			name:     "-ERR",
			exchange: []string{"C: RETR 1", "S: -ERR no such message"},
			wantErr:  []error{},
			usable:   true,
		},
		{
			name:     "-ERR temporary",
			exchange: []string{"C: RETR 1", "S: -ERR [SYS/TEMP] storage busy"},
			wantErr:  []error{mailerr.ErrTemporary},
			usable:   true,
		},
		{
			name:     "writer fails",
			exchange: retrReplyScript(1, msg),
			w:        failWriter{errors.New("disk full")},
			wantErr:  []error{},
			usable:   true,
		},
		{
			name:     "stall mid-message",
			exchange: []string{"C: RETR 1", "R: +OK\r\nSubject: partial\r\n", "STALL"},
			timeout:  200 * time.Millisecond,
			wantErr:  []error{mailerr.ErrTimeout},
		},
		{
			name:     "stall before the status line",
			exchange: []string{"C: RETR 1", "STALL"},
			timeout:  200 * time.Millisecond,
			wantErr:  []error{mailerr.ErrTimeout},
		},
		{
			name:     "connection dropped mid-message",
			exchange: []string{"C: RETR 1", "R: +OK\r\nSubject: partial\r\nbo", "CLOSE"},
			wantErr:  []error{mailerr.ErrProtocol, io.ErrUnexpectedEOF},
		},
		{
			name:     "connection dropped after a line end",
			exchange: []string{"C: RETR 1", "R: +OK\r\nSubject: partial\r\n", "CLOSE"},
			wantErr:  []error{mailerr.ErrProtocol, io.ErrUnexpectedEOF},
		},
		{
			name:     "connection dropped after the terminator's dot",
			exchange: []string{"C: RETR 1", "R: +OK\r\nbody\r\n.", "CLOSE"},
			wantErr:  []error{mailerr.ErrProtocol, io.ErrUnexpectedEOF},
		},
		{
			name:     "connection dropped inside the terminator",
			exchange: []string{"C: RETR 1", "R: +OK\r\nbody\r\n.\r", "CLOSE"},
			wantErr:  []error{mailerr.ErrProtocol, io.ErrUnexpectedEOF},
		},
		{
			name:     "connection dropped before the status line",
			exchange: []string{"C: RETR 1", "CLOSE"},
			wantErr:  []error{mailerr.ErrProtocol},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script := loginScript([]string{"USER"}, tt.exchange...)
			if tt.usable {
				script = append(script, "C: NOOP", "S: +OK")
			}
			srv := newScript(t, script...)
			c := login(t, srv, tt.timeout)
			var buf bytes.Buffer
			w := tt.w
			if w == nil {
				w = &buf
			}
			start := time.Now()
			n, err := c.Retr(context.Background(), 1, w)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Retr: %v", err)
				}
				if buf.String() != tt.want || n != int64(len(tt.want)) {
					t.Fatalf("Retr = %d bytes %.60q, want %d bytes", n, buf.String(), len(tt.want))
				}
				return
			}
			if err == nil || !errIs(err, tt.wantErr...) {
				t.Fatalf("Retr error %v, want %v", err, tt.wantErr)
			}
			if tt.timeout > 0 && time.Since(start) > 10*tt.timeout {
				t.Errorf("the timeout took %v", time.Since(start))
			}
			var me *MessageError
			if tt.usable && (!errors.As(err, &me) || me.Num != 1) {
				t.Errorf("error %v is not a *MessageError for message 1", err)
			}
			err = c.Noop(context.Background())
			if tt.usable && err != nil {
				t.Errorf("NOOP after the error: %v", err)
			}
			if !tt.usable && !errors.Is(err, ErrUnusable) {
				t.Errorf("NOOP after a broken RETR: %v, want ErrUnusable", err)
			}
		})
	}
}

func TestDeleQuit(t *testing.T) {
	ctx := context.Background()
	t.Run("DELE then QUIT commits", func(t *testing.T) {
		srv := newScript(t, loginScript(nil, "C: DELE 1", "S: +OK marked", "C: QUIT", "S: +OK bye")...)
		c := login(t, srv, 0)
		if err := c.Dele(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if err := c.Quit(ctx); err != nil {
			t.Fatal(err)
		}
		if err := c.Noop(ctx); !errors.Is(err, ErrUnusable) {
			t.Errorf("NOOP after QUIT: %v, want ErrUnusable", err)
		}
	})
	t.Run("DELE -ERR", func(t *testing.T) {
		srv := newScript(t, loginScript(nil, "C: DELE 7", "S: -ERR message 7 already deleted", "C: NOOP", "S: +OK")...)
		c := login(t, srv, 0)
		err := c.Dele(ctx, 7)
		var me *MessageError
		var se *mailerr.ServerError
		if !errors.As(err, &me) || me.Num != 7 || !errors.As(err, &se) || se.Command != "DELE" {
			t.Fatalf("Dele error %v, want a MessageError for 7 with a DELE ServerError", err)
		}
		if err := c.Noop(ctx); err != nil {
			t.Errorf("NOOP after DELE -ERR: %v", err)
		}
	})
	t.Run("QUIT -ERR means deletions unconfirmed", func(t *testing.T) {
		srv := newScript(t, loginScript(nil, "C: DELE 1", "S: +OK", "C: QUIT", "S: -ERR some deleted messages not removed")...)
		c := login(t, srv, 0)
		if err := c.Dele(ctx, 1); err != nil {
			t.Fatal(err)
		}
		var se *mailerr.ServerError
		if err := c.Quit(ctx); !errors.As(err, &se) || se.Command != "QUIT" {
			t.Fatalf("Quit error %v, want a QUIT ServerError", err)
		}
	})
	t.Run("Close sends no QUIT", func(t *testing.T) {
		srv := newScript(t, loginScript(nil, "C: DELE 1", "S: +OK")...)
		c := login(t, srv, 0)
		if err := c.Dele(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if strings.Contains(srv.clientWrote(), "QUIT") {
			t.Error("Close sent QUIT")
		}
	})
	t.Run("Quit on a broken session sends nothing", func(t *testing.T) {
		srv := newScript(t, loginScript(nil, "C: DELE 1", "S: +OK", "C: RETR 2", "R: +OK\r\npartial", "STALL")...)
		c := login(t, srv, 200*time.Millisecond)
		if err := c.Dele(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Retr(ctx, 2, io.Discard); !errors.Is(err, mailerr.ErrTimeout) {
			t.Fatalf("Retr: %v, want ErrTimeout", err)
		}
		if err := c.Quit(ctx); !errors.Is(err, ErrUnusable) || !errors.Is(err, mailerr.ErrTimeout) {
			t.Errorf("Quit: %v, want ErrUnusable wrapping the timeout", err)
		}
		if strings.Contains(srv.clientWrote(), "QUIT") {
			t.Error("QUIT sent on a desynchronised session")
		}
	})
	t.Run("invalid message numbers are refused locally", func(t *testing.T) {
		srv := newScript(t, loginScript(nil)...)
		c := login(t, srv, 0)
		if err := c.Dele(ctx, 0); err == nil {
			t.Error("Dele(0) succeeded")
		}
		if _, err := c.Retr(ctx, -1, io.Discard); err == nil {
			t.Error("Retr(-1) succeeded")
		}
		if err := c.RetrAll(ctx, []int{1, 0}, func(int, io.Reader) error { return nil }); err == nil {
			t.Error("RetrAll with 0 succeeded")
		}
	})
}

func TestCancel(t *testing.T) {
	stalled := loginScript(nil, "C: RETR 1", "R: +OK\r\npartial\r\n", "STALL")
	t.Run("cancel", func(t *testing.T) {
		srv := newScript(t, stalled...)
		c := login(t, srv, 10*time.Second)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.Retr(ctx, 1, io.Discard)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Retr error %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("cancel took %v", d)
		}
		if err := c.Noop(context.Background()); !errors.Is(err, ErrUnusable) || !errors.Is(err, context.Canceled) {
			t.Errorf("NOOP after cancel: %v, want ErrUnusable wrapping context.Canceled", err)
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		srv := newScript(t, stalled...)
		c := login(t, srv, 10*time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		if _, err := c.Retr(ctx, 1, io.Discard); !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, mailerr.ErrTimeout) {
			t.Errorf("Retr error %v, want DeadlineExceeded and ErrTimeout", err)
		}
	})
	t.Run("already cancelled leaves the session usable", func(t *testing.T) {
		srv := newScript(t, loginScript(nil, "C: NOOP", "S: +OK")...)
		c := login(t, srv, 0)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := c.Noop(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Noop error %v, want context.Canceled", err)
		}
		if err := c.Noop(context.Background()); err != nil {
			t.Errorf("Noop: %v", err)
		}
	})
	t.Run("Close from another goroutine", func(t *testing.T) {
		srv := newScript(t, stalled...)
		c := login(t, srv, 10*time.Second)
		time.AfterFunc(100*time.Millisecond, func() { c.Close() })
		start := time.Now()
		if _, err := c.Retr(context.Background(), 1, io.Discard); err == nil {
			t.Error("Retr succeeded on a closed connection")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Close took %v to abort", d)
		}
	})
}

// pipeServer answers RETR commands the way a pipelining server would, and measures how
// many commands the client has in flight each time it answers one.
type pipeServer struct {
	pipelining     bool
	errNum         int // answer RETR errNum with -ERR
	maxOutstanding atomic.Int64
}

// testMessage is the body of message n: sizes vary from a few bytes to 200 KB so that
// pipelined replies straddle buffer boundaries.
func testMessage(n int) string {
	body := fmt.Sprintf("Subject: %d\r\n\r\n.dot line %d\r\n", n, n)
	if n%40 == 0 {
		return body + strings.Repeat("big body line\r\n", 200000/15)
	}
	return body + strings.Repeat("x\r\n", n%7) + "end"
}

func (p *pipeServer) handle(fs *fakeSession) {
	caps := []string{"USER", "UIDL"}
	if p.pipelining {
		caps = append(caps, "PIPELINING")
	}
	transcript(loginScript(caps)...)(fs)

	lines := make(chan string, 1000)
	var received atomic.Int64
	go func() {
		defer close(lines)
		for {
			fs.raw.SetReadDeadline(time.Now().Add(10 * time.Second))
			line, err := fs.br.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(line, "RETR ") {
				received.Add(1)
			}
			lines <- strings.TrimSuffix(line, "\r\n")
		}
	}()
	defer func() { fs.raw.Close(); fs.closed = true }()
	var responded int64
	for line := range lines {
		cmd, arg, _ := strings.Cut(line, " ")
		switch cmd {
		case "RETR":
			if responded == 0 {
				time.Sleep(100 * time.Millisecond) // let a whole window arrive
			} else if responded < 5 {
				time.Sleep(20 * time.Millisecond) // time for extra commands to show up
			}
			out := received.Load() - responded
			for {
				m := p.maxOutstanding.Load()
				if out <= m || p.maxOutstanding.CompareAndSwap(m, out) {
					break
				}
			}
			responded++
			n, _ := strconv.Atoi(arg)
			if n == p.errNum {
				fs.send("-ERR no such message\r\n")
				continue
			}
			msg := testMessage(n)
			fs.send(fmt.Sprintf("+OK %d octets\r\n%s", len(msg), stuff([]byte(msg))))
		case "NOOP":
			fs.send("+OK\r\n")
		case "QUIT":
			fs.send("+OK bye\r\n")
			return
		default:
			fs.send("-ERR unknown command\r\n")
			fs.srv.errorf("unexpected command %q", line)
		}
	}
}

func TestRetrAll(t *testing.T) {
	nums := func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i + 1
		}
		return s
	}
	boom := errors.New("disk full")
	tests := []struct {
		name       string
		pipelining bool
		nums       []int
		errNum     int
		fnErrAt    int
		skipOdd    bool // fn leaves odd messages unread
		wantCalls  int  // fn calls that must have succeeded
		wantErrNum int  // MessageError.Num, 0 for success
		wantMaxOut func(int64) bool
	}{
		{name: "pipelined", pipelining: true, nums: nums(200), wantCalls: 200,
			// Never more than the window; more than one proves pipelining (how many
			// arrive before the server answers depends on scheduling).
			wantMaxOut: func(n int64) bool { return n > 1 && n <= retrWindow }},
		{name: "sequential without PIPELINING", nums: nums(20), wantCalls: 20,
			wantMaxOut: func(n int64) bool { return n == 1 }},
		{name: "pipelined in caller's order", pipelining: true, nums: []int{5, 3, 9, 40, 1}, wantCalls: 5},
		{name: "-ERR mid-batch stops and resynchronises", pipelining: true, nums: nums(100), errNum: 50,
			wantCalls: 49, wantErrNum: 50},
		{name: "-ERR without pipelining", nums: nums(10), errNum: 3, wantCalls: 2, wantErrNum: 3},
		{name: "callback error stops", pipelining: true, nums: nums(100), fnErrAt: 10, wantCalls: 9, wantErrNum: 10},
		{name: "unread bodies are drained", pipelining: true, nums: nums(90), skipOdd: true, wantCalls: 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := &pipeServer{pipelining: tt.pipelining, errNum: tt.errNum}
			srv := newFake(t, ps.handle)
			c := login(t, srv, 0)
			var calls []int
			err := c.RetrAll(context.Background(), tt.nums, func(num int, body io.Reader) error {
				if num == tt.fnErrAt {
					return boom
				}
				calls = append(calls, num)
				if tt.skipOdd && num%2 == 1 {
					return nil
				}
				got, err := io.ReadAll(body)
				if err != nil {
					return err
				}
				if want := unstuffed([]byte(testMessage(num))); !bytes.Equal(got, want) {
					t.Errorf("message %d: got %d bytes %.40q, want %d bytes", num, len(got), got, len(want))
				}
				return nil
			})
			if tt.wantErrNum == 0 && err != nil {
				t.Fatalf("RetrAll: %v", err)
			}
			if tt.wantErrNum != 0 {
				var me *MessageError
				if !errors.As(err, &me) || me.Num != tt.wantErrNum {
					t.Fatalf("RetrAll error %v, want a MessageError for %d", err, tt.wantErrNum)
				}
				if tt.fnErrAt != 0 && !errors.Is(err, boom) {
					t.Errorf("error %v does not wrap the callback's", err)
				}
			}
			if want := tt.nums[:tt.wantCalls]; fmt.Sprint(calls) != fmt.Sprint(want) {
				t.Errorf("fn called for %v, want %v", calls, want)
			}
			if err := c.Noop(context.Background()); err != nil {
				t.Errorf("NOOP after RetrAll: %v", err)
			}
			if err := c.Quit(context.Background()); err != nil {
				t.Errorf("QUIT: %v", err)
			}
			srv.wait()
			if tt.wantMaxOut != nil && !tt.wantMaxOut(ps.maxOutstanding.Load()) {
				t.Errorf("at most %d commands in flight: not what this mode should do", ps.maxOutstanding.Load())
			}
		})
	}
}
