// Package bench measures Postfach's POP3 backup against a local Dovecot with a realistic
// mailbox: 10,000 messages, about 650 MB (median ~11 KB, 99 messages of 1-10 MB). It runs
// the real postfach binary, so the figures include start-up, the keyring and fsync.
//
// Run with `make bench` (inside a D-Bus session with gnome-keyring). BENCH_MESSAGES
// shrinks the mailbox for a quick look.
package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// postfachBin builds the real desktop binary once per benchmark process (with the same
// build tag `make build` uses), with the Fyne-free postfach-cli beside it. POSTFACH_BIN
// names a prebuilt binary instead (with or without a postfach-cli beside it).
func postfachBin(b testing.TB) string {
	buildOnce.Do(func() {
		if p := os.Getenv("POSTFACH_BIN"); p != "" {
			binPath = p
			return
		}
		dir, err := os.MkdirTemp("", "postfach-bench")
		if err != nil {
			buildErr = err
			return
		}
		processCleanups = append(processCleanups, func() { os.RemoveAll(dir) })
		binPath = filepath.Join(dir, "postfach")
		if out, err := exec.Command("go", "build", "-tags", "migrated_fynedo", "-o", binPath, "..").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		// The Fyne-free command line next to it, as `make build` installs it: the
		// desktop binary hands command-line runs to it (backup/cli/handover).
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "postfach-cli"), "../backup/cli/console")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build postfach-cli: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return binPath
}

// mailbox is a Dovecot user filled with the benchmark corpus.
type mailbox struct {
	srv   *dovecottest.Server
	user  *dovecottest.User
	count int
	bytes int64 // stored (LF) bytes
	wire  int64 // bytes RETR sends (CRLF), what a byte-exact client writes
}

var (
	boxOnce sync.Once
	box     *mailbox
)

// processTB is the calling benchmark, except that cleanups run when the whole benchmark
// process ends (TestMain), so one Dovecot with its 650 MB mailbox serves every benchmark.
type processTB struct{ testing.TB }

var processCleanups []func()

func (processTB) Cleanup(f func()) { processCleanups = append(processCleanups, f) }

func runProcessCleanups() {
	for i := len(processCleanups) - 1; i >= 0; i-- {
		processCleanups[i]()
	}
}

var (
	srvOnce   sync.Once
	sharedSrv *dovecottest.Server
)

// benchServer starts the Dovecot every benchmark in the process shares; it outlives the
// benchmark that started it.
func benchServer(b testing.TB) *dovecottest.Server {
	srvOnce.Do(func() { sharedSrv = dovecottest.Start(processTB{b}) })
	if sharedSrv == nil {
		b.Fatal("Dovecot failed to start earlier")
	}
	return sharedSrv
}

func benchMailbox(b testing.TB) *mailbox {
	boxOnce.Do(func() {
		n := 10000
		if s := os.Getenv("BENCH_MESSAGES"); s != "" {
			n, _ = strconv.Atoi(s)
		}
		ptb := processTB{b}
		srv := benchServer(b)
		u := srv.AddUser(ptb, "bench", "bench-pw", 0)
		mb := &mailbox{srv: srv, user: u, count: n}
		rng := rand.New(rand.NewSource(1))
		for i := 0; i < n; i++ {
			m := corpusMessage(rng, i, n)
			mb.bytes += int64(len(m))
			mb.wire += int64(len(dovecottest.WireForm(m)))
			u.Deliver(b, m)
		}
		// The first POP3 session on a mailbox is slower (Dovecot builds its index and
		// renames every file RETR marks \Seen): one unmeasured pass, so every tool meets
		// the same warm server.
		warm, err := os.MkdirTemp("", "bench-warm")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ceilingRun(mb, false, filepath.Join(warm, "Maildir"), filepath.Join(warm, "state")); err != nil {
			b.Fatalf("warm-up pass: %v", err)
		}
		removeAll(warm)
		box = mb
	})
	if box == nil {
		b.Fatal("benchmark mailbox setup failed earlier")
	}
	return box
}

