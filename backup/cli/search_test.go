package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/postfach/postfach/internal/testkit/dovecottest"
)

// searchCorpus is a small German mailbox with the cases issue 11 names: an encoded
// "Köln" in a subject, "Grüße" in a Latin-1 quoted-printable body, an attachment, and a
// body line starting with "From " for the mbox quoting. Newest first by Date.
var searchCorpus = []string{
	"From: Anna Schmidt <anna@example.de>\r\nTo: ich@example.org\r\nSubject: =?UTF-8?Q?Treffen_in_K=C3=B6ln?=\r\n" +
		"Date: Mon, 10 Jun 2024 09:00:00 +0200\r\nMessage-ID: <koeln@example.de>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\nWir sehen uns am Dom.\r\nFrom here on, bring an umbrella.\r\n",
	"From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <juergen@example.com>\r\nTo: ich@example.org\r\nSubject: Urlaub\r\n" +
		"Date: Fri, 15 Mar 2024 18:30:00 +0100\r\nMessage-ID: <urlaub@example.com>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"Viele Gr=FC=DFe aus M=FCnchen!\r\n",
	"From: Buchhaltung <rechnung@firma.example>\r\nTo: ich@example.org\r\nSubject: Rechnung 2023-12\r\n" +
		"Date: Tue, 02 Jan 2024 08:00:00 +0100\r\nMessage-ID: <rechnung@firma.example>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"Anbei die Rechnung.\r\n--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=rechnung.pdf\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n",
}

// searchHit is the part of a `postfach search --json` hit the tests read.
type searchHit struct {
	MessageID string `json:"message_id"`
	Date      string `json:"date"`
	From      string `json:"from"`
	Subject   string `json:"subject"`
	Size      int64  `json:"size"`
	File      string `json:"file"`
}

func searchJSON(t *testing.T, env *Env, args ...string) []searchHit {
	t.Helper()
	r := runCLI(t, env, "", append([]string{"search", "--json"}, args...)...)
	if r.code != ExitOK {
		t.Fatalf("search %v: %+v", args, r)
	}
	var hits []searchHit
	if err := json.Unmarshal([]byte(r.stdout), &hits); err != nil {
		t.Fatalf("search %v: %v in %q", args, err, r.stdout)
	}
	return hits
}

func subjects(hits []searchHit) []string {
	var s []string
	for _, h := range hits {
		s = append(s, h.Subject)
	}
	return s
}

