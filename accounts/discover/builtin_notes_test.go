package discover

import (
	"slices"
	"testing"
)

// TestBuiltinNotesHaveCodes: every built-in hint carries a known code and its English
// text, so the app can word it in German and the command line in English.
func TestBuiltinNotesHaveCodes(t *testing.T) {
	check := func(where string, notes []Note) {
		for _, n := range notes {
			if !slices.Contains(NoteCodes, n.Code) || n.Text == "" {
				t.Errorf("%s: note %+v has no known code or no text", where, n)
			}
		}
	}
	for _, p := range providers {
		check(p.Name, p.Notes)
		for _, s := range p.Servers {
			check(p.Name+" "+s.Host, s.Notes)
		}
	}
}

func TestProviderNotes(t *testing.T) {
	codes := func(ns []Note) []NoteCode {
		var out []NoteCode
		for _, n := range ns {
			out = append(out, n.Code)
		}
		return out
	}
	for _, tc := range []struct {
		address, protocol string
		want              []NoteCode
	}{
		{"anna@gmail.com", ProtocolPOP3, []NoteCode{NoteGoogleSignIn, NoteGmailPOP}},
		{"anna@googlemail.com", ProtocolIMAP, []NoteCode{NoteGoogleSignIn}},
		{"Anna@Hotmail.DE", ProtocolIMAP, []NoteCode{NoteMicrosoftOAuth2}},
		{"anna@magenta.de", ProtocolPOP3, []NoteCode{NoteTelekomPassword}},
		{"anna@example.org", ProtocolIMAP, nil},
		{"not an address", ProtocolIMAP, nil},
	} {
		if got := codes(ProviderNotes(tc.address, tc.protocol)); !slices.Equal(got, tc.want) {
			t.Errorf("ProviderNotes(%q, %s) = %v, want %v", tc.address, tc.protocol, got, tc.want)
		}
	}
}
