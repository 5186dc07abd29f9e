package gui

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/backup/scheduler"
)

// accountStatus is what the UI knows about one account beyond its settings. It is only
// touched on the UI thread.
type accountStatus struct {
	acct accounts.Account

	// POP3
	history  []backup.Result
	last     *backup.Result // the most recent run, good or bad
	lastOK   time.Time      // start of the most recent good run
	running  bool
	lastErr  error // the error of the last run if it happened in this session
	progress backup.Progress
	overdue  bool

	// IMAP
	quota        *QuotaReport
	quotaErr     error
	quotaLoading bool

	signingIn bool // an OAuth2 sign-in from the card is waiting for the browser
}

func (st *accountStatus) setHistory(h []backup.Result) {
	st.history = h
	st.lastOK = backup.LastSuccess(h)
	st.last = nil
	if len(h) > 0 {
		st.last = &h[len(h)-1]
	}
}

// addRun records a finished run without re-reading the history from disk.
func (st *accountStatus) addRun(r backup.Result) {
	st.history = append(st.history, r)
	st.last = &st.history[len(st.history)-1]
	if r.OK() {
		st.lastOK = r.Started
		st.overdue = false
	}
}

// onJobEvent receives the scheduler's events on its goroutine and applies them on the
// UI thread; notifications go out from a goroutine of their own.
func (u *UI) onJobEvent(e scheduler.Event) {
	fyne.Do(func() {
		st := u.status[e.Account.ID]
		switch e.Kind {
		case scheduler.BackupStarted:
			if st != nil {
				st.running, st.progress = true, backup.Progress{Phase: backup.PhaseConnect}
			}
		case scheduler.BackupProgress:
			if st != nil {
				st.progress = e.Progress
			}
			u.overview.refreshCard(e.Account.ID)
			return // the tray shows no progress numbers: don't rebuild it per message
		case scheduler.BackupFinished:
			r := backup.Result{AccountID: e.Account.ID, Account: e.Account.Name, Started: u.now()}
			if e.Result != nil {
				r = *e.Result
			}
			if e.Err != nil && r.Err == "" {
				r.Err = e.Err.Error()
			}
			if e.Err != nil && r.Kind == backup.KindNone {
				r.Kind = backup.KindOf(e.Err)
			}
			if st != nil {
				st.running = false
				st.lastErr = e.Err
				st.addRun(r)
			}
			if !errors.Is(e.Err, context.Canceled) {
				u.notify.backupFinished(e.Account, &r, e.Err, e.Manual)
			}
		case scheduler.Overdue:
			if st != nil {
				st.overdue = true
			}
			u.notify.overdue(e.Account, e.LastSuccess)
		case scheduler.Failed:
			fyne.LogError("background job", e.Err)
			if st != nil {
				st.running = false
			}
		}
		u.overview.refreshCard(e.Account.ID)
		u.refreshTray()
	})
}

// refreshQuota is the scheduler's quota job: read it (on the scheduler's goroutine),
// then show it and warn about crossed thresholds on the UI thread.
func (u *UI) refreshQuota(ctx context.Context, acct accounts.Account) error {
	fyne.Do(func() {
		if st := u.status[acct.ID]; st != nil {
			st.quotaLoading = true
			u.overview.refreshCard(acct.ID)
		}
	})
	q, err := u.core.Quota(ctx, acct.ID, false)
	fyne.Do(func() { u.setQuota(acct, q, err) })
	return err
}

// setQuota shows a fresh quota reading, keeping folder sizes read earlier.
func (u *UI) setQuota(acct accounts.Account, q *QuotaReport, err error) {
	st := u.status[acct.ID]
	if st == nil {
		return
	}
	st.quotaLoading = false
	st.quotaErr = err
	if backup.KindOf(err) == backup.KindReauth {
		u.notify.signInAgain(acct)
	}
	if err == nil && q != nil {
		if q.Folders == nil && st.quota != nil {
			q.Folders = st.quota.Folders
		}
		st.quota = q
		u.notify.quota(acct, q)
	}
	u.overview.refreshCard(acct.ID)
	u.refreshTray()
}
