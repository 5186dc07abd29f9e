package scheduler

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup"
)

// fakeClock is a Clock whose time only moves when the test calls Advance.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	added   chan struct{} // signalled whenever After registers a waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(t time.Time) *fakeClock {
	return &fakeClock{now: t, added: make(chan struct{}, 100)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	c.added <- struct{}{}
	return ch
}

// Advance moves the clock and fires every waiter whose time has come.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			keep = append(keep, w)
		}
	}
	c.waiters = keep
}

// waitIdle blocks until the scheduler goroutine waits on the clock again, i.e. has
// finished its pass.
func (c *fakeClock) waitIdle(t *testing.T) {
	t.Helper()
	select {
	case <-c.added:
	case <-time.After(5 * time.Second):
		t.Fatal("scheduler did not go back to sleep")
	}
}

// fakeRunner records backups and quota checks and can block or fail them.
type fakeRunner struct {
	mu          sync.Mutex
	accts       []accounts.Account
	last        map[string]time.Time
	backups     []string
	quotas      []string
	fail        map[string]error
	block       chan struct{} // if set, each backup waits for a receive
	active, max int
	// history, if set, makes a successful backup its last success, in UTC like the run
	// history that backup/run.go writes.
	history *fakeClock
}

func (r *fakeRunner) lastOf(id string) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last[id]
}

func (r *fakeRunner) Accounts() ([]accounts.Account, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]accounts.Account(nil), r.accts...), nil
}

func (r *fakeRunner) LastSuccess(id string) (time.Time, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last[id], nil
}

func (r *fakeRunner) Backup(ctx context.Context, a accounts.Account, progress func(backup.Progress)) (*backup.Result, error) {
	r.mu.Lock()
	r.active++
	r.max = max(r.max, r.active)
	r.backups = append(r.backups, a.ID)
	block := r.block
	err := r.fail[a.ID]
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.active--
		r.mu.Unlock()
	}()
	progress(backup.Progress{Phase: backup.PhaseDownload, Done: 1, Total: 2})
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return &backup.Result{AccountID: a.ID, Err: err.Error()}, err
	}
	if r.history != nil {
		r.mu.Lock()
		r.last[a.ID] = r.history.Now().UTC()
		r.mu.Unlock()
	}
	return &backup.Result{AccountID: a.ID, New: 3}, nil
}

func (r *fakeRunner) Quota(_ context.Context, a accounts.Account) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.quotas = append(r.quotas, a.ID)
	return nil
}

func (r *fakeRunner) ran() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.backups...)
}

func pop3(id string, sched accounts.Schedule) accounts.Account {
	return accounts.Account{ID: id, Name: id, Protocol: accounts.POP3,
		Backup: &accounts.BackupPolicy{Dir: "/tmp/" + id, Schedule: sched, Retention: accounts.DefaultRetention()}}
}

func imap(id string) accounts.Account {
	return accounts.Account{ID: id, Name: id, Protocol: accounts.IMAP}
}

// monday 10:00 local time; daily 13:00 is three hours away.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.Local)

