package imapcopy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"hash"
	"io"

	"github.com/postfach/postfach/accounts/imap"
)

// serverIndex knows the messages already in the target mailbox, to recognise a message
// that is there already: by Message-ID and size, or — for messages without Message-ID —
// by size and SHA-256 of the content (fetched only for messages of a matching size).
type serverIndex struct {
	byID   map[string][]indexed
	noID   map[int64][]uint32 // size -> UIDs of messages without Message-ID
	hashes map[uint32][32]byte
	sizes  map[uint32]int64
}

type indexed struct {
	uid  uint32
	size int64
}

func newServerIndex(infos []imap.MessageInfo) *serverIndex {
	x := &serverIndex{byID: map[string][]indexed{}, noID: map[int64][]uint32{},
		hashes: map[uint32][32]byte{}, sizes: map[uint32]int64{}}
	for _, in := range infos {
		x.add(in.UID, in.Size, parseHeader(bytes.NewReader(in.Header)).MessageID, nil)
	}
	return x
}

// add records a message; sum may be nil when the content hash is not known yet.
func (x *serverIndex) add(uid uint32, size int64, id string, sum *[32]byte) {
	x.sizes[uid] = size
	if id != "" {
		x.byID[id] = append(x.byID[id], indexed{uid, size})
	} else {
		x.noID[size] = append(x.noID[size], uid)
	}
	if sum != nil {
		x.hashes[uid] = *sum
	}
}

// find returns the UID of a message on the server equal to s, fetching the content
// hashes of same-size messages without Message-ID when needed.
func (x *serverIndex) find(ctx context.Context, sel *imap.Selected, s *source) (uint32, bool, error) {
	if s.MessageID != "" {
		for _, e := range x.byID[s.MessageID] {
			if e.size == s.Size {
				return e.uid, true, nil
			}
		}
		return 0, false, nil
	}
	cands := x.noID[s.Size]
	var missing []uint32
	for _, u := range cands {
		if _, ok := x.hashes[u]; !ok {
			missing = append(missing, u)
		}
	}
	if len(missing) > 0 {
		if err := x.hash(ctx, sel, missing, s.Size); err != nil {
			return 0, false, err
		}
	}
	for _, u := range cands {
		if h, ok := x.hashes[u]; ok && h == s.SHA256 {
			return u, true, nil
		}
	}
	return 0, false, nil
}

// hash fetches the listed messages (all of the given size) and records their SHA-256.
func (x *serverIndex) hash(ctx context.Context, sel *imap.Selected, uids []uint32, size int64) error {
	var h hash.Hash
	return sel.Fetch(ctx, uids, size*int64(len(uids)), imap.FetchHandler{
		Body: func(_ uint32, _ int64, r io.Reader) error {
			h = sha256.New()
			_, err := io.Copy(h, r)
			return err
		},
		Done: func(info imap.MessageInfo, _ int64) error {
			var sum [32]byte
			copy(sum[:], h.Sum(nil))
			x.hashes[info.UID] = sum
			return nil
		},
	})
}
