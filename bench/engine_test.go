package bench

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/backup"
)

// BenchmarkEngine runs the backup engine (backup.Run) in-process on the benchmark
// mailbox: no binary, no keyring, no process start-up — what is left is the protocol,
// the Maildir and the index. It exists for profiling:
//
//	BENCH_MESSAGES=10000 go test -run '^$' -bench Engine -benchtime 1x \
//	    -cpuprofile cpu.out -memprofile mem.out ./bench/
//	go tool pprof -top bench.test cpu.out
func BenchmarkEngine(b *testing.B) {
	m := benchMailbox(b)
	for _, tc := range []struct {
		name     string
		security accounts.Security
		port     int
	}{
		{"pop3", accounts.None, m.srv.POP3Port},
		{"pop3s", accounts.TLS, m.srv.POP3SPort},
	} {
		b.Run("full/"+tc.name, func(b *testing.B) {
			var allocated uint64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dir, err := os.MkdirTemp(benchDir(), "bench-engine")
				if err != nil {
					b.Fatal(err)
				}
				a := engineAccount(m, tc.security, tc.port, filepath.Join(dir, "backup"))
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				settle()
				b.StartTimer()
				res, err := backup.Run(context.Background(), a, m.user.Password,
					&backup.Options{StateDir: filepath.Join(dir, "state"), Conn: &connect.Options{Roots: m.srv.CertPool}})
				b.StopTimer()
				runtime.ReadMemStats(&after)
				allocated += after.TotalAlloc - before.TotalAlloc
				if err != nil || res.New != m.count {
					b.Fatalf("backup: %v, %d new, want %d", err, res.New, m.count)
				}
				removeAll(dir)
				b.StartTimer()
			}
			b.ReportMetric(float64(m.count)*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(allocated)/float64(b.N)/(1<<20), "alloc-MiB/run")
		})
		// An incremental run with nothing new: UIDL, LIST, the index and a Maildir scan.
		b.Run("incremental/"+tc.name, func(b *testing.B) {
			dir, err := os.MkdirTemp(benchDir(), "bench-engine")
			if err != nil {
				b.Fatal(err)
			}
			defer removeAll(dir)
			a := engineAccount(m, tc.security, tc.port, filepath.Join(dir, "backup"))
			opts := &backup.Options{StateDir: filepath.Join(dir, "state"), Conn: &connect.Options{Roots: m.srv.CertPool}}
			if res, err := backup.Run(context.Background(), a, m.user.Password, opts); err != nil || res.New != m.count {
				b.Fatalf("first backup: %v", err)
			}
			settle()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := backup.Run(context.Background(), a, m.user.Password, opts)
				if err != nil || res.New != 0 || res.AlreadyHad != m.count {
					b.Fatalf("incremental backup: %v %+v", err, res)
				}
			}
		})
	}
}

// engineAccount is the benchmark mailbox as a keep-forever POP3 account backed up to dir.
func engineAccount(m *mailbox, security accounts.Security, port int, dir string) accounts.Account {
	a := accounts.Account{Name: "bench", Email: "bench@example.org", Protocol: accounts.POP3,
		Host: m.srv.Host, Port: port, Security: security, Username: m.user.Name,
		AllowPlaintext: security == accounts.None,
		Backup: &accounts.BackupPolicy{Dir: dir, Schedule: accounts.Schedule{Kind: accounts.Off},
			Retention: accounts.Retention{Mode: accounts.KeepForever}}}
	a.Normalize()
	return a
}
