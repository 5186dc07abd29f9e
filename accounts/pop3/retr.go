package pop3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// MessageError reports a failure that concerns one message: a -ERR to RETR or DELE
// (e.g. another client removed it), or an error from the caller's writer or callback.
// The session stays usable. Unwrap gives the cause, e.g. a *mailerr.ServerError.
type MessageError struct {
	Num int
	Err error
}

// Error implements error.
func (e *MessageError) Error() string { return fmt.Sprintf("message %d: %v", e.Num, e.Err) }

// Unwrap returns the cause.
func (e *MessageError) Unwrap() error { return e.Err }

// Retr streams message num to w (RFC 1939 section 5) and returns the number of bytes
// written: exactly the message as sent, without dot-stuffing and terminator (see the
// package documentation). The message is never held in memory. The reply must keep
// arriving: each read has the idle Timeout, the whole message has none but ctx.
//
// A -ERR reply, or an error from w, is a *MessageError and leaves the session usable
// (after a writer error the rest of the message is read and discarded). A connection
// that fails mid-message breaks the client.
func (c *Client) Retr(ctx context.Context, num int, w io.Writer) (int64, error) {
	if num < 1 || w == nil {
		return 0, fmt.Errorf("pop3: RETR: invalid message number %d or nil writer", num)
	}
	var written int64
	err := c.run(ctx, "RETR", func() error {
		cmd := retrCommand(num)
		if err := c.send(cmd, cmd); err != nil {
			return err
		}
		body, err := c.retrReply(num)
		if err != nil {
			return err
		}
		written, err = body.WriteTo(w)
		if err := body.drain(); err != nil {
			return c.fail(cmd, err)
		}
		if err != nil {
			return &MessageError{Num: num, Err: fmt.Errorf("writing message: %w", err)}
		}
		return nil
	})
	return written, err
}

// retrWindow is how many RETR commands RetrAll keeps in flight with PIPELINING: the
// window measured against Dovecot (twice as fast as one at a time on loopback,
// far more over a real network). 64 commands are well under 1 KiB, far below any socket
// buffer, so writing them ahead cannot deadlock against a server busy sending replies.
const retrWindow = 64

// RetrAll retrieves the messages nums in order and calls fn with each one's body, which
// is valid only during the call. fn should consume body (io.Copy to a file uses the
// zero-copy WriteTo path); whatever it leaves unread is read and discarded afterwards.
//
// With PIPELINING in CAPA (RFC 2449 section 6.6) RETR commands are written up to
// retrWindow ahead of their replies, which removes one network round trip per message;
// otherwise one at a time.
//
// RetrAll stops at the first -ERR or fn error and returns it as a *MessageError naming
// the message; fn has been called successfully for exactly the messages before it in
// nums. The replies to commands already sent are read and discarded, so the session stays
// usable. Cancel ctx (or Close) to abandon the session instead.
func (c *Client) RetrAll(ctx context.Context, nums []int, fn func(num int, body io.Reader) error) error {
	return c.fetchAll(ctx, "RETR", retrCommand, nums, fn)
}

// TopAll sends "TOP n lines" (RFC 1939 section 7) for each message of nums, pipelined
// like RetrAll and with the same rules for errors, and calls fn with each reply: the
// message's header block, the empty line after it, and the first lines of its body.
// TOP is optional in RFC 1939: a server without it answers -ERR, which reaches the caller
// as a *MessageError for the first message.
func (c *Client) TopAll(ctx context.Context, nums []int, lines int, fn func(num int, head io.Reader) error) error {
	if lines < 0 {
		return fmt.Errorf("pop3: TOP: invalid line count %d", lines)
	}
	suffix := " " + strconv.Itoa(lines)
	return c.fetchAll(ctx, "TOP", func(n int) string { return "TOP " + strconv.Itoa(n) + suffix }, nums, fn)
}

// fetchAll runs one multi-line command per message (RETR, TOP) with pipelining.
func (c *Client) fetchAll(ctx context.Context, op string, command func(int) string, nums []int, fn func(int, io.Reader) error) error {
	if fn == nil {
		return fmt.Errorf("pop3: %s: nil callback", op)
	}
	for _, n := range nums {
		if n < 1 {
			return fmt.Errorf("pop3: %s: invalid message number %d", op, n)
		}
	}
	return c.run(ctx, op, func() error { return c.pipeline(op, command, nums, fn) })
}

func (c *Client) pipeline(op string, command func(int) string, nums []int, fn func(int, io.Reader) error) error {
	window := 1
	if c.caps.Pipelining() {
		window = retrWindow
	}
	c.dc.idle = true // replies stream for as long as the batch lasts
	var firstErr error
	sent := 0
	for i := 0; i < sent || (firstErr == nil && i < len(nums)); i++ {
		// Refill when half the window is used up: fewer, larger writes.
		if firstErr == nil && sent < len(nums) && sent-i <= window/2 {
			for sent < len(nums) && sent-i < window {
				c.bw.WriteString(command(nums[sent]))
				c.bw.WriteString("\r\n")
				sent++
			}
			if err := c.bw.Flush(); err != nil {
				return c.fail(op, err)
			}
		}
		body, err := c.multiReply(op, command(nums[i]), nums[i])
		var me *MessageError
		if errors.As(err, &me) {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if err != nil {
			return err
		}
		if firstErr == nil {
			if err := fn(nums[i], body); err != nil {
				firstErr = &MessageError{Num: nums[i], Err: err}
			}
		}
		if err := body.drain(); err != nil {
			return c.fail(command(nums[i]), err)
		}
	}
	return firstErr
}

// retrReply reads the status line of a RETR and returns the body reader, or a
// *MessageError for -ERR.
func (c *Client) retrReply(num int) (*dotReader, error) {
	return c.multiReply("RETR", retrCommand(num), num)
}

// multiReply reads the status line of a multi-line command about message num and returns
// the body reader, or a *MessageError for -ERR.
func (c *Client) multiReply(op, cmd string, num int) (*dotReader, error) {
	r, err := c.readReply(cmd, false)
	if err != nil {
		return nil, err
	}
	if r.status == statusErr {
		return nil, &MessageError{Num: num, Err: serverError(op, r, kindFor(r.code))}
	}
	c.dc.idle = true
	return newDotReader(c.br), nil
}

func retrCommand(num int) string { return "RETR " + strconv.Itoa(num) }
