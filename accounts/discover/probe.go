package discover

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/trust"
)

// A probe connects, checks the greeting and asks for the capabilities (IMAP CAPABILITY,
// RFC 9051 section 6.1.1; POP3 CAPA, RFC 2449), upgrading with STARTTLS / STLS (RFC 2595)
// when asked to. It never authenticates: no user name or password is sent. It follows the
// rules the real clients follow, so a server that passes a probe will pass the connection:
// the certificate must verify for the host name, STARTTLS must be advertised, nothing may
// be buffered after the upgrade reply (response injection, CVE-2021-39272 and friends), and
// the capabilities are asked again after the upgrade.

// Bounds on what a probed server can make Postfach read.
const (
	maxLineLength = 8 << 10
	maxProbeLines = 200
)

// probe returns the server's capabilities (after TLS) or why it does not qualify.
func probe(ctx context.Context, d Dialer, tlsOpts *trust.Options, protocol, host string, port int, security string) ([]string, error) {
	if security != SecurityTLS && security != SecuritySTARTTLS {
		return nil, mailerr.ErrPlaintextRefused // a guess is never plaintext
	}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, mailerr.Classify(err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	// Unblock reads when the caller gives up before the deadline.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	s := &session{conn: conn, host: host, tlsOpts: tlsOpts}
	s.br = bufio.NewReaderSize(conn, maxLineLength)
	caps, err := s.run(ctx, protocol, security)
	if err != nil && ctx.Err() != nil && !errors.Is(err, mailerr.ErrTimeout) {
		// The connection was closed under the probe: report why, not "use of closed conn".
		return nil, fmt.Errorf("%w: %w", mailerr.ErrTimeout, err)
	}
	return caps, err
}

// run does the protocol part of a probe.
func (s *session) run(ctx context.Context, protocol, security string) ([]string, error) {
	if security == SecurityTLS {
		if err := s.startTLS(ctx); err != nil {
			return nil, err
		}
	}
	if protocol == ProtocolIMAP {
		return s.probeIMAP(ctx, security == SecuritySTARTTLS)
	}
	return s.probePOP3(ctx, security == SecuritySTARTTLS)
}

// session is one probe connection.
type session struct {
	conn    net.Conn
	br      *bufio.Reader
	host    string
	tlsOpts *trust.Options
	lines   int
}

func (s *session) probeIMAP(ctx context.Context, starttls bool) ([]string, error) {
	greeting, err := s.readLine()
	if err != nil {
		return nil, err
	}
	if !hasPrefixFold(greeting, "* OK") && !hasPrefixFold(greeting, "* PREAUTH") {
		return nil, protocolError("IMAP greeting", greeting)
	}
	caps, err := s.imapCapability("P1")
	if err != nil {
		return nil, err
	}
	if starttls {
		if !hasCap(caps, "STARTTLS") {
			return nil, fmt.Errorf("%w: STARTTLS not in the capabilities", mailerr.ErrStartTLSRefused)
		}
		if err := s.imapOK("P2", "STARTTLS"); err != nil {
			return nil, fmt.Errorf("%w: %w", mailerr.ErrStartTLSRefused, err)
		}
		if err := s.upgrade(ctx); err != nil {
			return nil, err
		}
		// RFC 2595 section 3.1: capabilities from before TLS are forgotten and asked again.
		if caps, err = s.imapCapability("P3"); err != nil {
			return nil, err
		}
	}
	if !hasCap(caps, "IMAP4rev1") && !hasCap(caps, "IMAP4rev2") {
		return nil, protocolError("IMAP capabilities", strings.Join(caps, " "))
	}
	s.writeLine("P9 LOGOUT") // courtesy; the answer does not matter
	return caps, nil
}

// imapCapability sends CAPABILITY and collects the untagged answer.
func (s *session) imapCapability(tag string) ([]string, error) {
	var caps []string
	err := s.imapCommand(tag, "CAPABILITY", func(line string) {
		if hasPrefixFold(line, "* CAPABILITY ") {
			caps = strings.Fields(line[len("* CAPABILITY "):])
		}
	})
	return caps, err
}

// imapOK sends a command that must answer with a tagged OK.
func (s *session) imapOK(tag, command string) error {
	return s.imapCommand(tag, command, func(string) {})
}

// imapCommand sends tag+command, passes untagged lines to untagged and checks the tagged
// reply is OK.
func (s *session) imapCommand(tag, command string, untagged func(string)) error {
	if err := s.writeLine(tag + " " + command); err != nil {
		return err
	}
	for {
		line, err := s.readLine()
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "* ") {
			untagged(line)
			continue
		}
		if rest, ok := strings.CutPrefix(line, tag+" "); ok {
			if hasPrefixFold(rest, "OK") {
				return nil
			}
			return protocolError(command+" reply", line)
		}
		return protocolError(command+" reply", line)
	}
}

