package bench

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// BenchmarkMemory measures the peak RSS of a full backup (and, after it, the time of an
// incremental run with nothing new) of a mailbox holding messages of
// 10 MB and 50 MB (the memory target: ≤ 32 MB), for the desktop binary and the
// Fyne-free command line (backup/cli/console, which Windows ships as postfach.com), over
// POP3 and POP3S. Besides the peak (GNU time's ru_maxrss, as in the comparison table) it
// samples the client's /proc/PID/smaps_rollup every 10 ms and prints the split at the
// sample with the largest RSS: anonymous memory (Go heap, stacks, runtime) versus
// file-backed pages (the binary's text and the shared libraries it maps).
//
//	bash .ci/with-session.sh go test -run '^$' -bench Memory -benchtime 1x ./bench/
//
// BENCH_MEMORY_BINS picks the clients (desktop,desktop-alone,console,postfach-cli; default
// the first three): desktop is the desktop binary with the Fyne-free postfach-cli beside
// it, as `make build` leaves them (it hands the run to postfach-cli), desktop-alone the
// same binary without it; bench/cmd/postfach-cli is the console's code with profiling
// hooks. BENCH_MEMORY_ENV
// adds space-separated KEY=VALUE settings to the clients' environment, e.g.
// "GODEBUG=gctrace=1" or "BENCH_HEAPPROFILE=/tmp/heap.out" (see bench/cmd/postfach-cli);
// their stderr is printed. BENCH_MEMORY_SMAPS=1 prints the largest mappings at the
// largest sample.
func BenchmarkMemory(b *testing.B) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		b.Skip("needs a keyring: run with `make bench`")
	}
	m := memoryMailbox(b)
	bins := map[string]func(*testing.B) string{"desktop": func(b *testing.B) string { return postfachBin(b) },
		"desktop-alone": desktopAloneBin, "console": consoleBin, "postfach-cli": cliBin}
	names := []string{"desktop", "desktop-alone", "console"}
	if s := os.Getenv("BENCH_MEMORY_BINS"); s != "" {
		names = strings.Split(s, ",")
	}
	for _, name := range names {
		build, ok := bins[name]
		if !ok {
			b.Fatalf("BENCH_MEMORY_BINS: unknown client %q", name)
		}
		bin := struct{ name, path string }{name, build(b)}
		for _, p := range []proto{{"POP3", false, m.srv.POP3Port}, {"POP3S", true, m.srv.POP3SPort}} {
			b.Run(bin.name+"/"+p.name, func(b *testing.B) {
				var peak memSample
				for i := 0; i < b.N; i++ {
					dir, err := os.MkdirTemp(benchDir(), "bench-memory-")
					if err != nil {
						b.Fatal(err)
					}
					inst, err := preparePostfach(b, bin.path, m, p, dir)
					if err != nil {
						b.Fatal(err)
					}
					plain := inst.cmd
					inst.cmd = func() *exec.Cmd {
						c := plain()
						c.Env = append(c.Env, strings.Fields(os.Getenv("BENCH_MEMORY_ENV"))...)
						return c
					}
					settle()
					cmd := inst.cmd()
					ms, top, out, stderr, runErr := runSampled(cmd)
					if err := inst.check(out, runErr); err != nil {
						b.Fatalf("backup: %v", err)
					}
					if n := countMessages(inst.maildir); n != m.count {
						b.Fatalf("%d messages stored, want %d", n, m.count)
					}
					if len(stderr) > 0 {
						fmt.Printf("%s", stderr)
					}
					fmt.Printf("bench: memory %-7s %-5s peak RSS %5.1f MiB (ru_maxrss); largest sample %5.1f MiB = anon %5.1f + file %5.1f (+ shmem %.1f); VmHWM %5.1f MiB; %.2f s\n",
						bin.name, p.name, mib(ms.rss), mib(top.rss), mib(top.anon), mib(top.file), mib(top.shmem), mib(top.hwm), ms.wall.Seconds())
					if os.Getenv("BENCH_MEMORY_SMAPS") != "" {
						fmt.Print(top.maps)
					}
					peak.rss = max(peak.rss, ms.rss)
					// The incremental run after it: nothing new on the server.
					settle()
					ims, _, out, stderr, runErr := runSampled(inst.cmd())
					if err := inst.check(out, runErr); err != nil {
						b.Fatalf("incremental backup: %v", err)
					}
					fmt.Printf("%sbench: memory %-7s %-5s incremental %.3f s, CPU %.3f user + %.3f sys, peak RSS %5.1f MiB\n",
						stderr, bin.name, p.name, ims.wall.Seconds(), ims.user.Seconds(), ims.sys.Seconds(), mib(ims.rss))
					inst.cleanup()
					removeAll(dir)
				}
				b.ReportMetric(mib(peak.rss), "peakRSS-MiB")
			})
		}
	}
}

