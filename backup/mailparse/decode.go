package mailparse

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime/quotedprintable"
)

// transferDecoder undoes a Content-Transfer-Encoding (RFC 2045 section 6). Unknown
// encodings are passed through unchanged, which keeps their text searchable.
func transferDecoder(cte string, r io.Reader, p *parser) io.Reader {
	switch cte {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.RawStdEncoding, &base64Filter{r: r})
	case "", "7bit", "8bit", "binary":
		return r
	}
	p.defect("unknown transfer encoding " + cte + "; read as is")
	return r
}

// base64Filter passes on only the base64 alphabet: line breaks, stray spaces and padding
// are dropped, so that base64 with missing or misplaced '=' still decodes (RFC 2045
// section 6.8 says to ignore characters outside the alphabet).
type base64Filter struct{ r io.Reader }

// base64Alphabet marks the bytes base64Filter keeps.
var base64Alphabet = func() (t [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		t[c] = true
	}
	return t
}()

func (f *base64Filter) Read(b []byte) (int, error) {
	for {
		n, err := f.r.Read(b)
		k := 0
		for _, c := range b[:n] {
			b[k] = c
			if base64Alphabet[c] {
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// base64Size counts the bytes a base64 body decodes to without decoding it: three
// bytes for every four characters of the alphabet. The index needs only sizes, and this
// is several times faster than decoding.
type base64Size struct{ chars int64 }

func (c *base64Size) Write(b []byte) (int, error) {
	other := bytes.Count(b, []byte{'\n'}) + bytes.Count(b, []byte{'\r'}) + bytes.Count(b, []byte{'='})
	if bytes.IndexAny(b, " \t") >= 0 {
		other = 0
		for _, x := range b {
			if !base64Alphabet[x] {
				other++
			}
		}
	}
	c.chars += int64(len(b) - other)
	return len(b), nil
}

func (c *base64Size) size() int64 { return c.chars * 3 / 4 }
