package imap

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// fuzzTimeout is the session deadline in the fuzz targets; inputs that leave the client
// waiting (an unfinished literal, no tagged answer) cost this much each.
const fuzzTimeout = 500 * time.Millisecond

// FuzzQuotaResponse plays a hostile server: after a canned greeting and login, whatever
// the fuzzer chose is the answer to GETQUOTAROOT and to LIST. Fetch must neither panic
// nor overrun its deadline, must not leak the password into an error, and any Report it
// returns must be sane.
func FuzzQuotaResponse(f *testing.F) {
	for _, tt := range quotaAnswerTests {
		f.Add([]byte(tt.resp), []byte(defaultResponses["LIST"]))
	}
	f.Add([]byte("* QUOTAROOT INBOX {5}\r\nab"), []byte(`* LIST () "/" {3}`+"\r\nabc\r\n* STATUS abc (MESSAGES 4294967296)"))
	f.Add([]byte("* QUOTA \"\" ()"), []byte(`* LIST (\Noselect) NIL ""`+"\r\n* STATUS \"\" (SIZE 9223372036854775808)"))
	f.Add([]byte("+ go ahead"), []byte("* BYE bye"))
	f.Fuzz(func(t *testing.T, quotaResp, listResp []byte) {
		fake := newFake("* OK [CAPABILITY IMAP4rev1] ready", map[string]string{
			"LOGIN":        "{tag} OK [CAPABILITY IMAP4rev1 QUOTA LIST-EXTENDED LIST-STATUS STATUS=SIZE] ok",
			"GETQUOTAROOT": string(quotaResp) + "\r\n{tag} OK done",
			"LIST":         string(listResp) + "\r\n{tag} OK done",
		})
		fake.idle = 50 * time.Millisecond // hang up on a client left waiting: fast, not 500 ms
		opts := fake.options(SecurityNone)
		opts.Timeout = fuzzTimeout
		start := time.Now()
		rep, err := Fetch(context.Background(), fakeAddr, "alice", fakePass, opts, true)
		if d := time.Since(start); d > fuzzTimeout+logoutTimeout+2*time.Second {
			t.Fatalf("Fetch took %v", d)
		}
		if err != nil {
			if strings.Contains(err.Error(), fakePass) {
				t.Fatalf("password in error: %v", err)
			}
			return
		}
		checkReport(t, rep)
	})
}

// FuzzStartTLS feeds arbitrary bytes to our own plaintext STARTTLS step, the only IMAP
// parsing this package does itself. It must not panic or hang, must send nothing but
// CAPABILITY and STARTTLS, and may only succeed when the bytes really are a greeting, a
// STARTTLS capability and a tagged OK with nothing after it.
func FuzzStartTLS(f *testing.F) {
	f.Add([]byte("* OK ready\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\nS1 OK done\r\nS2 OK go\r\n"))
	f.Add([]byte("* OK ready\r\nS1 OK [CAPABILITY STARTTLS] done\r\nS2 OK go\r\n"))
	f.Add([]byte("* PREAUTH hi\r\n"))
	f.Add([]byte("* OK ready\r\n* CAPABILITY STARTTLS\r\nS1 OK\r\nS2 OK go\r\n* CAPABILITY X\r\n"))
	f.Add([]byte("* BYE [UNAVAILABLE] busy\r\n"))
	f.Add([]byte("* OK\n* capability starttls\nS1 ok\nS2 ok\n"))
	f.Add(bytes.Repeat([]byte("x"), maxPlainLine+10))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &scriptConn{r: bytes.NewReader(data)}
		if err := startTLS(c); err != nil || len(data) > maxPlainLine {
			if got := c.w.String(); got != "" && got != "S1 CAPABILITY\r\n" && got != "S1 CAPABILITY\r\nS2 STARTTLS\r\n" {
				t.Fatalf("client sent %q", got)
			}
			return // longer inputs may legitimately be split across reads
		}
		if got := c.w.String(); got != "S1 CAPABILITY\r\nS2 STARTTLS\r\n" {
			t.Fatalf("success after sending %q", got)
		}
		up := strings.ToUpper(string(data))
		lines := strings.Split(strings.TrimSuffix(up, "\n"), "\n")
		last := strings.TrimSuffix(lines[len(lines)-1], "\r")
		if !strings.HasPrefix(up, "* OK") || !strings.Contains(up, "STARTTLS") ||
			!strings.HasSuffix(up, "\n") || !strings.HasPrefix(last, "S2 OK") {
			t.Fatalf("startTLS accepted %q", data)
		}
	})
}

// scriptConn is a net.Conn that reads a fixed script (then io.EOF) and records what is
// written: no goroutines and no waiting, so a fuzz input costs microseconds.
type scriptConn struct {
	net.Conn // nil: only the methods below are used
	r        *bytes.Reader
	w        bytes.Buffer
}

func (c *scriptConn) Read(b []byte) (int, error)  { return c.r.Read(b) }
func (c *scriptConn) Write(b []byte) (int, error) { return c.w.Write(b) }
