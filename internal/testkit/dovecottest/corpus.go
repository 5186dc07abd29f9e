package dovecottest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Message is one corpus message: a name for failure messages and file names, and the
// bytes exactly as they are stored in the Maildir (what Deliver writes). What a POP3 client
// must receive for it is WireForm(Stored).
type Message struct {
	Name   string
	Stored []byte
}

// WireForm returns what a correct POP3 client holds after RETR of a message stored as
// stored, once the status line, the terminating ".\r\n" and the dot-stuffing are removed.
// Dovecot (verified by this package's tests) sends every LF not preceded by CR as CRLF,
// leaves every other byte alone (bare CR, "\r\r\n", NUL, 8-bit, lines of any length), and
// adds CRLF when the file does not end in LF, including an empty file ("" -> "\r\n").
// Backups that keep "what the server sent" must match this byte for byte.
//
// The one case the rule cannot cover is a file whose first byte is '.': Dovecot 2.3 sends
// that dot unstuffed, so the client strips it (or, for a first line ".", takes it for the
// end of the response and desyncs). No corpus message starts with '.'.
func WireForm(stored []byte) []byte {
	out := make([]byte, 0, len(stored)+bytes.Count(stored, []byte{'\n'})+2)
	start := 0
	for {
		i := bytes.IndexByte(stored[start:], '\n')
		if i < 0 {
			out = append(out, stored[start:]...)
			break
		}
		j := start + i
		if j == 0 || stored[j-1] != '\r' {
			out = append(out, stored[start:j]...)
			out = append(out, '\r', '\n')
		} else {
			out = append(out, stored[start:j+1]...)
		}
		start = j + 1
	}
	if len(stored) == 0 || stored[len(stored)-1] != '\n' {
		out = append(out, '\r', '\n')
	}
	return out
}

// ListSize returns the size Dovecot reports for a stored message in POP3 LIST and
// "+OK n octets", IMAP RFC822.SIZE and STATUS SIZE, and counts against quota_vsizes: the
// stored size with every bare LF counted as CRLF, but without the CRLF WireForm appends
// to a message not ending in LF. So a client may receive 2 bytes more than LIST said;
// that is not corruption.
func ListSize(stored []byte) int64 {
	n := int64(len(stored))
	for i, b := range stored {
		if b == '\n' && (i == 0 || stored[i-1] != '\r') {
			n++
		}
	}
	return n
}

// edgeDate is the fixed Date of every generated message, so the corpus is identical on
// every run and machine.
var edgeDate = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// edgeHeader returns a small RFC 5322 header block (LF line ends, blank line included).
func edgeHeader(name, subject string) string {
	return "From: Edge Sender <edge@postfach.test>\n" +
		"To: Alice <alice@postfach.test>\n" +
		"Subject: " + subject + "\n" +
		"Date: " + edgeDate.Format(time.RFC1123Z) + "\n" +
		"Message-ID: <" + name + "@postfach.test>\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=utf-8\n" +
		"Content-Transfer-Encoding: 8bit\n" +
		"\n"
}

// marked returns a line of exactly n bytes (without line end) that starts with prefix and
// "[len=n]" so a failure message shows which line broke, padded with fill.
func marked(prefix string, n int, fill byte) string {
	s := fmt.Sprintf("%s[len=%d]", prefix, n)
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(string(fill), n-len(s))
}

