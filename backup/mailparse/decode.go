package mailparse

import (
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

func (f *base64Filter) Read(b []byte) (int, error) {
	for {
		n, err := f.r.Read(b)
		k := 0
		for _, c := range b[:n] {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
				b[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}
