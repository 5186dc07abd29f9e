package export

import (
	"errors"
	"fmt"
	"net/mail"
	"time"

	"github.com/postfach/postfach/backup/search"
)

// Message is one message to export.
type Message struct {
	File string    // path of the stored message
	Date time.Time // the message's date: names .eml files, dates the mbox "From " line
	// From is the sender, "Name <address>" or a bare address; its address becomes the
	// mbox envelope sender.
	From    string
	Subject string // used, shortened, in .eml file names
}

// Progress reports how far an export is: Done of Total messages.
type Progress struct {
	Done, Total int
}

// Options tune an export. A nil options pointer is equivalent to a zero options value.
type Options struct {
	// Progress, if set, is called from the exporting goroutine at most every
	// progressInterval and once at the end.
	Progress func(Progress)
}

// Stats says what an export wrote.
type Stats struct {
	Messages int
	Bytes    int64    // message bytes copied
	Files    []string // the files written, in the order of the messages
}

// ErrExists is returned when the target mbox file already exists: an export never
// overwrites a file.
var ErrExists = errors.New("export: file exists")

const progressInterval = 100 * time.Millisecond

// reporter throttles progress callbacks.
type reporter struct {
	fn    func(Progress)
	total int
	last  time.Time
}

func newReporter(opt *Options, total int) *reporter {
	r := &reporter{total: total}
	if opt != nil {
		r.fn = opt.Progress
	}
	return r
}

func (r *reporter) report(done int) {
	if r.fn == nil {
		return
	}
	if now := time.Now(); done == r.total || now.Sub(r.last) >= progressInterval {
		r.last = now
		r.fn(Progress{Done: done, Total: r.total})
	}
}

// envelopeSender is the address for the mbox "From " line; MAILER-DAEMON, as mail
// systems write for a missing sender, when there is no readable address.
func envelopeSender(from string) string {
	if a, err := mail.ParseAddress(from); err == nil && a.Address != "" {
		return a.Address
	}
	return "MAILER-DAEMON"
}

func wrapFile(op, file string, err error) error {
	return fmt.Errorf("export %s %s: %w", op, file, err)
}

// FromHit is the export input for a search hit.
func FromHit(h search.Hit) Message {
	return Message{File: h.File, Date: h.Date, From: h.From, Subject: h.Subject}
}
