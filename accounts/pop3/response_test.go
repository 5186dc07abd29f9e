package pop3

import (
	"bufio"
	"errors"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts/mailerr"
)

// statusTests doubles as the seed corpus of FuzzStatusLine.
var statusTests = []struct {
	line    string
	want    reply
	kind    error // kindFor(code)
	wantErr bool
}{
	{line: "+OK", want: reply{status: statusOK}},
	{line: "+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>", want: reply{status: statusOK, text: "POP3 ready <1896.697170952@dbc.mtview.ca.us>"}},
	{line: "+ok lower case", want: reply{status: statusOK, text: "lower case"}},
	{line: "-ERR", want: reply{status: statusErr}},
	{line: "-ERR no such message", want: reply{status: statusErr, text: "no such message"}},
	{line: "-ERR [IN-USE] Mailbox locked", want: reply{status: statusErr, code: "IN-USE", text: "Mailbox locked"}, kind: mailerr.ErrTemporary},
	{line: "-ERR [LOGIN-DELAY] wait", want: reply{status: statusErr, code: "LOGIN-DELAY", text: "wait"}, kind: mailerr.ErrTemporary},
	{line: "-ERR [SYS/TEMP] disk busy", want: reply{status: statusErr, code: "SYS/TEMP", text: "disk busy"}, kind: mailerr.ErrTemporary},
	{line: "-ERR [sys/temp/quota] x", want: reply{status: statusErr, code: "SYS/TEMP/QUOTA", text: "x"}, kind: mailerr.ErrTemporary},
	{line: "-ERR [SYS/PERM] broken", want: reply{status: statusErr, code: "SYS/PERM", text: "broken"}},
	{line: "-ERR [AUTH] Authentication failed.", want: reply{status: statusErr, code: "AUTH", text: "Authentication failed."}, kind: mailerr.ErrAuthFailed},
	{line: "-ERR [AUTH]", want: reply{status: statusErr, code: "AUTH"}, kind: mailerr.ErrAuthFailed},
	{line: "-ERR [] empty code", want: reply{status: statusErr, text: "[] empty code"}},
	{line: "-ERR [A B] space in code", want: reply{status: statusErr, text: "[A B] space in code"}},
	{line: "-ERR [SYS//TEMP] empty level", want: reply{status: statusErr, text: "[SYS//TEMP] empty level"}},
	{line: "-ERR [unclosed", want: reply{status: statusErr, text: "[unclosed"}},
	{line: "-ERR bell\a and escape\x1b[31m", want: reply{status: statusErr, text: "bell? and escape?[31m"}},
	{line: "-ERR bad utf8 \xff", want: reply{status: statusErr, text: "bad utf8 \uFFFD"}},
	{line: "+ ", want: reply{status: statusCont}},
	{line: "+", want: reply{status: statusCont}},
	{line: "+ dGVzdA==", want: reply{status: statusCont, text: "dGVzdA=="}},
	{line: "", wantErr: true},
	{line: "+OKAY", wantErr: true},
	{line: "-ERROR", wantErr: true},
	{line: "* OK IMAP4rev1", wantErr: true},
	{line: "220 smtp.example.com ESMTP", wantErr: true},
	{line: "OK", wantErr: true},
}

func TestParseStatus(t *testing.T) {
	for _, tt := range statusTests {
		t.Run(tt.line, func(t *testing.T) {
			got, err := parseStatus([]byte(tt.line))
			if tt.wantErr {
				if !errors.Is(err, mailerr.ErrProtocol) {
					t.Fatalf("parseStatus = %+v, %v; want ErrProtocol", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseStatus = %+v, %v; want %+v", got, err, tt.want)
			}
			if k := kindFor(got.code); k != tt.kind {
				t.Errorf("kindFor(%q) = %v, want %v", got.code, k, tt.kind)
			}
		})
	}
}

func TestAuthKind(t *testing.T) {
	for code, want := range map[string]error{
		"": mailerr.ErrAuthFailed, "AUTH": mailerr.ErrAuthFailed, "SYS/PERM": mailerr.ErrAuthFailed,
		"IN-USE": mailerr.ErrTemporary, "LOGIN-DELAY": mailerr.ErrTemporary, "SYS/TEMP": mailerr.ErrTemporary,
	} {
		if got := authKind(code); got != want {
			t.Errorf("authKind(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestReadLine(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr error
	}{
		{in: "+OK\r\n", want: "+OK"},
		{in: "+OK\n", want: "+OK"},
		{in: "+OK \r\r\n", want: "+OK \r"},
		{in: "+OK " + strings.Repeat("x", 100) + "\r\n", wantErr: mailerr.ErrProtocol},
		{in: "+OK " + strings.Repeat("x", 70000) + "\r\n", wantErr: mailerr.ErrProtocol},
		{in: "+OK no line end", wantErr: mailerr.ErrProtocol},
		{in: "", wantErr: mailerr.ErrProtocol},
	}
	for _, tt := range tests {
		br := bufio.NewReaderSize(strings.NewReader(tt.in), readBufferSize)
		got, err := readLine(br, 64)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("readLine(%.20q) error %v, want %v", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || string(got) != tt.want {
			t.Errorf("readLine(%.20q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
