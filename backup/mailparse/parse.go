package mailparse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"

	mtp "github.com/emersion/go-message/textproto"
)

// Message is what Parse read from a stored message. Header fields are decoded to UTF-8.
type Message struct {
	MessageID string // without angle brackets
	// Date is the Date header; zero when it is missing or unreadable.
	Date    time.Time
	From    []Address
	To      []Address
	Cc      []Address
	Subject string
	// Text is the body as plain text: the text/plain parts, or, where a part exists only
	// as HTML, that HTML reduced to text. At most Options.MaxText bytes.
	Text string
	// HTML is the first text/html part, decoded to UTF-8, for showing it in a browser.
	HTML        string
	Attachments []Attachment
	// Defects lists what could not be read as the standards say; the fields above hold
	// whatever could be read anyway.
	Defects []string
}

// Attachment is a non-text part of a message, or a part sent as an attachment.
type Attachment struct {
	Name        string // file name, decoded (RFC 2047/2231); may be empty
	ContentType string // lower-case media type, e.g. "application/pdf"
	// Inline is true for parts the sender marked "inline" (such as pictures inside an
	// HTML mail): shown in the message rather than offered as a file.
	Inline bool
	Size   int64  // decoded size in bytes
	Data   []byte // decoded content; only with Options.AttachmentData
}

// HasAttachments reports whether the message carries an attachment that is not inline.
func (m *Message) HasAttachments() bool {
	for _, a := range m.Attachments {
		if !a.Inline {
			return true
		}
	}
	return false
}

// Options tune Parse. A nil options pointer is equivalent to a zero options value.
type Options struct {
	// AttachmentData keeps each attachment's decoded bytes in Attachment.Data, for a
	// reader that offers "save as". The index leaves it off and only counts sizes.
	AttachmentData bool
	// MaxText caps Message.Text in bytes; 0 means DefaultMaxText.
	MaxText int
}

// DefaultMaxText is the default cap on Message.Text: enough for any letter, while a
// pasted log file of many megabytes does not bloat the search index.
const DefaultMaxText = 256 << 10

// Limits against hostile nesting: deeper or further parts are not read (a defect is
// recorded), the rest of the message is.
const (
	maxDepth = 16
	maxParts = 500
)

// Parse reads a message. Damaged input never fails it: it returns what could be read
// and lists the problems in Message.Defects. The error is non-nil only when r fails.
func Parse(r io.Reader, opt *Options) (*Message, error) {
	p := &parser{msg: &Message{}, maxText: DefaultMaxText}
	if opt != nil {
		p.keepData = opt.AttachmentData
		if opt.MaxText > 0 {
			p.maxText = opt.MaxText
		}
	}
	rr := &recordingReader{r: r}
	p.message(bufio.NewReader(rr), 0)
	if rr.err != nil {
		return p.msg, fmt.Errorf("mailparse: %w", rr.err)
	}
	return p.msg, nil
}

// message reads a header and body into p.msg; depth counts the enclosing entities.
func (p *parser) message(br *bufio.Reader, depth int) {
	h := p.readHeader(br)
	m := p.msg
	var d string
	m.MessageID = messageID(h.Get("Message-Id"))
	m.Date, d = parseDate(h.Get("Date"))
	p.defect(d)
	m.Subject, d = headerText(h.Get("Subject"))
	p.defect(d)
	m.From, d = addressList(h.Get("From"))
	p.defect(d)
	m.To, d = addressList(strings.Join(h.Values("To"), ", "))
	p.defect(d)
	m.Cc, d = addressList(strings.Join(h.Values("Cc"), ", "))
	p.defect(d)

	text, _ := p.entity(h, br, depth)
	m.Text = truncate(text, p.maxText)
}

type parser struct {
	msg      *Message
	keepData bool
	maxText  int
	parts    int
}

func (p *parser) defect(d string) {
	if d != "" && len(p.msg.Defects) < 50 {
		p.msg.Defects = append(p.msg.Defects, truncate(strings.ToValidUTF8(d, "\uFFFD"), 200))
	}
}

// readHeader reads a header block. go-message stops at a malformed line; reading goes on
// after it so that one bad line does not hide the Subject below it.
func (p *parser) readHeader(br *bufio.Reader) textproto.MIMEHeader {
	out := textproto.MIMEHeader{}
	for range 1000 {
		h, err := mtp.ReadHeader(br)
		for f := h.Fields(); f.Next(); {
			out.Add(f.Key(), f.Value())
		}
		if err == nil {
			return out
		}
		if _, perr := br.Peek(1); perr != nil {
			if len(out) == 0 || !errors.Is(err, io.EOF) {
				p.defect("header: " + err.Error())
			}
			return out
		}
		p.defect("header: " + err.Error())
	}
	return out
}

