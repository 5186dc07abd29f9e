// Package searchbench benchmarks the backup search index and the export on a synthetic
// mailbox of 10,000 realistic messages (~70 KB on average, a fifth with attachments;
// see backup/mailgen), next to what people use without an index
// (grep -ril over the Maildir).
//
//	go test -run '^$' -bench . -benchtime 1x ./bench/search/
//
// SEARCH_BENCH_MESSAGES=N uses a smaller mailbox.
package searchbench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/postfach/postfach/backup/export"
	"github.com/postfach/postfach/backup/maildir"
	"github.com/postfach/postfach/backup/search"
	"github.com/postfach/postfach/internal/testkit/mailgen"
)

var (
	mailbox     string
	mailboxSize int64
	mailboxOnce sync.Once
	mailboxErr  error
	tmpRoot     string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if tmpRoot != "" {
		os.RemoveAll(tmpRoot)
	}
	os.Exit(code)
}

func messages() int {
	if n, err := strconv.Atoi(os.Getenv("SEARCH_BENCH_MESSAGES")); err == nil && n > 0 {
		return n
	}
	return 10000
}

// box generates the benchmark mailbox once per run.
func box(b *testing.B) string {
	b.Helper()
	mailboxOnce.Do(func() {
		tmpRoot, mailboxErr = os.MkdirTemp("", "postfach-search-bench-")
		if mailboxErr != nil {
			return
		}
		mailbox = filepath.Join(tmpRoot, "mail")
		start := time.Now()
		var st mailgen.Stats
		st, mailboxErr = mailgen.New(1).Fill(mailbox, 0, messages())
		mailboxSize = st.Bytes
		fmt.Fprintf(os.Stderr, "mailbox: %d messages, %.0f MB (%.0f KB average), generated in %v\n",
			st.Messages, float64(st.Bytes)/1e6, float64(st.Bytes)/float64(st.Messages)/1e3, time.Since(start).Round(time.Millisecond))
	})
	if mailboxErr != nil {
		b.Fatal(mailboxErr)
	}
	return mailbox
}

