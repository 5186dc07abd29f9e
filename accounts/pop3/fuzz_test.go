package pop3

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/postfach/postfach/accounts/mailerr"
)

// maxSeed keeps huge table cases out of the fuzz corpus: they would slow every
// mutation, and the small-buffer strategies below hit buffer boundaries with small
// inputs anyway.
const maxSeed = 70000

// FuzzStatusLine feeds arbitrary status lines to the response parser: it must never
// panic, must report every rejection as ErrProtocol, and must never hand control
// characters or invalid UTF-8 to logs and dialogs.
func FuzzStatusLine(f *testing.F) {
	for _, tt := range statusTests {
		f.Add([]byte(tt.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := parseStatus(line)
		if err != nil {
			if !errors.Is(err, mailerr.ErrProtocol) {
				t.Fatalf("error %v is not ErrProtocol", err)
			}
			return
		}
		if !utf8.ValidString(r.text) {
			t.Fatalf("text %q is not valid UTF-8", r.text)
		}
		for _, c := range r.text {
			if c < ' ' || c == 0x7f || (c >= 0x80 && c < 0xa0) {
				t.Fatalf("text %q contains control character %U", r.text, c)
			}
		}
		if strings.ContainsAny(r.code, " []\r\n") || strings.ToUpper(r.code) != r.code {
			t.Fatalf("code %q", r.code)
		}
		kindFor(r.code)
		authKind(r.code)

		// The same line read from the wire must parse the same way.
		if bytes.IndexByte(line, '\n') >= 0 || len(line) > maxStatusLine || bytes.HasSuffix(line, []byte("\r")) {
			return
		}
		wire, err := readLine(bufio.NewReader(bytes.NewReader(append(bytes.Clone(line), "\r\n"...))), maxStatusLine)
		if err != nil || !bytes.Equal(wire, line) {
			t.Fatalf("readLine = %q, %v", wire, err)
		}
	})
}

// FuzzListing feeds arbitrary multi-line bodies to the UIDL, LIST and CAPA readers: no
// panic, every rejection is ErrProtocol, and whatever is accepted satisfies RFC 1939
// and survives a re-encode/re-parse round trip.
func FuzzListing(f *testing.F) {
	for _, tt := range uidlListings {
		if len(tt.body) <= maxSeed {
			f.Add([]byte(tt.body))
		}
	}
	for _, tt := range listListings {
		if len(tt.body) <= maxSeed {
			f.Add([]byte(tt.body))
		}
	}
	f.Add([]byte("USER\r\nSASL PLAIN LOGIN\r\nPIPELINING\r\n..hidden\r\n.\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		reader := func() *bufio.Reader { return bufio.NewReaderSize(bytes.NewReader(body), readBufferSize) }
		checkErr := func(err error) {
			if err != nil && !errors.Is(err, mailerr.ErrProtocol) {
				t.Fatalf("error %v is not ErrProtocol", err)
			}
		}

		uids, err := readUIDLListing(reader())
		checkErr(err)
		if err == nil {
			var again strings.Builder
			for _, u := range uids {
				if u.Num < 1 || len(u.UID) < 1 || len(u.UID) > maxUIDLen {
					t.Fatalf("accepted %+v", u)
				}
				for i := 0; i < len(u.UID); i++ {
					if u.UID[i] < 0x21 || u.UID[i] > 0x7e {
						t.Fatalf("accepted unique-id %q", u.UID)
					}
				}
				fmt.Fprintf(&again, "%d %s\r\n", u.Num, u.UID)
			}
			again.WriteString(".\r\n")
			back, err := readUIDLListing(bufio.NewReader(strings.NewReader(again.String())))
			if err != nil || fmt.Sprint(back) != fmt.Sprint(uids) {
				t.Fatalf("round trip: %v, %v; want %v", back, err, uids)
			}
		}

		sizes, err := readSizeListing(reader())
		checkErr(err)
		if err == nil {
			var again strings.Builder
			for _, s := range sizes {
				if s.Num < 1 || s.Octets < 0 {
					t.Fatalf("accepted %+v", s)
				}
				fmt.Fprintf(&again, "%d %d\r\n", s.Num, s.Octets)
			}
			again.WriteString(".\r\n")
			back, err := readSizeListing(bufio.NewReader(strings.NewReader(again.String())))
			if err != nil || fmt.Sprint(back) != fmt.Sprint(sizes) {
				t.Fatalf("round trip: %v, %v; want %v", back, err, sizes)
			}
		}

		caps, err := readCaps(reader())
		checkErr(err)
		for _, n := range caps.Names() {
			if !caps.Has(n) || n == "" || strings.ContainsAny(n, " \r\n") {
				t.Fatalf("capability name %q", n)
			}
		}
		_ = caps.SASL()
	})
}

// FuzzDotReader checks the message reader two ways: arbitrary wire bytes never panic and
// every read strategy agrees on them; and any message, dot-stuffed the way a server
// does, comes back byte for byte with the following reply left unread.
func FuzzDotReader(f *testing.F) {
	for _, tt := range dotTests {
		if len(tt.wire) <= maxSeed {
			f.Add([]byte(tt.wire))
		}
		if tt.want != nil && len(tt.want) <= maxSeed {
			f.Add(tt.want)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Arbitrary bytes as the wire.
		type result struct {
			out  []byte
			err  bool
			rest string
		}
		var first *result
		for _, s := range fuzzStrategies {
			out, err, rest := readBody(string(data), s.bufSize, s.src, s.useRead)
			if err != nil && (!errors.Is(err, mailerr.ErrProtocol) || !errors.Is(err, io.ErrUnexpectedEOF)) {
				t.Fatalf("%s: error %v", s.name, err)
			}
			if len(out) > len(data) {
				t.Fatalf("%s: %d bytes out of %d in", s.name, len(out), len(data))
			}
			r := &result{out, err != nil, rest}
			if first == nil {
				first = r
			} else if !bytes.Equal(r.out, first.out) || r.err != first.err || r.rest != first.rest {
				t.Fatalf("%s disagrees: %q %v %q vs %q %v %q", s.name, r.out, r.err, r.rest, first.out, first.err, first.rest)
			}
		}

		// data as a message: stuff, then unstuff.
		wire := string(stuff(data)) + next
		want := unstuffed(data)
		for _, s := range fuzzStrategies {
			out, err, rest := readBody(wire, s.bufSize, s.src, s.useRead)
			if err != nil || !bytes.Equal(out, want) || rest != next {
				t.Fatalf("%s: round trip = %q, %v, rest %q; want %q", s.name, out, err, rest, want)
			}
		}
	})
}

// fuzzStrategies are readStrategies minus the slowest one (one byte per Read call
// through a full-size buffer adds nothing the 16-byte buffer does not cover).
var fuzzStrategies = []struct {
	name    string
	bufSize int
	src     func(io.Reader) io.Reader
	useRead bool
}{
	{"WriteTo", readBufferSize, func(r io.Reader) io.Reader { return r }, false},
	{"WriteTo/16-byte buffer", 16, iotest.OneByteReader, false},
	{"Read/16-byte buffer", 16, iotest.HalfReader, true},
}
