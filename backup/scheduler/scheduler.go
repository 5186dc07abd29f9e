// Package scheduler decides when Postfach's background work runs: the backups of POP3
// accounts that are due by their schedule (including runs missed while the PC was off),
// backups the user asked for ("Back up now"), and periodic quota refreshes of IMAP
// accounts.
//
// Everything runs one job at a time in a single goroutine the Scheduler owns, so two
// backups never compete for the network or the disk and a quota check never overlaps a
// backup of the same server. The package knows nothing about windows or notifications:
// it reports what happens as Events, and the desktop app turns them into card updates,
// tray status and notifications. Time comes from a Clock, so tests move it by hand.
//
// Schedules are local time: "daily 13:00" is 13:00 on the wall clock of the Clock's
// location, across daylight-saving changes. Times from elsewhere (the run history and
// ProtocolChosenAt are kept in UTC) are converted into that location before any
// schedule arithmetic; comparing instants needs no conversion.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup"
)

// Defaults for the zero values in Config.
const (
	// DefaultTick is how often the loop looks at the schedule. A minute keeps "daily
	// 13:00" accurate to the minute at negligible cost.
	DefaultTick = time.Minute
	// DefaultStartDelay holds back scheduled and catch-up backups after Start, so that a
	// PC that just woke up or logged in has its network and drives ready first.
	DefaultStartDelay = 2 * time.Minute
	// DefaultRetryAfter is how long a failed scheduled backup waits before the next try;
	// retrying every minute would hammer a server that is down.
	DefaultRetryAfter = 30 * time.Minute
	// DefaultQuotaEvery is how often the quota of IMAP accounts is refreshed. Mailboxes
	// fill over days, not minutes; hourly is enough to warn in time.
	DefaultQuotaEvery = time.Hour
	// DefaultOverdueAfter is the grace period after a missed scheduled run before an
	// account counts as overdue (no successful backup although one was due).
	DefaultOverdueAfter = 3 * 24 * time.Hour
)

// Config is what a Scheduler works with. Accounts and Backup are required; the rest is
// optional. The functions are called from the scheduler's goroutine.
type Config struct {
	// Accounts returns the current accounts. It is called on every pass, so edits,
	// additions and removals take effect without telling the scheduler.
	Accounts func() ([]accounts.Account, error)
	// LastSuccess returns when the account's last successful backup started (zero if
	// never), usually from the run history. Nil means "never" until this scheduler's own
	// first success.
	LastSuccess func(accountID string) (time.Time, error)
	// Backup runs one backup. progress may be called from Backup's goroutine.
	Backup func(ctx context.Context, acct accounts.Account, progress func(backup.Progress)) (*backup.Result, error)
	// Quota refreshes the quota of one IMAP account; the caller keeps the result. Nil
	// disables quota refreshes.
	Quota func(ctx context.Context, acct accounts.Account) error
	// OnEvent receives every event, in order, from the scheduler's goroutine. It must not
	// block for long and must not call back into the Scheduler's RunDue.
	OnEvent func(Event)
	// Clock is the time source; nil means the system clock.
	Clock Clock

	Tick         time.Duration // 0 means DefaultTick
	StartDelay   time.Duration // 0 means DefaultStartDelay; negative means none
	RetryAfter   time.Duration // 0 means DefaultRetryAfter
	QuotaEvery   time.Duration // 0 means DefaultQuotaEvery
	OverdueAfter time.Duration // 0 means DefaultOverdueAfter
}

// Kind says what an Event reports.
type Kind int

// Event kinds.
const (
	// BackupStarted: a backup of Account begins (Manual tells whether the user asked).
	BackupStarted Kind = iota + 1
	// BackupProgress: Progress holds how far the running backup is.
	BackupProgress
	// BackupFinished: Result and Err hold the outcome; Err is nil on success.
	BackupFinished
	// QuotaRefreshed: the quota of Account was refreshed; Err is nil on success.
	QuotaRefreshed
	// Overdue: Account has had no successful backup although one was due more than
	// OverdueAfter ago. LastSuccess is zero if it never had one. Sent once until the
	// next success.
	Overdue
	// Failed: the scheduler itself could not work (Accounts failed, or a job panicked);
	// Err says why. The scheduler carries on.
	Failed
)

