package imapcopy

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"
)

var crlfCases = []struct{ in, want string }{
	{"", ""},
	{"a\nb\n", "a\r\nb\r\n"},
	{"a\r\nb", "a\r\nb"},
	{"a\r\r\nb", "a\r\nb"},
	{"a\rb", "a\rb"},
	{"a\r\rb\r", "a\r\rb"},
	{"\n", "\r\n"},
	{"\r\r\r", ""},
	{"x\x00y", "x\x80y"},
	{"\r\n\n\r\n", "\r\n\r\n\r\n"},
}

// imapForm is the reference for crlfReader, written the slow and obvious way.
func imapForm(in []byte) []byte {
	var out []byte
	crs := 0
	for _, b := range in {
		switch b {
		case '\r':
			crs++
			continue
		case '\n':
			out = append(out, '\r', '\n')
			crs = 0
			continue
		}
		out = append(out, bytes.Repeat([]byte{'\r'}, crs)...)
		crs = 0
		if b == 0 {
			b = 0x80
		}
		out = append(out, b)
	}
	return out
}

func TestCRLFReader(t *testing.T) {
	for _, c := range crlfCases {
		got, err := io.ReadAll(iotest.OneByteReader(newCRLFReader(bytes.NewReader([]byte(c.in)))))
		if err != nil || string(got) != c.want {
			t.Errorf("crlf(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// FuzzCRLFReader: the streaming reader equals the reference, whatever the read sizes.
func FuzzCRLFReader(f *testing.F) {
	for _, c := range crlfCases {
		f.Add([]byte(c.in), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		r := newCRLFReader(bytes.NewReader(in))
		var got []byte
		buf := make([]byte, int(chunk)%17+1)
		for {
			n, err := r.Read(buf)
			got = append(got, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if want := imapForm(in); !bytes.Equal(got, want) {
			t.Fatalf("crlf(%q) = %q, want %q", in, got, want)
		}
	})
}
