package mailparse

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
)

// lookupCharset finds the decoder for a MIME charset label. WHATWG labels (htmlindex)
// come first: they map "iso-8859-1" and "us-ascii" to Windows-1252, which is what
// senders mean when they put € or curly quotes into "Latin-1" mail.
func lookupCharset(label string) (encoding.Encoding, error) {
	label = strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`))
	if enc, err := htmlindex.Get(label); err == nil {
		return enc, nil
	}
	enc, err := ianaindex.MIME.Encoding(label)
	if err != nil || enc == nil {
		return nil, fmt.Errorf("unknown charset %q", label)
	}
	return enc, nil
}

// isUTF8Label reports whether a label names UTF-8 or its subset US-ASCII, whose bytes
// need no conversion when they are valid UTF-8.
func isUTF8Label(label string) bool {
	switch strings.ToLower(strings.Trim(strings.TrimSpace(label), `"'`)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return true
	}
	return false
}

// decodeText converts text in charset label to UTF-8. Bytes that are not valid UTF-8
// under a UTF-8, ASCII, missing or unknown label are read as Windows-1252; the returned
// defect (empty if none) says so.
func decodeText(b []byte, label string) (string, string) {
	if isUTF8Label(label) {
		if utf8.Valid(b) {
			return string(b), ""
		}
		if mostlyUTF8(b) {
			return string(bytes.ToValidUTF8(b, []byte("\uFFFD"))), fmt.Sprintf("text is damaged %s; bad bytes replaced", labelOr(label))
		}
		return win1252(b), fmt.Sprintf("text is not valid %s; read as Windows-1252", labelOr(label))
	}
	enc, err := lookupCharset(label)
	if err != nil {
		if utf8.Valid(b) || mostlyUTF8(b) {
			return string(bytes.ToValidUTF8(b, []byte("\uFFFD"))), err.Error() + "; read as UTF-8"
		}
		return win1252(b), err.Error() + "; read as Windows-1252"
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return win1252(b), fmt.Sprintf("charset %s: %v; read as Windows-1252", label, err)
	}
	return string(out), ""
}

// mostlyUTF8 tells UTF-8 with a few damaged bytes (keep it, replace those) from 8-bit
// text in another charset (read it as Windows-1252): UTF-8 has at least as many valid
// multi-byte sequences as invalid bytes; Latin-1 text has almost none.
func mostlyUTF8(b []byte) bool {
	valid, invalid := 0, 0
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n == 1:
			invalid++
		case n > 1:
			valid++
		}
		b = b[n:]
	}
	return valid > 0 && valid >= invalid
}

func labelOr(label string) string {
	if label == "" {
		return "UTF-8 (no charset given)"
	}
	return label
}

// win1252 decodes bytes as Windows-1252. Its five unassigned bytes become U+FFFD.
func win1252(b []byte) string {
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	}
	return string(out)
}

// wordCharsetReader serves mime.WordDecoder (RFC 2047 encoded words).
func wordCharsetReader(label string, input io.Reader) (io.Reader, error) {
	enc, err := lookupCharset(label)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(input), nil
}