type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) on(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) kinds(k Kind) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.events {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

func newTest(clock *fakeClock, r *fakeRunner, rec *recorder) *Scheduler {
	return New(Config{
		Accounts: r.Accounts, LastSuccess: r.LastSuccess, Backup: r.Backup, Quota: r.Quota,
		OnEvent: rec.on, Clock: clock,
	})
}

func TestDue(t *testing.T) {
	daily := accounts.Schedule{Kind: accounts.Daily, Minute: 13 * 60}
	yesterday := time.Date(2026, 3, 1, 13, 0, 5, 0, time.Local)
	tests := []struct {
		name string
		now  time.Time
		last time.Time
		want bool
	}{
		{"never backed up", t0, time.Time{}, true},
		{"before today's slot", time.Date(2026, 3, 2, 12, 59, 0, 0, time.Local), yesterday, false},
		{"at today's slot", time.Date(2026, 3, 2, 13, 0, 0, 0, time.Local), yesterday, true},
		{"missed while off (catch-up)", t0, yesterday.Add(-72 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock(tt.now)
			r := &fakeRunner{accts: []accounts.Account{pop3("a", daily)}, last: map[string]time.Time{"a": tt.last}}
			rec := &recorder{}
			s := newTest(clock, r, rec)
			s.RunDue(context.Background())
			if got := len(r.ran()) == 1; got != tt.want {
				t.Errorf("ran %v, want due=%v", r.ran(), tt.want)
			}
		})
	}
}

func TestCatchUpAfterStartDelay(t *testing.T) {
	clock := newFakeClock(t0)
	daily := accounts.Schedule{Kind: accounts.Daily, Minute: 13 * 60}
	r := &fakeRunner{
		accts: []accounts.Account{pop3("a", daily), imap("i")},
		last:  map[string]time.Time{"a": t0.Add(-48 * time.Hour)},
	}
	rec := &recorder{}
	s := newTest(clock, r, rec)
	s.Start(context.Background())
	defer s.Stop()

	clock.waitIdle(t)
	if len(r.ran()) != 0 {
		t.Fatalf("backup ran before the start delay: %v", r.ran())
	}
	if len(rec.kinds(QuotaRefreshed)) != 1 {
		t.Errorf("quota should refresh at once after start, got %d refreshes", len(rec.kinds(QuotaRefreshed)))
	}
	clock.Advance(time.Minute)
	clock.waitIdle(t)
	if len(r.ran()) != 0 {
		t.Fatalf("backup ran before the start delay: %v", r.ran())
	}
	clock.Advance(time.Minute)
	clock.waitIdle(t)
	if got := r.ran(); len(got) != 1 || got[0] != "a" {
		t.Fatalf("catch-up backup: got %v, want [a]", got)
	}
	done := rec.kinds(BackupFinished)
	if len(done) != 1 || done[0].Err != nil || done[0].Manual || done[0].Result.New != 3 {
		t.Errorf("finished events: %+v", done)
	}
	if len(rec.kinds(BackupProgress)) != 1 || len(rec.kinds(BackupStarted)) != 1 {
		t.Errorf("want one started and one progress event, got %+v", rec.events)
	}
	// The next slot is today 13:00: nothing until then.
	if next := s.NextRun(r.accts[0], r.last["a"]); !next.Equal(time.Date(2026, 3, 2, 13, 0, 0, 0, time.Local)) {
		t.Errorf("NextRun = %v, want today 13:00", next)
	}
	clock.Advance(2*time.Hour + 57*time.Minute) // 12:59
	clock.waitIdle(t)
	if len(r.ran()) != 1 {
		t.Fatalf("ran again too early: %v", r.ran())
	}
	clock.Advance(time.Minute) // 13:00
	clock.waitIdle(t)
	if len(r.ran()) != 2 {
		t.Fatalf("daily 13:00 did not run: %v", r.ran())
	}
	// The clock jumped almost three hours at once (like a suspended PC): one refresh
	// at start, one after the jump, none at 13:00 because the last is a minute old.
	if n := len(rec.kinds(QuotaRefreshed)); n != 2 {
		t.Errorf("quota refreshed %d times, want 2", n)
	}
}

func TestOneAtATimeAndManualFirst(t *testing.T) {
	clock := newFakeClock(t0)
	off := accounts.Schedule{Kind: accounts.Off}
	r := &fakeRunner{
		accts: []accounts.Account{pop3("a", off), pop3("b", off), pop3("c", off), imap("i")},
		block: make(chan struct{}),
	}
	rec := &recorder{}
	s := newTest(clock, r, rec)
	s.Start(context.Background())
	defer s.Stop()
	clock.waitIdle(t) // first pass: quota only

	s.BackupNow("b")
	waitFor(t, func() bool { return s.Running() == "b" })
	s.BackupNow() // all: a, b (again) and c queue behind b
	s.BackupNow("i", "nope")
	if !s.Queued("c") {
		t.Error("c should be queued")
	}
	for range 4 {
		r.block <- struct{}{}
	}
	clock.waitIdle(t)
	want := []string{"b", "a", "b", "c"}
	if got := r.ran(); !equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	if r.max != 1 {
		t.Errorf("%d backups ran at once, want 1", r.max)
	}
	for _, e := range rec.kinds(BackupFinished) {
		if !e.Manual {
			t.Errorf("%s: manual request reported as scheduled", e.Account.ID)
		}
	}
}

func TestFailureRetriesLaterAndOverdue(t *testing.T) {
	clock := newFakeClock(t0)
	hourly := accounts.Schedule{Kind: accounts.Hourly, Hours: 1}
	acct := pop3("a", hourly)
	r := &fakeRunner{
		accts: []accounts.Account{acct},
		last:  map[string]time.Time{"a": t0.Add(-4 * 24 * time.Hour)},
		fail:  map[string]error{"a": errors.New("server unreachable")},
	}
	rec := &recorder{}
	s := newTest(clock, r, rec)
	s.RunDue(context.Background())
	if len(r.ran()) != 1 {
		t.Fatalf("want one attempt, got %v", r.ran())
	}
	f := rec.kinds(BackupFinished)
	if len(f) != 1 || f[0].Err == nil {
		t.Fatalf("want a failed run, got %+v", f)
	}
	if o := rec.kinds(Overdue); len(o) != 1 || !o[0].LastSuccess.Equal(r.last["a"]) {
		t.Fatalf("want one overdue event with the last success, got %+v", o)
	}
	clock.Advance(10 * time.Minute)
	s.RunDue(context.Background())
	if len(r.ran()) != 1 {
		t.Errorf("retried before RetryAfter: %v", r.ran())
	}
	if len(rec.kinds(Overdue)) != 1 {
		t.Error("overdue must be reported once, not on every pass")
	}
	clock.Advance(DefaultRetryAfter)
	r.fail = nil
	s.RunDue(context.Background())
	if len(r.ran()) != 2 {
		t.Fatalf("no retry after RetryAfter: %v", r.ran())
	}
	if f := rec.kinds(BackupFinished); f[1].Err != nil {
		t.Errorf("second run should succeed: %v", f[1].Err)
	}
}

func TestNeverBackedUpIsOverdueOnlyAfterGrace(t *testing.T) {
	clock := newFakeClock(t0)
	acct := pop3("a", accounts.Schedule{Kind: accounts.Daily, Minute: 13 * 60})
	acct.ProtocolChosenAt = t0.Add(-time.Hour)
	r := &fakeRunner{accts: []accounts.Account{acct}, fail: map[string]error{"a": errors.New("down")}}
	rec := &recorder{}
	s := newTest(clock, r, rec)
	s.RunDue(context.Background())
	if len(rec.kinds(Overdue)) != 0 {
		t.Fatal("a new account is not overdue")
	}
	clock.Advance(4 * 24 * time.Hour)
	s.RunDue(context.Background())
	if len(rec.kinds(Overdue)) != 1 {
		t.Fatal("want overdue after the grace period")
	}
}

func TestStopCancelsRunningBackup(t *testing.T) {
	clock := newFakeClock(t0)
	r := &fakeRunner{accts: []accounts.Account{pop3("a", accounts.Schedule{Kind: accounts.Off})}, block: make(chan struct{})}
	rec := &recorder{}
	s := newTest(clock, r, rec)
	s.Start(context.Background())
	clock.waitIdle(t)
	s.BackupNow("a")
	waitFor(t, func() bool { return s.Running() == "a" })
	stopped := make(chan struct{})
	go func() { s.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not return while a backup was running")
	}
	f := rec.kinds(BackupFinished)
	if len(f) != 1 || !errors.Is(f[0].Err, context.Canceled) {
		t.Errorf("want the running backup cancelled, got %+v", f)
	}
	s.BackupNow("a")
	time.Sleep(50 * time.Millisecond)
	if len(r.ran()) != 1 {
		t.Errorf("ran after Stop: %v", r.ran())
	}
	s.Stop() // twice is fine
}

func TestPanicInJobIsReported(t *testing.T) {
	clock := newFakeClock(t0)
	rec := &recorder{}
	s := New(Config{
		Accounts: func() ([]accounts.Account, error) {
			return []accounts.Account{pop3("a", accounts.Schedule{Kind: accounts.Hourly, Hours: 1})}, nil
		},
		Backup: func(context.Context, accounts.Account, func(backup.Progress)) (*backup.Result, error) {
			panic("boom")
		},
		OnEvent: rec.on, Clock: clock,
	})
	s.RunDue(context.Background())
	if f := rec.kinds(Failed); len(f) != 1 || f[0].Account.ID != "a" {
		t.Fatalf("want one Failed event, got %+v", rec.events)
	}
	s.RunDue(context.Background())
	if len(rec.kinds(Failed)) != 1 {
		t.Error("a panicking job must wait RetryAfter like a failure")
	}
}

func TestNextRun(t *testing.T) {
	clock := newFakeClock(t0)
	r := &fakeRunner{}
	s := newTest(clock, r, &recorder{})
	daily := pop3("a", accounts.Schedule{Kind: accounts.Daily, Minute: 13 * 60})
	if got := s.NextRun(daily, t0.Add(-time.Hour)); !got.Equal(t0.Add(3 * time.Hour)) {
		t.Errorf("daily: %v", got)
	}
	if got := s.NextRun(daily, time.Time{}); !got.Equal(t0) {
		t.Errorf("never backed up: want now, got %v", got)
	}
	if got := s.NextRun(pop3("b", accounts.Schedule{Kind: accounts.Off}), t0); !got.IsZero() {
		t.Errorf("off: %v", got)
	}
	if got := s.NextRun(imap("i"), t0); !got.IsZero() {
		t.Errorf("imap: %v", got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
