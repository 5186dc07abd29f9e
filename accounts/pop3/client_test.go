package pop3

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/trust"
)

// noCredentials fails the test if anything that could carry a credential reached the
// server.
func noCredentials(t *testing.T, wrote string) {
	t.Helper()
	for _, s := range []string{"USER", "PASS", "AUTH", testPass} {
		if strings.Contains(wrote, s) {
			t.Errorf("client sent %q; the session should have ended before any credential:\n%s", s, wrote)
		}
	}
}

func TestDialSecurity(t *testing.T) {
	greeting := "S: +OK POP3 ready"
	tests := []struct {
		name    string
		sec     Security
		script  []string
		timeout time.Duration
		wantErr []error // all must match; nil slice: Dial must succeed
		check   func(t *testing.T, c *Client, wrote string)
	}{
		{
			name:   "implicit TLS",
			sec:    TLS,
			script: append([]string{"TLS", greeting}, capaLines("UIDL", "PIPELINING", "SASL PLAIN LOGIN", "RESP-CODES")...),
			check: func(t *testing.T, c *Client, _ string) {
				caps := c.Caps()
				if !caps.Pipelining() || !caps.UIDL() || !caps.HasSASL("plain") || caps.STLS() {
					t.Errorf("caps = %v", caps.Names())
				}
				if got := caps.SASL(); len(got) != 2 || got[1] != "LOGIN" {
					t.Errorf("SASL() = %v", got)
				}
				if cs, ok := c.ConnectionState(); !ok || cs.Version < 0x0303 {
					t.Errorf("ConnectionState = %v, %v", cs.Version, ok)
				}
			},
		},
		{
			name: "STLS upgrade discards clear-text capabilities",
			sec:  StartTLS,
			script: concat([]string{greeting}, capaLines("STLS", "X-PRE"),
				[]string{"C: STLS", "S: +OK begin TLS", "TLS"}, capaLines("X-POST", "USER")),
			check: func(t *testing.T, c *Client, _ string) {
				caps := c.Caps()
				if caps.Has("X-PRE") || !caps.Has("x-post") {
					t.Errorf("caps after STLS = %v, want the post-TLS set only", caps.Names())
				}
				if _, ok := c.ConnectionState(); !ok {
					t.Error("connection not encrypted after STLS")
				}
			},
		},
		{
			name:    "STLS not offered",
			sec:     StartTLS,
			script:  concat([]string{greeting}, capaLines("USER", "UIDL")),
			wantErr: []error{mailerr.ErrStartTLSRefused},
		},
		{
			name:    "STLS refused",
			sec:     StartTLS,
			script:  concat([]string{greeting}, capaLines("STLS"), []string{"C: STLS", "S: -ERR [SYS/TEMP] not now"}),
			wantErr: []error{mailerr.ErrStartTLSRefused},
		},
		{
			name:    "CAPA refused in StartTLS mode",
			sec:     StartTLS,
			script:  []string{greeting, "C: CAPA", "S: -ERR unknown command"},
			wantErr: []error{mailerr.ErrStartTLSRefused},
		},
		{
			name: "response injected after STLS +OK",
			sec:  StartTLS,
			script: concat([]string{greeting}, capaLines("STLS"),
				[]string{"C: STLS", "R: +OK begin TLS\r\n+OK\r\n+OK fake capability list\r\nSASL PLAIN\r\n.\r\n"}),
			wantErr: []error{mailerr.ErrStartTLSRefused},
		},
		{
			name: "data injected after STLS +OK in a later segment",
			sec:  StartTLS,
			script: concat([]string{greeting}, capaLines("STLS"),
				[]string{"C: STLS", "S: +OK begin TLS", "SLEEP 20ms", "R: +OK injected\r\n", "STALL"}),
			wantErr: []error{}, // the handshake must fail; the exact TLS error does not matter
		},
		{
			name:    "IMAP greeting in StartTLS mode",
			sec:     StartTLS,
			script:  []string{"S: * PREAUTH IMAP4rev1 server logged in as alice"},
			wantErr: []error{mailerr.ErrProtocol},
		},
		{
			name:    "-ERR greeting is temporary",
			sec:     TLS,
			script:  []string{"TLS", "S: -ERR too many connections"},
			wantErr: []error{mailerr.ErrTemporary},
		},
		{
			name:    "greeting too long",
			sec:     TLS,
			script:  []string{"TLS", "S: +OK " + strings.Repeat("x", maxStatusLine)},
			wantErr: []error{mailerr.ErrProtocol},
		},
		{
			name:    "silent server",
			sec:     StartTLS,
			script:  []string{"STALL"},
			timeout: 200 * time.Millisecond,
			wantErr: []error{mailerr.ErrTimeout},
		},
		{
			name:    "silent after STLS +OK",
			sec:     StartTLS,
			script:  concat([]string{greeting}, capaLines("STLS"), []string{"C: STLS", "S: +OK begin TLS", "STALL"}),
			timeout: 200 * time.Millisecond,
			wantErr: []error{mailerr.ErrTimeout},
		},
		{
			name:   "plain RFC 1939 server without CAPA",
			sec:    Plain,
			script: []string{greeting, "C: CAPA", "S: -ERR what?"},
			check: func(t *testing.T, c *Client, _ string) {
				if len(c.Caps().Names()) != 0 {
					t.Errorf("caps = %v, want none", c.Caps().Names())
				}
				if _, ok := c.ConnectionState(); ok {
					t.Error("ConnectionState reports TLS on a plain connection")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newScript(t, tt.script...)
			opts := testOptions(t, tt.sec)
			if tt.timeout > 0 {
				opts.Timeout = tt.timeout
			}
			start := time.Now()
			c, err := Dial(context.Background(), srv.addr(), opts)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Dial: %v", err)
				}
				tt.check(t, c, "")
				c.Close()
				return
			}
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded, want an error")
			}
			if !errIs(err, tt.wantErr...) {
				t.Errorf("Dial error %v, want %v", err, tt.wantErr)
			}
			if tt.timeout > 0 && time.Since(start) > 10*tt.timeout {
				t.Errorf("timeout took %v", time.Since(start))
			}
			noCredentials(t, srv.clientWrote())
		})
	}
}

