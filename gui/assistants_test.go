package gui

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup/imapcopy"
)

// fakeAssistants is a fake core that offers the assistants.
type fakeAssistants struct {
	*fakeCore
	plan      *SwitchPlan
	planErr   error
	result    *SwitchResult
	switchErr error
	targets   []SwitchTarget

	archivePlan *ArchivePlan
	archiveRes  *ArchiveResult
	archived    []ArchiveChoice
}

func (f *fakeAssistants) PlanSwitch(_ context.Context, _ string, t SwitchTarget) (*SwitchPlan, error) {
	f.targets = append(f.targets, t)
	return f.plan, f.planErr
}

func (f *fakeAssistants) Switch(_ context.Context, _ string, t SwitchTarget, progress func(CopyProgress)) (*SwitchResult, error) {
	f.targets = append(f.targets, t)
	progress(CopyProgress{Folder: "INBOX", Done: 6, Total: 12})
	return f.result, f.switchErr
}

func (f *fakeAssistants) PlanArchive(context.Context, string, ArchiveChoice) (*ArchivePlan, error) {
	return f.archivePlan, nil
}

func (f *fakeAssistants) Archive(_ context.Context, _ string, c ArchiveChoice, progress func(CopyProgress)) (*ArchiveResult, error) {
	f.archived = append(f.archived, c)
	progress(CopyProgress{Folder: "INBOX", Done: 1, Total: 2})
	return f.archiveRes, nil
}

// newAssistUI is newTestUI for a core that offers the assistants.
func newAssistUI(t *testing.T, core *fakeAssistants) *UI {
	t.Helper()
	setLang(t, "en_US.UTF-8")
	u := New(test.NewTempApp(t), core, Options{})
	u.async = func(f func()) { f() }
	u.schedLoop = false
	u.now = func() time.Time { return now }
	u.openURL = func(*url.URL) error { return nil }
	u.Start()
	t.Cleanup(u.Stop)
	return u
}

// openSwitch opens the switch assistant of the only account through the edit window's
// "Why can't I change this?".
func openSwitch(t *testing.T, u *UI) *switchScreen {
	t.Helper()
	tap(t, u.win, "Edit")
	w := lastWindow(t, u)
	tap(t, w, "Why can't I change this?")
	assertShows(t, w, "Postfach can move your mail for you")
	tap(t, w, "Open the switch assistant")
	sw := lastWindow(t, u)
	s, ok := switchScreens[sw]
	if !ok {
		t.Fatal("no switch assistant window")
	}
	return s
}

func TestSwitchAssistantToIMAP(t *testing.T) {
	core := &fakeAssistants{fakeCore: newFakeCore(),
		plan:   &SwitchPlan{From: accounts.POP3, To: accounts.IMAP, Messages: 12, Bytes: 3_400_000, Fits: true, QuotaFree: 900_000_000, AlreadyThere: 2},
		result: &SwitchResult{Switched: true, Verified: 14, Copied: 12}}
	core.accts = []accounts.Account{pop3Account("p1")}
	u := newAssistUI(t, core)
	s := openSwitch(t, u)
	if s.server.host.Text != "imap.example.org" || s.server.port.Text != "993" || !s.startBtn.Disabled() {
		t.Fatalf("assistant starts with host %q port %q, start enabled %v", s.server.host.Text, s.server.port.Text, !s.startBtn.Disabled())
	}
	assertShows(t, s.win, "uploads every message of the backup into the INBOX", "Your backup folder stays as it is")
	tap(t, s.win, "Show the plan")
	assertShows(t, s.win, "To copy: 12 messages, 3.4 MB.", "Already at the destination: 2 messages", "Free on the server: 900 MB. It fits.")
	tap(t, s.win, "Switch now")
	assertShows(t, s.win, "Done: 14 messages verified on the server. Mail p1 is now an IMAP account")
	last := core.targets[len(core.targets)-1]
	if last.Host != "imap.example.org" || last.Port != 993 || last.Password != "" || last.Dir != "" {
		t.Errorf("target: %+v", last)
	}
}

func TestSwitchAssistantRefusesWhatDoesNotFit(t *testing.T) {
	core := &fakeAssistants{fakeCore: newFakeCore(),
		plan: &SwitchPlan{From: accounts.POP3, To: accounts.IMAP, Messages: 12, Bytes: 3_400_000, Fits: false, QuotaFree: 1_000_000}}
	core.accts = []accounts.Account{pop3Account("p1")}
	u := newAssistUI(t, core)
	s := openSwitch(t, u)
	tap(t, s.win, "Show the plan")
	assertShows(t, s.win, "It does not fit")
	if !s.startBtn.Disabled() {
		t.Error("a plan that does not fit can be started")
	}
}

