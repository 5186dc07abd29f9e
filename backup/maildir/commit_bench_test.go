package maildir_test

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/postfach/postfach/backup/maildir"
)

// commitVariant is one way of committing a batch in BenchmarkCommit.
type commitVariant struct {
	name    string
	prepare func(d *maildir.Dir) error // before the batch is written
	commit  func(d *maildir.Dir, batch []*maildir.Pending) error
}

// BenchmarkCommit writes one engine batch (256 messages of about 70 KB) into a fresh
// Maildir and commits it, with the per-file syncs run by 1 to 64 workers, and, where the
// system has it, with the single syncfs Postfach used before (syncfs, rename, sync new/).
// The file system is the one of TMPDIR:
//
//	TMPDIR=/some/disk go test -run '^$' -bench Commit -benchtime 20x ./backup/maildir/
//
// commit-ms is the commit alone; ns/op includes writing the files.
func BenchmarkCommit(b *testing.B) {
	const n, size = 256, 70 << 10
	rng := rand.New(rand.NewSource(1))
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = make([]byte, size/2+rng.Intn(size))
		rng.Read(msgs[i])
	}
	var variants []commitVariant
	for _, w := range []int{1, 4, maildir.SyncWorkers, 64, 256} {
		variants = append(variants, commitVariant{
			name:    fmt.Sprintf("per-file/workers=%d", w),
			prepare: func(d *maildir.Dir) error { maildir.SetWorkers(d, w); return nil },
			commit:  (*maildir.Dir).Commit,
		})
	}
	variants = append(variants, platformVariants()...)
	root := b.TempDir()
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			var commit time.Duration
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				d, err := maildir.Create(filepath.Join(root, fmt.Sprint(i)))
				if err != nil {
					b.Fatal(err)
				}
				if err := v.prepare(d); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				batch := make([]*maildir.Pending, n)
				for j, m := range msgs {
					p, err := d.Create(maildir.Key{UIDL: fmt.Sprint(j)}, time.Unix(1700000000, 0))
					if err != nil {
						b.Fatal(err)
					}
					if _, err := p.Write(m); err != nil {
						b.Fatal(err)
					}
					if err := p.Finish(); err != nil {
						b.Fatal(err)
					}
					batch[j] = p
				}
				start := time.Now()
				if err := v.commit(d, batch); err != nil {
					b.Fatal(err)
				}
				commit += time.Since(start)
				d.Close()
			}
			b.ReportMetric(float64(commit.Milliseconds())/float64(b.N), "commit-ms/op")
			b.StopTimer()
			os.RemoveAll(root)
			os.MkdirAll(root, 0o700)
		})
	}
}