// Event is something the scheduler did or noticed.
type Event struct {
	Kind        Kind
	Account     accounts.Account
	Manual      bool
	Progress    backup.Progress
	Result      *backup.Result
	Err         error
	LastSuccess time.Time
}

// Scheduler runs due work one job at a time. Create it with New, then either Start its
// goroutine or drive it yourself with RunDue.
type Scheduler struct {
	cfg  Config
	wake chan struct{}

	mu          sync.Mutex
	started     time.Time            // zero until Start: then nothing waits for StartDelay
	queue       []string             // account IDs the user asked to back up, in order
	queueAll    bool                 // "Back up all now" is pending
	ok          map[string]time.Time // successes seen by this scheduler
	failedAt    map[string]time.Time // last failed scheduled or manual attempt
	quotaAt     map[string]time.Time // last quota refresh attempt
	quotaFailed map[string]bool
	overdue     map[string]bool // Overdue already reported since the last success
	running     string

	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a scheduler for cfg. It panics if cfg.Accounts or cfg.Backup is nil, which
// is a programming error.
func New(cfg Config) *Scheduler {
	if cfg.Accounts == nil || cfg.Backup == nil {
		panic("scheduler: Config.Accounts and Config.Backup are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.OnEvent == nil {
		cfg.OnEvent = func(Event) {}
	}
	if cfg.Tick <= 0 {
		cfg.Tick = DefaultTick
	}
	if cfg.StartDelay == 0 {
		cfg.StartDelay = DefaultStartDelay
	} else if cfg.StartDelay < 0 {
		cfg.StartDelay = 0
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = DefaultRetryAfter
	}
	if cfg.QuotaEvery <= 0 {
		cfg.QuotaEvery = DefaultQuotaEvery
	}
	if cfg.OverdueAfter <= 0 {
		cfg.OverdueAfter = DefaultOverdueAfter
	}
	return &Scheduler{
		cfg:         cfg,
		wake:        make(chan struct{}, 1),
		ok:          map[string]time.Time{},
		failedAt:    map[string]time.Time{},
		quotaAt:     map[string]time.Time{},
		quotaFailed: map[string]bool{},
		overdue:     map[string]bool{},
	}
}

// Start launches the scheduler's goroutine. Scheduled and catch-up backups wait
// StartDelay; manual requests and quota refreshes run at once. Call Stop to end it.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	s.started = s.cfg.Clock.Now()
	go s.loop(ctx)
}

// Stop cancels a running job, ends the goroutine and waits for it. It is safe to call
// more than once, and without Start.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// BackupNow asks for a backup of the accounts with the given IDs, or of every POP3
// account when none are given. Requests queue behind the running job; asking again for
// an account that is already queued does nothing.
func (s *Scheduler) BackupNow(ids ...string) {
	s.mu.Lock()
	if len(ids) == 0 {
		s.queueAll = true
	}
	for _, id := range ids {
		if !slices.Contains(s.queue, id) {
			s.queue = append(s.queue, id)
		}
	}
	s.mu.Unlock()
	s.Reload()
}

// Reload wakes the scheduler so that it looks at the accounts and the queue now rather
// than at the next tick (after an account was added or edited).
func (s *Scheduler) Reload() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Running returns the ID of the account being backed up, or "".
func (s *Scheduler) Running() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// Queued reports whether a backup of the account is waiting for its turn.
func (s *Scheduler) Queued(accountID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queueAll || slices.Contains(s.queue, accountID)
}

// NextRun returns when the next scheduled backup of acct will start, given the time of
// its last success (zero if none, any location): the schedule's next slot on the local
// wall clock, no earlier than the end of the start delay or the retry wait after a
// failure, in the Clock's location. It is zero for IMAP accounts and schedule "off". It
// reads no files, so a GUI may call it while drawing.
func (s *Scheduler) NextRun(acct accounts.Account, lastSuccess time.Time) time.Time {
	if acct.Protocol != accounts.POP3 || acct.Backup == nil || acct.Backup.Schedule.Kind == accounts.Off {
		return time.Time{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.ok[acct.ID]; t.After(lastSuccess) {
		lastSuccess = t
	}
	now := s.cfg.Clock.Now()
	next := now
	if !lastSuccess.IsZero() {
		next = acct.Backup.Schedule.Next(lastSuccess.In(now.Location()))
	}
	if f, ok := s.failedAt[acct.ID]; ok && f.Add(s.cfg.RetryAfter).After(next) {
		next = f.Add(s.cfg.RetryAfter)
	}
	if settle := s.started.Add(s.cfg.StartDelay); !s.started.IsZero() && settle.After(next) {
		next = settle
	}
	if next.Before(now) {
		next = now
	}
	return next
}

func (s *Scheduler) loop(ctx context.Context) {
	defer close(s.done)
	for {
		s.RunDue(ctx)
		wait := s.cfg.Tick
		if d := s.started.Add(s.cfg.StartDelay).Sub(s.cfg.Clock.Now()); d > 0 && d < wait {
			wait = d
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-s.cfg.Clock.After(wait):
		}
	}
}

// job is one unit of work RunDue picks.
type job struct {
	acct   accounts.Account
	quota  bool
	manual bool
}

// RunDue runs, one after the other, everything that is due now: queued manual backups
// first, then scheduled and catch-up backups, then quota refreshes; finally it reports
// overdue accounts. It returns when nothing is left or ctx is done. The scheduler's
// goroutine calls it on every tick; callers without that goroutine (tests, a one-shot
// "run what is due" command) may call it directly, but never concurrently.
func (s *Scheduler) RunDue(ctx context.Context) {
	for ctx.Err() == nil {
		accts, err := s.cfg.Accounts()
		if err != nil {
			s.cfg.OnEvent(Event{Kind: Failed, Err: fmt.Errorf("read accounts: %w", err)})
			return
		}
		j, ok := s.pick(accts, s.cfg.Clock.Now())
		if !ok {
			s.checkOverdue(accts, s.cfg.Clock.Now())
			return
		}
		s.safely(j.acct, func() {
			if j.quota {
				s.refreshQuota(ctx, j.acct)
			} else {
				s.runBackup(ctx, j.acct, j.manual)
			}
		})
	}
}

// pick chooses the next job, or reports that nothing is due.
func (s *Scheduler) pick(accts []accounts.Account, now time.Time) (job, bool) {
	byID := map[string]accounts.Account{}
	var pop3 []accounts.Account
	for _, a := range accts {
		byID[a.ID] = a
		if a.Protocol == accounts.POP3 && a.Backup != nil {
			pop3 = append(pop3, a)
		}
	}
	s.mu.Lock()
	if s.queueAll {
		s.queueAll = false
		for _, a := range pop3 {
			if !slices.Contains(s.queue, a.ID) {
				s.queue = append(s.queue, a.ID)
			}
		}
	}
	for len(s.queue) > 0 {
		id := s.queue[0]
		s.queue = s.queue[1:]
		if a, ok := byID[id]; ok && a.Protocol == accounts.POP3 && a.Backup != nil {
			s.mu.Unlock()
			return job{acct: a, manual: true}, true
		}
	}
	settled := s.started.IsZero() || !now.Before(s.started.Add(s.cfg.StartDelay))
	s.mu.Unlock()

	if settled {
		for _, a := range pop3 {
			if s.backupDue(a, now) {
				return job{acct: a}, true
			}
		}
	}
	if s.cfg.Quota != nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, a := range accts {
			if a.Protocol != accounts.IMAP {
				continue
			}
			every := s.cfg.QuotaEvery
			if s.quotaFailed[a.ID] && s.cfg.RetryAfter < every {
				every = s.cfg.RetryAfter
			}
			if last, ok := s.quotaAt[a.ID]; !ok || !now.Before(last.Add(every)) {
				return job{acct: a, quota: true}, true
			}
		}
	}
	return job{}, false
}

func (s *Scheduler) backupDue(a accounts.Account, now time.Time) bool {
	last := s.lastSuccess(a.ID)
	if !a.Backup.Schedule.Due(last, now) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, failed := s.failedAt[a.ID]
	return !failed || !now.Before(f.Add(s.cfg.RetryAfter))
}

// lastSuccess combines the history (which a CLI run may also have written) with what
// this scheduler saw itself.
func (s *Scheduler) lastSuccess(id string) time.Time {
	var last time.Time
	if s.cfg.LastSuccess != nil {
		if t, err := s.cfg.LastSuccess(id); err == nil {
			last = t
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.ok[id]; t.After(last) {
		last = t
	}
	return last
}

func (s *Scheduler) runBackup(ctx context.Context, a accounts.Account, manual bool) {
	started := s.cfg.Clock.Now()
	s.mu.Lock()
	s.running = a.ID
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = ""
		s.mu.Unlock()
	}()
	s.cfg.OnEvent(Event{Kind: BackupStarted, Account: a, Manual: manual})
	res, err := s.cfg.Backup(ctx, a, func(p backup.Progress) {
		s.cfg.OnEvent(Event{Kind: BackupProgress, Account: a, Manual: manual, Progress: p})
	})
	if err == nil && res != nil && !res.OK() {
		err = errors.New(res.Err)
	}
	s.mu.Lock()
	if err == nil {
		s.ok[a.ID] = started
		delete(s.failedAt, a.ID)
		delete(s.overdue, a.ID)
	} else {
		s.failedAt[a.ID] = s.cfg.Clock.Now()
	}
	s.mu.Unlock()
	s.cfg.OnEvent(Event{Kind: BackupFinished, Account: a, Manual: manual, Result: res, Err: err})
}

func (s *Scheduler) refreshQuota(ctx context.Context, a accounts.Account) {
	err := s.cfg.Quota(ctx, a)
	s.mu.Lock()
	s.quotaAt[a.ID] = s.cfg.Clock.Now()
	s.quotaFailed[a.ID] = err != nil
	s.mu.Unlock()
	s.cfg.OnEvent(Event{Kind: QuotaRefreshed, Account: a, Err: err})
}

// checkOverdue reports POP3 accounts whose last success is older than their schedule
// allows plus the grace period. An account that never succeeded counts from when it was
// set up (ProtocolChosenAt). Both are kept in UTC, so they are read in now's location
// before the schedule's next slot is found.
func (s *Scheduler) checkOverdue(accts []accounts.Account, now time.Time) {
	s.mu.Lock()
	settled := s.started.IsZero() || !now.Before(s.started.Add(s.cfg.StartDelay))
	s.mu.Unlock()
	if !settled {
		return
	}
	for _, a := range accts {
		if a.Protocol != accounts.POP3 || a.Backup == nil || a.Backup.Schedule.Kind == accounts.Off {
			continue
		}
		last := s.lastSuccess(a.ID)
		ref := last
		if ref.IsZero() {
			ref = a.ProtocolChosenAt
		}
		if ref.IsZero() || now.Before(a.Backup.Schedule.Next(ref.In(now.Location())).Add(s.cfg.OverdueAfter)) {
			continue
		}
		s.mu.Lock()
		seen := s.overdue[a.ID]
		s.overdue[a.ID] = true
		s.mu.Unlock()
		if !seen {
			s.cfg.OnEvent(Event{Kind: Overdue, Account: a, LastSuccess: last})
		}
	}
}

// safely runs fn and turns a panic into a Failed event, so that one bad job cannot end
// the tray app's backups for good.
func (s *Scheduler) safely(a accounts.Account, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			s.mu.Lock()
			s.failedAt[a.ID] = s.cfg.Clock.Now()
			s.quotaAt[a.ID] = s.cfg.Clock.Now()
			s.mu.Unlock()
			s.cfg.OnEvent(Event{Kind: Failed, Account: a,
				Err: fmt.Errorf("internal error (please report): %v\n%s", r, debug.Stack())})
		}
	}()
	fn()
}
