//go:build unix

package imapcopy

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/postfach/postfach/internal/testkit/crashchild"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// The crash harness, after backup/crash_test.go: an upload runs in a child process (this
// test binary again, or its Windows build under Wine) that is killed at a durability step or at a random moment; the
// parent checks that no message is on the server twice, runs again, and at the end
// checks that every message is there exactly once.

// runUploadChild runs job in a child started by child, with the job's paths as the child
// sees them; killAfter > 0 also kills it from outside after that delay. It reports
// whether the child was killed.
func runUploadChild(t *testing.T, child crashchild.Runner, job uploadCrashJob, killAfter time.Duration) bool {
	t.Helper()
	job.CertFile, job.Src, job.Journal, job.Download = child.Path(job.CertFile), child.Path(job.Src), child.Path(job.Journal), child.Path(job.Download)
	return child.Run(t, "TestUploadCrashChild", uploadCrashEnv, job, killAfter)
}

func TestDovecotUploadCrash(t *testing.T) { uploadCrash(t, crashchild.Runner{}) }

// uploadCrash is TestDovecotUploadCrash with children started by child.
func uploadCrash(t *testing.T, child crashchild.Runner) {
	srv := dovecottest.Start(t)
	msgs := crashCorpus()
	check := func(t *testing.T, u *dovecottest.User, final bool) {
		t.Helper()
		for i, n := range serverCopies(t, srv, u, msgs) {
			if n > 1 || (final && n != 1) {
				t.Errorf("%s: %d copies on the server", msgs[i].Name, n)
			}
		}
	}
	job := func(u *dovecottest.User, dir string) uploadCrashJob {
		return uploadCrashJob{Addr: srv.IMAPSAddr(), User: u.Name, Password: u.Password, CertFile: srv.CertPEMFile,
			Src: filepath.Join(dir, "src"), Journal: filepath.Join(dir, "journal")}
	}

	// At every durability step of the first messages, then at random moments.
	t.Run("failpoints", func(t *testing.T) {
		u := srv.AddUser(t, "crashfp", testPass, 100)
		dir := t.TempDir()
		j := job(u, dir)
		writeSource(t, j.Src, msgs)
		for run := range 16 {
			// Runs alternate between a kill after the APPEND (before the journal line)
			// and after the journal line; each run gets one message further.
			j.Nth = 1 + run%2
			if !runUploadChild(t, child, j, 0) {
				t.Fatalf("child not killed at failpoint %d", j.Nth)
			}
			check(t, u, false)
		}
		j.Nth = 0
		runUploadChild(t, child, j, 0)
		check(t, u, true)
	})
	t.Run("random", func(t *testing.T) {
		u := srv.AddUser(t, "crashrnd", testPass, 100)
		dir := t.TempDir()
		j := job(u, dir)
		writeSource(t, j.Src, msgs)
		rng := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
		kills := 0
		for range 20 {
			if !runUploadChild(t, child, j, time.Duration(10+rng.IntN(190))*time.Millisecond) {
				break
			}
			kills++
			check(t, u, false)
		}
		runUploadChild(t, child, j, 0)
		check(t, u, true)
		t.Logf("%d random kills", kills)
	})
}

// TestDovecotDownloadCrash: a download SIGKILLed at every durability step of its first
// batches and at random moments, then finished: every message once in the tree, the same
// bytes as an uninterrupted download.
func TestDovecotDownloadCrash(t *testing.T) { downloadCrash(t, crashchild.Runner{}) }

// downloadCrash is TestDovecotDownloadCrash with children started by child.
func downloadCrash(t *testing.T, child crashchild.Runner) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "dlcrash", testPass, 100)
	msgs := crashCorpus()
	for _, m := range msgs {
		u.Deliver(t, m.Stored)
	}
	ref := t.TempDir()
	if _, err := Download(context.Background(), mustDial(t, dialer(srv, u)), ref, nil); err != nil {
		t.Fatal(err)
	}
	want := readTree(t, ref)
	if len(want) != len(msgs) {
		t.Fatalf("reference download has %d messages, want %d", len(want), len(msgs))
	}
	root := t.TempDir()
	job := uploadCrashJob{Addr: srv.IMAPSAddr(), User: u.Name, Password: u.Password, CertFile: srv.CertPEMFile, Download: root}
	check := func(final bool) {
		t.Helper()
		got := readTree(t, root)
		for name, b := range want {
			n := countEqual(got, b)
			if n > 1 || (final && n != 1) {
				t.Errorf("%s: %d copies in the download", name, n)
			}
		}
		if final && len(got) != len(want) {
			t.Errorf("%d files, want %d", len(got), len(want))
		}
	}
	// A batch of 9 messages has 1 + 9 + 1 + 1 failpoint calls; kill at each of the first
	// 14, each time on a fresh start of the remaining work (files a killed run renamed
	// into cur/ are kept, so later runs have less to do and may finish first).
	kills := 0
	for nth := 1; nth <= 14; nth++ {
		job.Nth = nth
		if !runUploadChild(t, child, job, 0) {
			break // finished: the renames of killed runs left little to do
		}
		kills++
		check(false)
	}
	if kills < 10 {
		t.Errorf("only %d failpoint kills happened", kills)
	}
	rng := rand.New(rand.NewPCG(9, uint64(time.Now().UnixNano())))
	job.Nth = 0
	for range 6 {
		if !runUploadChild(t, child, job, time.Duration(10+rng.IntN(150))*time.Millisecond) {
			break
		}
		kills++
		check(false)
	}
	runUploadChild(t, child, job, 0)
	check(true)
	t.Logf("%d kills in all", kills)
}
