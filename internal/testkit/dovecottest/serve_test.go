//go:build unix

package dovecottest

import (
	"context"
	"net"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// serveEnv names the environment variable that turns TestServeForWine into the server for
// the Windows test binaries: the file it writes its URL (for RemoteEnv) to once it
// listens.
const serveEnv = "POSTFACH_DOVECOT_SERVE"

// TestServeForWine is the Linux side of RemoteEnv: with serveEnv naming a file, it serves
// Dovecot instances to the Windows test binaries until SIGTERM or SIGINT
// (.ci/wine/test.sh runs it in the background); otherwise it skips.
func TestServeForWine(t *testing.T) {
	path := os.Getenv(serveEnv)
	if path == "" {
		t.Skip(serveEnv + " is not set (.ci/wine/test.sh sets it)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	// Written to a temporary name and renamed, so the waiting script never reads a
	// partial line.
	if err := os.WriteFile(path+".tmp", []byte("http://"+l.Addr().String()+"/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		t.Fatal(err)
	}
	if err := serve(ctx, l); err != nil {
		t.Fatal(err)
	}
}

// TestRemote drives an instance through serve the way a Windows test binary does
// (attach): users, delivery, logins, doveadm, stop and restart, and cleanup removing the
// instance.
func TestRemote(t *testing.T) {
	if findBinary("dovecot") == "" {
		t.Skip("dovecot not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})

	var dir string
	t.Run("attach", func(t *testing.T) {
		s := attach(t, "http://"+l.Addr().String()+"/", nil)
		dir = s.Dir
		u := s.AddUser(t, "remo", "remo-secret", 0)
		for _, m := range Ordinary(2, 7) {
			u.Deliver(t, m.Stored)
		}
		if n := u.MessageCount(t); n != 2 {
			t.Fatalf("MessageCount = %d, want 2", n)
		}
		s.Restart(t)
		c := dialPOP3(t, s.POP3Addr())
		c.cmd("USER remo")
		c.cmd("PASS remo-secret")
		if got := c.cmd("STAT"); got[:5] != "+OK 2" {
			t.Fatalf("STAT after restart: %q", got)
		}
		s.Stop(t)
		if _, err := net.Dial("tcp", s.POP3Addr()); err == nil {
			t.Fatal("the port still answers after Stop")
		}
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("cleanup left %s: %v", dir, err)
	}
}
