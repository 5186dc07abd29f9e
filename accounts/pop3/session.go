package pop3

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/postfach/postfach/accounts/mailerr"
)

// Dele marks message num for deletion (RFC 1939 section 5). Nothing is removed yet: the
// server deletes marked messages only when Quit succeeds, and forgets the marks if the
// session ends any other way. A -ERR is a *MessageError; the session stays usable.
func (c *Client) Dele(ctx context.Context, num int) error {
	if num < 1 {
		return fmt.Errorf("pop3: DELE: invalid message number %d", num)
	}
	return c.run(ctx, "DELE", func() error {
		_, err := c.simple("DELE", "DELE "+strconv.Itoa(num))
		var se *mailerr.ServerError
		if errors.As(err, &se) {
			return &MessageError{Num: num, Err: err}
		}
		return err
	})
}

// Noop asks the server for a +OK (RFC 1939 section 5): a cheap check that the session
// is alive and in step.
func (c *Client) Noop(ctx context.Context) error {
	return c.run(ctx, "NOOP", func() error {
		_, err := c.simple("NOOP", "NOOP")
		return err
	})
}

// Quit ends the session (RFC 1939 section 6). After a successful login this is the
// commit: the server enters the UPDATE state and removes the messages marked with Dele.
// Deletions are confirmed only if Quit returns nil; a -ERR (e.g. "some deleted messages
// not removed") is returned as a ServerError and a lost connection as an error — in both
// cases treat every deletion as unconfirmed and check the next UIDL listing.
//
// If the client is already unusable (an earlier error left the stream out of step), Quit
// sends nothing, because a "+OK" could not be told apart from leftover data; it only
// closes, so the server rolls the deletions back. The connection is closed in every case.
func (c *Client) Quit(ctx context.Context) error {
	err := c.run(ctx, "QUIT", func() error {
		_, err := c.simple("QUIT", "QUIT")
		return err
	})
	if err != nil {
		c.Close() // no TLS goodbye to a server that may not be listening
	} else if !c.closed.Swap(true) {
		c.conn.Close() // TLS close_notify, then the socket
	}
	return err
}
