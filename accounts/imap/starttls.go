package imap

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/postfach/postfach/accounts/mailerr"
)

// We do the plaintext half of STARTTLS ourselves instead of calling imapclient.DialStartTLS.
// go-imap v2.0.0-beta.8 never lets injected plaintext through, but it does not refuse the
// way Postfach must (RFC 2595, RFC 8314: no credential before encryption):
//
//   - it sends STARTTLS without reading the greeting or the capabilities, so a server
//     without STARTTLS, or a PREAUTH greeting, surfaces as a bare "imap: BAD ..." or
//     "PREAUTH on unencrypted connection" string that the GUI cannot tell from other
//     failures;
//   - after the tagged OK it hands bytes already buffered to the TLS layer
//     (Client.upgradeStartTLS) instead of rejecting them; they fail the handshake, as a
//     TLS error rather than a refusal;
//   - capabilities sent in the OK's own [CAPABILITY ...] code, in clear, are kept after the
//     upgrade (readResponseTagged skips setCaps(nil) when code == "CAPABILITY"), against
//     RFC 2595 section 3.1.
//
// Doing it here costs ~100 lines and gives one precise answer, mailerr.ErrStartTLSRefused,
// always before any credential exists on the wire. Nothing learnt in clear is kept: the
// capabilities are requested again over TLS (see syntheticGreeting).

const (
	// maxPlainLine bounds one line before TLS; honest greetings and capability lists are
	// well under 1 KiB.
	maxPlainLine = 8 << 10
	// maxPlainLines bounds the untagged lines we skip while waiting for a tagged answer.
	maxPlainLines = 64
)

// errLineTooLong is the cause when a pre-TLS line exceeds maxPlainLine.
var errLineTooLong = errors.New("line too long")

// startTLS reads the greeting, checks the STARTTLS capability, sends STARTTLS and
// verifies that nothing follows the tagged OK. On success the caller starts the TLS
// handshake on conn itself. It sends only CAPABILITY and STARTTLS.
func startTLS(conn net.Conn) error {
	br := bufio.NewReaderSize(conn, maxPlainLine)

	greeting, err := readPlainLine(br)
	if err != nil {
		return plainIOErr("greeting", err)
	}
	status, rest, ok := cutResponse(greeting, "*")
	switch {
	case !ok:
		return fmt.Errorf("greeting: %w: %q", mailerr.ErrProtocol, clip(greeting))
	case status == "OK":
	case status == "PREAUTH":
		// RFC 9051 section 7.1.4: PREAUTH means the session is already authenticated,
		// and STARTTLS is only valid before authentication (section 6.2.1), so this
		// connection can never be encrypted. Mutt followed it in clear (issue 246).
		return fmt.Errorf("greeting: %w: PREAUTH on an unencrypted connection", mailerr.ErrStartTLSRefused)
	case status == "BYE":
		code, text := splitRespText(rest)
		return mailerr.NewServerError("greeting", code, text, mailerr.ErrTemporary)
	default:
		return fmt.Errorf("greeting: %w: %q", mailerr.ErrProtocol, clip(greeting))
	}

	if _, err := io.WriteString(conn, "S1 CAPABILITY\r\n"); err != nil {
		return plainIOErr("capability", err)
	}
	caps, status, rest, err := readTagged(br, "S1", "capability")
	if err != nil {
		return err
	}
	if status != "OK" {
		code, text := splitRespText(rest)
		return fmt.Errorf("%w: %w", mailerr.ErrStartTLSRefused, mailerr.NewServerError("capability", code, text, nil))
	}
	if !caps["STARTTLS"] {
		return fmt.Errorf("capability: %w: STARTTLS not offered", mailerr.ErrStartTLSRefused)
	}

	if _, err := io.WriteString(conn, "S2 STARTTLS\r\n"); err != nil {
		return plainIOErr("starttls", err)
	}
	_, status, rest, err = readTagged(br, "S2", "starttls")
	if err != nil {
		return err
	}
	if status != "OK" {
		code, text := splitRespText(rest)
		return fmt.Errorf("%w: %w", mailerr.ErrStartTLSRefused, mailerr.NewServerError("starttls", code, text, nil))
	}
	// RFC 9051 section 6.2.1: TLS starts right after the CRLF of the tagged OK. Anything
	// already received after it was sent in clear but would be read as if protected
	// (response injection: Mutt CVE-2020-14954, Thunderbird CVE-2021-29969).
	if n := br.Buffered(); n > 0 {
		return fmt.Errorf("starttls: %w: %d bytes of plaintext after the OK (response injection)", mailerr.ErrStartTLSRefused, n)
	}
	return nil
}