// EdgeCases returns the message-fidelity corpus: every stored form that naive POP3
// clients have been seen to corrupt (see protocol-libs.md: readers that split lines at
// 4096 bytes, take a '.' fragment for the terminator, skip dot-unstuffing, or normalise
// CR/LF). It is deterministic, so a manifest of its SHA-256 sums is stable. Total size is
// about 2.9 MB (mostly two 1,000,000-byte lines), small enough for every test run.
func EdgeCases() []Message {
	var ms []Message
	add := func(name string, stored string) {
		ms = append(ms, Message{Name: name, Stored: []byte(stored)})
	}

	// Dot-stuffing: lines that start with one or more dots, a line that is only ".",
	// dots inside lines (must not be touched).
	add("edge-dot-lines", edgeHeader("edge-dot-lines", "Dot-stuffing test")+
		"Dot-stuffing test.\n"+
		".\n"+
		"..\n"+
		"...\n"+
		".leading dot\n"+
		"..two leading dots\n"+
		". dot space\n"+
		"middle . dot and trailing dot.\n"+
		" .space before dot\n"+
		".\n"+
		"last line\n")

	// A body whose only line is "." and another "." directly before the end: a reader that
	// confuses the content line "." with the terminator stops early.
	add("edge-dot-only-line", edgeHeader("edge-dot-only-line", "Only a dot")+".\n")

	// Deliberately absent: a file whose very first byte is '.'. Dovecot 2.3.19 does not
	// dot-stuff it (see TestDovecotLeadingDotNotStuffed), so no client can receive it
	// faithfully; real messages start with a header field.

	// Lines around the usual buffer sizes (4096, 8192, 65536) and far beyond; some start
	// with '.', so the stuffed dot falls right where a reader's buffer may have been
	// refilled.
	{
		var b strings.Builder
		b.WriteString(edgeHeader("edge-long-lines", "Long lines"))
		for _, n := range []int{997, 4094, 4095, 4096, 4097, 4098, 8191, 8192, 8193, 65535, 65536, 65537, 100000, 1000000} {
			b.WriteString(marked("", n, 'x'))
			b.WriteString("\n")
			b.WriteString(marked(".", n, 'y'))
			b.WriteString("\n")
		}
		b.WriteString("end\n")
		add("edge-long-lines", b.String())
	}

	// The go-pop3 killer: a line whose byte 4097 is a '.' directly followed by the line end.
	// A 4096-byte line reader returns "." as its own fragment and takes it for the end of
	// the message. Repeated at 8192 and 65536 and once stored with CRLF.
	add("edge-dot-split-4096", edgeHeader("edge-dot-split-4096", "Dot after byte 4096")+
		strings.Repeat("x", 4096)+".\n"+
		strings.Repeat("y", 100)+"\n"+
		strings.Repeat("z", 4096)+".\r\n"+
		strings.Repeat("x", 8192)+".\n"+
		strings.Repeat("w", 65536)+".\n"+
		"after\n")

	// Lines starting with '.' placed so that they begin exactly at (and around) multiples of
	// 4096 bytes in the stored file, where buffered readers refill.
	{
		var b strings.Builder
		b.WriteString(edgeHeader("edge-dot-boundaries", "Dots at buffer boundaries"))
		for k := 1; k <= 32; k++ {
			for _, d := range []int{-2, -1, 0, 1, 2} {
				target := k*4096 + d
				// Filler line so that the next line starts at stored offset target.
				need := target - b.Len() - 1
				if need < 0 {
					continue
				}
				b.WriteString(strings.Repeat("f", need))
				b.WriteString("\n")
				fmt.Fprintf(&b, ".boundary %d\n", target)
			}
		}
		b.WriteString("end\n")
		add("edge-dot-boundaries", b.String())
	}

	// An unfolded 5000-byte header line: must not be split or re-folded.
	add("edge-long-header", "From: Edge Sender <edge@postfach.test>\n"+
		"To: Alice <alice@postfach.test>\n"+
		"Subject: Long header\n"+
		"X-Long: "+marked("", 5000-len("X-Long: "), 'h')+"\n"+
		"Message-ID: <edge-long-header@postfach.test>\n"+
		"\n"+
		"Body after a 5000-byte header line.\n")

	// Bare CR inside a line, at a line start and before LF-less text: must pass untouched
	// (not turned into a line break, not dropped).
	add("edge-bare-cr", edgeHeader("edge-bare-cr", "Bare CR")+
		"a\rb\n"+
		"\rline starting with CR\n"+
		"line ending with CR then LF is CRLF\r\n"+
		"two\r\rCRs\n")

	// CR CR LF: the first CR is content, the CR LF is the line end.
	add("edge-cr-cr-lf", edgeHeader("edge-cr-cr-lf", "CR CR LF")+
		"double cr\r\r\n"+
		".dot after crcrlf\r\r\n"+
		"end\n")

	// NUL bytes (RFC 5322 forbids them, real mail contains them anyway).
	add("edge-nul-bytes", edgeHeader("edge-nul-bytes", "NUL bytes")+
		"nul\x00in the middle\n"+
		"\x00\n"+
		"\x00\x00\x00 three at the start\n"+
		"end\x00\n")

	// 8-bit and invalid UTF-8: no charset conversion, no replacement characters.
	add("edge-utf8-8bit", edgeHeader("edge-utf8-8bit", "Grüße, ünïcode")+
		"UTF-8: Grüße aus Köln, naïve café, 日本語, emoji 📬\n"+
		".ünïcode line starting with a dot\n"+
		"Latin-1: Gr\xfc\xdfe aus K\xf6ln\n"+
		"Invalid: \xff\xfe \xc3\x28 \xe2\x82 \xf0\x9f\x93\n"+
		"High bytes: \x80\x81\x9f\xa0\n"+
		"end\n")

	// No trailing newline: Dovecot adds CRLF (LIST does not count it).
	add("edge-no-trailing-newline", edgeHeader("edge-no-trailing-newline", "No trailing newline")+
		"The last line of this message has no newline")

	// Ends in "\n." without newline: the last content line is a dot, stuffed, plus the
	// extra CRLF; a naive reader sees ".\r\n" twice.
	add("edge-dot-end-no-newline", edgeHeader("edge-dot-end-no-newline", "Ends in dot without newline")+
		"Next line is a dot without newline\n"+
		".")

	// Ends in a bare CR: not LF, so CRLF is appended, giving "\r\r\n".
	add("edge-ends-bare-cr", edgeHeader("edge-ends-bare-cr", "Ends in bare CR")+
		"last line ends in CR\r")

	// Zero bytes: RETR still returns one empty line (CRLF).
	add("edge-empty", "")

	// A single LF.
	add("edge-only-newline", "\n")

	// Header fields only, no blank line, no body: must not gain a blank line.
	add("edge-headers-only", "From: Edge Sender <edge@postfach.test>\n"+
		"To: Alice <alice@postfach.test>\n"+
		"Subject: Headers only\n"+
		"Date: "+edgeDate.Format(time.RFC1123Z)+"\n"+
		"Message-ID: <edge-headers-only@postfach.test>\n")

	// Stored with CRLF throughout (some delivery agents do this): nothing may be doubled.
	add("edge-crlf-stored", strings.ReplaceAll(edgeHeader("edge-crlf-stored", "CRLF stored"), "\n", "\r\n")+
		"crlf line\r\n"+
		".dot line\r\n"+
		".\r\n"+
		"end\r\n")

	// Every line-end variant in one file.
	add("edge-mixed-eol", edgeHeader("edge-mixed-eol", "Mixed EOL")+
		"lf line\n"+
		"crlf line\r\n"+
		"bare cr\rin line\n"+
		"crcrlf\r\r\n"+
		".dot after bare lf\n"+
		".dot after crlf\r\n"+
		"\n"+
		"\r\n"+
		"lf crlf lf\n\r\n\n"+
		"end without newline")

	return ms
}

