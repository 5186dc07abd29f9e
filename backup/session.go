package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/pop3"
	"github.com/postfach/postfach/backup/index"
)

// session is the part of a POP3 connection a run uses. The real one is *pop3.Client;
// unit tests substitute scripted sessions.
type session interface {
	UIDL(ctx context.Context) ([]pop3.UID, error)
	List(ctx context.Context) ([]pop3.Size, error)
	// RetrAll retrieves the messages in order; fn gets each body, or the server's
	// refusal for that message (rerr), and must consume the body before returning.
	RetrAll(ctx context.Context, nums []int, fn func(num int, body io.Reader, rerr error) error) error
	// TopAll sends "TOP n 0" for the messages in order; fn gets each header block, or the
	// server's refusal for that message (rerr), and must consume it before returning.
	TopAll(ctx context.Context, nums []int, fn func(num int, head io.Reader, rerr error) error) error
	Dele(ctx context.Context, num int) error
	Quit(ctx context.Context) error
	Close() error
}

// dialFunc opens a session for a run; Options.dial replaces dialPOP3 in tests.
type dialFunc func(ctx context.Context, a *accounts.Account, password string, o *Options) (session, error)

// dialPOP3 logs in to the account's server, with OAuth2 tokens when o.Tokens is set.
func dialPOP3(ctx context.Context, a *accounts.Account, password string, o *Options) (session, error) {
	c, err := connect.POP3Login(ctx, *a, connect.Credential{Password: password, Tokens: o.Tokens}, o.Conn)
	if err != nil {
		return nil, err
	}
	return clientSession{c}, nil
}

// clientSession adapts *pop3.Client to session.
type clientSession struct{ *pop3.Client }

// RetrAll keeps going past a message the server refuses (-ERR, e.g. deleted by another
// client since UIDL): pop3's RetrAll stops there, and the session stays usable.
func (s clientSession) RetrAll(ctx context.Context, nums []int, fn func(int, io.Reader, error) error) error {
	return eachMessage(nums, fn, func(nums []int, each func(int, io.Reader) error) error {
		return s.Client.RetrAll(ctx, nums, each)
	})
}

// TopAll keeps going past a message the server refuses, like RetrAll.
func (s clientSession) TopAll(ctx context.Context, nums []int, fn func(int, io.Reader, error) error) error {
	return eachMessage(nums, fn, func(nums []int, each func(int, io.Reader) error) error {
		return s.Client.TopAll(ctx, nums, 0, each)
	})
}

// eachMessage runs a pipelined per-message command (all) again after each message the
// server refuses, reporting the refusal to fn.
func eachMessage(nums []int, fn func(int, io.Reader, error) error, all func([]int, func(int, io.Reader) error) error) error {
	for len(nums) > 0 {
		err := all(nums, func(n int, body io.Reader) error { return fn(n, body, nil) })
		var me *pop3.MessageError
		var se *mailerr.ServerError
		if !errors.As(err, &me) || !errors.As(me.Err, &se) {
			return err
		}
		if err := fn(me.Num, nil, me); err != nil {
			return err
		}
		nums = nums[slices.Index(nums, me.Num)+1:]
	}
	return nil
}

// message is one listed message.
type message struct {
	Num    int
	UIDL   string
	Octets int64
	Gen    int // the generation a download uses (set by plan)
	// prev is the copy the backup holds under this UIDL when the server's message may
	// be another one; the download is compared with it.
	prev *index.Entry
	// heal marks the download of a message whose local copy was missing or damaged.
	heal bool
}

// listing is the server's view of the mailbox in this session.
type listing struct {
	msgs   []message          // unique UIDLs, in server order
	byUIDL map[string]message // every listed UIDL (first occurrence)
	dup    map[string]bool    // UIDLs listed more than once: never deleted
}

// listMailbox reads UIDL and LIST. A server without UIDL cannot be backed up
// incrementally, and Postfach never falls back to "download everything". The sizes are
// part of each message's identity: a UIDL listed with another size than the one recorded
// at download names another message.
func listMailbox(ctx context.Context, s session) (*listing, error) {
	uids, err := s.UIDL(ctx)
	if err != nil {
		return nil, fmt.Errorf("uidl: %w", err)
	}
	sizes, err := s.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	octets := make(map[int]int64, len(sizes))
	for _, sz := range sizes {
		octets[sz.Num] = sz.Octets
	}
	l := &listing{msgs: make([]message, 0, len(uids)), byUIDL: make(map[string]message, len(uids)), dup: map[string]bool{}}
	for _, u := range uids {
		if _, seen := l.byUIDL[u.UID]; seen {
			l.dup[u.UID] = true
			continue
		}
		m := message{Num: u.Num, UIDL: u.UID, Octets: octets[u.Num]}
		l.byUIDL[u.UID] = m
		l.msgs = append(l.msgs, m)
	}
	return l, nil
}

// isConnError reports whether err broke the session, as opposed to a -ERR reply after
// which the session goes on.
func isConnError(err error) bool {
	var se *mailerr.ServerError
	return !errors.As(err, &se)
}
