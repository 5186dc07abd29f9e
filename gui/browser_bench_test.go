package gui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/postfach/postfach/backup/search"
	"github.com/postfach/postfach/internal/testkit/mailgen"
)

// indexCore is the fake core with a real search index under the browser: it measures
// what opening the window costs on a real backup (index check, first page, widgets).
type indexCore struct {
	*fakeCore
	root string
}

func (c *indexCore) IndexBackup(ctx context.Context, id string, progress func(done, total int)) error {
	ix, err := search.Open(c.root)
	if err != nil {
		return err
	}
	defer ix.Close()
	_, err = ix.Update(ctx, func(p search.Progress) { progress(p.Done, p.Total) })
	return err
}

func (c *indexCore) SearchBackup(ctx context.Context, id string, q search.Query) (search.Result, error) {
	ix, err := search.Open(c.root)
	if err != nil {
		return search.Result{}, err
	}
	defer ix.Close()
	return ix.Search(ctx, q)
}

// BenchmarkBrowserOpen opens the backup browser on a mailgen mailbox of
// POSTFACH_BROWSE_MESSAGES messages (default 10,000), kept in POSTFACH_BROWSE_MAILBOX
// when set (generated there once), else in a temporary folder. The index is built
// before the clock starts; each iteration is one "Browse backup" until the first page
// is listed. Run: go test -tags migrated_fynedo -run '^$' -bench BrowserOpen ./gui/
func BenchmarkBrowserOpen(b *testing.B) {
	u, total := benchBrowserUI(b)
	b.ResetTimer()
	for b.Loop() {
		br := u.showBrowser("p1")
		if br.total != total {
			b.Fatalf("listed %d, index has %d", br.total, total)
		}
		br.win.Close()
	}
}

// BenchmarkBrowserScroll scrolls the open browser through the whole list in steps of a
// screenful and renders the window after each step with the test driver's software
// painter: each step is one frame, including the page fetches (200 rows each) that
// scrolling triggers. It reports the median, 99th percentile and slowest frame, and the
// painter's own cost (a frame without scrolling), which a GL window does not pay.
// Run: go test -tags migrated_fynedo -run '^$' -bench BrowserScroll ./gui/
func BenchmarkBrowserScroll(b *testing.B) {
	u, total := benchBrowserUI(b)
	br := u.showBrowser("p1")
	defer br.win.Close()
	br.win.Resize(fyne.NewSize(900, 600))
	var painter []time.Duration
	for range 10 {
		start := time.Now()
		br.win.Canvas().Capture()
		painter = append(painter, time.Since(start))
	}
	slices.Sort(painter)
	var frames []time.Duration
	b.ResetTimer()
	for b.Loop() {
		for row := 0; row < total; row += 25 {
			start := time.Now()
			br.list.ScrollTo(row)
			br.win.Canvas().Capture()
			frames = append(frames, time.Since(start))
		}
	}
	slices.Sort(frames)
	pct := func(p float64) float64 { return float64(frames[int(p*float64(len(frames)-1))]) / 1e6 }
	b.ReportMetric(pct(0.5), "ms/frame-p50")
	b.ReportMetric(pct(0.99), "ms/frame-p99")
	b.ReportMetric(pct(1), "ms/frame-max")
	b.ReportMetric(float64(painter[len(painter)/2])/1e6, "ms/painter-only")
}

// benchBrowserUI builds the UI over a real index of the benchmark mailbox and returns it
// with the number of indexed messages.
func benchBrowserUI(b *testing.B) (*UI, int) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("POSTFACH_BROWSE_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	root := os.Getenv("POSTFACH_BROWSE_MAILBOX")
	if root == "" {
		root = b.TempDir()
	}
	if _, err := os.Stat(filepath.Join(root, "cur")); err != nil {
		if _, err := mailgen.New(1).Fill(root, 0, n); err != nil {
			b.Fatal(err)
		}
	}
	ix, err := search.Open(root)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	st, err := ix.Update(context.Background(), nil)
	ix.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("index: %d messages (%d added in %v)", st.Total, st.Added, time.Since(start).Round(time.Millisecond))

	fake := newFakeCore()
	acct := pop3Account("p1")
	acct.Backup.Dir = root
	fake.accts = append(fake.accts, acct)
	core := &indexCore{fakeCore: fake, root: root}
	a := test.NewTempApp(b)
	u := New(a, core, Options{})
	u.async = func(f func()) { f() }
	u.schedLoop = false
	u.Start()
	b.Cleanup(u.Stop)
	return u, st.Total
}