// Ordinary returns n small, realistic plain-text messages (From, To, Subject, Date,
// Message-ID, a few wrapped paragraphs, sometimes a quoted reply or a signature). The same
// n and seed always give the same bytes; different seeds give different mailboxes.
func Ordinary(n int, seed int64) []Message {
	r := rand.New(rand.NewPCG(uint64(seed), 0x706f737466616368)) // "postfach"
	first := []string{"Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hannes", "Ida", "Jonas", "Karla", "Lukas"}
	last := []string{"Becker", "Fischer", "Hoffmann", "Klein", "Meyer", "Neumann", "Richter", "Schmidt", "Wagner", "Weber"}
	domains := []string{"example.org", "example.net", "mail.example.com", "postfach.test"}
	words := strings.Fields(`the a meeting report invoice project schedule please find attached
		update review budget draft thanks regards tomorrow next week friday office call notes
		question answer about our your new old plan team customer order delivery status changes
		minutes agenda quarter summary travel holiday room booking lunch coffee server backup
		mailbox account password reminder payment receipt photo family weekend garden`)
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	sentence := func() string {
		k := 4 + r.IntN(12)
		ws := make([]string, k)
		for i := range ws {
			ws[i] = pick(words)
		}
		s := strings.Join(ws, " ")
		return strings.ToUpper(s[:1]) + s[1:] + "."
	}
	person := func() (string, string) {
		f, l := pick(first), pick(last)
		return f + " " + l, strings.ToLower(f) + "." + strings.ToLower(l) + "@" + pick(domains)
	}
	base := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

	ms := make([]Message, 0, n)
	for i := 0; i < n; i++ {
		fromName, fromAddr := person()
		toName, toAddr := person()
		subj := sentence()
		subj = subj[:len(subj)-1]
		if r.IntN(4) == 0 {
			subj = "Re: " + subj
		}
		date := base.Add(time.Duration(i)*97*time.Minute + time.Duration(r.IntN(3600))*time.Second)
		var b strings.Builder
		fmt.Fprintf(&b, "Return-Path: <%s>\n", fromAddr)
		fmt.Fprintf(&b, "From: %s <%s>\n", fromName, fromAddr)
		fmt.Fprintf(&b, "To: %s <%s>\n", toName, toAddr)
		fmt.Fprintf(&b, "Subject: %s\n", subj)
		fmt.Fprintf(&b, "Date: %s\n", date.Format(time.RFC1123Z))
		fmt.Fprintf(&b, "Message-ID: <%d.%d.%08x@%s>\n", seed, i, r.Uint32(), pick(domains))
		b.WriteString("MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n")
		fmt.Fprintf(&b, "Hello %s,\n\n", strings.Fields(toName)[0])
		for p := 1 + r.IntN(4); p > 0; p-- {
			var para []string
			for k := 1 + r.IntN(5); k > 0; k-- {
				para = append(para, sentence())
			}
			b.WriteString(wrap(strings.Join(para, " "), 72))
			b.WriteString("\n")
		}
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, "On %s, %s wrote:\n", date.Add(-26*time.Hour).Format("Mon, 2 Jan 2006"), toName)
			for _, l := range strings.Split(strings.TrimSuffix(wrap(sentence()+" "+sentence(), 70), "\n"), "\n") {
				b.WriteString("> " + l + "\n")
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "Best regards,\n%s\n", strings.Fields(fromName)[0])
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "\n-- \n%s\n%s\n", fromName, fromAddr)
		}
		ms = append(ms, Message{Name: fmt.Sprintf("ordinary-%04d", i), Stored: []byte(b.String())})
	}
	return ms
}

