package pop3

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/postfach/postfach/accounts/mailerr"
)

// next is what follows the terminator in every case: the reader must leave it unread.
const next = "+OK next reply\r\n"

// dotTests are wire bodies (after the status line) and what the reader must deliver; they
// double as seeds for FuzzDotReader. A nil want means the body is cut off.
var dotTests = func() []struct {
	name string
	wire string
	want []byte
} {
	x := func(n int) string { return strings.Repeat("x", n) }
	return []struct {
		name string
		wire string
		want []byte
	}{
		{"empty message", ".\r\n", []byte{}},
		{"two lines", "a\r\nb\r\n.\r\n", []byte("a\r\nb\r\n")},
		{"stuffed dot line", "..\r\n.\r\n", []byte(".\r\n")},
		{"stuffed double dot", "...\r\n.\r\n", []byte("..\r\n")},
		{"stuffed leading dot", "..leading dot\r\n.\r\n", []byte(".leading dot\r\n")},
		{"dot as first line then text", "..\r\nx\r\n.\r\n", []byte(".\r\nx\r\n")},
		{"dot in the middle of a line", "a.b\r\n.x\r\n.\r\n", []byte("a.b\r\nx\r\n")},
		{"line end then dot without stuffing", "a\r\n.b\r\n.\r\n", []byte("a\r\nb\r\n")},
		{"bare CR", "a\rb\r\n.\r\n", []byte("a\rb\r\n")},
		{"dot after bare CR is mid-line", "a\r..b\r\n.\r\n", []byte("a\r..b\r\n")},
		{"CR CR LF", "a\r\r\n.\r\n", []byte("a\r\r\n")},
		{"NUL and 8-bit", "\x00\xff\xfe\xc3\xa4\r\n.\r\n", []byte("\x00\xff\xfe\xc3\xa4\r\n")},
		{"bare LF starts a line", "a\n..b\r\n.\r\n", []byte("a\n.b\r\n")},
		{"dot LF is not the terminator", "a\r\n.\nb\r\n.\r\n", []byte("a\r\n\nb\r\n")},
		{"dot CR X is not the terminator", "..\rX\r\n.\r\n", []byte(".\rX\r\n")},
		{"terminator-like text mid-line", "a.\r\n.\r\n", []byte("a.\r\n")},
		{"line of 5000 bytes", x(5000) + "\r\n.\r\n", []byte(x(5000) + "\r\n")},
		{"line of 70000 bytes", x(70000) + "\r\n..y\r\n.\r\n", []byte(x(70000) + "\r\n.y\r\n")},
		{"line of 1 MB", x(1<<20) + "\r\n.\r\n", []byte(x(1<<20) + "\r\n")},
		// readBufferSize is 64 KiB: these put the interesting byte at the buffer edge when
		// the body starts at offset 0.
		{"dot mid-line right after the buffer boundary", x(65536) + ".\r\n.\r\n", []byte(x(65536) + ".\r\n")},
		{"dot mid-line at the last buffer byte", x(65535) + ".\r\n.\r\n", []byte(x(65535) + ".\r\n")},
		{"stuffed line right after the buffer boundary", x(65534) + "\r\n..z\r\n.\r\n", []byte(x(65534) + "\r\n.z\r\n")},
		{"terminator right after the buffer boundary", x(65534) + "\r\n.\r\n", []byte(x(65534) + "\r\n")},
		{"terminator split by the buffer boundary", x(65533) + "\r\n.\r\n", []byte(x(65533) + "\r\n")},
		{"terminator split after its CR", x(65532) + "\r\n.\r\n", []byte(x(65532) + "\r\n")},
		{"4096-byte boundary", x(4094) + "\r\n.\r\n" /* go-pop3 split here */, []byte(x(4094) + "\r\n")},
		{"dot after 4096 bytes", x(4096) + ".\r\n" + "y\r\n.\r\n", []byte(x(4096) + ".\r\ny\r\n")},
		{"no terminator", "abc\r\n", nil},
		{"cut mid-line", "abc", nil},
		{"cut after the dot", "abc\r\n.", nil},
		{"cut inside the terminator", "abc\r\n.\r", nil},
		{"nothing at all", "", nil},
	}
}()

// readBody reads a body with the given strategy and returns the bytes, the error and
// what was left in the buffer.
func readBody(wire string, bufSize int, src func(io.Reader) io.Reader, useRead bool) ([]byte, error, string) {
	br := bufio.NewReaderSize(src(strings.NewReader(wire)), bufSize)
	d := newDotReader(br)
	var out bytes.Buffer
	var err error
	if useRead {
		_, err = io.Copy(&out, iotest.OneByteReader(d)) // Read, one byte at a time
	} else {
		_, err = d.WriteTo(&out)
	}
	rest, _ := io.ReadAll(br)
	return out.Bytes(), err, string(rest)
}