func TestSwitchAssistantPausedAndToPOP3(t *testing.T) {
	core := &fakeAssistants{fakeCore: newFakeCore(),
		plan:      &SwitchPlan{From: accounts.IMAP, To: accounts.POP3, Messages: 40, Bytes: 9_000_000, Fits: true, QuotaFree: -1},
		result:    &SwitchResult{},
		switchErr: context.Canceled}
	core.accts = []accounts.Account{imapAccount("i1")}
	u := newAssistUI(t, core)
	s := openSwitch(t, u)
	assertShows(t, s.win, "disappears from your other devices", "Keep all mail on the server")
	if s.server.host.Text != "pop.example.org" || s.server.port.Text != "995" || !strings.HasSuffix(s.dir.Text, "i1@example.org") {
		t.Fatalf("assistant starts with host %q port %q dir %q", s.server.host.Text, s.server.port.Text, s.dir.Text)
	}
	tap(t, s.win, "Show the plan")
	tap(t, s.win, "Switch now")
	assertShows(t, s.win, "The account was not switched. Start again to continue")
	if s.startBtn.Disabled() {
		t.Error("a paused switch cannot be started again")
	}
	last := core.targets[len(core.targets)-1]
	if last.Retention.Mode != accounts.KeepForever || last.Dir == "" {
		t.Errorf("target: %+v", last)
	}
	core.switchErr = imapcopy.ErrWontFit
	tap(t, s.win, "Switch now")
	assertShows(t, s.win, "The mail does not fit")
}

func TestNoSwitchAssistantWithoutCoreSupport(t *testing.T) {
	core := newFakeCore()
	core.accts = []accounts.Account{pop3Account("p1")}
	u, _ := newTestUI(t, core)
	tap(t, u.win, "Edit")
	w := lastWindow(t, u)
	tap(t, w, "Why can't I change this?")
	assertNotShows(t, w, "Open the switch assistant")
}

// TestFreeSpaceAssistant: an amber quota bar offers "Free up space…" with the forecast;
// the dialog prices each choice, moves the chosen one and reads the quota again.
func TestFreeSpaceAssistant(t *testing.T) {
	year := 365 * 24 * time.Hour
	core := &fakeAssistants{fakeCore: newFakeCore(),
		archivePlan: &ArchivePlan{Dir: "/home/anna/Postfach-Archive/i1@example.org", Options: []ArchiveOption{
			{Choice: ArchiveChoice{OlderThan: year}, Messages: 300, Bytes: 700_000_000},
			{Choice: ArchiveChoice{OlderThan: 2 * year}, Messages: 120, Bytes: 412_000_000},
			{Choice: ArchiveChoice{LargerThan: 10 << 20}, Messages: 0},
		}},
		archiveRes: &ArchiveResult{Deleted: 120, Freed: 412_000_000, Dir: "/home/anna/Postfach-Archive/i1@example.org"}}
	core.accts = []accounts.Account{imapAccount("i1")}
	core.quota["i1"] = &QuotaReport{Supported: true, Used: 850_000_000, Limit: 1_000_000_000, Checked: now, FullInDays: 23.4}
	u := newAssistUI(t, core)
	runJobs(u)
	assertShows(t, u.win, "850 MB of 1 GB used.", "full in about 23 days", "Free up space…")
	tap(t, u.win, "Free up space…")
	w := lastWindow(t, u)
	s := freeSpaceScreens[w]
	if s == nil {
		t.Fatal("no free-space window")
	}
	assertShows(t, w, "Mail older than 2 years: 120 messages, 412 MB", "Mail older than one year: 300 messages, 700 MB", "Drafts are left alone")
	if !s.move.Disabled() {
		t.Error("moving is possible before a choice")
	}
	s.choices.SetSelected(s.choices.Options[2])
	if !s.move.Disabled() {
		t.Error("a choice that frees nothing can be moved")
	}
	s.choices.SetSelected(s.choices.Options[1])
	core.quota["i1"] = &QuotaReport{Supported: true, Used: 438_000_000, Limit: 1_000_000_000, Checked: now}
	tap(t, w, "Move to the archive")
	assertShows(t, w, "Moved 120 messages into /home/anna/Postfach-Archive/i1@example.org", "Freed 412 MB.")
	if len(core.archived) != 1 || core.archived[0].OlderThan != 2*year {
		t.Errorf("archived %+v", core.archived)
	}
	assertShows(t, u.win, "438 MB of 1 GB used.")
	assertNotShows(t, u.win, "Free up space…")
}
