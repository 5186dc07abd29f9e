package oauth

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

const testState = "c3RhdGUtb2YtdGhpcy1zaWduLWlu"

var redirectCases = []struct {
	name, method, path, query string
	want                      error // nil: accepted
}{
	{"code", "GET", "/", "code=abc&state=" + testState, nil},
	{"code and iss", "GET", "/", "code=abc&state=" + testState + "&iss=https%3A%2F%2Fissuer.example", nil},
	{"favicon", "GET", "/favicon.ico", "", errNotRedirect},
	{"other path with answer", "GET", "/callback", "code=abc&state=" + testState, errNotRedirect},
	{"post", "POST", "/", "code=abc&state=" + testState, ErrMalformedRedirect},
	{"bad state", "GET", "/", "code=abc&state=x", ErrBadState},
	{"state prefix", "GET", "/", "code=abc&state=" + testState[:10], ErrBadState},
	{"no state", "GET", "/", "code=abc", ErrBadState},
	{"empty query", "GET", "/", "", ErrBadState},
	{"error with bad state", "GET", "/", "error=access_denied&state=x", ErrBadState},
	{"denied", "GET", "/", "error=access_denied&state=" + testState, ErrDenied},
	{"no code", "GET", "/", "state=" + testState, ErrMissingCode},
	{"empty error with code", "GET", "/", "error=&code=abc&state=" + testState, ErrMalformedRedirect},
	{"error with code", "GET", "/", "error=server_error&code=abc&state=" + testState, &AuthError{}},
	{"two codes", "GET", "/", "code=a&code=b&state=" + testState, ErrMalformedRedirect},
	{"two errors", "GET", "/", "error=a&error=b&state=" + testState, ErrMalformedRedirect},
	{"bad escape", "GET", "/", "code=%zz&state=" + testState, ErrMalformedRedirect},
	{"other issuer", "GET", "/", "code=abc&state=" + testState + "&iss=https%3A%2F%2Fevil.example", ErrMalformedRedirect},
	{"newline in code", "GET", "/", "code=a%0Ab&state=" + testState, ErrMalformedRedirect},
	{"huge code", "GET", "/", "code=" + strings.Repeat("a", maxCodeLength+1) + "&state=" + testState, ErrMalformedRedirect},
}

var redirectProvider = Provider{Name: "test", Issuer: "https://issuer.example"}

func TestParseRedirect(t *testing.T) {
	for _, tc := range redirectCases {
		t.Run(tc.name, func(t *testing.T) {
			code, err := parseRedirect(tc.method, tc.path, tc.query, redirectProvider, testState)
			_, wantAuthError := tc.want.(*AuthError)
			switch {
			case tc.want == nil && (err != nil || code != "abc"):
				t.Errorf("got %q, %v; want code abc", code, err)
			case wantAuthError && !errors.As(err, new(*AuthError)):
				t.Errorf("got %q, %v; want an *AuthError", code, err)
			case tc.want != nil && !wantAuthError && !errors.Is(err, tc.want):
				t.Errorf("got %q, %v; want %v", code, err, tc.want)
			}
		})
	}
}

// FuzzRedirect feeds arbitrary requests to the loopback parser: it must never panic,
// and it may accept only a GET at "/" whose single state parameter is this sign-in's
// and whose code is present, short and printable.
func FuzzRedirect(f *testing.F) {
	for _, tc := range redirectCases {
		f.Add(tc.method, tc.path, tc.query)
	}
	f.Fuzz(func(t *testing.T, method, path, query string) {
		code, err := parseRedirect(method, path, query, redirectProvider, testState)
		if err != nil {
			if code != "" {
				t.Fatalf("code %q returned with error %v", code, err)
			}
			return
		}
		q, perr := url.ParseQuery(query)
		switch {
		case method != "GET" || path != "/":
			t.Fatalf("accepted %s %s", method, path)
		case perr != nil:
			t.Fatalf("accepted an unparsable query %q", query)
		case len(q["state"]) != 1 || q.Get("state") != testState:
			t.Fatalf("accepted state %q", q["state"])
		case len(q["code"]) != 1 || q.Get("code") != code || code == "" || len(code) > maxCodeLength:
			t.Fatalf("accepted code %q from %q", code, query)
		case q.Has("error"):
			t.Fatalf("accepted an error answer %q", query)
		case strings.ContainsFunc(code, func(r rune) bool { return r < 0x20 || r > 0x7e }):
			t.Fatalf("accepted code with control characters %q", code)
		}
	})
}
