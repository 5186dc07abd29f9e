// Package mailgen writes synthetic but realistic mailboxes into a Maildir for tests and
// benchmarks of the search index and the export: German and English text with a long
// tail of rare words, the usual encodings and charsets (UTF-8 and ISO-8859-1,
// quoted-printable and base64), HTML alternatives and attachments, dated over five
// years. The output is deterministic for a seed.
package mailgen

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/postfach/postfach/backup/maildir"
)

// Stats describes a generated mailbox.
type Stats struct {
	Messages int
	Bytes    int64 // sum of the stored message sizes
}

// common words, most frequent first; rare words are made up from syllables.
var common = strings.Fields(`und die der ich das nicht ist sie zu ein es mit den auf
	für sich von dem wir Sie auch bitte Grüße Dank Rechnung Termin Angebot Bestellung Köln
	München Düsseldorf Straße Mittwoch Freitag Woche Jahr gestern morgen heute schön
	Frühstück Büro Unterlagen Vertrag Wohnung Müller Schmidt Größe Änderung Übersicht
	the and to of you for is on in meeting invoice please thanks regards attached report
	project schedule budget review draft update order delivery customer account payment
	Zahlung Konto Lieferung Kunde Projekt Bericht Entwurf Anhang Besprechung Urlaub`)

var syllables = strings.Fields(`ka me lo ri tu sa ne bo fi da ge ha ju ke lu mi no pa
	ro su ta we zi ber ster ling mann heim dorf tor lich ung keit schaft`)

var firstNames = strings.Fields(`Anna Bernd Clara Dieter Eva Frank Jürgen Hanna Ingrid
	Jonas Katrin Lukas Maria Nils Olga Peter Ruth Stefan Tina Uwe`)
var lastNames = strings.Fields(`Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker
	Schulz Hoffmann Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Krüger`)
var domains = strings.Fields(`example.de example.com beispiel.de firma.example post.example`)

// Generator makes messages; New seeds it.
type Generator struct {
	r     *rand.Rand
	rare  []string
	zipf  *rand.Zipf
	start time.Time
}

// New returns a generator for a seed.
func New(seed uint64) *Generator {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	g := &Generator{r: r, start: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)}
	g.rare = make([]string, 30000)
	for i := range g.rare {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syllables[r.IntN(len(syllables))])
		}
		g.rare[i] = b.String()
	}
	g.zipf = rand.NewZipf(r, 1.1, 2, uint64(len(common)+len(g.rare)-1))
	return g
}

func (g *Generator) word() string {
	i := int(g.zipf.Uint64())
	if i < len(common) {
		return common[i]
	}
	return g.rare[i-len(common)]
}

