package export

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// sources writes test messages to files and returns them as export input, oldest last
// (the order a search returns them in).
func sources(t *testing.T) ([]Message, [][]byte) {
	t.Helper()
	golden, err := filepath.Glob("../mailparse/testdata/*.eml")
	if err != nil || len(golden) == 0 {
		t.Fatalf("no test messages: %v", err)
	}
	var raws [][]byte
	for _, g := range golden {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 0 {
			raws = append(raws, b)
		}
	}
	tricky, err := filepath.Glob("testdata/*.eml")
	if err != nil || len(tricky) == 0 {
		t.Fatalf("no mbox test messages: %v", err)
	}
	for _, g := range tricky {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, b)
	}
	dir := t.TempDir()
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	var msgs []Message
	for i, b := range raws {
		f := filepath.Join(dir, strings.Repeat("m", i+1))
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, Message{File: f, Date: base.Add(-time.Duration(i) * time.Hour),
			From: "Anna Müller <anna@example.de>", Subject: "Grüße / Nr. " + strings.Repeat("x", i)})
	}
	return msgs, raws
}

func TestEML(t *testing.T) {
	msgs, raws := sources(t)
	dir := filepath.Join(t.TempDir(), "out")
	var last Progress
	st, err := EML(context.Background(), dir, msgs, &Options{Progress: func(p Progress) { last = p }})
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages != len(msgs) || len(st.Files) != len(msgs) || last != (Progress{len(msgs), len(msgs)}) {
		t.Fatalf("stats %+v, last progress %+v", st, last)
	}
	var total int64
	for i, f := range st.Files {
		got, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, raws[i]) {
			t.Errorf("%s is not byte-identical to message %d", f, i)
		}
		total += int64(len(got))
	}
	if st.Bytes != total {
		t.Errorf("Bytes = %d, want %d", st.Bytes, total)
	}
	// Sorted by name is sorted by date: the input is newest first.
	names := slices.Clone(st.Files)
	sort.Strings(names)
	slices.Reverse(names)
	if !slices.Equal(names, st.Files) {
		t.Errorf("names do not sort by date:\n%v", st.Files)
	}
	if want := "2024-05-01_120000_Grüße-Nr.eml"; filepath.Base(st.Files[0]) != want {
		t.Errorf("first name %q, want %q", filepath.Base(st.Files[0]), want)
	}
	// A second export into the same folder keeps the first files and numbers the new ones.
	st2, err := EML(context.Background(), dir, msgs[:1], nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "2024-05-01_120000_Grüße-Nr_2.eml"; filepath.Base(st2.Files[0]) != want {
		t.Errorf("second export named %q, want %q", filepath.Base(st2.Files[0]), want)
	}
}

