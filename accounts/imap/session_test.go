package imap

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/trust"
)

const okGreeting = "* OK Fake IMAP ready"

// TestCheckImplicitTLS checks the connection test: one session that logs in, reads the
// quota and logs out.
func TestCheckImplicitTLS(t *testing.T) {
	f := newFake(okGreeting, nil)
	f.implicitTLS = true
	rep, state, err := Check(context.Background(), fakeAddr, "alice", fakePass, f.options(SecurityTLS))
	if err != nil {
		t.Fatal(err)
	}
	caps := rep.Caps
	if state == nil || len(state.PeerCertificates) == 0 || state.ServerName != fakeHost {
		t.Errorf("TLS state = %+v", state)
	}
	if !slices.Contains(caps, "QUOTA") || !slices.IsSorted(caps) {
		t.Errorf("caps = %q, want the sorted post-login set", caps)
	}
	f.wait(t)
	if cmds := f.commands(); !slices.Equal(cmds, []string{"CAPABILITY@tls", "LOGIN@tls", "GETQUOTAROOT@tls", "LOGOUT@tls"}) {
		t.Errorf("client sent %q", cmds)
	}
}

func TestUntrustedCertificate(t *testing.T) {
	for _, sec := range []string{SecurityTLS, SecurityStartTLS} {
		t.Run(sec, func(t *testing.T) {
			f := newFake(okGreeting, nil)
			f.implicitTLS = sec == SecurityTLS
			opts := f.options(sec)
			opts.TLSConfig = trust.Config(fakeHost, nil) // system roots: the fake CA is unknown
			_, _, err := Check(context.Background(), fakeAddr, "alice", fakePass, opts)
			var ce *trust.CertError
			if !errors.Is(err, trust.ErrUntrusted) || !errors.As(err, &ce) || ce.Fingerprint == "" {
				t.Fatalf("Check = %v, want a *trust.CertError", err)
			}
			f.wait(t)
			f.assertNoCredentials(t)
		})
	}
}

func TestPlaintext(t *testing.T) {
	f := newFake(okGreeting, map[string]string{"CAPABILITY": "* CAPABILITY IMAP4rev1\r\n{tag} OK done"})
	opts := f.options(SecurityNone)
	opts.AllowPlaintext = false
	if _, err := Fetch(context.Background(), fakeAddr, "alice", fakePass, opts, false); !errors.Is(err, mailerr.ErrPlaintextRefused) {
		t.Fatalf("without opt-in: %v, want ErrPlaintextRefused", err)
	}
	if n := f.dials.Load(); n != 0 {
		t.Fatalf("dialled %d times before refusing plaintext", n)
	}
	opts.AllowPlaintext = true
	rep, err := Fetch(context.Background(), fakeAddr, "alice", fakePass, opts, false)
	if err != nil || !rep.Supported {
		t.Fatalf("with opt-in: %+v, %v", rep, err)
	}
	f.wait(t)
}

func TestLoginDisabled(t *testing.T) {
	f := newFake(okGreeting, map[string]string{"CAPABILITY": "* CAPABILITY IMAP4rev1 LOGINDISABLED\r\n{tag} OK done"})
	_, err := Fetch(context.Background(), fakeAddr, "alice", fakePass, f.options(SecurityNone), false)
	var se *mailerr.ServerError
	if !errors.As(err, &se) || se.Code != "LOGINDISABLED" {
		t.Fatalf("Fetch = %v, want a LOGINDISABLED ServerError", err)
	}
	f.wait(t)
	f.assertNoCredentials(t)
}

func TestPreauthImplicitTLS(t *testing.T) {
	// PREAUTH is legitimate on an already encrypted connection: no LOGIN needed.
	f := newFake("* PREAUTH [CAPABILITY IMAP4rev1 QUOTA] welcome back", nil)
	f.implicitTLS = true
	rep, err := Fetch(context.Background(), fakeAddr, "alice", fakePass, f.options(SecurityTLS), false)
	if err != nil || !rep.Supported {
		t.Fatalf("Fetch = %+v, %v", rep, err)
	}
	f.wait(t)
	f.assertNoCredentials(t)
}