func (s *session) probePOP3(ctx context.Context, starttls bool) ([]string, error) {
	greeting, err := s.readLine()
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(greeting, "+OK") {
		return nil, protocolError("POP3 greeting", greeting)
	}
	caps, err := s.popCapa()
	if err != nil {
		return nil, err
	}
	if starttls {
		if !hasCap(caps, "STLS") {
			return nil, fmt.Errorf("%w: STLS not in the CAPA list", mailerr.ErrStartTLSRefused)
		}
		if err := s.writeLine("STLS"); err != nil {
			return nil, err
		}
		line, err := s.readLine()
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(line, "+OK") {
			return nil, fmt.Errorf("%w: %w", mailerr.ErrStartTLSRefused, protocolError("STLS reply", line))
		}
		if err := s.upgrade(ctx); err != nil {
			return nil, err
		}
		if caps, err = s.popCapa(); err != nil {
			return nil, err
		}
	}
	s.writeLine("QUIT") // courtesy; without DELE, QUIT changes nothing
	return caps, nil
}

// popCapa sends CAPA and returns the first word of each capability line. A server without
// CAPA (-ERR) has no capabilities, which is not an error for implicit TLS.
func (s *session) popCapa() ([]string, error) {
	if err := s.writeLine("CAPA"); err != nil {
		return nil, err
	}
	line, err := s.readLine()
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(line, "-ERR") {
		return nil, nil
	}
	if !strings.HasPrefix(line, "+OK") {
		return nil, protocolError("CAPA reply", line)
	}
	var caps []string
	for {
		line, err := s.readLine()
		if err != nil {
			return nil, err
		}
		if line == "." {
			return caps, nil
		}
		if f := strings.Fields(line); len(f) > 0 {
			caps = append(caps, f[0])
		}
	}
}

// upgrade starts TLS after a STARTTLS / STLS OK. Anything the server sent after that OK was
// sent in plaintext and would be read as if it came over TLS, so it ends the probe.
func (s *session) upgrade(ctx context.Context) error {
	if s.br.Buffered() > 0 {
		return fmt.Errorf("%w: data after the STARTTLS reply (possible injection)", mailerr.ErrStartTLSRefused)
	}
	return s.startTLS(ctx)
}

func (s *session) startTLS(ctx context.Context) error {
	tc := tls.Client(s.conn, trust.Config(s.host, s.tlsOpts))
	if err := tc.HandshakeContext(ctx); err != nil {
		var ce *trust.CertError
		if errors.As(err, &ce) {
			return ce
		}
		return fmt.Errorf("tls: %w", mailerr.Classify(err))
	}
	s.conn = tc
	s.br = bufio.NewReaderSize(tc, maxLineLength)
	return nil
}

func (s *session) writeLine(line string) error {
	_, err := s.conn.Write([]byte(line + "\r\n"))
	return mailerr.Classify(err)
}

// readLine reads one CRLF line of at most maxLineLength bytes.
func (s *session) readLine() (string, error) {
	if s.lines++; s.lines > maxProbeLines {
		return "", fmt.Errorf("%w: more than %d lines", mailerr.ErrProtocol, maxProbeLines)
	}
	line, err := s.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("%w: line longer than %d bytes", mailerr.ErrProtocol, maxLineLength)
	}
	if err != nil {
		return "", mailerr.Classify(err)
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

func protocolError(what, line string) error {
	return fmt.Errorf("%w: unexpected %s %s", mailerr.ErrProtocol, what, short(line))
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func hasCap(caps []string, name string) bool {
	for _, c := range caps {
		if strings.EqualFold(c, name) {
			return true
		}
	}
	return false
}