func TestEMLCancel(t *testing.T) {
	msgs, _ := sources(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	st, err := EML(ctx, dir, msgs, &Options{Progress: func(Progress) {
		calls++
		cancel()
	}})
	if !errors.Is(err, context.Canceled) || st.Messages != 1 {
		t.Errorf("err %v after %d messages, want context.Canceled after 1", err, st.Messages)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("%d files left, want the one finished", len(ents))
	}
}

func TestEMLMissingSource(t *testing.T) {
	msgs := []Message{{File: filepath.Join(t.TempDir(), "gone")}}
	if _, err := EML(context.Background(), t.TempDir(), msgs, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want not-exist", err)
	}
}

func TestSlug(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Re: Rechnung 03/2024", "Re-Rechnung-03-2024"},
		{"  ", ""},
		{`a\b:c*d?e"f<g>h|i`, "a-b-c-d-e-f-g-h-i"},
		{"Grüße aus Köln!!!", "Grüße-aus-Köln"},
		{strings.Repeat("ab ", 30), strings.TrimSuffix(strings.Repeat("ab-", 13), "-") + "-a"},
	}
	for _, tt := range tests {
		if got := slug(tt.in); got != tt.want {
			t.Errorf("slug(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// readMboxrd is an independent mboxrd reader: messages start at "From " lines that
// follow an empty line (or start the file); the empty line before a separator belongs
// to the format; one '>' is removed from lines matching ^>+From .
func readMboxrd(t *testing.T, data []byte) [][]byte {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("From ")) {
		t.Fatalf("mbox does not start with a From line: %q", data[:min(len(data), 40)])
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	var msgs [][]byte
	var cur *bytes.Buffer
	for i, l := range lines {
		if bytes.HasPrefix(l, []byte("From ")) && (i == 0 || bytes.Equal(lines[i-1], []byte("\n"))) {
			if cur != nil {
				msgs = append(msgs, bytes.TrimSuffix(cur.Bytes(), []byte("\n")))
			}
			cur = &bytes.Buffer{}
			continue
		}
		if quoted.Match(l) {
			l = l[1:]
		}
		cur.Write(l)
	}
	if cur != nil {
		msgs = append(msgs, bytes.TrimSuffix(cur.Bytes(), []byte("\n")))
	}
	return msgs
}

var quoted = regexp.MustCompile(`^>+From `)

// withFinalNewline is what an mbox keeps of a message: one without a final line end
// gets one.
func withFinalNewline(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] != '\n' {
		return append(slices.Clone(b), '\n')
	}
	return b
}

func exportMbox(t *testing.T) (string, []Message, [][]byte) {
	t.Helper()
	msgs, raws := sources(t)
	path := filepath.Join(t.TempDir(), "export.mbox")
	st, err := Mbox(context.Background(), path, msgs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Messages != len(msgs) || !slices.Equal(st.Files, []string{path}) {
		t.Fatalf("stats %+v", st)
	}
	return path, msgs, raws
}

func TestMboxRoundTrip(t *testing.T) {
	path, msgs, raws := exportMbox(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := readMboxrd(t, data)
	if len(got) != len(raws) {
		t.Fatalf("read back %d messages, want %d", len(got), len(raws))
	}
	for i := range raws {
		if !bytes.Equal(got[i], withFinalNewline(raws[i])) {
			t.Errorf("message %d (%s) differs after the round trip:\n got %q\nwant %q", i, msgs[i].File, got[i], raws[i])
		}
	}
	if first := string(data[:strings.IndexByte(string(data), '\n')]); first != "From anna@example.de Wed May  1 12:00:00 2024" {
		t.Errorf("first From line %q", first)
	}
	// Every body line that starts with "From " was quoted.
	for _, l := range bytes.Split(data, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("From ")) && !bytes.HasPrefix(l, []byte("From anna@example.de ")) {
			t.Errorf("unquoted body line in the mbox: %q", l)
		}
	}
}

// TestMboxPython reads the export back with Python's mailbox module (the reader many
// tools build on): same count, same bytes apart from the quoting.
func TestMboxPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	path, _, raws := exportMbox(t)
	script := `
import base64, json, mailbox, sys
box = mailbox.mbox(sys.argv[1], create=False)
print(json.dumps([base64.b64encode(box.get_bytes(k)).decode() for k in box.keys()]))
`
	out, err := exec.Command(py, "-c", script, path).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var got []string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(raws) {
		t.Fatalf("python read %d messages, want %d", len(got), len(raws))
	}
	for i, g := range got {
		b, err := base64.StdEncoding.DecodeString(g)
		if err != nil {
			t.Fatal(err)
		}
		// Python's mbox does not undo the quoting; undo it here.
		lines := bytes.SplitAfter(b, []byte("\n"))
		for j, l := range lines {
			if quoted.Match(l) {
				lines[j] = l[1:]
			}
		}
		if b = bytes.Join(lines, nil); !bytes.Equal(b, withFinalNewline(raws[i])) {
			t.Errorf("message %d differs as read by python:\n got %q\nwant %q", i, b, raws[i])
		}
	}
}

func TestMboxNeverOverwritesNorLeavesPartial(t *testing.T) {
	msgs, _ := sources(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "x.mbox")
	if err := os.WriteFile(path, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Mbox(context.Background(), path, msgs, nil); !errors.Is(err, ErrExists) {
		t.Errorf("err = %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep" {
		t.Errorf("existing file changed to %q", b)
	}

	ctx, cancel := context.WithCancel(context.Background())
	path = filepath.Join(dir, "cancelled.mbox")
	_, err := Mbox(ctx, path, msgs, &Options{Progress: func(Progress) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("files after a cancelled export: %v, want only x.mbox", ents)
	}
}