func TestLoginErrors(t *testing.T) {
	tests := []struct {
		name, resp string
		want       error
	}{
		{"AUTHENTICATIONFAILED", "{tag} NO [AUTHENTICATIONFAILED] Authentication failed.", mailerr.ErrAuthFailed},
		{"plain NO", "{tag} NO Login failed", mailerr.ErrAuthFailed},
		{"EXPIRED", "{tag} NO [EXPIRED] Password expired", mailerr.ErrAuthFailed},
		{"UNAVAILABLE", "{tag} NO [UNAVAILABLE] Backend down", mailerr.ErrTemporary},
		{"echoes the password", "{tag} NO Bad password " + fakePass, mailerr.ErrAuthFailed},
		{"BAD", "{tag} BAD Syntax error", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(okGreeting, map[string]string{"LOGIN": tt.resp})
			f.implicitTLS = true
			_, _, err := Check(context.Background(), fakeAddr, "alice", fakePass, f.options(SecurityTLS))
			var se *mailerr.ServerError
			if err == nil || !errors.As(err, &se) {
				t.Fatalf("Check = %v, want a *mailerr.ServerError", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Check = %v, want %v", err, tt.want)
			}
			if tt.want == nil && (errors.Is(err, mailerr.ErrAuthFailed) || errors.Is(err, mailerr.ErrTemporary)) {
				t.Errorf("BAD classified as %v", err)
			}
			if strings.Contains(err.Error(), fakePass) {
				t.Errorf("password in error text: %v", err)
			}
			f.wait(t)
		})
	}
}