// entity reads one MIME entity and returns its text and whether that text came from a
// text/plain part (preferred over HTML inside multipart/alternative).
func (p *parser) entity(h textproto.MIMEHeader, body io.Reader, depth int) (string, bool) {
	mt, params := mediaType(h.Get("Content-Type"), p)
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	if name != "" {
		var d string
		name, d = headerText(name)
		p.defect(d)
	}
	cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding")))

	switch {
	case strings.HasPrefix(mt, "multipart/"):
		if depth >= maxDepth {
			p.defect("multipart nested too deep; inner parts not read")
			return "", false
		}
		if params["boundary"] == "" {
			p.defect("multipart without boundary; read as text")
			return p.text(body, cte, params["charset"], false)
		}
		return p.multipart(mt, params["boundary"], body, depth)
	case mt == "message/rfc822" && depth < maxDepth:
		// A forwarded message: offered as an attachment, its text searched with the
		// enclosing message's.
		raw, err := io.ReadAll(transferDecoder(cte, body, p))
		if err != nil {
			p.defect("attached message: " + err.Error())
		}
		inner := &parser{msg: &Message{}, maxText: p.maxText, parts: p.parts}
		inner.message(bufio.NewReader(bytes.NewReader(raw)), depth+1)
		p.parts = inner.parts
		for _, d := range inner.msg.Defects {
			p.defect("attached message: " + d)
		}
		im := inner.msg
		if name == "" {
			name = im.Subject + ".eml"
		}
		a := Attachment{Name: name, ContentType: mt, Inline: disp == "inline", Size: int64(len(raw))}
		if p.keepData {
			a.Data = raw
		}
		p.msg.Attachments = append(p.msg.Attachments, a)
		return im.Subject + "\n" + im.Text, true
	case disp == "attachment" || !strings.HasPrefix(mt, "text/") || (name != "" && disp != "inline"):
		p.attachment(name, mt, disp == "inline", cte, body)
		return "", false
	case mt == "text/html":
		html, _ := p.text(body, cte, params["charset"], false)
		if p.msg.HTML == "" {
			p.msg.HTML = html
		}
		return htmlToText(html), false
	default:
		return p.text(body, cte, params["charset"], true)
	}
}

// mediaType parses Content-Type; missing or unreadable means text/plain (RFC 2045
// section 5.2).
func mediaType(v string, p *parser) (string, map[string]string) {
	if strings.TrimSpace(v) == "" {
		return "text/plain", map[string]string{}
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		p.defect("content-type: " + err.Error())
		if mt == "" {
			mt, _, _ = strings.Cut(v, ";")
			mt = strings.ToValidUTF8(strings.ToLower(strings.TrimSpace(mt)), "\uFFFD")
		}
		if params == nil {
			params = map[string]string{}
		}
	}
	if !strings.Contains(mt, "/") {
		mt = "text/plain"
	}
	return mt, params
}

func (p *parser) multipart(mt, boundary string, body io.Reader, depth int) (string, bool) {
	mr := mtp.NewMultipartReader(body, boundary)
	var texts []string
	plain, chosen := false, ""
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			p.defect("multipart: " + err.Error())
			break
		}
		p.parts++
		if p.parts > maxParts {
			p.defect("too many parts; the rest not read")
			break
		}
		ph := textproto.MIMEHeader{}
		for f := part.Header.Fields(); f.Next(); {
			ph.Add(f.Key(), f.Value())
		}
		text, isPlain := p.entity(ph, part, depth+1)
		if mt == "multipart/alternative" {
			if text != "" && (chosen == "" || isPlain && !plain) {
				chosen, plain = text, isPlain
			}
			continue
		}
		if text != "" {
			texts = append(texts, text)
			plain = plain || isPlain
		}
	}
	if mt == "multipart/alternative" {
		return chosen, plain
	}
	return strings.Join(texts, "\n"), plain
}

// text reads a text part, decoding transfer encoding and charset, up to the text cap.
func (p *parser) text(body io.Reader, cte, charset string, plain bool) (string, bool) {
	b, err := io.ReadAll(io.LimitReader(transferDecoder(cte, body, p), int64(p.maxText)))
	if err != nil {
		p.defect("text part: " + err.Error())
	}
	if len(b) == p.maxText {
		b = trimPartialRune(b)
	}
	s, d := decodeText(b, charset)
	p.defect(d)
	return strings.ReplaceAll(s, "\r\n", "\n"), plain
}

func (p *parser) attachment(name, mt string, inline bool, cte string, body io.Reader) {
	a := Attachment{Name: name, ContentType: mt, Inline: inline}
	var err error
	switch {
	case p.keepData:
		a.Data, err = io.ReadAll(transferDecoder(cte, body, p))
		a.Size = int64(len(a.Data))
	case cte == "base64":
		var c base64Size
		_, err = io.Copy(&c, body)
		a.Size = c.size()
	default:
		a.Size, err = io.Copy(io.Discard, transferDecoder(cte, body, p))
	}
	if err != nil {
		p.defect(fmt.Sprintf("attachment %q: %v", name, err))
	}
	p.msg.Attachments = append(p.msg.Attachments, a)
}

// trimPartialRune drops a UTF-8 sequence cut off at the end of b by the text cap, so
// that the cut alone does not make the text look like another charset.
func trimPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// truncate cuts s to at most n bytes at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// recordingReader remembers the first error of the underlying reader other than EOF, so
// Parse can tell a failing disk from a damaged message.
type recordingReader struct {
	r   io.Reader
	err error
}

func (r *recordingReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}
