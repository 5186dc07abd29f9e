package service

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/postfach/postfach/backup/imapcopy"
	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// TestDovecotArchive: mail spread over two years in INBOX, Sent and Drafts (dates set
// through APPEND). Archiving what is older than a year removes exactly those messages
// from the server but leaves Drafts alone; each removed message has its copy in the
// archive folder; the quota drops by what was freed; a second run does nothing.
func TestDovecotArchive(t *testing.T) {
	srv := dovecottest.Start(t)
	u := srv.AddUser(t, "archiver", "pw", 50)
	s := dovecotService(t, srv)
	a := addIMAP(t, s, srv, u)
	now := time.Now()
	type placed struct {
		box string
		age time.Duration
	}
	var mail []placed
	wantOld := map[string]int{}
	for i, m := range dovecottest.Ordinary(36, 11) {
		box := []string{"INBOX", "Sent", "Drafts"}[i%3]
		age := time.Duration(i*20+3) * 24 * time.Hour // 3 days to about two years
		appendMail(t, srv, u, box, now.Add(-age), dovecottest.WireForm(m.Stored))
		mail = append(mail, placed{box, age})
		if age > 365*24*time.Hour && box != "Drafts" {
			wantOld[box]++
		}
	}
	year := 365 * 24 * time.Hour
	dir := filepath.Join(t.TempDir(), "archive")
	choice := &ArchiveChoice{OlderThan: year, Dir: dir}
	plan, err := s.PlanArchive(context.Background(), a.ID, choice)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Messages != wantOld["INBOX"]+wantOld["Sent"] || plan.Bytes == 0 || plan.Used <= 0 {
		t.Fatalf("plan: %+v", plan)
	}
	if plan.Options[0].Messages != plan.Messages || plan.Options[1].Messages >= plan.Messages {
		t.Errorf("ready-made options: %+v", plan.Options)
	}
	for _, f := range plan.Folders {
		if f.Name == "Drafts" && (f.Chosen != 0 || !f.ExcludedByDef) {
			t.Errorf("Drafts chosen: %+v", f)
		}
	}
	res, err := s.Archive(context.Background(), a.ID, choice)
	if err != nil {
		t.Fatal(err)
	}
	if res.Deleted != plan.Messages || res.Freed != plan.Bytes || res.Kept != 0 {
		t.Fatalf("archive: deleted %d freed %d kept %d; plan %d messages, %d bytes", res.Deleted, res.Freed, res.Kept, plan.Messages, plan.Bytes)
	}
	if d := res.UsedBefore - res.UsedAfter; d < res.Freed-2048 || d > res.Freed+2048 {
		t.Errorf("quota went from %d to %d, freed %d", res.UsedBefore, res.UsedAfter, res.Freed)
	}
	for box, old := range wantOld {
		total := 0
		for _, m := range mail {
			if m.box == box {
				total++
			}
		}
		if n := u.MailboxMessages(t, box); n != total-old {
			t.Errorf("%s: %d messages left, want %d", box, n, total-old)
		}
		ents, err := os.ReadDir(filepath.Join(dir, imapcopy.FolderDir(box, '.'), "cur"))
		if err != nil || len(ents) != old {
			t.Errorf("%s: %d archived files, want %d (%v)", box, len(ents), old, err)
		}
	}
	if n := u.MailboxMessages(t, "Drafts"); n != 12 {
		t.Errorf("Drafts: %d messages, want all 12", n)
	}
	if got, _ := s.Get(a.ID); got.ArchiveDir != dir {
		t.Errorf("archive folder not remembered: %q", got.ArchiveDir)
	}
	if _, err := s.Quota(context.Background(), a.ID, false); err != nil {
		t.Fatal(err)
	}
	if rs, err := s.QuotaReadings(a.ID); err != nil || len(rs) != 1 || rs[0].Used != res.UsedAfter {
		t.Errorf("quota reading not kept for the forecast: %+v %v", rs, err)
	}
	again, err := s.Archive(context.Background(), a.ID, &ArchiveChoice{OlderThan: year})
	if err != nil || again.Deleted != 0 || again.Plan.Dir != dir {
		t.Fatalf("second run: %+v %v", again, err)
	}
}
