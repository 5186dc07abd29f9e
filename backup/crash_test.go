//go:build unix

package backup

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/backup/maildir"
	"github.com/postfach/postfach/internal/testkit/crashchild"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// The crash harness, after mbsync's: a backup with server deletion enabled runs in a
// child process that is SIGKILLed at a durability step (every step, several occurrences of
// each, and then every single failpoint in turn), or at a random moment; the parent then
// checks the oracle (faultoracle_test.go) on the state the kill left, runs again, checks
// again, and finally compares with a run that was never interrupted. The child is this
// test binary, or the package's Windows test binary under Wine (crash_wine_test.go).

// crashRandomEnv sets how many random-moment kills TestCrashRandomKills makes.
const crashRandomEnv = "POSTFACH_CRASH_RANDOM"

// failpointSteps are the durability steps of a run, in the order a run reaches them.
var failpointSteps = []string{
	"after-temp-write", "after-file-sync", "after-rename", "after-dir-sync", "after-set-aside",
	"after-index-commit", "after-top-check", "after-delete-request", "after-dele", "before-quit",
	"after-quit", "after-delete-confirm",
}

// crashCase is one interrupted scenario: a fresh backup of a fresh mailbox.
type crashCase struct {
	mb    *mailbox
	acct  accounts.Account
	state string
	cert  string
	clock time.Time
	batch int
	// child runs the child processes: this test binary, or the Windows one under Wine.
	// Under Wine the recovery runs are Windows children too, so that every run on the
	// backup folder is one of the build under test; the oracle reads the folder here.
	child crashchild.Runner
}

var crashEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newCrashCase(t testing.TB, srv *dovecottest.Server, u *dovecottest.User, ret accounts.Retention, child crashchild.Runner) *crashCase {
	t.Helper()
	return &crashCase{
		mb:    newMailbox(srv, u),
		acct:  faultAccount(t, srv, u, filepath.Join(t.TempDir(), "backup"), ret),
		state: t.TempDir(),
		cert:  srv.CertPEMFile,
		clock: crashEpoch,
		batch: 4,
		child: child,
	}
}

// job is a child run of this case without a kill; its paths are the parent's (run
// translates them for the child).
func (c *crashCase) job() crashJob {
	return crashJob{Account: c.acct, Password: c.mb.user.Password, StateDir: c.state, CertFile: c.cert,
		Clock: c.clock, Batch: c.batch}
}

// run runs job in a child process. killAfter > 0 also kills it from outside after that
// delay. It reports whether the child was killed; a child that failed in any other way
// fails the test.
func (c *crashCase) run(t testing.TB, job crashJob, killAfter time.Duration) (killed bool) {
	t.Helper()
	bp := *job.Account.Backup
	bp.Dir = c.child.Path(bp.Dir)
	job.Account.Backup = &bp
	job.StateDir, job.CertFile, job.Trace = c.child.Path(job.StateDir), c.child.Path(job.CertFile), c.child.Path(job.Trace)
	return c.child.Run(t, "TestCrashChild", crashEnv, job, killAfter)
}

func (c *crashCase) opts() *Options {
	return &Options{StateDir: c.state, Conn: &connect.Options{Roots: c.mb.srv.CertPool, Timeout: 20 * time.Second},
		Now: func() time.Time { return c.clock }}
}

// recover runs a normal backup, in the test process or (under Wine) in an uninterrupted
// Windows child; it must succeed.
func (c *crashCase) recover(t testing.TB) {
	t.Helper()
	if c.child.Wine() {
		if c.run(t, c.job(), 0) {
			t.Fatalf("run after the crash: killed without a kill point")
		}
		return
	}
	if _, err := Run(context.Background(), c.acct, c.mb.user.Password, c.opts()); err != nil {
		t.Fatalf("run after the crash: %v", err)
	}
}