// corpusMessage returns message i: mostly a few KB to a few tens of KB (log-normal around
// 11 KB), and one in a hundred between 1 and 10 MB, like a real mailbox with attachments.
func corpusMessage(rng *rand.Rand, i, n int) []byte {
	size := int(11000 * math.Exp(rng.NormFloat64()*0.8))
	if i%101 == 50 {
		size = 1<<20 + rng.Intn(9<<20)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "From: sender%d@example.org\nTo: bench@example.org\nSubject: Message %d of %d\n"+
		"Date: Mon, 2 Mar 2026 10:%02d:%02d +0100\nMessage-ID: <%d.bench@example.org>\nMIME-Version: 1.0\n"+
		"Content-Type: text/plain; charset=utf-8\n\n", i%97, i, n, i/60%60, i%60, i)
	line := make([]byte, 76)
	for buf.Len() < size {
		for j := range line {
			line[j] = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ.0123456789"[rng.Intn(48)]
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// cli runs the postfach binary with a private home and returns stdout and the child's
// peak RSS in bytes (measured through GNU time; see runTimed).
func cli(b testing.TB, bin, home string, m *mailbox, stdin string, args ...string) ([]byte, int64) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "POSTFACH_HOME="+home, "SSL_CERT_FILE="+m.srv.CertPEMFile)
	cmd.Stdin = strings.NewReader(stdin)
	ms, out, err := runTimed(cmd)
	if err != nil {
		b.Fatalf("postfach %v: %v", args, err)
	}
	return out, ms.rss
}

func BenchmarkBackup(b *testing.B) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		b.Skip("needs a keyring: run with `make bench`")
	}
	bin := postfachBin(b)
	m := benchMailbox(b)
	for _, tc := range []struct {
		name, security string
		port           int
	}{
		{"pop3", "none", m.srv.POP3Port},
		{"pop3s", "tls", m.srv.POP3SPort},
	} {
		setup := func(b *testing.B) string {
			home, err := os.MkdirTemp(benchDir(), "bench-backup-")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { removeAll(home) })
			args := []string{"account", "add", "--name", "bench", "--email", "bench@example.org", "--protocol", "pop3",
				"--host", m.srv.Host, "--port", strconv.Itoa(tc.port), "--security", tc.security, "--username", "bench",
				"--password-stdin", "--backup-dir", filepath.Join(home, "backup"), "--keep-forever", "--schedule", "off"}
			if tc.security == "none" {
				args = append(args, "--allow-plaintext")
			}
			cli(b, bin, home, m, m.user.Password, args...)
			return home
		}
		b.Run("full/"+tc.name, func(b *testing.B) {
			var rss int64
			var elapsed time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				home := setup(b)
				settle()
				b.StartTimer()
				start := time.Now()
				out, r := cli(b, bin, home, m, "", "backup", "--json")
				elapsed += time.Since(start)
				rss = max(rss, r)
				checkRun(b, out, m.count, 0)
			}
			sec := elapsed.Seconds() / float64(b.N)
			b.ReportMetric(float64(m.count)/sec, "msgs/s")
			b.ReportMetric(float64(m.bytes)/1e6/sec, "MB/s")
			b.ReportMetric(float64(rss)/(1<<20), "peakRSS-MiB")
		})
		b.Run("incremental/"+tc.name, func(b *testing.B) {
			home := setup(b)
			cli(b, bin, home, m, "", "backup", "--json")
			settle()
			var rss int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out, r := cli(b, bin, home, m, "", "backup", "--json")
				rss = max(rss, r)
				checkRun(b, out, 0, m.count)
			}
			b.ReportMetric(float64(rss)/(1<<20), "peakRSS-MiB")
		})
	}
}

func checkRun(b *testing.B, out []byte, wantNew, wantHad int) {
	var res []struct {
		New        int    `json:"new"`
		AlreadyHad int    `json:"already_had"`
		Error      string `json:"error"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res) != 1 {
		b.Fatalf("backup output: %v\n%s", err, out)
	}
	if res[0].New != wantNew || res[0].AlreadyHad != wantHad || res[0].Error != "" {
		b.Fatalf("backup: %+v, want new=%d had=%d", res[0], wantNew, wantHad)
	}
}
