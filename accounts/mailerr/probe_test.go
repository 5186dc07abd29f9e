package mailerr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// greeter serves greeting (or nothing, when empty) on every connection to a loopback
// port and returns a dial function for it.
func greeter(t *testing.T, greeting string) func(context.Context) (net.Conn, error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if greeting != "" {
				_, _ = io.WriteString(c, greeting)
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return func(ctx context.Context) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "tcp", ln.Addr().String())
	}
}

func TestProbeNotTLS(t *testing.T) {
	reset := fmt.Errorf("tls: %w", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("wsarecv", errConnReset)})
	other := errors.New("tls: certificate signed by unknown authority")
	closedPort := func(context.Context) (net.Conn, error) { return nil, syscall.ECONNREFUSED }
	for _, tc := range []struct {
		name      string
		err       error
		dial      func(context.Context) (net.Conn, error)
		greetings []string
		notTLS    bool
	}{
		{"POP3 greeting after a reset", reset, greeter(t, "+OK Dovecot ready.\r\n"), []string{"+OK"}, true},
		{"IMAP greeting after an EOF", fmt.Errorf("tls: %w", io.EOF), greeter(t, "* OK [CAPABILITY IMAP4rev1] ready\r\n"), []string{"* OK", "* PREAUTH"}, true},
		{"another protocol's greeting", reset, greeter(t, "220 smtp ready\r\n"), []string{"+OK"}, false},
		{"a TLS port stays silent", reset, greeter(t, ""), []string{"+OK"}, false},
		{"the port is gone", reset, closedPort, []string{"+OK"}, false},
		{"not a reset: no probe", other, func(context.Context) (net.Conn, error) { t.Error("dialled"); return nil, syscall.ECONNREFUSED }, []string{"+OK"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A silent server keeps the probe waiting until the context ends.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			got := ProbeNotTLS(ctx, tc.err, tc.dial, tc.greetings...)
			if errors.Is(got, ErrNotTLS) != tc.notTLS || !errors.Is(got, tc.err) {
				t.Errorf("ProbeNotTLS = %v, want ErrNotTLS %v with the original in the chain", got, tc.notTLS)
			}
		})
	}
}