// memoryMailbox is a second user on the benchmark's Dovecot: BENCH_MESSAGES (default
// 10,000) messages of the benchmark corpus's small kind (log-normal around 11 KB),
// with two messages of 10 MB and one of 50 MB among them (~200 MB). Memory that grows
// with the number of messages and memory that grows with their size both show.
func memoryMailbox(b *testing.B) *mailbox {
	memOnce.Do(func() {
		n := envInt("BENCH_MESSAGES", 10000)
		srv := benchServer(b)
		u := srv.AddUser(processTB{b}, "membench", "membench-pw", 0)
		mb := &mailbox{srv: srv, user: u, count: n}
		rng := rand.New(rand.NewSource(2))
		for i := 0; i < n; i++ {
			var msg []byte
			switch {
			case i == n/3 || i == 2*n/3:
				msg = dovecottest.Large(10 << 20).Stored
			case i == n/2:
				msg = dovecottest.Large(50 << 20).Stored
			case i%101 == 50:
				// corpusMessage's slot for a 1-10 MB message: a small one instead.
				msg = corpusMessage(rng, i+1, n)
			default:
				msg = corpusMessage(rng, i, n)
			}
			mb.bytes += int64(len(msg))
			mb.wire += int64(len(dovecottest.WireForm(msg)))
			u.Deliver(b, msg)
		}
		memBox = mb
	})
	if memBox == nil {
		b.Fatal("memory mailbox setup failed earlier")
	}
	return memBox
}

var (
	memOnce sync.Once
	memBox  *mailbox

	consoleOnce sync.Once
	consolePath string

	aloneOnce sync.Once
	alonePath string
)

// consoleBin builds backup/cli/console, the Fyne-free command line, as it ships: without
// cgo (postfach.com on Windows, postfach-cli on Linux).
func consoleBin(b *testing.B) string {
	consoleOnce.Do(func() { consolePath = buildHelperEnv(b, "../backup/cli/console", "CGO_ENABLED=0") })
	if consolePath == "" {
		b.Fatal("console build failed earlier")
	}
	return consolePath
}

// desktopAloneBin is the desktop binary without a postfach-cli beside it, so that it
// runs command lines itself: what linking Fyne costs a run.
func desktopAloneBin(b *testing.B) string {
	aloneOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bench-alone")
		if err != nil {
			b.Fatal(err)
		}
		processCleanups = append(processCleanups, func() { os.RemoveAll(dir) })
		alonePath = filepath.Join(dir, "postfach")
		if err := os.Link(postfachBin(b), alonePath); err != nil {
			b.Fatal(err)
		}
	})
	return alonePath
}

// memSample is one reading of a process's memory, in bytes.
type memSample struct {
	rss, anon, file, shmem, hwm int64
	maps                        string // the largest mappings, from smaps
}

// summarizeSmaps adds up Rss per mapped file and permissions ("[anon]" for anonymous
// mappings, which hold the Go heap, stacks and the runtime's own structures; a binary's
// r-xp mapping is its code, r--p its read-only data and symbol tables) and lists the
// largest.
func summarizeSmaps(smaps []byte) string {
	byName := map[string]int64{}
	name := ""
	for _, line := range strings.Split(string(smaps), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			name = "[anon] " + f[1]
			if len(f) >= 6 {
				name = f[5] + " " + f[1]
			}
		case len(f) >= 2 && f[0] == "Rss:":
			n, _ := strconv.ParseInt(f[1], 10, 64)
			byName[name] += n << 10
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(byName[b], byName[a]) })
	var out strings.Builder
	for i, n := range names {
		if i == 14 || byName[n] < 256<<10 {
			break
		}
		fmt.Fprintf(&out, "    %6.1f MiB  %s\n", mib(byName[n]), n)
	}
	return out.String()
}

// runSampled runs cmd under GNU time like runTimed and samples the client's memory every
// 10 ms while it runs; top is the sample with the largest RSS.
func runSampled(cmd *exec.Cmd) (ms measurement, top memSample, stdout, stderr []byte, err error) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	started := make(chan *os.Process, 1)
	go func() {
		defer wg.Done()
		proc := <-started
		if proc == nil {
			return
		}
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		child := 0
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if child == 0 {
				// GNU time's only child is the client.
				b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", proc.Pid, proc.Pid))
				child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				continue
			}
			if s, ok := readMem(child); ok && s.rss > top.rss {
				top = s
				if maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", child)); err == nil {
					top.maps = summarizeSmaps(maps)
				}
			}
		}
	}()
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	ms, stdout, err = runTimedStart(cmd, func(p *os.Process) { started <- p })
	close(done)
	wg.Wait()
	return ms, top, stdout, errBuf.Bytes(), err
}

// readMem reads a process's smaps_rollup and VmHWM.
func readMem(pid int) (memSample, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return memSample{}, false
	}
	var s memSample
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "Rss:":
			s.rss = n << 10
		case "Anonymous:":
			s.anon = n << 10
		}
	}
	s.hwm = procStatusKB(pid, "VmHWM") << 10
	s.file = procStatusKB(pid, "RssFile") << 10
	s.shmem = procStatusKB(pid, "RssShmem") << 10
	return s, s.rss > 0
}
