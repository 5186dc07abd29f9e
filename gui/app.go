// Package gui is Postfach's desktop app: the first-run wizard with the POP3-or-IMAP
// decision, the account overview with quota and backup status, the tray icon and the
// notifications, in German and English.
//
// The package receives a fyne.App from main and never imports the GL driver
// (fyne.io/fyne/v2/app), so it builds and its tests run with CGO_ENABLED=0 and without a
// display. It reaches Postfach's core only through the Core interface. All network, disk
// and keyring work runs in goroutines; results come back to the UI thread via fyne.Do.
package gui

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"runtime/debug"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/assets"
	"github.com/postfach/postfach/backup"
	"github.com/postfach/postfach/backup/scheduler"
	// Maps LANG=C.UTF-8 before Fyne reads the locale at start-up (see its doc).
	_ "github.com/postfach/postfach/gui/localeenv"
)

// Options tunes the desktop app. The zero value is what tests use: no tray.
type Options struct {
	// Tray shows a tray icon and makes closing the main window hide it instead of quitting.
	// Set it from TrayAvailable: without a session D-Bus Fyne's tray panics on quit.
	Tray bool
	// StartDelay holds back scheduled and catch-up backups after start (0: the
	// scheduler's default of two minutes). Run reads it from StartDelayEnv.
	StartDelay time.Duration
	// StartHidden starts in the tray without showing the window, when there is a tray
	// and at least one account. Run sets it from StartHiddenEnv (the autostart entry).
	StartHidden bool
}

// StartDelayEnv names the variable that sets Options.StartDelay (a Go duration such as
// "5s"): end-to-end tests use it so a scheduled backup runs within seconds.
const StartDelayEnv = "POSTFACH_SCHEDULER_START_DELAY"

// UI is the running desktop app: its windows, the account states the windows show, and
// the scheduler that keeps backups and quota up to date.
type UI struct {
	app  fyne.App
	core Core
	opts Options

	win fyne.Window // the main window
	// filled says the main window has its content (overview or wizard): Fyne's window
	// starts with a background rectangle, not nil, so Content() cannot tell.
	filled   bool
	overview *overview
	wizard   *wizard // the wizard on screen, if any
	sched    *scheduler.Scheduler
	notify   *notifier
	tray     *trayState

	ctx    context.Context // cancelled on quit; parent of every background job
	cancel context.CancelFunc

	// accounts and their status, owned by the UI thread.
	accts   []accounts.Account
	status  map[string]*accountStatus
	loadErr error

	// Seams for tests. async runs work off the UI thread (tests run it inline, so
	// everything happens in order on the test goroutine); schedLoop starts the
	// scheduler's own goroutine (tests call sched.RunDue instead); now is the clock.
	async     func(func())
	schedLoop bool
	now       func() time.Time
	openURL   func(*url.URL) error
}

// New builds the app's state and windows on a (and loads the translations) but shows
// nothing yet; call Start.
func New(a fyne.App, core Core, opts Options) *UI {
	loadTranslations()
	a.SetIcon(Icon())
	ctx, cancel := context.WithCancel(context.Background())
	u := &UI{
		app: a, core: core, opts: opts,
		ctx: ctx, cancel: cancel,
		status:    map[string]*accountStatus{},
		async:     goSafe,
		schedLoop: true,
		now:       time.Now,
		openURL:   a.OpenURL,
	}
	u.notify = &notifier{u: u}
	u.sched = scheduler.New(scheduler.Config{
		Accounts:    core.ListAccounts,
		LastSuccess: u.lastSuccess,
		Backup: func(ctx context.Context, acct accounts.Account, progress func(backup.Progress)) (*backup.Result, error) {
			return core.BackupNow(ctx, acct.ID, progress)
		},
		Quota:      u.refreshQuota,
		OnEvent:    u.onJobEvent,
		Clock:      uiClock{u},
		StartDelay: opts.StartDelay,
	})
	u.win = a.NewWindow("Postfach")
	u.win.SetMaster()
	u.win.Resize(fyne.NewSize(860, 720))
	u.overview = newOverview(u)
	return u
}

// Start shows the main window — the wizard when there is no account yet — sets up the
// tray and starts the scheduler.
//
// Started hidden in the tray, the window gets its content only when it is first shown
// (showMain): laying it out makes Fyne parse its fonts, ~17 MB of Go heap (twice that in
// RSS) that an app idle in the tray never needs (bench/tray_test.go).
func (u *UI) Start() {
	u.setupTray()
	if !u.opts.StartHidden || u.tray == nil {
		u.ensureContent()
		u.win.Show()
	}
	u.reload(true)
	if u.schedLoop {
		u.sched.Start(u.ctx)
	}
}

