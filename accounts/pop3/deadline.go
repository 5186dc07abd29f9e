package pop3

import (
	"net"
	"sync"
	"time"
)

// deadlineConn is the dialled connection with the client's deadline policy. It sits below
// TLS, so the same policy covers the handshake and encrypted traffic.
//
// Two modes: a fixed deadline for a whole exchange (arm), used for status lines, so a
// server cannot hold a command open by dribbling bytes; and an idle deadline (idle=true)
// renewed before every Read and Write, used while a message or listing streams, so a
// large message needs no large total deadline but a stall is still caught within one
// timeout.
//
// Context cancellation calls abort from another goroutine: it sets a deadline in the past
// and stops the idle renewal from undoing it; the mutex makes "renew" and "abort" atomic
// with respect to each other.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
	idle    bool // only touched by the goroutine running commands

	mu      sync.Mutex
	aborted bool
}

// Read renews the read deadline in idle mode, then reads.
func (d *deadlineConn) Read(p []byte) (int, error) {
	if d.idle {
		d.renew(d.Conn.SetReadDeadline)
	}
	return d.Conn.Read(p)
}

// Write renews the write deadline in idle mode, then writes.
func (d *deadlineConn) Write(p []byte) (int, error) {
	if d.idle {
		d.renew(d.Conn.SetWriteDeadline)
	}
	return d.Conn.Write(p)
}

func (d *deadlineConn) renew(set func(time.Time) error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.aborted {
		set(time.Now().Add(d.timeout))
	}
}

// arm starts an exchange: one deadline for everything until idle mode is switched on.
func (d *deadlineConn) arm() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.aborted = false
	d.idle = false
	d.Conn.SetDeadline(time.Now().Add(d.timeout))
}

// rearm gives the rest of an exchange a fresh full deadline (e.g. the TLS handshake after
// STLS), unless the exchange was aborted meanwhile.
func (d *deadlineConn) rearm() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.idle = false
	if !d.aborted {
		d.Conn.SetDeadline(time.Now().Add(d.timeout))
	}
}

// abort makes every blocked and future I/O fail at once, until the next arm.
func (d *deadlineConn) abort() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.aborted = true
	d.Conn.SetDeadline(aLongTimeAgo)
}

// aLongTimeAgo is a deadline that has certainly passed.
var aLongTimeAgo = time.Unix(1, 0)
