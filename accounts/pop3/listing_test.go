package pop3

import (
	"bufio"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/postfach/postfach/accounts/mailerr"
)

// uidlListings and listListings are multi-line bodies (after the +OK line); they double as
// seeds for FuzzListing.
var uidlListings = []struct {
	name    string
	body    string
	want    []UID
	wantErr bool
}{
	{name: "empty mailbox", body: ".\r\n", want: nil},
	{name: "dovecot", body: "1 000000010000002a\r\n2 000000020000002a\r\n.\r\n",
		want: []UID{{1, "000000010000002a"}, {2, "000000020000002a"}}},
	{name: "duplicates returned as-is", body: "1 same\r\n2 same\r\n.\r\n", want: []UID{{1, "same"}, {2, "same"}}},
	{name: "every printable byte", body: "7 !~" + strings.Repeat("z", 68) + "\r\n.\r\n", want: []UID{{7, "!~" + strings.Repeat("z", 68)}}},
	{name: "bare LF line ends", body: "1 a\n.\n", want: []UID{{1, "a"}}},
	{name: "no unique-id", body: "1\r\n.\r\n", wantErr: true},
	{name: "empty unique-id", body: "1 \r\n.\r\n", wantErr: true},
	{name: "unique-id of 71 characters", body: "1 " + strings.Repeat("u", 71) + "\r\n.\r\n", wantErr: true},
	{name: "space inside unique-id", body: "1 a b\r\n.\r\n", wantErr: true},
	{name: "DEL in unique-id", body: "1 a\x7f\r\n.\r\n", wantErr: true},
	{name: "8-bit unique-id", body: "1 \xc3\xa4\r\n.\r\n", wantErr: true},
	{name: "NUL in unique-id", body: "1 a\x00\r\n.\r\n", wantErr: true},
	{name: "non-numeric message number", body: "x abc\r\n.\r\n", wantErr: true},
	{name: "message number 0", body: "0 abc\r\n.\r\n", wantErr: true},
	{name: "negative message number", body: "-1 abc\r\n.\r\n", wantErr: true},
	{name: "huge message number", body: "99999999999999999999 abc\r\n.\r\n", wantErr: true},
	{name: "1 MB line", body: "1 " + strings.Repeat("u", 1<<20) + "\r\n.\r\n", wantErr: true},
	{name: "no terminator", body: "1 abc\r\n", wantErr: true},
	{name: "empty line", body: "\r\n.\r\n", wantErr: true},
}

var listListings = []struct {
	name    string
	body    string
	want    []Size
	wantErr bool
}{
	{name: "two messages", body: "1 120\r\n2 200\r\n.\r\n", want: []Size{{1, 120}, {2, 200}}},
	{name: "extra text after the size", body: "1 120 extra info\r\n.\r\n", want: []Size{{1, 120}}},
	{name: "zero size", body: "3 0\r\n.\r\n", want: []Size{{3, 0}}},
	{name: "one field", body: "1\r\n.\r\n", wantErr: true},
	{name: "negative size", body: "1 -5\r\n.\r\n", wantErr: true},
	{name: "size overflow", body: "1 9999999999999999999999\r\n.\r\n", wantErr: true},
	{name: "leading space", body: " 1 5\r\n.\r\n", wantErr: true},
	{name: "hex size", body: "1 0x10\r\n.\r\n", wantErr: true},
	{name: "line of 2 KiB", body: "1 5 " + strings.Repeat("x", 2048) + "\r\n.\r\n", wantErr: true},
}

