package imap

import (
	"context"

	goimap "github.com/emersion/go-imap/v2"
)

// SearchMessageID returns the UIDs of the messages whose Message-ID header contains id
// (UID SEARCH HEADER Message-ID id, RFC 9051 section 6.4.4). The match is a substring
// match, so callers compare the Message-ID they fetch back before trusting a hit.
func (m *Selected) SearchMessageID(ctx context.Context, id string) ([]uint32, error) {
	s := m.s
	defer s.opContext(ctx)()
	data, err := s.c.UIDSearch(&goimap.SearchCriteria{
		Header: []goimap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}},
	}, nil).Wait()
	if err != nil {
		return nil, s.wrapOp(ctx, "uid search", err)
	}
	uids := data.AllUIDs()
	out := make([]uint32, len(uids))
	for i, u := range uids {
		out[i] = uint32(u)
	}
	return out, nil
}