// play is the scenario every step case plays, with the same kill in each child run:
//
//	round 1 (day 0):  mailbox A (edge cases) delivered; child run (downloads A, and
//	                  under DeleteNow deletes it), killed; oracle; recovery run; oracle
//	between:          under DeleteAfter (A is still on the server) one local copy of A
//	                  is removed and one damaged, for the next run to restore
//	round 2 (day 15): mailbox B delivered; child run (downloads B; deletes B under
//	                  DeleteNow; under DeleteAfter 14 days restores the two copies of A,
//	                  proves the rest of A with TOP and deletes it), killed; oracle;
//	                  recovery (every message the server has is in the backup exactly)
//	final (day 30):   a normal run deletes what is left; the server is empty and the
//	                  backup holds A and B exactly once.
//
// It returns how many child runs were killed (a step may occur in one round only).
func (c *crashCase) play(t testing.TB, kill func(*crashJob)) (kills int) {
	t.Helper()
	days := func(n int) time.Time { return crashEpoch.Add(time.Duration(n) * 24 * time.Hour) }
	rounds := []struct {
		day  int
		msgs []dovecottest.Message
	}{
		{0, smallEdgeCases()},
		{15, tagged("round2", 5, 2)},
	}
	for _, r := range rounds {
		c.clock = days(r.day)
		c.mb.deliver(t, r.msgs...)
		job := c.job()
		kill(&job)
		if c.run(t, job, 0) {
			kills++
		}
		c.mb.checkNoLoss(t, c.acct.Backup.Dir)
		c.recover(t)
		wantServer := -1
		if c.acct.Backup.Retention.Mode == accounts.DeleteNow {
			wantServer = 0
		}
		c.mb.checkSettled(t, c.acct, c.opts(), wantServer)
		if r.day == 0 && wantServer == -1 {
			damageTwoCopies(t, c.acct.Backup.Dir)
		}
	}
	c.clock = days(30)
	c.recover(t)
	c.mb.checkSettled(t, c.acct, c.opts(), 0)
	return kills
}

// damageTwoCopies removes the first stored copy (by UIDL) and flips a byte in the second,
// as a cleaning tool and a bad sector would.
func damageTwoCopies(t testing.TB, dir string) {
	t.Helper()
	md, err := maildir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := md.Scan()
	if err != nil {
		t.Fatal(err)
	}
	keys := slices.SortedFunc(maps.Keys(files), func(a, b maildir.Key) int { return strings.Compare(a.UIDL, b.UIDL) })
	if len(keys) < 2 {
		t.Fatalf("only %d copies to damage", len(keys))
	}
	if err := os.Remove(filepath.Join(dir, files[keys[0]])); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, files[keys[1]])
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// traceCounts reads a trace file: how often each step was reached, in order of first use.
func traceCounts(t testing.TB, path string) (map[string]int, int) {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]int{}, 0
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts := map[string]int{}
	total := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		counts[sc.Text()]++
		total++
	}
	return counts, total
}

// crashModes are the deletion policies the step cases run under.
var crashModes = []struct {
	name string
	ret  accounts.Retention
}{
	{"delete-now", accounts.Retention{Mode: accounts.DeleteNow}},
	{"delete-after-14d", accounts.Retention{Mode: accounts.DeleteAfter, Days: 14}},
}

// reference plays the scenario once without kills, tracing every failpoint of each child
// run. It returns the per-round step counts and the final backup content.
func reference(t *testing.T, srv *dovecottest.Server, u *dovecottest.User, ret accounts.Retention, child crashchild.Runner) (rounds []map[string]int, totals []int, final []string) {
	t.Helper()
	c := newCrashCase(t, srv, u, ret, child)
	dir := t.TempDir()
	round := 0
	c.play(t, func(j *crashJob) {
		j.Trace = filepath.Join(dir, strconv.Itoa(round))
		round++
	})
	for i := 0; i < round; i++ {
		counts, total := traceCounts(t, filepath.Join(dir, strconv.Itoa(i)))
		rounds = append(rounds, counts)
		totals = append(totals, total)
	}
	return rounds, totals, storedSet(t, c.acct.Backup.Dir)
}

