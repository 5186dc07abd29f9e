package mailparse

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden is the part of a Message the golden files pin down.
type golden struct {
	MessageID   string
	Date        string
	From        []Address
	To          []Address
	Cc          []Address
	Subject     string
	Text        string
	HTML        bool
	Attachments []Attachment
	HasAttach   bool
	Defects     []string
}

func summary(m *Message) golden {
	g := golden{MessageID: m.MessageID, From: m.From, To: m.To, Cc: m.Cc, Subject: m.Subject,
		Text: m.Text, HTML: m.HTML != "", Attachments: m.Attachments, HasAttach: m.HasAttachments(),
		Defects: m.Defects}
	if !m.Date.IsZero() {
		g.Date = m.Date.UTC().Format(time.RFC3339)
	}
	return g
}

// TestGolden parses each message in testdata/ and compares the result with its .json
// golden file (go test -run TestGolden -update rewrites them).
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.eml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test messages: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(bytes.NewReader(raw), nil)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := json.MarshalIndent(summary(m), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			gf := strings.TrimSuffix(f, ".eml") + ".json"
			if *update {
				if err := os.WriteFile(gf, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gf)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("parse of %s differs from %s:\n%s", f, gf, got)
			}
		})
	}
}

// TestGerman checks the decoded words the search depends on, per charset and encoding.
func TestGerman(t *testing.T) {
	tests := []struct {
		file, field, want string
	}{
		{"utf8-8bit.eml", "subject", "Treffen in Köln"},
		{"latin1-qp.eml", "text", "herzliche Grüße"},
		{"latin1-qp.eml", "text", "lang, und diese Zeile"},
		{"latin1-qp.eml", "subject", "Grüße aus Düsseldorf"},
		{"latin1-qp.eml", "from", "Jürgen Müller <juergen@example.de>"},
		{"latin9-base64.eml", "text", "10 € für"},
		{"latin9-base64.eml", "subject", "Preis: 10 €"},
		{"windows1252-8bit.eml", "text", "“Angebot” kostet 99€ – gültig"},
		{"html-only.eml", "text", "Schöne Grüße aus München"},
		{"alternative.eml", "subject", "Einladung zum Frühstück"},
		{"alternative.eml", "text", "Kommt zum Frühstück am Sonntag."},
		{"unknown-charset.eml", "text", "Schöne Grüße aus Köln"},
		{"undeclared-8bit.eml", "subject", "Grüße ohne Kodierung"},
		{"undeclared-8bit.eml", "text", "äöü ÄÖÜ ß"},
		{"missing-boundary.eml", "text", "Köln"},
		{"forwarded.eml", "text", "Vertrag für die Wohnung"},
		{"damaged-utf8.eml", "text", "Grüße aus Köln, ein kaputtes Byte \uFFFD mitten"},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.field, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := Parse(f, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{"subject": m.Subject, "text": m.Text}
			if len(m.From) > 0 {
				got["from"] = m.From[0].String()
			}
			if !strings.Contains(got[tt.field], tt.want) {
				t.Errorf("%s = %q, want it to contain %q", tt.field, got[tt.field], tt.want)
			}
		})
	}
}

func TestAttachmentData(t *testing.T) {
	f, err := os.Open("testdata/attachment.eml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Parse(f, &Options{AttachmentData: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 3 {
		t.Fatalf("got %d attachments, want 3", len(m.Attachments))
	}
	pdf := m.Attachments[0]
	if want := bytes.Repeat([]byte("%PDF-1.4 fake pdf content\n"), 20); !bytes.Equal(pdf.Data, want) {
		t.Errorf("pdf data = %q", pdf.Data)
	}
	if pdf.Name != "Rechnung März.pdf" || pdf.Size != int64(len(pdf.Data)) {
		t.Errorf("pdf = %q, %d bytes", pdf.Name, pdf.Size)
	}
}

func TestMaxText(t *testing.T) {
	body := strings.Repeat("ä", 100)
	m, err := Parse(strings.NewReader("Subject: x\r\n\r\n"+body), &Options{MaxText: 51})
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != strings.Repeat("ä", 25) {
		t.Errorf("Text = %q (%d bytes), want 25 runes cut at a rune boundary", m.Text, len(m.Text))
	}
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

func TestReadError(t *testing.T) {
	boom := errors.New("disk gone")
	r := io.MultiReader(strings.NewReader("Subject: Teil\r\n"), failingReader{boom})
	m, err := Parse(r, nil)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
	if m == nil || m.Subject != "Teil" {
		t.Errorf("message = %+v, want the header read so far", m)
	}
}

// FuzzParse feeds untrusted bytes to Parse: it must not panic, must not fail without a
// reader error, and must return valid UTF-8.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n"))
	f.Add([]byte("Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\nSubject: deep\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(bytes.NewReader(b), &Options{AttachmentData: true})
		if err != nil {
			t.Fatalf("Parse failed on in-memory input: %v", err)
		}
		strs := []string{m.Subject, m.Text, m.HTML, m.MessageID}
		for _, a := range slices.Concat(m.From, m.To, m.Cc) {
			strs = append(strs, a.Name, a.Addr)
		}
		for _, a := range m.Attachments {
			strs = append(strs, a.Name, a.ContentType)
		}
		for _, s := range append(strs, m.Defects...) {
			if !utf8.ValidString(s) {
				t.Errorf("invalid UTF-8 in result: %q", s)
			}
		}
	})
}

// TestAttachmentSizes checks that the sizes counted without decoding (the index's way)
// equal the decoded sizes.
func TestAttachmentSizes(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		counted, _ := Parse(bytes.NewReader(raw), nil)
		decoded, _ := Parse(bytes.NewReader(raw), &Options{AttachmentData: true})
		for i, a := range decoded.Attachments {
			if c := counted.Attachments[i].Size; c != a.Size {
				t.Errorf("%s attachment %d: counted %d bytes, decoded %d", f, i, c, a.Size)
			}
		}
	}
}