// wrap word-wraps text to lines of at most width bytes (longer words stay whole), each
// ending in LF.
func wrap(text string, width int) string {
	var b strings.Builder
	n := 0
	for _, w := range strings.Fields(text) {
		if n > 0 && n+1+len(w) > width {
			b.WriteString("\n")
			n = 0
		}
		if n > 0 {
			b.WriteString(" ")
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	b.WriteString("\n")
	return b.String()
}

// Large returns a deterministic text message of exactly size bytes (or just its header
// when size is smaller than that): pseudo-random lowercase words in 76-character lines
// ending in LF, the shape of a big quoted-printable or plain-text body. It is used for the
// 50 MB case, where throughput, memory and timeouts matter more than edge bytes.
func Large(size int) Message {
	name := fmt.Sprintf("large-%d", size)
	hdr := "From: Large Sender <large@postfach.test>\n" +
		"To: Alice <alice@postfach.test>\n" +
		fmt.Sprintf("Subject: Large message of %d bytes\n", size) +
		"Date: " + edgeDate.Format(time.RFC1123Z) + "\n" +
		"Message-ID: <" + name + "@postfach.test>\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: text/plain; charset=us-ascii\n" +
		"\n"
	buf := make([]byte, 0, max(size, len(hdr)))
	buf = append(buf, hdr...)
	// A xorshift generator inline, one 64-bit step per 8 letters: math/rand per byte would
	// take seconds for 50 MB.
	x := uint64(size)*0x9e3779b97f4a7c15 ^ 0x706f737466616368
	if x == 0 {
		x = 1
	}
	const letters = "abcdefghijklmnopqrstuvwxyz     " // spaces make word breaks
	var line [77]byte
	line[76] = '\n'
	for len(buf) < size {
		for i := 0; i < 76; i += 8 {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			v := x
			for j := i; j < i+8 && j < 76; j++ {
				line[j] = letters[v%uint64(len(letters))]
				v >>= 8
			}
		}
		// No leading or trailing space, so the body looks like text and has no
		// whitespace-only lines.
		line[0], line[75] = 'a'+line[1]%26, 'z'
		n := min(len(line), size-len(buf))
		if n < len(line) && n > 0 {
			// The last line is shortened but still ends in LF.
			buf = append(buf, line[:n-1]...)
			buf = append(buf, '\n')
			break
		}
		buf = append(buf, line[:]...)
	}
	return Message{Name: name, Stored: buf}
}
