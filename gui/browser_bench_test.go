package gui

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

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
	b.ResetTimer()
	for b.Loop() {
		br := u.showBrowser("p1")
		if br.total != st.Total {
			b.Fatalf("listed %d, index has %d", br.total, st.Total)
		}
		br.win.Close()
	}
}
