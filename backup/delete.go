package backup

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup/index"
)

// deleteEligible sends DELE for the messages the retention policy lets go. A message
// qualifies only when
//   - its local copy was re-read and matched the hash recorded when it was stored, and
//   - the server's message under its UIDL is provably that copy: retrieved in this
//     session, or (for a copy retrieved in an earlier session) listed with the size
//     recorded then and answering "TOP n 0" with the same header block. An unproven copy
//     (rebuilt index, adopted file), a TOP that differs and a server without TOP are
//     settled by retrieving the message in full and comparing it with the copy.
//
// It returns the entries whose DELE the server accepted; they count as deleted only
// after QUIT +OK (confirmDeletions).
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
	cands := r.candidates(list, pol)
	if len(cands) == 0 {
		return nil, nil
	}
	r.progress(Progress{Phase: PhaseDelete, Total: len(cands)})
	cands = r.checkLocalCopies(list, cands)
	verified, err := r.proveOnServer(ctx, list, cands)
	if err != nil {
		return nil, err
	}
	if len(verified) == 0 {
		return nil, nil
	}
	// Record the requests durably first: if the run dies after QUIT, the next run knows
	// these UIDLs went away because we asked, not because of something unexplained.
	now := r.o.Now()
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

// candidates lists the entries the policy lets go: listed once, on the server, old
// enough by our own clock, not kept back by this run, at most MaxDeletes.
func (r *runner) candidates(list *listing, pol accounts.Retention) []index.Entry {
	now := r.o.Now()
	var cands []index.Entry
	for _, e := range r.ix.Entries() {
		_, listed := list.byUIDL[e.UIDL]
		if !listed || list.dup[e.UIDL] || !e.OnServer() || !e.DeleteRequested.IsZero() || r.keep[e.UIDL] {
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
	return cands
}

// checkLocalCopies re-reads each candidate's local copy right before its deletion is
// decided. A copy that is missing or no longer matches its hash is never a reason to
// delete: it is forgotten, moved aside (when present) and downloaded again in this run;
// the server keeps the message.
func (r *runner) checkLocalCopies(list *listing, cands []index.Entry) []index.Entry {
	var ok []index.Entry
	for _, e := range cands {
		rel := r.files[e.File]
		if rel != "" {
			size, sum, err := r.f.md.HashFile(rel)
			if err == nil && size == e.Size && sum == e.SHA256 {
				ok = append(ok, e)
				continue
			}
			r.aside = append(r.aside, asideCopy{rel, e.UIDL})
		}
		// Committed with the download of the replacement (see commit).
		r.records = append(r.records, index.Record{Op: 'L', Entry: e})
		r.keep[e.UIDL] = true
		m := list.byUIDL[e.UIDL]
		m.heal, m.Gen = true, r.ix.NextGen(e.UIDL)
		r.again = append(r.again, m)
		r.res.Errors = append(r.res.Errors, MessageError{UIDL: e.UIDL, Err: "the local copy was missing or damaged; it is downloaded again and not deleted from the server in this run"})
	}
	return ok
}

// proveOnServer returns the candidates whose server message is provably their local
// copy. Copies retrieved in this session are; proven copies from earlier sessions are
// checked with TOP n 0; the rest, and every TOP that does not match, are retrieved in
// full and compared (a match proves the copy; a difference is stored as a new message and
// kept on the server).
func (r *runner) proveOnServer(ctx context.Context, list *listing, cands []index.Entry) ([]index.Entry, error) {
	var verified, byTop []index.Entry
	for _, e := range cands {
		switch {
		case r.retrieved[e.UIDL]:
			verified = append(verified, e)
		case e.Proven():
			byTop = append(byTop, e)
		default:
			r.queueProof(list, e)
		}
	}
	if len(byTop) > 0 {
		nums := make([]int, len(byTop))
		byNum := make(map[int]index.Entry, len(byTop))
		for i, e := range byTop {
			nums[i] = list.byUIDL[e.UIDL].Num
			byNum[nums[i]] = e
		}
		matched := make(map[int]bool, len(byTop))
		err := r.sess.TopAll(ctx, nums, func(num int, head io.Reader, rerr error) error {
			if rerr != nil {
				return nil // no TOP for this message: compared in full below
			}
			hd := newHeadDigest()
			if _, err := io.Copy(hd, head); err != nil {
				return fmt.Errorf("top %d: %w", num, err)
			}
			matched[num] = hd.Sum() == byNum[num].Head
			return nil
		})
		if err != nil {
			return nil, err
		}
		r.failpoint("after-top-check")
		for _, num := range nums {
			if matched[num] {
				verified = append(verified, byNum[num])
			} else {
				r.queueProof(list, byNum[num])
			}
		}
	}
	if len(r.again) > 0 {
		again := r.again
		r.again = nil
		if err := r.download(ctx, again, PhaseVerify); err != nil {
			return nil, err
		}
		for _, m := range again {
			if m.prev != nil && r.retrieved[m.UIDL] && !r.keep[m.UIDL] {
				verified = append(verified, *r.ix.Get(m.UIDL))
			}
		}
	}
	return verified, nil
}

// queueProof plans a full retrieval of e's server message for comparison with e.
func (r *runner) queueProof(list *listing, e index.Entry) {
	m := list.byUIDL[e.UIDL]
	m.prev = &e
	m.Gen = r.ix.NextGen(e.UIDL)
	r.again = append(r.again, m)
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
