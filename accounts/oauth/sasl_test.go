package oauth

import (
	"errors"
	"testing"

	"github.com/emersion/go-sasl"
)

// The clients are what go-imap's Authenticate takes.
var _ sasl.Client = (*SASLClient)(nil)

func TestSASLInitialResponse(t *testing.T) {
	for _, tc := range []struct {
		name, mech, user, host string
		port                   int
		want                   string
	}{
		{"xoauth2", MechXOAuth2, "alice@example.test", "", 0, "user=alice@example.test\x01auth=Bearer TOKEN\x01\x01"},
		// RFC 7628 section 4.1's example, with our token.
		{"oauthbearer", MechOAuthBearer, "user@example.com", "server.example.com", 143,
			"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer TOKEN\x01\x01"},
		{"oauthbearer without authzid", MechOAuthBearer, "", "", 0, "n,,\x01auth=Bearer TOKEN\x01\x01"},
		{"oauthbearer escapes", MechOAuthBearer, "a,b=c", "", 0, "n,a=a=2Cb=3Dc,\x01auth=Bearer TOKEN\x01\x01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewSASLClient(tc.mech, tc.user, "TOKEN", tc.host, tc.port)
			if err != nil {
				t.Fatal(err)
			}
			mech, ir, err := c.Start()
			if err != nil || mech != tc.mech || string(ir) != tc.want {
				t.Errorf("Start = %s %q %v, want %q", mech, ir, err, tc.want)
			}
		})
	}
}

func TestSASLRefusesControlCharacters(t *testing.T) {
	for _, bad := range []string{"a\x01b", "a\r\nb"} {
		if _, err := NewSASLClient(MechXOAuth2, bad, "tok", "", 0); !errors.Is(err, errSASLField) {
			t.Errorf("user %q: err = %v", bad, err)
		}
		if _, err := NewSASLClient(MechOAuthBearer, "u", bad, "", 0); !errors.Is(err, errSASLField) {
			t.Errorf("token %q: err = %v", bad, err)
		}
	}
	if _, err := NewSASLClient("PLAIN", "u", "t", "", 0); err == nil {
		t.Error("PLAIN accepted")
	}
}

// TestSASLErrorChallenge: the server's error JSON is answered (so the server can send its
// final NO / -ERR) and kept; a second challenge is an error.
func TestSASLErrorChallenge(t *testing.T) {
	for mech, wantResp := range map[string]string{MechOAuthBearer: "\x01", MechXOAuth2: ""} {
		c, _ := NewSASLClient(mech, "u", "t", "", 0)
		if c.Failure() != nil {
			t.Fatal("failure before any challenge")
		}
		resp, err := c.Next([]byte(`{"status":"invalid_token","schemes":"bearer","scope":"https://mail.google.com/"}`))
		if err != nil || string(resp) != wantResp || resp == nil {
			t.Errorf("%s: Next = %q, %v; want %q", mech, resp, err, wantResp)
		}
		if f := c.Failure(); f == nil || f.Status != "invalid_token" || f.Scope != "https://mail.google.com/" {
			t.Errorf("%s: failure = %+v", mech, f)
		}
		if _, err := c.Next([]byte("again")); err == nil {
			t.Errorf("%s: second challenge accepted", mech)
		}
	}
	c, _ := NewSASLClient(MechXOAuth2, "u", "t", "", 0)
	c.Next([]byte("not json\x1b"))
	if f := c.Failure(); f == nil || f.Status == "" {
		t.Errorf("unreadable challenge: failure = %+v", f)
	}
}

func TestChooseMechanism(t *testing.T) {
	for _, tc := range []struct {
		offered []string
		want    string
	}{
		{[]string{"PLAIN", "XOAUTH2", "OAUTHBEARER"}, MechOAuthBearer},
		{[]string{"PLAIN", "xoauth2"}, MechXOAuth2}, // Microsoft
		{[]string{"PLAIN", "LOGIN"}, ""},
		{nil, ""},
	} {
		got, ok := ChooseMechanism(tc.offered)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("ChooseMechanism(%v) = %q, %v; want %q", tc.offered, got, ok, tc.want)
		}
	}
}

// FuzzSASLChallenge feeds arbitrary server challenges to both clients: they must answer
// the first with the mechanism's fixed response, keep only printable text, and refuse a
// second one.
func FuzzSASLChallenge(f *testing.F) {
	for _, s := range []string{
		`{"status":"invalid_token","schemes":"bearer","scope":"https://mail.google.com/"}`,
		`{"status":"401","schemes":"Bearer realm=\"x\"","scope":""}`,
		"", "null", `{"status":"\u001b[31m"}`, "\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, challenge []byte) {
		for _, mech := range []string{MechOAuthBearer, MechXOAuth2} {
			c, err := NewSASLClient(mech, "u", "t", "h", 1)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Next(challenge)
			if err != nil || (mech == MechOAuthBearer) != (len(resp) == 1) {
				t.Fatalf("%s: Next = %q, %v", mech, resp, err)
			}
			fl := c.Failure()
			for _, s := range []string{fl.Status, fl.Schemes, fl.Scope} {
				if safeText(s, len(s)) != s {
					t.Fatalf("%s: unsafe text %q kept", mech, s)
				}
			}
			if _, err := c.Next(challenge); err == nil {
				t.Fatalf("%s: second challenge accepted", mech)
			}
		}
	})
}