// TestSearchExportAgainstDovecot backs up a real POP3 mailbox and then searches,
// filters, exports and re-indexes it through the command line.
func TestSearchExportAgainstDovecot(t *testing.T) {
	srv := dovecottest.Start(t)
	pop := srv.AddUser(t, "searchpop", "pop-secret", 100)
	for _, m := range searchCorpus {
		pop.Deliver(t, []byte(m))
	}
	env := newEnv(t)
	env.Roots = srv.CertPool
	backupDir := filepath.Join(t.TempDir(), "backup")
	r := runCLI(t, env, "pop-secret\n", "account", "add", "--name", "Home", "--email", "searchpop@example.org",
		"--protocol", "pop3", "--host", srv.Host, "--port", strconv.Itoa(srv.POP3SPort), "--username", "searchpop",
		"--password-stdin", "--backup-dir", backupDir, "--keep-forever")
	if r.code != 0 {
		t.Fatalf("add: %+v", r)
	}
	if r := runCLI(t, env, "", "backup", "Home"); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(backupDir, ".postfach", "search.db")); err == nil {
		t.Fatal("the first backup built an index nobody asked for")
	}

	// The first search builds the index; the JSON shape is that of the issue.
	r = runCLI(t, env, "", "search", "Home", "--json")
	for _, key := range []string{`"message_id"`, `"date"`, `"from"`, `"subject"`, `"size"`, `"file"`} {
		if !strings.Contains(r.stdout, key) {
			t.Errorf("search --json lacks %s: %s", key, r.stdout)
		}
	}
	all := searchJSON(t, env, "Home")
	if want := []string{"Treffen in Köln", "Urlaub", "Rechnung 2023-12"}; !slices.Equal(subjects(all), want) {
		t.Fatalf("all, newest first: %q, want %q", subjects(all), want)
	}
	for _, h := range all {
		if h.MessageID == "" || h.Size == 0 || !strings.HasPrefix(h.File, backupDir) {
			t.Errorf("hit %+v", h)
		}
	}

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"lower-case umlaut", []string{"Home", "köln"}, []string{"Treffen in Köln"}},
		{"without umlaut", []string{"Home", "koeln"}, []string{"Treffen in Köln"}},
		{"Latin-1 QP body", []string{"Home", "grüße"}, []string{"Urlaub"}},
		{"encoded sender", []string{"Home", "müller"}, []string{"Urlaub"}},
		{"attachment name", []string{"Home", "rechnung.pdf"}, []string{"Rechnung 2023-12"}},
		{"two words", []string{"Home", "viele", "münchen"}, []string{"Urlaub"}},
		{"no hit", []string{"Home", "hamburg"}, nil},
		{"from", []string{"Home", "--from", "firma.example"}, []string{"Rechnung 2023-12"}},
		{"since", []string{"Home", "--since", "2024-03-01"}, []string{"Treffen in Köln", "Urlaub"}},
		{"before", []string{"Home", "--before", "2024-03-01"}, []string{"Rechnung 2023-12"}},
		{"range", []string{"Home", "--since", "2024-01-10", "--before", "2024-06-01"}, []string{"Urlaub"}},
		{"attachment", []string{"Home", "--attachment"}, []string{"Rechnung 2023-12"}},
		{"limit", []string{"Home", "--limit", "1"}, []string{"Treffen in Köln"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := subjects(searchJSON(t, env, tt.args...)); !slices.Equal(got, tt.want) {
				t.Errorf("search %v = %q, want %q", tt.args, got, tt.want)
			}
		})
	}
	if r := runCLI(t, env, "", "search", "Home", "grüße"); r.code != 0 || !strings.Contains(r.stdout, "Urlaub") ||
		!strings.Contains(r.stdout, "Jürgen Müller") {
		t.Errorf("search as a table: %+v", r)
	}

	// .eml: byte-identical to the stored messages, names sorted by date.
	emlDir := filepath.Join(t.TempDir(), "eml")
	if r := runCLI(t, env, "", "export", "Home", "--to", emlDir); r.code != 0 || !strings.Contains(r.stdout, "3 messages") {
		t.Fatalf("export eml: %+v", r)
	}
	ents, err := os.ReadDir(emlDir)
	if err != nil || len(ents) != 3 {
		t.Fatalf("exported %v (%v)", ents, err)
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	sort.Strings(names)
	for i, h := range all {
		got, err := os.ReadFile(filepath.Join(emlDir, names[len(names)-1-i]))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(h.File)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not byte-identical to %s", names[len(names)-1-i], h.File)
		}
	}

	// mbox with a query: one mboxrd file in the folder, body "From " lines quoted.
	mboxDir := filepath.Join(t.TempDir(), "mbox")
	if r := runCLI(t, env, "", "export", "Home", "--to", mboxDir, "--format", "mbox", "köln"); r.code != 0 {
		t.Fatalf("export mbox: %+v", r)
	}
	files, _ := filepath.Glob(filepath.Join(mboxDir, "*.mbox"))
	if len(files) != 1 {
		t.Fatalf("mbox files %v", files)
	}
	data, _ := os.ReadFile(files[0])
	if !bytes.HasPrefix(data, []byte("From anna@example.de ")) || !bytes.Contains(data, []byte("\n>From here on")) ||
		bytes.Count(data, []byte("\nFrom ")) != 0 {
		t.Errorf("mbox:\n%s", data)
	}
	// A second mbox export into the same folder on the same day refuses to overwrite.
	if r := runCLI(t, env, "", "export", "Home", "--to", mboxDir, "--format", "mbox"); r.code != ExitFail {
		t.Errorf("second mbox export: %+v", r)
	}

	// A message delivered later is found after the next backup, without "index".
	pop.Deliver(t, []byte("From: Carla <carla@example.it>\r\nSubject: Ciao aus Köln\r\nDate: Wed, 12 Jun 2024 10:00:00 +0200\r\n\r\nSaluti\r\n"))
	if r := runCLI(t, env, "", "backup", "Home"); r.code != 0 || strings.Contains(r.stdout, "note:") {
		t.Fatalf("second backup: %+v", r)
	}
	if got := subjects(searchJSON(t, env, "Home", "köln")); !slices.Equal(got, []string{"Ciao aus Köln", "Treffen in Köln"}) {
		t.Errorf("after the second backup: %q", got)
	}

	// A damaged index is discarded and rebuilt, never trusted.
	if err := os.WriteFile(filepath.Join(backupDir, ".postfach", "search.db"), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := searchJSON(t, env, "Home", "grüße"); len(got) != 1 {
		t.Errorf("after damage: %q", subjects(got))
	}
	r = runCLI(t, env, "", "index", "Home", "--rebuild")
	if r.code != 0 || !strings.Contains(r.stdout, "4 messages indexed, 4 added") {
		t.Errorf("index --rebuild: %+v", r)
	}
	if r := runCLI(t, env, "", "index", "Home"); r.code != 0 || !strings.Contains(r.stdout, "4 messages indexed, 0 added") {
		t.Errorf("index: %+v", r)
	}
}

func TestSearchUsageAndFailures(t *testing.T) {
	env := newEnv(t)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"search"}, ExitUsage, "account name"},
		{[]string{"search", "X", "--since", "1.3.2024"}, ExitUsage, "YYYY-MM-DD"},
		{[]string{"search", "X", "--limit", "0"}, ExitUsage, "--limit"},
		{[]string{"export", "X"}, ExitUsage, "--to"},
		{[]string{"export", "X", "--to", "d", "--format", "pst"}, ExitUsage, "eml or mbox"},
		{[]string{"index"}, ExitUsage, "exactly one"},
		{[]string{"search", "Nobody", "x"}, ExitFail, "no account"},
		{[]string{"index", "Nobody"}, ExitFail, "no account"},
	}
	for _, tt := range tests {
		r := runCLI(t, env, "", tt.args...)
		if r.code != tt.code || !strings.Contains(strings.ToLower(r.stderr), strings.ToLower(tt.want)) {
			t.Errorf("%v: code %d, stderr %q; want %d and %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
}