func TestReadListings(t *testing.T) {
	for _, tt := range uidlListings {
		t.Run("UIDL/"+tt.name, func(t *testing.T) {
			got, err := readUIDLListing(bufio.NewReaderSize(strings.NewReader(tt.body), readBufferSize))
			checkListing(t, got, err, tt.want, tt.wantErr)
		})
	}
	for _, tt := range listListings {
		t.Run("LIST/"+tt.name, func(t *testing.T) {
			got, err := readSizeListing(bufio.NewReaderSize(strings.NewReader(tt.body), readBufferSize))
			checkListing(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func checkListing[T any](t *testing.T, got []T, err error, want []T, wantErr bool) {
	t.Helper()
	if wantErr {
		if !errors.Is(err, mailerr.ErrProtocol) {
			t.Fatalf("got %v, %v; want ErrProtocol", got, err)
		}
		return
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
}

// TestListingCommands runs UIDL, LIST and STAT against the fake server: replies, -ERR,
// and that a malformed reply makes the client refuse further commands.
func TestListingCommands(t *testing.T) {
	tests := []struct {
		name     string
		exchange []string
		call     func(c *Client) (any, error)
		want     any
		wantErr  []error
		usable   bool // the client must still work after an error
	}{
		{
			name:     "UIDL",
			exchange: []string{"C: UIDL", "R: +OK\r\n1 abc\r\n2 def\r\n.\r\n"},
			call:     func(c *Client) (any, error) { return c.UIDL(context.Background()) },
			want:     []UID{{1, "abc"}, {2, "def"}},
		},
		{
			name:     "UIDL -ERR",
			exchange: []string{"C: UIDL", "S: -ERR command not supported"},
			call:     func(c *Client) (any, error) { return c.UIDL(context.Background()) },
			wantErr:  []error{mailerr.ErrNoUIDL},
			usable:   true,
		},
		{
			name:     "UIDL -ERR temporary",
			exchange: []string{"C: UIDL", "S: -ERR [SYS/TEMP] index busy"},
			call:     func(c *Client) (any, error) { return c.UIDL(context.Background()) },
			wantErr:  []error{mailerr.ErrNoUIDL, mailerr.ErrTemporary},
			usable:   true,
		},
		{
			name:     "UIDL malformed line",
			exchange: []string{"C: UIDL", "R: +OK\r\n1 abc\r\nbogus\r\n3 ghi\r\n.\r\n"},
			call:     func(c *Client) (any, error) { return c.UIDL(context.Background()) },
			wantErr:  []error{mailerr.ErrProtocol},
		},
		{
			name:     "UIDL oversized line",
			exchange: []string{"C: UIDL", "R: +OK\r\n1 " + strings.Repeat("u", 100000) + "\r\n.\r\n"},
			call:     func(c *Client) (any, error) { return c.UIDL(context.Background()) },
			wantErr:  []error{mailerr.ErrProtocol},
		},
		{
			name:     "UIDL connection dropped",
			exchange: []string{"C: UIDL", "R: +OK\r\n1 abc\r\n", "CLOSE"},
			call:     func(c *Client) (any, error) { return c.UIDL(context.Background()) },
			wantErr:  []error{mailerr.ErrProtocol},
		},
		{
			name:     "LIST",
			exchange: []string{"C: LIST", "R: +OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n"},
			call:     func(c *Client) (any, error) { return c.List(context.Background()) },
			want:     []Size{{1, 120}, {2, 200}},
		},
		{
			name:     "LIST one field",
			exchange: []string{"C: LIST", "R: +OK\r\n1\r\n.\r\n"},
			call:     func(c *Client) (any, error) { return c.List(context.Background()) },
			wantErr:  []error{mailerr.ErrProtocol},
		},
		{
			name:     "LIST -ERR",
			exchange: []string{"C: LIST", "S: -ERR [SYS/TEMP] later"},
			call:     func(c *Client) (any, error) { return c.List(context.Background()) },
			wantErr:  []error{mailerr.ErrTemporary},
			usable:   true,
		},
		{
			name:     "STAT",
			exchange: []string{"C: STAT", "S: +OK 2 320"},
			call: func(c *Client) (any, error) {
				n, size, err := c.Stat(context.Background())
				return [2]int64{int64(n), size}, err
			},
			want: [2]int64{2, 320},
		},
		{
			name:     "STAT without numbers",
			exchange: []string{"C: STAT", "S: +OK"},
			call: func(c *Client) (any, error) {
				_, _, err := c.Stat(context.Background())
				return nil, err
			},
			wantErr: []error{mailerr.ErrProtocol},
		},
		{
			name:     "STAT garbage",
			exchange: []string{"C: STAT", "S: +OK two 320"},
			call: func(c *Client) (any, error) {
				_, _, err := c.Stat(context.Background())
				return nil, err
			},
			wantErr: []error{mailerr.ErrProtocol},
		},
		{
			name:     "empty status line",
			exchange: []string{"C: STAT", "S: "},
			call: func(c *Client) (any, error) {
				_, _, err := c.Stat(context.Background())
				return nil, err
			},
			wantErr: []error{mailerr.ErrProtocol},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script := loginScript([]string{"UIDL", "USER"}, tt.exchange...)
			if tt.usable {
				script = append(script, "C: NOOP", "S: +OK")
			}
			srv := newScript(t, script...)
			c := login(t, srv, 0)
			got, err := tt.call(c)
			if tt.wantErr == nil {
				if err != nil || !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %v, %v; want %v", got, err, tt.want)
				}
				return
			}
			if err == nil || !errIs(err, tt.wantErr...) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			err = c.Noop(context.Background())
			if tt.usable && err != nil {
				t.Errorf("NOOP after a -ERR: %v", err)
			}
			if !tt.usable && !errors.Is(err, ErrUnusable) {
				t.Errorf("NOOP after a broken reply: %v, want ErrUnusable", err)
			}
		})
	}
}