var readStrategies = []struct {
	name    string
	bufSize int
	src     func(io.Reader) io.Reader
	useRead bool
}{
	{"WriteTo", readBufferSize, func(r io.Reader) io.Reader { return r }, false},
	{"WriteTo/half reads", readBufferSize, iotest.HalfReader, false},
	{"WriteTo/16-byte buffer", 16, func(r io.Reader) io.Reader { return r }, false},
	{"Read/one byte", readBufferSize, iotest.OneByteReader, true},
	{"Read/16-byte buffer", 16, iotest.HalfReader, true},
}

func TestDotReader(t *testing.T) {
	for _, tt := range dotTests {
		for _, s := range readStrategies {
			t.Run(tt.name+"/"+s.name, func(t *testing.T) {
				wire := tt.wire
				if tt.want != nil {
					wire += next
				}
				got, err, rest := readBody(wire, s.bufSize, s.src, s.useRead)
				if tt.want == nil {
					if !errors.Is(err, mailerr.ErrProtocol) || !errors.Is(err, io.ErrUnexpectedEOF) {
						t.Fatalf("error %v, want ErrProtocol and io.ErrUnexpectedEOF", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if !bytes.Equal(got, tt.want) {
					t.Fatalf("got %d bytes %.60q..., want %d bytes %.60q...", len(got), got, len(tt.want), tt.want)
				}
				if rest != next {
					t.Fatalf("left %.40q after the terminator, want %q", rest, next)
				}
			})
		}
	}
}

// TestDotReaderAfterEnd checks that a body reader kept past its message returns EOF and
// never reads into the next reply.
func TestDotReaderAfterEnd(t *testing.T) {
	br := bufio.NewReader(strings.NewReader("a\r\n.\r\n" + next))
	d := newDotReader(br)
	if _, err := io.ReadAll(d); err != nil {
		t.Fatal(err)
	}
	if n, err := d.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read after the end = %d, %v", n, err)
	}
	if rest, _ := io.ReadAll(br); string(rest) != next {
		t.Errorf("left %q", rest)
	}
}

// TestDotReaderWriterError checks that a failing writer stops WriteTo and that drain then
// finds the end of the message.
func TestDotReaderWriterError(t *testing.T) {
	wire := strings.Repeat("line\r\n", 20000) + ".\r\n" + next
	br := bufio.NewReaderSize(strings.NewReader(wire), readBufferSize)
	d := newDotReader(br)
	boom := errors.New("disk full")
	if _, err := d.WriteTo(failWriter{boom}); err != boom {
		t.Fatalf("WriteTo error %v, want %v", err, boom)
	}
	if err := d.drain(); err != nil {
		t.Fatalf("drain: %v", err)
	}
	if rest, _ := io.ReadAll(br); string(rest) != next {
		t.Errorf("left %q", rest)
	}
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

// TestStuffRoundTrip checks the test helpers themselves against the table.
func TestStuffRoundTrip(t *testing.T) {
	for _, msg := range []string{"", "a", ".", "..\r\n", "a\r\n.\r\n", "x\n.y", "\r\n.\r\n.\r\n"} {
		got, err, rest := readBody(string(stuff([]byte(msg)))+next, readBufferSize, func(r io.Reader) io.Reader { return r }, false)
		if err != nil || !bytes.Equal(got, unstuffed([]byte(msg))) || rest != next {
			t.Errorf("round trip of %q = %q, %v, rest %q", msg, got, err, rest)
		}
	}
}

// BenchmarkDotReader measures unstuffing a 10 MB body of typical mail lines (76-byte
// lines, some stuffed, some long) from memory, so it shows the parser's own cost.
func BenchmarkDotReader(b *testing.B) {
	msg := benchMessage(10 << 20)
	wire := stuff(msg)
	for _, mode := range []string{"WriteTo", "Read"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(int64(len(wire)))
			b.ReportAllocs()
			br := bufio.NewReaderSize(nil, readBufferSize)
			buf := make([]byte, 32<<10)
			for b.Loop() {
				br.Reset(bytes.NewReader(wire))
				d := newDotReader(br)
				var n int64
				var err error
				if mode == "WriteTo" {
					n, err = d.WriteTo(io.Discard)
				} else {
					n, err = io.CopyBuffer(io.Discard, struct{ io.Reader }{d}, buf)
				}
				if err != nil || n != int64(len(msg)) {
					b.Fatalf("got %d bytes, %v; want %d", n, err, len(msg))
				}
			}
		})
	}
}

func benchMessage(size int) []byte {
	var b bytes.Buffer
	line := strings.Repeat("abcdefghij", 8)[:74]
	for i := 0; b.Len() < size; i++ {
		switch {
		case i%1000 == 999:
			b.WriteString(strings.Repeat("L", 8000) + "\r\n")
		case i%50 == 0:
			b.WriteString("." + line[1:] + "\r\n")
		default:
			b.WriteString(line + "\r\n")
		}
	}
	return b.Bytes()
}