func (g *Generator) text(n int) string {
	var b strings.Builder
	for b.Len() < n {
		words := 6 + g.r.IntN(12)
		for i := range words {
			w := g.word()
			if i == 0 {
				r, n := utf8.DecodeRuneInString(w)
				w = string(unicode.ToUpper(r)) + w[n:]
			}
			b.WriteString(w)
			if i < words-1 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(". ")
		if g.r.IntN(4) == 0 {
			b.WriteString("\r\n\r\n")
		}
	}
	return b.String()
}

func (g *Generator) person() (name, addr string) {
	f, l := firstNames[g.r.IntN(len(firstNames))], lastNames[g.r.IntN(len(lastNames))]
	d := domains[g.r.IntN(len(domains))]
	a := strings.NewReplacer("ü", "ue", "ö", "oe", "ä", "ae").Replace(strings.ToLower(f + "." + l))
	return f + " " + l, a + "@" + d
}

// Message returns message number i and its date.
func (g *Generator) Message(i int) ([]byte, time.Time) {
	date := g.start.Add(time.Duration(i)*4*time.Hour + time.Duration(g.r.IntN(3600))*time.Second)
	fromName, from := g.person()
	toName, to := g.person()
	// One line: the text has paragraph breaks, and a line break in a header ends the
	// header block (the Date and Message-ID after it would become body).
	subject := strings.Join(strings.Fields(g.text(20)), " ")
	if len(subject) > 60 {
		subject = subject[:strings.LastIndexByte(subject[:60], ' ')] // cut at a space: valid UTF-8
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n", from)
	fmt.Fprintf(&b, "Received: from mail.%s by mx.example.net with ESMTPS id %08x; %s\r\n", domains[i%len(domains)], g.r.Uint32(), date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\n", encodeAddr(fromName, from), encodeAddr(toName, to))
	fmt.Fprintf(&b, "Subject: %s\r\nDate: %s\r\n", encodeWord(subject), date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%d.%08x@%s>\r\nMIME-Version: 1.0\r\n", i, g.r.Uint32(), domains[i%len(domains)])
	body := g.text(2000 + g.r.IntN(14000))
	switch kind := g.r.IntN(20); {
	case kind < 6:
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
		b.Write(qp([]byte(body)))
	case kind < 10:
		latin, _ := charmap.ISO8859_1.NewEncoder().Bytes([]byte(body))
		b.WriteString("Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
		b.Write(qp(latin))
	case kind < 16:
		b.WriteString("Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\n")
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
		b.Write(qp([]byte(body)))
		b.WriteString("\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		html := "<html><body><p>" + strings.ReplaceAll(body, "\r\n\r\n", "</p><p>") + "</p></body></html>"
		b.Write(b64([]byte(html)))
		b.WriteString("\r\n--alt--\r\n")
	default:
		b.WriteString("Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\n")
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		b.WriteString(body)
		name := g.word() + "-" + fmt.Sprint(i) + ".pdf"
		fmt.Fprintf(&b, "\r\n--mix\r\nContent-Type: application/pdf; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", name, name)
		att := make([]byte, 50_000+g.r.IntN(300_000))
		for j := range att {
			att[j] = byte(g.r.Uint32())
		}
		b.Write(b64(att))
		b.WriteString("\r\n--mix--\r\n")
	}
	return b.Bytes(), date
}

func encodeAddr(name, addr string) string {
	return encodeWord(name) + " <" + addr + ">"
}

// encodeWord applies RFC 2047 where the text is not ASCII, as mailers do.
func encodeWord(s string) string {
	for _, c := range s {
		if c > 127 {
			return "=?utf-8?q?" + strings.NewReplacer(" ", "_").Replace(string(qpWord(s))) + "?="
		}
	}
	return s
}

func qpWord(s string) []byte {
	var b bytes.Buffer
	for _, c := range []byte(s) {
		if c > 127 || c == '=' || c == '?' || c == '_' {
			fmt.Fprintf(&b, "=%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.Bytes()
}

func qp(b []byte) []byte {
	var out bytes.Buffer
	w := quotedprintable.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func b64(b []byte) []byte {
	s := base64.StdEncoding.EncodeToString(b)
	var out bytes.Buffer
	for len(s) > 76 {
		out.WriteString(s[:76])
		out.WriteString("\r\n")
		s = s[76:]
	}
	out.WriteString(s)
	return out.Bytes()
}

// Fill stores messages first..first+n-1 of the generator into the Maildir at dir
// (created if needed), in batches, and returns what it wrote.
func (g *Generator) Fill(dir string, first, n int) (Stats, error) {
	md, err := maildir.Create(dir)
	if err != nil {
		return Stats{}, err
	}
	defer md.Close()
	var st Stats
	var batch []*maildir.Pending
	for i := first; i < first+n; i++ {
		msg, date := g.Message(i)
		p, err := md.Create(maildir.Key{UIDL: fmt.Sprintf("gen%07d", i)}, date.Add(time.Minute))
		if err != nil {
			return st, err
		}
		if _, err := p.Write(msg); err != nil {
			p.Abort()
			return st, err
		}
		if err := p.Finish(); err != nil {
			return st, err
		}
		batch = append(batch, p)
		st.Messages++
		st.Bytes += int64(len(msg))
		if len(batch) == 500 || i == first+n-1 {
			if err := md.Commit(batch); err != nil {
				return st, err
			}
			batch = batch[:0]
		}
	}
	return st, nil
}