func TestNoQuotaCapability(t *testing.T) {
	f := newFake(okGreeting, map[string]string{"LOGIN": "{tag} OK [CAPABILITY IMAP4rev1 LIST-STATUS STATUS=SIZE] ok"})
	f.implicitTLS = true
	rep, err := Fetch(context.Background(), fakeAddr, "alice", fakePass, f.options(SecurityTLS), false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Supported {
		t.Error("Supported without QUOTA")
	}
	if _, _, ok := rep.Storage(); ok {
		t.Error("Storage ok without QUOTA")
	}
	if _, ok := rep.Percent(); ok {
		t.Error("Percent known without QUOTA: the bar would show 0 %")
	}
	f.wait(t)
	if slices.Contains(f.commands(), "GETQUOTAROOT@tls") {
		t.Error("GETQUOTAROOT sent without QUOTA")
	}

	// The dedicated call says why.
	f = newFake(okGreeting, map[string]string{"LOGIN": "{tag} OK [CAPABILITY IMAP4rev1] ok"})
	f.implicitTLS = true
	s, err := Connect(context.Background(), fakeAddr, f.options(SecurityTLS))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Login("alice", fakePass); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Quota(); !errors.Is(err, mailerr.ErrQuotaUnsupported) {
		t.Errorf("Quota = %v, want ErrQuotaUnsupported", err)
	}
}

const maxKiB = math.MaxInt64 / 1024

// quotaAnswerTests are GETQUOTAROOT answers and what Fetch must make of them; they also
// seed FuzzQuotaResponse.
var quotaAnswerTests = []struct {
	name     string
	resp     string
	wantErr  error
	want     []Root
	used     int64
	limit    int64
	storage  bool
	pct      float64
	pctKnown bool
	support  bool
}{
	{
		name: "several roots, the fullest wins",
		resp: "* QUOTAROOT INBOX user domain\r\n" +
			"* QUOTA user (STORAGE 10 100 MESSAGE 5 1000)\r\n" +
			"* QUOTA domain (STORAGE 900 1000)\r\n{tag} OK done",
		want: []Root{
			{"user", []Resource{{"MESSAGE", 5, 1000}, {"STORAGE", 10240, 102400}}},
			{"domain", []Resource{{"STORAGE", 921600, 1024000}}},
		},
		used: 921600, limit: 1024000, storage: true, pct: 90, pctKnown: true, support: true,
	},
	{
		name: "usage above limit",
		resp: "* QUOTAROOT INBOX r\r\n* QUOTA r (STORAGE 150 100)\r\n{tag} OK done",
		want: []Root{{"r", []Resource{{"STORAGE", 153600, 102400}}}},
		used: 153600, limit: 102400, storage: true, pct: 150, pctKnown: true, support: true,
	},
	{
		name: "limit 0",
		resp: "* QUOTAROOT INBOX r\r\n* QUOTA r (STORAGE 5 0)\r\n{tag} OK done",
		want: []Root{{"r", []Resource{{"STORAGE", 5120, 0}}}},
		used: 5120, limit: 0, storage: true, support: true,
	},
	{
		name: "largest int64 KiB saturates",
		resp: "* QUOTAROOT INBOX r\r\n* QUOTA r (STORAGE 9223372036854775807 9223372036854775807)\r\n{tag} OK done",
		want: []Root{{"r", []Resource{{"STORAGE", math.MaxInt64, math.MaxInt64}}}},
		used: math.MaxInt64, limit: math.MaxInt64, storage: true, pct: 100, pctKnown: true, support: true,
	},
	{
		name: "exactly at the overflow edge",
		resp: "* QUOTAROOT INBOX r\r\n* QUOTA r (STORAGE 1 " + itoa(maxKiB) + ")\r\n{tag} OK done",
		want: []Root{{"r", []Resource{{"STORAGE", 1024, maxKiB * 1024}}}},
		used: 1024, limit: maxKiB * 1024, storage: true, pct: 100 * 1024 / float64(maxKiB*1024), pctKnown: true, support: true,
	},
	{
		name:    "beyond int64",
		resp:    "* QUOTAROOT INBOX r\r\n* QUOTA r (STORAGE 99999999999999999999 1)\r\n{tag} OK done",
		wantErr: mailerr.ErrProtocol,
	},
	{
		name:    "negative",
		resp:    "* QUOTAROOT INBOX r\r\n* QUOTA r (STORAGE -5 100)\r\n{tag} OK done",
		wantErr: mailerr.ErrProtocol,
	},
	{
		name:    "literal of 2^63 bytes announced",
		resp:    "* QUOTAROOT INBOX {9223372036854775807}\r\nshort",
		wantErr: mailerr.ErrTimeout, // the rest never comes; the deadline ends it
	},
	{
		name: "no roots: nothing limits INBOX",
		resp: "* QUOTAROOT INBOX\r\n{tag} OK done",
		want: nil, support: true,
	},
	{
		name: "only MESSAGE",
		resp: "* QUOTAROOT INBOX r\r\n* QUOTA r (MESSAGE 7 10)\r\n{tag} OK done",
		want: []Root{{"r", []Resource{{"MESSAGE", 7, 10}}}}, support: true,
	},
	{
		name: "lower-case resource, duplicate root, unknown root ignored",
		resp: "* QUOTAROOT INBOX r\r\n* QUOTA r (storage 1 2)\r\n* QUOTA r (STORAGE 50 100)\r\n" +
			"* QUOTA other (STORAGE 99 100)\r\n{tag} OK done",
		want: []Root{{"r", []Resource{{"STORAGE", 1024, 2048}}}},
		used: 1024, limit: 2048, storage: true, pct: 50, pctKnown: true, support: true,
	},
	{
		name: "GETQUOTAROOT refused",
		resp: "{tag} NO [NONEXISTENT] no quota here",
		want: nil, support: false,
	},
}

// Odd but parseable answers give a sensible report; unparseable
// ones end the session with ErrProtocol (the bar then shows "unknown").
func TestQuotaAnswers(t *testing.T) {
	tests := quotaAnswerTests
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(okGreeting, map[string]string{"GETQUOTAROOT": tt.resp})
			f.implicitTLS = true
			opts := f.options(SecurityTLS)
			opts.Timeout = time.Second
			rep, err := Fetch(context.Background(), fakeAddr, "alice", fakePass, opts, false)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Fetch = %+v, %v; want %v", rep, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.Supported != tt.support || !rootsEqual(rep.Roots, tt.want) {
				t.Errorf("Supported, Roots = %v, %+v; want %v, %+v", rep.Supported, rep.Roots, tt.support, tt.want)
			}
			used, limit, ok := rep.Storage()
			if used != tt.used || limit != tt.limit || ok != tt.storage {
				t.Errorf("Storage = %d, %d, %v; want %d, %d, %v", used, limit, ok, tt.used, tt.limit, tt.storage)
			}
			pct, ok := rep.Percent()
			if ok != tt.pctKnown || math.Abs(pct-tt.pct) > 1e-9 {
				t.Errorf("Percent = %v, %v; want %v, %v", pct, ok, tt.pct, tt.pctKnown)
			}
			f.wait(t)
		})
	}
}