func indexSize(b *testing.B, root string) int64 {
	var n int64
	for _, suf := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(filepath.Join(root, ".postfach", search.FileName+suf)); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// BenchmarkIndexFromScratch indexes the whole mailbox into a new index.
func BenchmarkIndexFromScratch(b *testing.B) {
	root := box(b)
	cpu := cpuTime()
	for b.Loop() {
		os.RemoveAll(filepath.Join(root, ".postfach"))
		ix, err := search.Open(root)
		if err != nil {
			b.Fatal(err)
		}
		st, err := ix.Update(context.Background(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := ix.Close(); err != nil {
			b.Fatal(err)
		}
		if st.Added != messages() {
			b.Fatalf("indexed %d of %d", st.Added, messages())
		}
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
	size := indexSize(b, root)
	b.ReportMetric(float64(size)/1e6, "index-MB")
	b.ReportMetric(100*float64(size)/float64(mailboxSize), "index-%-of-mail")
	b.ReportMetric(float64(messages())*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// openIndex returns an up-to-date index of the mailbox.
func openIndex(b *testing.B) *search.Index {
	root := box(b)
	ix, err := search.Open(root)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ix.Close() })
	if _, err := ix.Update(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	return ix
}

// BenchmarkIndexIncremental adds what a daily backup run brings (100 new messages) to
// an up-to-date index, then removes them again so the next round starts the same.
func BenchmarkIndexIncremental(b *testing.B) {
	ix := openIndex(b)
	root := box(b)
	g := mailgen.New(2)
	var incr time.Duration
	for b.Loop() {
		b.StopTimer()
		if _, err := g.Fill(root, messages(), 100); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		st, err := ix.Update(context.Background(), nil)
		incr += time.Since(start)

		if err != nil || st.Added != 100 {
			b.Fatalf("update: %+v, %v", st, err)
		}
		b.StopTimer()
		removeGenerated(b, root, messages(), 100)
		if _, err := ix.Update(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(incr.Milliseconds())/float64(b.N), "ms/100-new")
	start := time.Now()
	if _, err := ix.Update(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1e3, "ms-nothing-new")
}

func removeGenerated(b *testing.B, root string, first, n int) {
	md, err := maildir.Open(root)
	if err != nil {
		b.Fatal(err)
	}
	files, err := md.Scan()
	if err != nil {
		b.Fatal(err)
	}
	for i := first; i < first+n; i++ {
		if rel, ok := files[maildir.Key{UIDL: fmt.Sprintf("gen%07d", i)}]; ok {
			if err := os.Remove(filepath.Join(root, rel)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// median runs query reps times and returns the median time and the hit count; it
// reports the mean CPU time per query too (the wall time suffers from other jobs).
func median(b *testing.B, ix *search.Index, q search.Query, reps int) (time.Duration, int) {
	var times []time.Duration
	total := 0
	cpu := cpuTime()
	defer func() { b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1e3/float64(reps), "cpu-ms/query") }()
	for range reps {
		start := time.Now()
		res, err := ix.Search(context.Background(), q)
		times = append(times, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		total = res.Total
	}
	slices.Sort(times)
	return times[len(times)/2], total
}

var words = []string{"rechnung", "köln", "termin", "grüße", "budget", "kamelo", "zahlung", "urlaub"}

// BenchmarkSearchOneWord: one word, first page of 100 hits, newest first.
func BenchmarkSearchOneWord(b *testing.B) {
	ix := openIndex(b)
	for _, w := range words {
		b.Run(w, func(b *testing.B) {
			var med time.Duration
			var hits int
			for b.Loop() {
				med, hits = median(b, ix, search.Query{Words: w}, 21)
			}
			b.ReportMetric(float64(med.Microseconds())/1e3, "ms-median")
			b.ReportMetric(float64(hits), "hits")
		})
	}
}

// BenchmarkSearchFiltered: words with sender, date range and attachment filters.
func BenchmarkSearchFiltered(b *testing.B) {
	ix := openIndex(b)
	since := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	before := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	queries := map[string]search.Query{
		"word+from":              {Words: "rechnung", From: "müller"},
		"word+dates":             {Words: "termin", Since: since, Before: before},
		"from+attachment":        {From: "schmidt", HasAttachment: true},
		"word+from+dates+attach": {Words: "grüße", From: "anna", Since: since, Before: before, HasAttachment: true},
		"all, page at 9,900":     {Offset: messages() - 100, Limit: 100},
	}
	for name, q := range queries {
		b.Run(name, func(b *testing.B) {
			var med time.Duration
			var hits int
			for b.Loop() {
				med, hits = median(b, ix, q, 21)
			}
			b.ReportMetric(float64(med.Microseconds())/1e3, "ms-median")
			b.ReportMetric(float64(hits), "hits")
		})
	}
}

// BenchmarkGrep is the baseline without an index: grep -ril WORD over the Maildir
// (page cache warm, as for the index).
func BenchmarkGrep(b *testing.B) {
	root := box(b)
	if _, err := exec.LookPath("grep"); err != nil {
		b.Skip("no grep")
	}
	for _, w := range []string{"rechnung", "köln"} {
		b.Run(w, func(b *testing.B) {
			var files int
			for b.Loop() {
				out, _ := exec.Command("grep", "-ril", w, filepath.Join(root, "new"), filepath.Join(root, "cur")).Output()
				files = 0
				for _, c := range out {
					if c == '\n' {
						files++
					}
				}
			}
			b.ReportMetric(float64(files), "files")
		})
	}
}

// BenchmarkExport writes every message of the mailbox as .eml files and as one mbox.
func BenchmarkExport(b *testing.B) {
	ix := openIndex(b)
	res, err := ix.Search(context.Background(), search.Query{Limit: -1})
	if err != nil {
		b.Fatal(err)
	}
	msgs := make([]export.Message, len(res.Hits))
	for i, h := range res.Hits {
		msgs[i] = export.FromHit(h)
	}
	b.Run("eml", func(b *testing.B) {
		for b.Loop() {
			dir := b.TempDir()
			if _, err := export.EML(context.Background(), dir, msgs, nil); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			os.RemoveAll(dir)
			b.StartTimer()
		}
		b.ReportMetric(float64(len(msgs))*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
	b.Run("mbox", func(b *testing.B) {
		for b.Loop() {
			path := filepath.Join(b.TempDir(), "all.mbox")
			if _, err := export.Mbox(context.Background(), path, msgs, nil); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			os.Remove(path)
			b.StartTimer()
		}
		b.ReportMetric(float64(len(msgs))*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
}
