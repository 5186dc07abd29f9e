package mailparse

import (
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Address is one mailbox of an address header. Addr may be empty when the header held
// only a name or could not be parsed.
type Address struct {
	Name string
	Addr string
}

// String formats the address for display: "Name <addr>", or whichever part exists.
func (a Address) String() string {
	switch {
	case a.Name == "":
		return a.Addr
	case a.Addr == "":
		return a.Name
	}
	return a.Name + " <" + a.Addr + ">"
}

var wordDecoder = &mime.WordDecoder{CharsetReader: wordCharsetReader}

// headerText decodes an unstructured header value (RFC 2047). Raw 8-bit bytes, which
// RFC 5322 forbids but old mailers send, are read as Windows-1252 unless valid UTF-8.
func headerText(raw string) (string, string) {
	defect := ""
	if !utf8.ValidString(raw) {
		if mostlyUTF8([]byte(raw)) {
			raw = strings.ToValidUTF8(raw, "\uFFFD")
			defect = "damaged UTF-8 in header; bad bytes replaced"
		} else {
			raw = win1252([]byte(raw))
			defect = "8-bit header read as Windows-1252"
		}
	}
	dec, err := wordDecoder.DecodeHeader(raw)
	if err == nil {
		// mime passes the bytes of a "utf-8" encoded word on unchecked.
		return strings.ToValidUTF8(dec, "\uFFFD"), defect
	}
	// One bad encoded word fails the whole header in mime; decode the others one by one.
	words := strings.Split(raw, " ")
	for i, w := range words {
		if d, werr := wordDecoder.Decode(w); werr == nil {
			words[i] = d
		}
	}
	return strings.ToValidUTF8(strings.Join(words, " "), "\uFFFD"), "header: " + err.Error()
}

// addressList parses an address header. When the list is not valid RFC 5322, it falls
// back to picking out anything that looks like an address, so the sender of a damaged
// message can still be searched.
func addressList(raw string) ([]Address, string) {
	if strings.TrimSpace(raw) == "" {
		return nil, ""
	}
	fixed := raw
	if !utf8.ValidString(fixed) {
		if mostlyUTF8([]byte(fixed)) {
			fixed = strings.ToValidUTF8(fixed, "\uFFFD")
		} else {
			fixed = win1252([]byte(fixed))
		}
	}
	p := mail.AddressParser{WordDecoder: wordDecoder}
	if list, err := p.ParseList(fixed); err == nil {
		out := make([]Address, len(list))
		for i, a := range list {
			out[i] = Address{Name: strings.ToValidUTF8(a.Name, "\uFFFD"), Addr: a.Address}
		}
		return out, ""
	}
	text, _ := headerText(fixed)
	var out []Address
	for _, part := range strings.Split(text, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		addr := looseAddr.FindString(part)
		name := strings.TrimSpace(strings.Replace(part, addr, "", 1))
		name = strings.Trim(name, `"'<> `)
		out = append(out, Address{Name: name, Addr: strings.Trim(addr, "<>")})
	}
	return out, "address list not RFC 5322; read loosely"
}

var looseAddr = regexp.MustCompile(`[^\s<>"',;:()]+@[^\s<>"',;:()]+`)

// parseDate reads a Date header. Besides RFC 5322 it accepts a trailing comment or junk
// after the zone, as seen in mail from old Windows clients.
func parseDate(raw string) (time.Time, string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return time.Time{}, ""
	}
	if t, err := mail.ParseDate(raw); err == nil {
		return t, ""
	}
	if i := strings.IndexByte(raw, '('); i > 0 {
		if t, err := mail.ParseDate(strings.TrimSpace(raw[:i])); err == nil {
			return t, ""
		}
	}
	return time.Time{}, "unreadable Date header"
}

// messageID strips the angle brackets of a Message-ID.
func messageID(raw string) string {
	raw = strings.ToValidUTF8(strings.TrimSpace(raw), "\uFFFD")
	if i := strings.IndexByte(raw, '<'); i >= 0 {
		if j := strings.IndexByte(raw[i:], '>'); j > 0 {
			return raw[i+1 : i+j]
		}
	}
	return raw
}