// Stop ends background work: the scheduler (cancelling a running backup; the backup
// itself guarantees that nothing is lost) and pending jobs. It waits at most a few
// seconds so that quitting never hangs.
func (u *UI) Stop() {
	u.cancel()
	done := make(chan struct{})
	go func() { u.sched.Stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
}

// Run starts the desktop app on a and blocks until it quits; it returns the exit code.
// SIGTERM and SIGINT quit cleanly, like the tray's "Quit": Fyne's desktop driver catches
// both and ends its loop, and the stopped lifecycle event runs u.Stop. A handler of our
// own raced with Fyne's: when Fyne's loop had already ended, Fyne ran our Quit directly,
// on a terminated GLFW, and the app panicked on its way out.
func Run(a fyne.App, core Core, opts Options) int {
	if d, err := time.ParseDuration(os.Getenv(StartDelayEnv)); err == nil && d > 0 {
		opts.StartDelay = d
	}
	opts.StartHidden = opts.StartHidden || os.Getenv(StartHiddenEnv) == "1" || slices.Contains(os.Args[1:], StartHiddenArg)
	if err := registerToastID(a.UniqueID()); err != nil {
		fyne.LogError("notifications may not show", err)
	}
	u := New(a, core, opts)
	a.Lifecycle().SetOnStopped(u.Stop)
	u.Start()
	a.Run()
	return 0
}

// Icon returns the application icon.
func Icon() fyne.Resource {
	return fyne.NewStaticResource("postfach.png", assets.Icon)
}

// loadTranslations adds our German and English texts to Fyne's; Fyne then picks the
// language from the system locale (LANG, LC_ALL, …), and followLanguage corrects the
// pick where Postfach's own choice differs. Calling it again re-reads the locale, which
// the tests use to switch languages.
func loadTranslations() {
	if err := lang.AddTranslationsFS(assets.Translations, "translations"); err != nil {
		fyne.LogError("load translations", err)
	}
	followLanguage()
}

// reload re-reads the accounts in the background and refreshes everything that shows
// them. first opens the wizard when there is no account yet.
func (u *UI) reload(first bool) {
	u.async(func() {
		accts, err := u.core.ListAccounts()
		fyne.Do(func() {
			u.setAccounts(accts, err)
			if first && err == nil && len(accts) == 0 {
				u.showWizard(true)
				u.win.Show() // even when asked to start hidden: there is nothing to run yet
			}
		})
		for _, a := range accts {
			u.loadHistory(a)
		}
	})
	u.sched.Reload()
}

// setAccounts replaces the account list, keeping the status of accounts that remain.
func (u *UI) setAccounts(accts []accounts.Account, err error) {
	u.loadErr = err
	if err != nil {
		accts = nil
	}
	u.accts = accts
	keep := map[string]*accountStatus{}
	for _, a := range accts {
		st := u.status[a.ID]
		if st == nil {
			st = &accountStatus{}
		}
		st.acct = a
		keep[a.ID] = st
	}
	u.status = keep
	u.overview.refresh()
	u.refreshTray()
}

// loadHistory reads an account's run history (disk) and shows the last run. Call it off
// the UI thread.
func (u *UI) loadHistory(a accounts.Account) {
	if a.Protocol != accounts.POP3 {
		return
	}
	hist, err := u.core.History(a.ID)
	if err != nil {
		fyne.LogError("read backup history of "+a.Name, err)
	}
	fyne.Do(func() {
		if st := u.status[a.ID]; st != nil {
			st.setHistory(hist)
			u.overview.refreshCard(a.ID)
			u.refreshTray()
		}
	})
}

// lastSuccess is the scheduler's view of the history: when the last good run started.
func (u *UI) lastSuccess(id string) (time.Time, error) {
	hist, err := u.core.History(id)
	if err != nil {
		return time.Time{}, err
	}
	return backup.LastSuccess(hist), nil
}

// showMain brings the main window to the front (tray "Open Postfach", a click on the
// tray icon).
func (u *UI) showMain() {
	u.ensureContent()
	u.win.Show()
	u.win.RequestFocus()
}

// ensureContent gives the main window the overview unless it has content already (the
// overview, or the wizard on the first start).
func (u *UI) ensureContent() {
	if !u.filled {
		u.setContent(u.overview.buildUI())
		u.overview.refresh()
	}
}

// setContent puts obj into the main window and remembers that it has content.
func (u *UI) setContent(obj fyne.CanvasObject) {
	u.win.SetContent(obj)
	u.filled = true
}

// goSafe runs fn in a goroutine that logs a panic instead of taking the tray app down.
func goSafe(fn func()) {
	go func() {
		defer func() {
			if r := recover(); r != nil {
				fyne.LogError("internal error (please report)", fmt.Errorf("%v\n%s", r, debug.Stack()))
			}
		}()
		fn()
	}()
}

// uiClock lets the scheduler share the UI's clock, so that "next backup" and "last
// backup" are measured against the same now (tests fix it).
type uiClock struct{ u *UI }

func (c uiClock) Now() time.Time                         { return c.u.now() }
func (c uiClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
