package gui

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/backup"
)

// fakeCore is a Core with canned answers and injectable failures; it records calls.
type fakeCore struct {
	mu sync.Mutex

	accts     []accounts.Account
	listErr   error
	passwords map[string]string
	addErr    error

	discovery   *Discovery
	discoverErr error

	// offers are SignInOffer's answers by address domain; signInErr fails SignIn;
	// signInURL is what SignIn opens; addedTokens records AddSignedIn's tokens by name.
	offers      map[string]*SignInOffer
	signInErr   error
	signInURL   string
	addedTokens map[string]*oauth.Token
	reauthed    []string

	// testResults are returned by TestConnection in order; the last one repeats.
	testResults []testResult
	tested      []accounts.Account

	quota    map[string]*QuotaReport
	quotaErr error

	backupRes *backup.Result
	backupErr error
	backedUp  []string
	history   map[string][]backup.Result

	verify    *VerifyReport
	verifyErr error

	systemDisk bool
	removed    []string
	updated    []accounts.Account

	backups *fakeBackups // the browser's side of the core (browser_fake_test.go)
}

type testResult struct {
	rep *ConnReport
	err error
}

func newFakeCore() *fakeCore {
	return &fakeCore{passwords: map[string]string{}, quota: map[string]*QuotaReport{}, history: map[string][]backup.Result{}}
}

func (f *fakeCore) ListAccounts() ([]accounts.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]accounts.Account(nil), f.accts...), f.listErr
}

func (f *fakeCore) AddAccount(_ context.Context, a accounts.Account, pw string) (accounts.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.addErr != nil {
		return accounts.Account{}, f.addErr
	}
	a.ID = ""
	a.Normalize()
	if err := a.Validate(); err != nil {
		return accounts.Account{}, err
	}
	f.accts = append(f.accts, a)
	f.passwords[a.ID] = pw
	return a, nil
}

func (f *fakeCore) UpdateAccount(_ context.Context, a accounts.Account, pw string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.accts {
		if f.accts[i].ID == a.ID {
			if f.accts[i].Protocol != a.Protocol {
				return accounts.ErrProtocolSwitch
			}
			f.accts[i] = a
			f.updated = append(f.updated, a)
			if pw != "" {
				f.passwords[a.ID] = pw
			}
			return nil
		}
	}
	return accounts.ErrNotFound
}

func (f *fakeCore) RemoveAccount(_ context.Context, id string, keepBackup, keepPassword bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.accts {
		if f.accts[i].ID == id {
			f.accts = append(f.accts[:i], f.accts[i+1:]...)
			f.removed = append(f.removed, id+map[bool]string{true: "+backup", false: ""}[keepBackup]+map[bool]string{true: "+password", false: ""}[keepPassword])
			return nil
		}
	}
	return accounts.ErrNotFound
}

func (f *fakeCore) SignInOffer(_ context.Context, email string) (*SignInOffer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, domain, _ := strings.Cut(email, "@")
	return f.offers[domain], nil
}

func (f *fakeCore) SignIn(_ context.Context, a accounts.Account, open func(*url.URL) error) (*oauth.Token, error) {
	if a.Auth != accounts.AuthOAuth2 || a.OAuthProvider == "" {
		return nil, errors.New("fake: sign-in for a password account")
	}
	u, _ := url.Parse(f.signInURL)
	if err := open(u); err != nil {
		return nil, err
	}
	if f.signInErr != nil {
		return nil, f.signInErr
	}
	return &oauth.Token{AccessToken: "access-" + a.Email, RefreshToken: "refresh-" + a.Email}, nil
}