func TestFolders(t *testing.T) {
	const list = `* LIST (\Noselect \HasChildren) "/" Archive` + "\r\n" +
		`* LIST (\HasNoChildren) "/" INBOX` + "\r\n" +
		`* LIST (\HasNoChildren \Trash) "/" Trash` + "\r\n" +
		`* LIST (\HasNoChildren) "/" Broken` + "\r\n{tag} OK done"
	tests := []struct {
		name string
		caps string
		resp map[string]string
		want []Folder
		cmds []string
	}{
		{
			name: "STATUS with SIZE, pipelined",
			caps: "IMAP4rev1 QUOTA STATUS=SIZE",
			resp: map[string]string{
				"LIST":          list,
				"STATUS":        "* STATUS {arg1} (MESSAGES 2 SIZE 2048)\r\n{tag} OK done",
				"STATUS Trash":  "* STATUS Trash (MESSAGES 0 SIZE 0)\r\n{tag} OK done",
				"STATUS Broken": "{tag} NO [SERVERBUG] cannot open mailbox",
			},
			want: []Folder{{"Broken", -1, -1}, {"INBOX", 2, 2048}, {"Trash", 0, 0}},
			cmds: []string{"LIST@tls", "STATUS@tls", "STATUS@tls", "STATUS@tls"},
		},
		{
			name: "STATUS without SIZE",
			caps: "IMAP4rev1 QUOTA",
			resp: map[string]string{
				"LIST":   list,
				"STATUS": "{tag} NO [NONEXISTENT] gone",
			},
			want: []Folder{{"Broken", -1, -1}, {"INBOX", -1, -1}, {"Trash", -1, -1}},
			cmds: []string{"LIST@tls", "STATUS@tls", "STATUS@tls", "STATUS@tls"},
		},
		{
			name: "LIST-STATUS without STATUS=SIZE",
			caps: "IMAP4rev1 QUOTA LIST-EXTENDED LIST-STATUS",
			resp: map[string]string{
				"LIST": `* LIST () "/" INBOX` + "\r\n* STATUS INBOX (MESSAGES 4)\r\n" +
					`* LIST () "/" Drafts` + "\r\n{tag} OK done",
			},
			want: []Folder{{"Drafts", -1, -1}, {"INBOX", 4, -1}},
			cmds: []string{"LIST@tls"},
		},
		{
			name: "IMAP4rev2 implies LIST-STATUS and STATUS=SIZE",
			caps: "IMAP4rev2 QUOTA",
			resp: map[string]string{
				"LIST": `* LIST () "/" INBOX` + "\r\n* STATUS INBOX (MESSAGES 4 SIZE 999)\r\n" +
					`* LIST () "/" INBOX` + "\r\n{tag} OK done", // duplicate dropped
			},
			want: []Folder{{"INBOX", 4, 999}},
			cmds: []string{"LIST@tls"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := map[string]string{"LOGIN": "{tag} OK [CAPABILITY " + tt.caps + "] ok"}
			for k, v := range tt.resp {
				resp[k] = v
			}
			f := newFake(okGreeting, resp)
			f.implicitTLS = true
			s, err := Connect(context.Background(), fakeAddr, f.options(SecurityTLS))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Login("alice", fakePass); err != nil {
				t.Fatal(err)
			}
			got, err := s.Folders()
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Folders = %+v, want %+v", got, tt.want)
			}
			f.wait(t)
			cmds := f.commands()
			cmds = cmds[2 : len(cmds)-1] // drop CAPABILITY, LOGIN, LOGOUT
			if !slices.Equal(cmds, tt.cmds) {
				t.Errorf("client sent %q, want %q", cmds, tt.cmds)
			}
		})
	}
}

