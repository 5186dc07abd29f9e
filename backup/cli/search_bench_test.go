package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
	"github.com/postfach/postfach/internal/testkit/mailgen"
)

// BenchmarkIndexAfterBackup compares the index update that follows a backup with the
// backup itself, on a real POP3 backup from Dovecot: a mailbox of
// POSTFACH_BENCH_BASE mailgen messages (default 10,000) is backed up and indexed, then
// each iteration delivers 100 new messages and backs them up. It reports the engine's
// own time (Result.Duration) and the rest of service.Backup, which is the index update.
// Run: go test -run '^$' -bench IndexAfterBackup -benchtime 3x ./backup/cli/
func BenchmarkIndexAfterBackup(b *testing.B) {
	base := 10000
	if v, err := strconv.Atoi(os.Getenv("POSTFACH_BENCH_BASE")); err == nil && v > 0 {
		base = v
	}
	srv := dovecottest.Start(b)
	pop := srv.AddUser(b, "benchpop", "pw", 0)
	g := mailgen.New(1)
	deliver := func(first, n int) {
		for i := first; i < first+n; i++ {
			m, _ := g.Message(i)
			pop.Deliver(b, m)
		}
	}
	deliver(0, base)
	keyring.MockInit()
	env := &Env{Store: accounts.OpenStore(b.TempDir()), Roots: srv.CertPool, Stdin: strings.NewReader("pw\n"),
		Stdout: io.Discard, Stderr: io.Discard}
	dir := filepath.Join(b.TempDir(), "backup")
	if code := Run([]string{"account", "add", "--name", "Bench", "--email", "benchpop@example.org", "--protocol", "pop3",
		"--host", srv.Host, "--port", strconv.Itoa(srv.POP3SPort), "--username", "benchpop", "--password-stdin",
		"--backup-dir", dir, "--keep-forever"}, env); code != 0 {
		b.Fatal("account add failed")
	}
	svc := env.service()
	a, err := svc.Get("Bench")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	if _, err := svc.Backup(ctx, a.ID, nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("first backup of %d messages: %v", base, time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if _, err := svc.Index(ctx, a.ID, false, nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("first indexing: %v", time.Since(start).Round(time.Millisecond))

	var engine, total time.Duration
	next := base
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		deliver(next, 100)
		next += 100
		b.StartTimer()
		start := time.Now()
		res, err := svc.Backup(ctx, a.ID, nil)
		if err != nil || res.New != 100 || len(res.Notes) > 0 {
			b.Fatalf("backup: %v %+v", err, res)
		}
		total += time.Since(start)
		engine += res.Duration
	}
	n := time.Duration(b.N)
	b.ReportMetric(float64((engine / n).Milliseconds()), "backup-ms/op")
	b.ReportMetric(float64(((total - engine) / n).Milliseconds()), "index-ms/op")
	b.ReportMetric(100*float64(total-engine)/float64(engine), "index-%-of-backup")
}