func TestDialUntrustedCertificate(t *testing.T) {
	srv := newScript(t, "TLS", "S: +OK ready")
	opts := testOptions(t, TLS)
	opts.TLSConfig = trust.Config("127.0.0.1", nil) // system roots: the test CA is unknown
	_, err := Dial(context.Background(), srv.addr(), opts)
	if !errors.Is(err, trust.ErrUntrusted) {
		t.Fatalf("Dial error %v, want trust.ErrUntrusted", err)
	}
	srv.wait()
}

// countingDialer records whether a connection was attempted.
type countingDialer struct{ calls atomic.Int32 }

func (d *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.calls.Add(1)
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

func TestDialPlaintextNeedsOptIn(t *testing.T) {
	var d countingDialer
	_, err := Dial(context.Background(), "127.0.0.1:1", &Options{Security: Plain, Dialer: &d})
	if !errors.Is(err, mailerr.ErrPlaintextRefused) {
		t.Errorf("Dial error %v, want ErrPlaintextRefused", err)
	}
	if d.calls.Load() != 0 {
		t.Error("Dial connected before refusing plaintext")
	}
}

func TestDialUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	var d countingDialer
	_, err = Dial(context.Background(), addr, &Options{Dialer: &d, Timeout: time.Second})
	if !errors.Is(err, mailerr.ErrUnreachable) {
		t.Errorf("Dial error %v, want ErrUnreachable", err)
	}
	if d.calls.Load() != 1 {
		t.Errorf("custom dialer called %d times, want 1", d.calls.Load())
	}
}

func TestDialCancelled(t *testing.T) {
	srv := newScript(t, "STALL")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := Dial(ctx, srv.addr(), testOptions(t, TLS))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Dial error %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cancel took %v", d)
	}
}

func TestAuthRefusesClearText(t *testing.T) {
	srv := newScript(t, concat([]string{"S: +OK ready"}, capaLines("USER"))...)
	c, err := Dial(context.Background(), srv.addr(), testOptions(t, Plain))
	if err != nil {
		t.Fatal(err)
	}
	c.plainOK = false // as if dialled without the opt-in, which Dial itself refuses
	if err := c.Auth(context.Background(), testUser, testPass); !errors.Is(err, mailerr.ErrPlaintextRefused) {
		t.Errorf("Auth error %v, want ErrPlaintextRefused", err)
	}
	c.Close()
	noCredentials(t, srv.clientWrote())
}

func TestSecurityString(t *testing.T) {
	for s, want := range map[Security]string{TLS: "TLS", StartTLS: "STARTTLS", Plain: "plain", 7: "Security(7)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q", int(s), s.String())
		}
	}
}

func concat(parts ...[]string) []string {
	var all []string
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}