func (f *fakeCore) Reauthorize(ctx context.Context, id string, open func(*url.URL) error) error {
	u, _ := url.Parse(f.signInURL)
	if err := open(u); err != nil {
		return err
	}
	if f.signInErr != nil {
		return f.signInErr
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reauthed = append(f.reauthed, id)
	return nil
}

func (f *fakeCore) TestSignedIn(ctx context.Context, a accounts.Account, tok *oauth.Token) (*ConnReport, error) {
	if tok == nil || tok.AccessToken == "" {
		return nil, errors.New("fake: no token")
	}
	return f.TestConnection(ctx, a, "")
}

func (f *fakeCore) AddSignedIn(ctx context.Context, a accounts.Account, tok *oauth.Token) (accounts.Account, error) {
	saved, err := f.AddAccount(ctx, a, "")
	if err == nil {
		f.mu.Lock()
		if f.addedTokens == nil {
			f.addedTokens = map[string]*oauth.Token{}
		}
		f.addedTokens[saved.Name] = tok
		f.mu.Unlock()
	}
	return saved, err
}

func (f *fakeCore) Discover(context.Context, string) (*Discovery, error) {
	return f.discovery, f.discoverErr
}

func (f *fakeCore) TestConnection(_ context.Context, a accounts.Account, _ string) (*ConnReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tested = append(f.tested, a)
	if len(f.testResults) == 0 {
		return &ConnReport{TLSVersion: "TLS 1.3"}, nil
	}
	r := f.testResults[0]
	if len(f.testResults) > 1 {
		f.testResults = f.testResults[1:]
	}
	return r.rep, r.err
}

func (f *fakeCore) Quota(_ context.Context, id string, folders bool) (*QuotaReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.quotaErr != nil {
		return nil, f.quotaErr
	}
	q, ok := f.quota[id]
	if !ok {
		return nil, errors.New("fake: no quota for " + id)
	}
	c := *q
	if !folders {
		c.Folders = nil
	}
	return &c, nil
}

func (f *fakeCore) BackupNow(_ context.Context, id string, progress func(backup.Progress)) (*backup.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.backedUp = append(f.backedUp, id)
	progress(backup.Progress{Phase: backup.PhaseDownload, Done: 1, Total: 2, Bytes: 1000, TotalBytes: 2000})
	if f.backupErr != nil {
		return &backup.Result{AccountID: id, Err: f.backupErr.Error(), Kind: backup.KindOf(f.backupErr)}, f.backupErr
	}
	r := backup.Result{AccountID: id, New: 2, Bytes: 2_400_000, Started: now}
	if f.backupRes != nil {
		r = *f.backupRes
		r.AccountID = id
	}
	f.history[id] = append(f.history[id], r)
	return &r, nil
}

func (f *fakeCore) Verify(context.Context, string) (*VerifyReport, error) {
	return f.verify, f.verifyErr
}

func (f *fakeCore) History(id string) ([]backup.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]backup.Result(nil), f.history[id]...), nil
}

func (f *fakeCore) DefaultBackupDir(email string) string {
	return "/home/anna/Postfach-Backups/" + email
}

func (f *fakeCore) OnSystemDisk(string) (bool, bool) { return f.systemDisk, true }

// now is the fixed time of all GUI tests: Monday 2 March 2026, 10:00 local time.
var now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.Local)

// setLang switches Fyne's translations for one test and back to English afterwards.
func setLang(t *testing.T, l string) {
	t.Helper()
	t.Setenv("LANG", l)
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANGUAGE", "")
	loadTranslations()
	t.Cleanup(func() {
		os.Setenv("LANG", "en_US.UTF-8")
		loadTranslations()
	})
}

// newTestUI starts the app on the test driver with everything synchronous: background
// work runs inline and the scheduler runs only when the test calls runJobs.
func newTestUI(t *testing.T, core *fakeCore) (*UI, *[]*url.URL) {
	t.Helper()
	if os.Getenv("LANG") == "" || !strings.HasPrefix(os.Getenv("LANG"), "de") {
		setLang(t, "en_US.UTF-8")
	}
	a := test.NewTempApp(t)
	u := New(a, core, Options{})
	u.async = func(f func()) { f() }
	u.schedLoop = false
	u.now = func() time.Time { return now }
	var opened []*url.URL
	u.openURL = func(l *url.URL) error { opened = append(opened, l); return nil }
	u.Start()
	t.Cleanup(u.Stop)
	return u, &opened
}

// runJobs runs whatever the scheduler has due, synchronously.
func runJobs(u *UI) { u.sched.RunDue(context.Background()) }