// A server that never answers, or keeps talking without ever finishing, is cut off at
// the session deadline; a cancelled context ends the session at once.
func TestDeadlines(t *testing.T) {
	tests := []struct {
		name      string
		greeting  string
		responses map[string]string
		cancel    bool
		want      error
	}{
		{name: "no greeting", greeting: silent, responses: map[string]string{"CAPABILITY": silent}, want: mailerr.ErrTimeout},
		{name: "silent after greeting", greeting: okGreeting, responses: map[string]string{"CAPABILITY": silent}, want: mailerr.ErrTimeout},
		{name: "silent after login", greeting: okGreeting, responses: map[string]string{"GETQUOTAROOT": silent}, want: mailerr.ErrTimeout},
		{name: "endless untagged lines", greeting: okGreeting, responses: map[string]string{"GETQUOTAROOT": endless}, want: mailerr.ErrTimeout},
		{name: "cancelled", greeting: okGreeting, responses: map[string]string{"CAPABILITY": silent}, cancel: true, want: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(tt.greeting, tt.responses)
			f.implicitTLS = true
			opts := f.options(SecurityTLS)
			opts.Timeout = 700 * time.Millisecond
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				opts.Timeout = time.Hour
				time.AfterFunc(200*time.Millisecond, cancel)
			}
			start := time.Now()
			_, err := Fetch(ctx, fakeAddr, "alice", fakePass, opts, false)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Fetch = %v, want %v", err, tt.want)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
			f.wait(t)
		})
	}
}

// The bytes cap stops a server that streams a literal of any size (go-imap would keep
// all of it in memory).
func TestTooMuchData(t *testing.T) {
	huge := strings.Repeat("x", maxSessionBytes+1)
	f := newFake(okGreeting, map[string]string{
		"GETQUOTAROOT": "* QUOTAROOT INBOX {" + itoa(int64(len(huge))) + "}\r\n" + huge + "\r\n{tag} OK done",
	})
	f.implicitTLS = true
	opts := f.options(SecurityTLS)
	opts.Timeout = 20 * time.Second
	_, err := Fetch(context.Background(), fakeAddr, "alice", fakePass, opts, false)
	if !errors.Is(err, mailerr.ErrProtocol) || !errors.Is(err, errTooMuchData) {
		t.Fatalf("Fetch = %v, want ErrProtocol (too much data)", err)
	}
	f.wait(t)
}

func TestOptions(t *testing.T) {
	if _, err := resolve("no-port", nil); err == nil {
		t.Error("address without port accepted")
	}
	if _, err := resolve("h:1", &Options{Security: "ssl"}); err == nil {
		t.Error("unknown security accepted")
	}
	r, err := resolve("imap.example.org:993", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.security != SecurityTLS || r.timeout != mailerr.DefaultTimeout || r.tlsConfig.ServerName != "imap.example.org" ||
		r.tlsConfig.MinVersion < 0x0303 {
		t.Errorf("nil options resolved to %+v", r)
	}
	given := trust.Config("", nil)
	r, err = resolve("imap.example.org:993", &Options{TLSConfig: given})
	if err != nil {
		t.Fatal(err)
	}
	if given.ServerName != "" || r.tlsConfig.ServerName != "imap.example.org" {
		t.Error("the given tls.Config was modified or ServerName not filled in")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func rootsEqual(a, b []Root) bool {
	return slices.EqualFunc(a, b, func(x, y Root) bool { return x.Name == y.Name && slices.Equal(x.Resources, y.Resources) })
}