// TestCrashAtEveryStep kills the child at each durability step (1st, 2nd and last
// occurrence within a run), and then at every failpoint call in turn, under "delete right
// after backup" and "delete after 14 days"; after each kill and each recovery the oracle
// holds, and the final backup equals the uninterrupted run's.
func TestCrashAtEveryStep(t *testing.T) {
	if testing.Short() {
		t.Skip("crash harness skipped in -short mode")
	}
	crashAtEveryStep(t, crashchild.Runner{})
}

// crashAtEveryStep is TestCrashAtEveryStep with children run by child.
func crashAtEveryStep(t *testing.T, child crashchild.Runner) {
	setup := time.Now()
	srv := dovecottest.Start(t)

	type kcase struct {
		name string
		mode int
		kill func(*crashJob)
	}
	var cases []kcase
	finals := make([][]string, len(crashModes))
	reached := map[string]bool{}
	for mi, mode := range crashModes {
		u := readyUsers(t, srv, 1)[0]
		rounds, totals, final := reference(t, srv, u, mode.ret, child)
		finals[mi] = final
		maxOcc := map[string]int{}
		for _, counts := range rounds {
			for step, n := range counts {
				maxOcc[step] = max(maxOcc[step], n)
			}
		}
		for step := range maxOcc {
			reached[step] = true
		}
		t.Logf("%s: failpoints per child run %v; per step (max over rounds) %v", mode.name, totals, maxOcc)
		for _, step := range failpointSteps {
			if maxOcc[step] == 0 {
				continue // not a step of this policy (TOP and set-aside need aged mail)
			}
			occs := slices.Compact([]int{1, min(2, maxOcc[step]), maxOcc[step]})
			for _, occ := range occs {
				cases = append(cases, kcase{fmt.Sprintf("%s/%s#%d", mode.name, step, occ), mi,
					func(j *crashJob) { j.Step, j.Occurrence = step, occ }})
			}
		}
		if mode.ret.Mode == accounts.DeleteNow {
			// Every single failpoint of each round in turn (mbsync's -Tj sweep).
			for n := 1; n <= slices.Max(totals); n++ {
				cases = append(cases, kcase{fmt.Sprintf("%s/point-%02d", mode.name, n), mi,
					func(j *crashJob) { j.Nth = n }})
			}
		}
	}

	for _, step := range failpointSteps {
		if !reached[step] {
			t.Fatalf("no uninterrupted run reached failpoint %q (renamed or removed?)", step)
		}
	}
	users := readyUsers(t, srv, len(cases))
	t.Logf("setup (Dovecot, uninterrupted reference runs, %d users) took %v", len(cases), time.Since(setup).Round(time.Millisecond))
	var kills, points atomic.Int64
	start := time.Now()
	forEachConcurrently(len(cases), func(i int) {
		kc := cases[i]
		t.Run(kc.name, func(t *testing.T) {
			c := newCrashCase(t, srv, users[i], crashModes[kc.mode].ret, child)
			n := c.play(t, kc.kill)
			if n == 0 {
				t.Fatalf("the kill point was never reached")
			}
			kills.Add(int64(n))
			points.Add(1)
			if got := storedSet(t, c.acct.Backup.Dir); !slices.Equal(got, finals[kc.mode]) {
				t.Fatalf("final backup differs from the uninterrupted run's (%d vs %d messages)", len(got), len(finals[kc.mode]))
			}
		})
	})
	t.Logf("%d kill points, %d kills survived, in %v", points.Load(), kills.Load(), time.Since(start).Round(time.Millisecond))
}

// TestCrashRandomKills kills child runs at random moments (POSTFACH_CRASH_RANDOM times,
// default 100), sometimes several in a row before a recovery, with new mail arriving all
// the time; the oracle is checked after every kill and every recovery, and at the end the
// backup holds every message once and the server none.
func TestCrashRandomKills(t *testing.T) {
	if testing.Short() {
		t.Skip("crash harness skipped in -short mode")
	}
	total := 100
	if s := os.Getenv(crashRandomEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			t.Fatalf("%s=%q: want a count", crashRandomEnv, s)
		}
		total = n
	}
	if total == 0 {
		t.Skip(crashRandomEnv + "=0")
	}
	crashRandomKills(t, crashchild.Runner{}, total)
}