// visible reports whether o and, as far as we can see, its parents are shown: walkVisible
// skips hidden subtrees.
func walkVisible(o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
	if o == nil || !o.Visible() {
		return
	}
	fn(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walkVisible(c, fn)
		}
	case *container.Scroll:
		walkVisible(x.Content, fn)
	case *container.ThemeOverride:
		walkVisible(x.Content, fn)
	case *widget.Label, *widget.RichText, *widget.Button, *widget.Check, *widget.Entry, *widget.Select:
		// leaves: their text is read directly
	case *widget.Card:
		walkVisible(x.Content, fn)
	case *widget.Form:
		for _, it := range x.Items {
			walkVisible(it.Widget, fn)
		}
	case fyne.Widget:
		r := test.WidgetRenderer(x)
		for _, c := range r.Objects() {
			walkVisible(c, fn)
		}
	}
}

// texts returns the visible texts of labels, rich texts and buttons under o.
func texts(o fyne.CanvasObject) []string {
	var out []string
	walkVisible(o, func(c fyne.CanvasObject) {
		switch x := c.(type) {
		case *widget.Label:
			out = append(out, x.Text)
		case *widget.RichText:
			out = append(out, x.String())
		case *widget.Button:
			out = append(out, x.Text)
		case *widget.Check:
			out = append(out, x.Text)
		case *widget.Entry:
			out = append(out, x.Text)
		case *canvas.Text:
			out = append(out, x.Text)
		}
	})
	return out
}

// screenText is all visible text of the window and its dialogs, joined.
func screenText(w fyne.Window) string {
	all := texts(w.Content())
	for _, o := range w.Canvas().Overlays().List() {
		all = append(all, texts(o)...)
	}
	return strings.Join(all, "\n")
}

func assertShows(t *testing.T, w fyne.Window, want ...string) {
	t.Helper()
	s := screenText(w)
	for _, x := range want {
		if !strings.Contains(s, x) {
			t.Errorf("screen does not show %q; it shows:\n%s", x, s)
		}
	}
}

func assertNotShows(t *testing.T, w fyne.Window, unwanted ...string) {
	t.Helper()
	s := screenText(w)
	for _, x := range unwanted {
		if strings.Contains(s, x) {
			t.Errorf("screen shows %q but should not", x)
		}
	}
}

// button finds a visible button by its text in the window or its dialogs.
func button(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	var found *widget.Button
	find := func(o fyne.CanvasObject) {
		walkVisible(o, func(c fyne.CanvasObject) {
			if b, ok := c.(*widget.Button); ok && b.Text == text && found == nil {
				found = b
			}
		})
	}
	overlays := w.Canvas().Overlays().List()
	for i := len(overlays) - 1; i >= 0 && found == nil; i-- {
		find(overlays[i])
	}
	if found == nil {
		find(w.Content())
	}
	if found == nil {
		t.Fatalf("no button %q on screen:\n%s", text, screenText(w))
	}
	return found
}

func tap(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	b := button(t, w, text)
	if b.Disabled() {
		t.Fatalf("button %q is disabled", text)
	}
	test.Tap(b)
}

var errBoom = errors.New("boom")

var errKeyring = secrets.ErrUnavailable

func imapAccount(id string) accounts.Account {
	return accounts.Account{ID: id, Name: "Info " + id, Email: id + "@example.org", Protocol: accounts.IMAP,
		Host: "imap.example.org", Port: 993, Security: accounts.TLS, Username: id + "@example.org",
		ProtocolChosenAt: now.Add(-30 * 24 * time.Hour)}
}

func pop3Account(id string) accounts.Account {
	return accounts.Account{ID: id, Name: "Mail " + id, Email: id + "@example.org", Protocol: accounts.POP3,
		Host: "pop.example.org", Port: 995, Security: accounts.TLS, Username: id + "@example.org",
		ProtocolChosenAt: now.Add(-30 * 24 * time.Hour),
		Backup:           &accounts.BackupPolicy{Dir: "/backup/" + id, Schedule: accounts.DefaultSchedule(), Retention: accounts.DefaultRetention()}}
}
