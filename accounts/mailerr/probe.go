package mailerr

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"
)

// probeTimeout bounds the second connection ProbeNotTLS opens: a plain server greets at
// once, and the probe runs only on a path that has already failed.
const probeTimeout = 3 * time.Second

// ProbeNotTLS tells a server that speaks plain text on an implicit-TLS port from a broken
// one where the handshake's failure cannot. A server that closes the connection on the
// TLS hello it cannot read makes Windows drop the greeting it had already sent, so the
// client sees only a reset; Linux hands the greeting over first, which the TLS library
// reports as a bad record header (Classify's ErrNotTLS). When err is a reset or an early
// end of the connection, ProbeNotTLS opens a second, plain connection with dial, reads
// the first line and returns ErrNotTLS with err in the chain if that line begins with one
// of greetings ("+OK" for POP3; "* OK", "* PREAUTH" for IMAP). Otherwise, and whenever
// the probe itself fails, it returns err unchanged.
func ProbeNotTLS(ctx context.Context, err error, dial func(context.Context) (net.Conn, error), greetings ...string) error {
	if err == nil || errors.Is(err, ErrNotTLS) || !endedEarly(err) || ctx.Err() != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	conn, derr := dial(pctx)
	if derr != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(pctx, func() { conn.Close() }) // the read obeys the deadline too
	defer stop()
	line, rerr := bufio.NewReaderSize(conn, 512).ReadString('\n')
	if rerr != nil && line == "" {
		return err
	}
	for _, g := range greetings {
		if strings.HasPrefix(line, g) {
			return fmt.Errorf("%w: a plain-text greeting on this port: %w", ErrNotTLS, err)
		}
	}
	return err
}

// endedEarly reports a connection the server reset or closed.
func endedEarly(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, errConnReset) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