// crashRandomKills is TestCrashRandomKills with total kills of children run by child.
func crashRandomKills(t *testing.T, child crashchild.Runner, total int) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("POSTFACH_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (POSTFACH_CRASH_SEED reproduces it)", seed)

	srv := dovecottest.Start(t)
	const workers = 4
	users := readyUsers(t, srv, workers)
	var mu sync.Mutex
	killed, completed := 0, 0
	lastStep := map[string]int{} // the last failpoint a killed child passed
	start := time.Now()
	forEachConcurrently(workers, func(w int) {
		iters := total / workers
		if w < total%workers {
			iters++
		}
		t.Run(fmt.Sprint("worker-", w), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			ret := accounts.Retention{Mode: accounts.DeleteNow}
			if w%2 == 1 {
				ret = accounts.Retention{Mode: accounts.DeleteAfter, Days: 14}
			}
			c := newCrashCase(t, srv, users[w], ret, child)
			traceDir := t.TempDir()
			// How long an uninterrupted child run takes, per batch size: the first
			// estimate comes from a calibration run, later ones from every run that
			// finished before its kill. Delays are drawn below it, so most kills land
			// somewhere inside a run.
			batches := []int{1, 4, 256}
			span := map[int]time.Duration{}
			c.mb.deliver(t, tagged(fmt.Sprintf("w%d-cal", w), 40, int64(w)+100)...)
			t0 := time.Now()
			c.run(t, c.job(), 0)
			for _, b := range batches {
				span[b] = time.Since(t0)
			}
			c.mb.checkSettled(t, c.acct, c.opts(), -1)
			for i := 0; i < iters; i++ {
				c.clock = c.clock.Add(8 * 24 * time.Hour) // DeleteAfter deletes two rounds later
				c.mb.deliver(t, tagged(fmt.Sprintf("w%d-%d", w, i), 30+rng.IntN(30), int64(i))...)
				job := c.job()
				job.Batch = batches[rng.IntN(len(batches))]
				job.Trace = filepath.Join(traceDir, strconv.Itoa(i))
				// sqrt biases the moment towards the later part of a run: the first
				// third or so is process start, TLS and listing, which a uniform draw
				// would hit as often as the download and delete phases together.
				delay := time.Duration(math.Sqrt(rng.Float64())*float64(span[job.Batch])) + time.Millisecond
				t0 := time.Now()
				k := c.run(t, job, delay)
				if !k {
					span[job.Batch] = time.Since(t0)
				}
				c.mb.checkNoLoss(t, c.acct.Backup.Dir)
				mu.Lock()
				if k {
					killed++
					lastStep[lastLine(t, job.Trace)]++
				} else {
					completed++
				}
				mu.Unlock()
				// Recover after most kills, but let some kills pile up first.
				if rng.IntN(3) > 0 || i == iters-1 {
					c.recover(t)
					c.mb.checkSettled(t, c.acct, c.opts(), -1)
				}
			}
			c.clock = c.clock.Add(30 * 24 * time.Hour)
			c.recover(t)
			c.mb.checkSettled(t, c.acct, c.opts(), 0)
		})
	})
	var where []string
	for step, n := range lastStep {
		where = append(where, fmt.Sprintf("%s:%d", step, n))
	}
	sort.Strings(where)
	t.Logf("%d child runs: %d killed at random moments, %d finished first; last failpoint passed before each kill: %s; %v",
		killed+completed, killed, completed, strings.Join(where, " "), time.Since(start).Round(time.Millisecond))
}

// lastLine returns the last line of a trace file, or "(none)" if the child was killed
// before its first failpoint.
func lastLine(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || len(strings.TrimSpace(string(b))) == 0 {
		return "(none)"
	}
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