// readTagged reads until the tagged response for tag, collecting capabilities from
// untagged CAPABILITY responses and from a [CAPABILITY ...] code on the tagged line.
// Other untagged lines are skipped: nothing seen in clear is used beyond this function.
func readTagged(br *bufio.Reader, tag, step string) (caps map[string]bool, status, rest string, err error) {
	caps = make(map[string]bool)
	for range maxPlainLines {
		line, err := readPlainLine(br)
		if err != nil {
			return nil, "", "", plainIOErr(step, err)
		}
		if status, rest, ok := cutResponse(line, tag); ok {
			if code, _ := splitRespText(rest); strings.HasPrefix(strings.ToUpper(code), "CAPABILITY ") {
				addCaps(caps, code[len("CAPABILITY "):])
			}
			return caps, status, rest, nil
		}
		kind, rest, ok := cutResponse(line, "*")
		switch {
		case ok && kind == "CAPABILITY":
			addCaps(caps, rest)
		case ok && kind == "BYE":
			code, text := splitRespText(rest)
			return nil, "", "", mailerr.NewServerError(step, code, text, mailerr.ErrTemporary)
		}
	}
	return nil, "", "", fmt.Errorf("%s: %w: more than %d lines without an answer", step, mailerr.ErrProtocol, maxPlainLines)
}

// readPlainLine returns one line without its line ending (CRLF, or a bare LF from sloppy
// servers).
func readPlainLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", errLineTooLong
	}
	if err != nil {
		return "", err
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return string(line), nil
}

// cutResponse splits "TAG WORD rest" when the line starts with tag (case-sensitive for
// tags, as the server must echo ours) and returns WORD upper-cased.
func cutResponse(line, tag string) (word, rest string, ok bool) {
	after, found := strings.CutPrefix(line, tag+" ")
	if !found {
		return "", "", false
	}
	word, rest, _ = strings.Cut(after, " ")
	if word == "" {
		return "", "", false
	}
	return strings.ToUpper(word), rest, true
}

// splitRespText splits "[CODE args] text" into "CODE args" and "text" (RFC 9051
// resp-text); either may be empty.
func splitRespText(s string) (code, text string) {
	if rest, ok := strings.CutPrefix(s, "["); ok {
		if c, t, ok := strings.Cut(rest, "]"); ok {
			return c, strings.TrimPrefix(t, " ")
		}
	}
	return "", s
}

func addCaps(caps map[string]bool, list string) {
	for _, c := range strings.Fields(list) {
		caps[strings.ToUpper(c)] = true
	}
}

// plainIOErr wraps an I/O error of the plaintext phase. A connection closed in answer to
// STARTTLS is a refusal (a stripping attacker may do just that); closed earlier, or a line
// that is too long, it is a protocol failure; network errors keep their class.
func plainIOErr(step string, err error) error {
	closed := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	switch {
	case closed && step == "starttls":
		return fmt.Errorf("%s: %w: connection closed instead of starting TLS", step, mailerr.ErrStartTLSRefused)
	case closed:
		return fmt.Errorf("%s: %w: connection closed by the server", step, mailerr.ErrProtocol)
	case errors.Is(err, errLineTooLong), errors.Is(err, errTooMuchData):
		return fmt.Errorf("%s: %w: %w", step, mailerr.ErrProtocol, err)
	}
	return fmt.Errorf("%s: %w", step, mailerr.Classify(err))
}

// clip shortens server text quoted in an error message.
func clip(s string) string {
	const n = 80
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
