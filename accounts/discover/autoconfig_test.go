package discover

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/autoconfig")

// TestParseAutoconfigGolden parses every testdata/autoconfig/*.xml and compares the result
// (or the error) with the .golden file next to it. Run with -update after a deliberate
// change and review the diff.
func TestParseAutoconfigGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/autoconfig/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test documents: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".xml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got := goldenForm(parseAutoconfig(bytes.NewReader(data)))
			golden := strings.TrimSuffix(file, ".xml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestParseAutoconfigGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("parse %s:\n got: %s\nwant: %s", file, got, want)
			}
		})
	}
}

func goldenForm(a *autoconfig, err error) []byte {
	var v any = a
	if err != nil {
		v = map[string]string{"error": err.Error()}
	}
	out, _ := json.MarshalIndent(v, "", "  ")
	return append(out, '\n')
}

// TestParseAutoconfigRejects checks that hostile documents fail for the intended reason.
func TestParseAutoconfigRejects(t *testing.T) {
	for _, tc := range []struct {
		file string
		want error
	}{
		{"billion-laughs.xml", errDirective},
		{"external-entity.xml", errDirective},
		{"doctype-only.xml", errDirective},
		{"empty.xml", errEmpty},
		{"no-provider.xml", errNoProvider},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata/autoconfig", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := parseAutoconfig(bytes.NewReader(data)); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// validDoc is a small valid document; pad goes into a comment before the root.
func validDoc(pad string) string {
	return `<?xml version="1.0"?><!--` + pad + `--><clientConfig version="1.1"><emailProvider id="x">` +
		`<incomingServer type="imap"><hostname>imap.example.com</hostname><port>993</port>` +
		`<socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>`
}

func TestParseAutoconfigSizeLimit(t *testing.T) {
	base := len(validDoc(""))
	atLimit := validDoc(strings.Repeat(" ", maxDocumentSize-base))
	if len(atLimit) != maxDocumentSize {
		t.Fatalf("test document is %d bytes", len(atLimit))
	}
	if _, err := parseAutoconfig(strings.NewReader(atLimit)); err != nil {
		t.Errorf("document of exactly 1 MiB: %v", err)
	}
	// One byte more, and an endless stream: both stop at the limit.
	if _, err := parseAutoconfig(strings.NewReader(atLimit + " ")); !errors.Is(err, errTooLarge) {
		t.Errorf("1 MiB + 1: err = %v, want errTooLarge", err)
	}
	if _, err := parseAutoconfig(endless{}); !errors.Is(err, errTooLarge) {
		t.Errorf("endless stream: err = %v, want errTooLarge", err)
	}
}

// endless is a reader that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

func TestParseAutoconfigNesting(t *testing.T) {
	deep := strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000)
	doc := strings.Replace(validDoc(""), "<emailProvider", deep+"<emailProvider", 1)
	if _, err := parseAutoconfig(strings.NewReader(doc)); !errors.Is(err, errTooDeep) {
		t.Errorf("err = %v, want errTooDeep", err)
	}
}

func TestParseAutoconfigTooManyServers(t *testing.T) {
	server := `<incomingServer type="imap"><hostname>imap.example.com</hostname><port>993</port><socketType>SSL</socketType></incomingServer>`
	doc := `<clientConfig><emailProvider>` + strings.Repeat(server, 1000) + `</emailProvider></clientConfig>`
	a, err := parseAutoconfig(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Servers) != maxServers || len(a.Warnings) != 1 {
		t.Errorf("got %d servers, warnings %q; want %d and one warning", len(a.Servers), a.Warnings, maxServers)
	}
}

// TestAutoconfigCandidates fills in the placeholders for a real address.
func TestAutoconfigCandidates(t *testing.T) {
	data, err := os.ReadFile("testdata/autoconfig/placeholders.xml")
	if err != nil {
		t.Fatal(err)
	}
	a, err := parseAutoconfig(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	addr, err := parseAddress("Anna.Beispiel@Example.ORG")
	if err != nil {
		t.Fatal(err)
	}
	fs, problems := a.candidates(addr, SourceAutoconfig, "test")
	if len(problems) != 0 {
		t.Errorf("problems: %q", problems)
	}
	want := []struct{ host, user string }{
		{"imap.example.org", "Anna.Beispiel"},
		{"pop3.hoster.example", "Anna.Beispiel+example.org"},
		{"imap.hoster.example", "Anna.Beispiel@example.org"}, // %REALNAME% replaced by the address
		{"imap.hoster.example", "Anna.Beispiel@example.org"}, // no <username>
	}
	if len(fs) != len(want) {
		t.Fatalf("got %d candidates, want %d", len(fs), len(want))
	}
	for i, w := range want {
		if fs[i].Host != w.host || fs[i].Username != w.user {
			t.Errorf("candidate %d: %s / %s, want %s / %s", i, fs[i].Host, fs[i].Username, w.host, w.user)
		}
	}

	// A local part that cannot be part of a host name makes that server unusable.
	doc := strings.Replace(validDoc(""), "imap.example.com", "%EMAILLOCALPART%.example.com", 1)
	a, err = parseAutoconfig(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	addr, _ = parseAddress("a_b@example.com")
	if fs, problems := a.candidates(addr, SourceAutoconfig, "test"); len(fs) != 0 || len(problems) != 1 {
		t.Errorf("got %d candidates, problems %q; want 0 and one problem", len(fs), problems)
	}
}

// FuzzParseAutoconfig feeds arbitrary bytes to the parser: it must not panic, and whatever
// it accepts must satisfy the checks the rest of the package relies on.
func FuzzParseAutoconfig(f *testing.F) {
	files, _ := filepath.Glob("testdata/autoconfig/*.xml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(validDoc("")))
	addr, _ := parseAddress("fuzz.user@example.com")
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := parseAutoconfig(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(data) > maxDocumentSize {
			t.Fatalf("accepted a %d-byte document", len(data))
		}
		if bytes.Contains(data, []byte("<!DOCTYPE")) && !bytes.Contains(data, []byte("<!--")) && !bytes.Contains(data, []byte("CDATA")) {
			t.Fatalf("accepted a DOCTYPE")
		}
		if len(a.Servers) > maxServers || len(a.Notes) > maxNotes {
			t.Fatalf("limits exceeded: %d servers, %d notes", len(a.Servers), len(a.Notes))
		}
		for _, s := range a.Servers {
			if s.Protocol != ProtocolIMAP && s.Protocol != ProtocolPOP3 {
				t.Fatalf("protocol %q", s.Protocol)
			}
			if s.Port < 1 || s.Port > 65535 {
				t.Fatalf("port %d", s.Port)
			}
			if _, ok := securityOrder[s.Security]; !ok {
				t.Fatalf("security %q", s.Security)
			}
		}
		fs, _ := a.candidates(addr, SourceAutoconfig, "fuzz")
		for _, c := range fs {
			if !accounts.ValidHostname(c.Host) {
				t.Fatalf("candidate host %q", c.Host)
			}
			if strings.ContainsFunc(c.Username+c.Provider+fmt.Sprint(c.Notes), isControl) {
				t.Fatalf("control character in %q / %q / %q", c.Username, c.Provider, c.Notes)
			}
		}
	})
}
