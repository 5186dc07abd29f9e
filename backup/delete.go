package backup

import (
	"context"
	"fmt"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup/index"
)

// deleteEligible sends DELE for the messages the retention policy lets go, each only
// after its local copy was re-read and matched the hash recorded at backup time. It
// returns the entries whose DELE the server accepted; they count as deleted only after
// QUIT +OK (confirmDeletions).
func (r *runner) deleteEligible(ctx context.Context, list *listing) ([]index.Entry, error) {
	pol := r.acct.Backup.Retention
	if pol.Mode == accounts.KeepForever {
		return nil, nil
	}
	if r.rebuilt {
		r.res.Errors = append(r.res.Errors, MessageError{Err: "the backup index was rebuilt from the files; deletions from the server wait for the next run"})
		return nil, nil
	}
	if r.rekeyed > 0 {
		r.res.Errors = append(r.res.Errors, MessageError{Err: fmt.Sprintf(
			"the server renamed %d messages Postfach already had (matched by content, not stored twice); deletions from the server wait for the next run", r.rekeyed)})
		return nil, nil
	}
	now := r.o.Now()
	var cands []index.Entry
	for _, e := range r.ix.Entries() {
		_, listed := list.byUIDL[e.UIDL]
		if !listed || list.dup[e.UIDL] || !e.Deleted.IsZero() || !e.DeleteRequested.IsZero() {
			continue
		}
		if e.Saved.After(now) {
			// The clock went backwards since the backup: age is unknowable, keep it.
			continue
		}
		if pol.Mode == accounts.DeleteAfter && now.Sub(e.Saved) < time.Duration(pol.Days)*24*time.Hour {
			continue
		}
		cands = append(cands, e)
		if len(cands) >= r.o.MaxDeletes {
			break
		}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	r.progress(Progress{Phase: PhaseDelete, Total: len(cands)})
	scan, err := r.f.md.Scan()
	if err != nil {
		return nil, err
	}
	files := byFileName(scan)
	var verified []index.Entry
	var lost []index.Record
	for _, e := range cands {
		rel, ok := files[e.File]
		if !ok {
			lost = append(lost, index.Record{Op: 'L', Entry: e})
			r.res.Errors = append(r.res.Errors, MessageError{UIDL: e.UIDL, Err: "local copy is missing; not deleted from the server, it will be downloaded again"})
			continue
		}
		size, sum, err := r.f.md.HashFile(rel)
		if err != nil || size != e.Size || sum != e.SHA256 {
			lost = append(lost, index.Record{Op: 'L', Entry: e})
			r.res.Errors = append(r.res.Errors, MessageError{UIDL: e.UIDL, Err: "local copy changed or unreadable; not deleted from the server, it will be downloaded again"})
			continue
		}
		verified = append(verified, e)
	}
	if err := r.ix.Append(lost...); err != nil {
		return nil, err
	}
	if len(verified) == 0 {
		return nil, nil
	}
	// Record the requests durably first: if the run dies after QUIT, the next run knows
	// these UIDLs went away because we asked, not because of something unexplained.
	reqs := make([]index.Record, len(verified))
	for i, e := range verified {
		reqs[i] = index.Record{Op: 'R', Entry: e, At: now}
	}
	if err := r.ix.Append(reqs...); err != nil {
		return nil, err
	}
	r.failpoint("after-delete-request")
	var sent []index.Entry
	var withdrawn []index.Record
	for _, e := range verified {
		if err := r.sess.Dele(ctx, list.byUIDL[e.UIDL].Num); err != nil {
			if ctx.Err() != nil || isConnError(err) {
				return nil, fmt.Errorf("dele: %w", err)
			}
			withdrawn = append(withdrawn, index.Record{Op: 'U', Entry: e})
			r.res.Errors = append(r.res.Errors, MessageError{UIDL: e.UIDL, Err: err.Error()})
			continue
		}
		sent = append(sent, e)
		r.failpoint("after-dele")
	}
	return sent, r.ix.Append(withdrawn...)
}

// confirmDeletions records, after QUIT +OK, that the server removed the messages.
func (r *runner) confirmDeletions(sent []index.Entry) error {
	now := r.o.Now()
	recs := make([]index.Record, len(sent))
	for i, e := range sent {
		recs[i] = index.Record{Op: 'C', Entry: e, At: now}
	}
	if err := r.ix.Append(recs...); err != nil {
		return err
	}
	r.failpoint("after-delete-confirm")
	r.res.Deleted = len(sent)
	return nil
}
