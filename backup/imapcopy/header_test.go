package imapcopy

import (
	"strings"
	"testing"
	"time"
)

var headerCases = []struct {
	name, in string
	id       string
	received time.Time
	date     time.Time
}{
	{"plain", "Received: from a by b; Tue, 3 Jun 2025 10:00:00 +0200\nDate: Mon, 2 Jun 2025 09:00:00 +0000\nMessage-ID: <a@b>\n\nbody",
		"<a@b>", time.Date(2025, 6, 3, 8, 0, 0, 0, time.UTC), time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)},
	{"topmost received wins", "Received: by x; Wed, 4 Jun 2025 00:00:00 +0000\r\nReceived: by y; Tue, 3 Jun 2025 00:00:00 +0000\r\n\r\n",
		"", time.Date(2025, 6, 4, 0, 0, 0, 0, time.UTC), time.Time{}},
	{"folded received with comment", "Received: from mail.example.org\n\tby mx.example.com (Postfix)\n\tfor <a@b>; Thu, 5 Jun 2025 01:02:03 +0100 (CET)\n\n",
		"", time.Date(2025, 6, 5, 0, 2, 3, 0, time.UTC), time.Time{}},
	{"broken topmost received is not skipped", "Received: by x; garbage\nReceived: by y; Tue, 3 Jun 2025 00:00:00 +0000\nDate: Mon, 2 Jun 2025 09:00:00 +0000\n\n",
		"", time.Time{}, time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)},
	{"message-id folded and cased", "message-id:\n <x.y@z>  (comment)\n\n", "<x.y@z>", time.Time{}, time.Time{}},
	{"message-id without brackets", "Message-ID: abc@def \n\n", "abc@def", time.Time{}, time.Time{}},
	{"fields after the body are ignored", "Subject: s\n\nMessage-ID: <no@no>\nDate: Mon, 2 Jun 2025 09:00:00 +0000\n", "", time.Time{}, time.Time{}},
	{"no header", "", "", time.Time{}, time.Time{}},
	{"date before 1970", "Date: Mon, 1 Jan 1900 00:00:00 +0000\n\n", "", time.Time{}, time.Time{}},
	{"overlong line", "X-Long: " + strings.Repeat("a", 100000) + "\nMessage-ID: <after@long>\n\n", "<after@long>", time.Time{}, time.Time{}},
}

func TestParseHeader(t *testing.T) {
	for _, c := range headerCases {
		t.Run(c.name, func(t *testing.T) {
			h := parseHeader(strings.NewReader(c.in))
			if h.MessageID != c.id || !h.Received.Equal(c.received) || !h.Date.Equal(c.date) {
				t.Errorf("parseHeader = %q %v %v, want %q %v %v", h.MessageID, h.Received, h.Date, c.id, c.received, c.date)
			}
		})
	}
}

func TestMessageDate(t *testing.T) {
	mtime := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	rec := time.Date(2025, 6, 3, 0, 0, 0, 0, time.UTC)
	date := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
	future := mtime.Add(48 * time.Hour)
	for _, c := range []struct {
		h    headerInfo
		want time.Time
	}{
		{headerInfo{Received: rec, Date: date}, rec},
		{headerInfo{Date: date}, date},
		{headerInfo{}, mtime},
		{headerInfo{Received: future, Date: date}, date},
		{headerInfo{Received: future, Date: future}, mtime},
	} {
		if got := messageDate(c.h, mtime); !got.Equal(c.want) {
			t.Errorf("messageDate(%+v) = %v, want %v", c.h, got, c.want)
		}
	}
}

// FuzzParseHeader: any bytes parse without panic; a Message-ID found has no line end,
// and dates are in the range INTERNALDATE can carry.
func FuzzParseHeader(f *testing.F) {
	for _, c := range headerCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h := parseHeader(strings.NewReader(string(b)))
		if strings.ContainsAny(h.MessageID, "\r\n") {
			t.Errorf("Message-ID %q spans lines", h.MessageID)
		}
		for _, d := range []time.Time{h.Received, h.Date} {
			if !d.IsZero() && (d.Year() < 1970 || d.Year() > 9999) {
				t.Errorf("date %v out of range", d)
			}
		}
	})
}
