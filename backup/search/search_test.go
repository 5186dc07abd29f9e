package search

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/backup/maildir"
)

// storeGolden copies the parser's test messages into a new Maildir, keyed by file name.
func storeGolden(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	files, err := filepath.Glob("../mailparse/testdata/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test messages: %v", err)
	}
	md, err := maildir.Create(root)
	if err != nil {
		t.Fatal(err)
	}
	defer md.Close()
	var batch []*maildir.Pending
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := md.Create(maildir.Key{UIDL: filepath.Base(f)}, time.Unix(1700000000+int64(i), 0))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Write(b); err != nil {
			t.Fatal(err)
		}
		if err := p.Finish(); err != nil {
			t.Fatal(err)
		}
		batch = append(batch, p)
	}
	if err := md.Commit(batch); err != nil {
		t.Fatal(err)
	}
	return root
}

// goldenCount is the number of messages storeGolden stores.
const goldenCount = 17

func openUpdated(t testing.TB, root string) *Index {
	t.Helper()
	ix, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	if _, err := ix.Update(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return ix
}

// names returns the UIDLs (here: test file names) of the hits, sorted.
func names(t *testing.T, res Result) []string {
	t.Helper()
	var out []string
	for _, h := range res.Hits {
		k, ok := maildir.ParseFileName(filepath.Base(h.File))
		if !ok {
			t.Fatalf("hit file %s is not a Postfach file name", h.File)
		}
		out = append(out, strings.TrimSuffix(k.UIDL, ".eml"))
	}
	slices.Sort(out)
	return out
}

func TestSearchGerman(t *testing.T) {
	ix := openUpdated(t, storeGolden(t))
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	koeln := []string{"broken-encodings", "damaged-utf8", "missing-boundary", "unknown-charset", "utf8-8bit"}
	gruesse := []string{"damaged-utf8", "html-only", "latin1-qp", "undeclared-8bit", "unknown-charset", "utf8-8bit"}
	tests := []struct {
		name string
		q    Query
		want []string
	}{
		{"lower case finds capital", Query{Words: "köln"}, koeln},
		{"capital", Query{Words: "KÖLN"}, koeln},
		{"umlaut typed as oe", Query{Words: "koeln"}, koeln},
		{"umlaut dropped finds nothing", Query{Words: "koln"}, nil},
		{"grüße in Latin-1 quoted-printable and others", Query{Words: "grüße"}, gruesse},
		{"gruesse", Query{Words: "gruesse"}, gruesse},
		{"grusse finds nothing", Query{Words: "grusse"}, nil},
		{"gruße finds nothing", Query{Words: "gruße"}, nil},
		{"Swiss spelling grüsse", Query{Words: "grüsse"}, gruesse},
		{"two words, both needed", Query{Words: "grüße köln"}, []string{"damaged-utf8", "unknown-charset", "utf8-8bit"}},
		{"phrase", Query{Words: `"neues Jahr"`}, []string{"latin1-qp"}},
		{"phrase in wrong order", Query{Words: `"Jahr neues"`}, nil},
		{"prefix", Query{Words: "frühst*"}, []string{"alternative"}},
		{"subject RFC 2047", Query{Words: "düsseldorf"}, []string{"latin1-qp"}},
		{"Windows-1252 euro sign text", Query{Words: "angebot"}, []string{"windows1252-8bit"}},
		{"attachment file name", Query{Words: "märz"}, []string{"attachment"}},
		{"attachment name RFC 2047", Query{Words: "büro"}, []string{"attachment"}},
		{"forwarded message text", Query{Words: "wohnung"}, []string{"forwarded"}},
		{"recipient address", Query{Words: "clara@example.de"}, []string{"alternative"}},
		{"html without script", Query{Words: "geheim"}, nil},
		{"FTS syntax is plain text", Query{Words: `köln OR NOT "`}, nil},
		{"only punctuation", Query{Words: "-- !"}, nil},
		{"from filter, umlaut", Query{From: "müller"}, []string{"latin1-qp", "loose-address", "undeclared-8bit"}},
		{"from filter, address part", Query{From: "NEWSLETTER@"}, []string{"html-only"}},
		{"has attachment", Query{HasAttachment: true}, []string{"attachment", "forwarded", "missing-boundary"}},
		{"date range", Query{Since: day("2024-04-12"), Before: day("2024-04-14")}, []string{"alternative", "html-only"}},
		{"words and filters", Query{Words: "köln", Since: day("2024-04-01")}, []string{"damaged-utf8", "missing-boundary", "unknown-charset"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ix.Search(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(t, res); !slices.Equal(got, tt.want) {
				t.Errorf("hits = %v, want %v", got, tt.want)
			}
			if res.Total != len(res.Hits) {
				t.Errorf("Total = %d, want %d", res.Total, len(res.Hits))
			}
		})
	}
}

func TestHitFields(t *testing.T) {
	root := storeGolden(t)
	ix := openUpdated(t, root)
	res, err := ix.Search(context.Background(), Query{Words: "düsseldorf"})
	if err != nil || len(res.Hits) != 1 {
		t.Fatalf("search: %v, %d hits", err, len(res.Hits))
	}
	h := res.Hits[0]
	raw, err := os.ReadFile("../mailparse/testdata/latin1-qp.eml")
	if err != nil {
		t.Fatal(err)
	}
	want := Hit{ID: h.ID, MessageID: "latin1-qp@example.de", Date: time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC),
		From: "Jürgen Müller <juergen@example.de>", Subject: "Grüße aus Düsseldorf", Size: int64(len(raw)), File: h.File}
	if !h.Date.Equal(want.Date) {
		t.Errorf("date = %v, want %v", h.Date, want.Date)
	}
	h.Date = want.Date
	if h != want {
		t.Errorf("hit = %+v, want %+v", h, want)
	}
	if !strings.HasPrefix(h.File, root) {
		t.Errorf("file %s is not under %s", h.File, root)
	}
	got, err := os.ReadFile(h.File)
	if err != nil || string(got) != string(raw) {
		t.Errorf("file does not hold the message: %v", err)
	}
}

func TestHitJSON(t *testing.T) {
	h := Hit{ID: 7, MessageID: "a@b", Date: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), From: "A <a@b>",
		Subject: "S", Size: 12, File: "/x/new/1.postfach", Attachments: 1}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":7,"message_id":"a@b","date":"2024-01-02T03:04:05Z","from":"A \u003ca@b\u003e",` +
		`"subject":"S","size":12,"file":"/x/new/1.postfach","attachments":1}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
}

func TestNewestFirstAndPaging(t *testing.T) {
	ix := openUpdated(t, storeGolden(t))
	all, err := ix.Search(context.Background(), Query{Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if all.Total != goldenCount || len(all.Hits) != goldenCount {
		t.Fatalf("total %d, %d hits; want every message (%d)", all.Total, len(all.Hits), goldenCount)
	}
	for i := 1; i < len(all.Hits); i++ {
		if all.Hits[i].Date.After(all.Hits[i-1].Date) {
			t.Errorf("hit %d (%v) is newer than hit %d (%v)", i, all.Hits[i].Date, i-1, all.Hits[i-1].Date)
		}
	}
	var paged []Hit
	for off := 0; off < all.Total; off += 5 {
		page, err := ix.Search(context.Background(), Query{Offset: off, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != all.Total {
			t.Errorf("page total %d, want %d", page.Total, all.Total)
		}
		paged = append(paged, page.Hits...)
	}
	if !slices.Equal(paged, all.Hits) {
		t.Errorf("pages differ from the whole list")
	}
}

func TestDamagedMessagesIndexed(t *testing.T) {
	root := storeGolden(t)
	ix, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	st, err := ix.Update(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Added != goldenCount || st.Total != goldenCount || st.Damaged == 0 || st.Skipped != 0 {
		t.Errorf("stats = %+v, want %d added (some damaged), none skipped", st, goldenCount)
	}
	res, err := ix.Search(context.Background(), Query{Words: "nacktes"})
	if err != nil || len(res.Hits) != 1 {
		t.Errorf("text of a message with broken encodings not found: %v, %d hits", err, len(res.Hits))
	}
}

func TestUpdateIncremental(t *testing.T) {
	root := storeGolden(t)
	ix := openUpdated(t, root)
	ctx := context.Background()
	md, err := maildir.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	files, err := md.Scan()
	if err != nil {
		t.Fatal(err)
	}
	// A mail program reads one message (new/ -> cur/ with flags); another is deleted.
	moved := files[maildir.Key{UIDL: "latin1-qp.eml"}]
	movedTo := filepath.Join("cur", filepath.Base(moved)+":2,S")
	if err := os.Rename(filepath.Join(root, moved), filepath.Join(root, movedTo)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, files[maildir.Key{UIDL: "utf8-8bit.eml"}])); err != nil {
		t.Fatal(err)
	}
	st, err := ix.Update(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if (st != Stats{Removed: 1, Moved: 1, Total: goldenCount - 1}) {
		t.Errorf("stats = %+v, want 1 removed, 1 moved, %d in all", st, goldenCount-1)
	}
	res, err := ix.Search(ctx, Query{Words: "köln"})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(t, res); !slices.Equal(got, []string{"broken-encodings", "damaged-utf8", "missing-boundary", "unknown-charset"}) {
		t.Errorf("after delete: hits %v", got)
	}
	res, err = ix.Search(ctx, Query{Words: "düsseldorf"})
	if err != nil || len(res.Hits) != 1 || res.Hits[0].File != filepath.Join(root, movedTo) {
		t.Errorf("moved message: %v %+v", err, res.Hits)
	}
	st, err = ix.Update(ctx, nil)
	if err != nil || (st != Stats{Total: goldenCount - 1}) {
		t.Errorf("second update: %+v, %v; want nothing to do", st, err)
	}
}

func TestUpdateCancelKeepsProgress(t *testing.T) {
	root := t.TempDir()
	storeGenerated(t, root, 250)
	ix, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	ix.batch = 150
	ctx, cancel := context.WithCancel(context.Background())
	var calls []Progress
	_, err = ix.Update(ctx, func(p Progress) {
		calls = append(calls, p)
		if p.Done == 200 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if want := []Progress{{100, 250}, {200, 250}}; !slices.Equal(calls, want) {
		t.Errorf("progress calls %+v, want %+v", calls, want)
	}
	st, err := ix.Update(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The first batch (150) was committed before the cancel, the second was not.
	if st.Added != 100 || st.Total != 250 {
		t.Errorf("resumed update: %+v, want the remaining 100 added", st)
	}
}

// TestSearchDuringUpdate searches while Update writes: readers see committed batches
// and never fail.
func TestSearchDuringUpdate(t *testing.T) {
	root := t.TempDir()
	storeGenerated(t, root, 300)
	ix, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	ix.batch = 50
	done := make(chan error)
	go func() {
		_, err := ix.Update(context.Background(), nil)
		done <- err
	}()
	for updating := true; updating; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			updating = false
		default:
			if _, err := ix.Search(context.Background(), Query{Words: "termin"}); err != nil {
				t.Fatalf("search during update: %v", err)
			}
		}
	}
	res, err := ix.Search(context.Background(), Query{Limit: 1})
	if err != nil || res.Total != 300 {
		t.Errorf("after update: %d messages, %v", res.Total, err)
	}
}
