//go:build linux

package leaktest

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// recProxy is a TCP proxy in front of one Dovecot port that records both directions of
// every connection. It can also stall a connection: once the client has sent a given
// number of TLS application-data records, nothing more from the server is forwarded, so
// the client sits waiting in the middle of its login while the test inspects and kills it.
type recProxy struct {
	t        *testing.T
	ln       net.Listener
	target   string
	starttls string // the client line that starts TLS ("STLS", "STARTTLS"), "" for implicit TLS

	mu       sync.Mutex
	sessions []*session
	stallAt  int           // stall after this many client application-data records (0: never)
	stalled  chan *session // receives a session when it stalls
}

type session struct {
	mu       sync.Mutex
	c2s, s2c bytes.Buffer
	stall    chan struct{} // closed when forwarding server data must stop
	stalled  bool
}

func newProxy(t *testing.T, target, starttls string) *recProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &recProxy{t: t, ln: ln, target: target, starttls: starttls}
	t.Cleanup(func() { ln.Close() })
	go p.accept()
	return p
}

func (p *recProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// stallNext makes every following connection stall after n client application-data
// records; 0 turns stalling off. Stalled sessions arrive on the returned channel.
func (p *recProxy) stallNext(n int) chan *session {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stallAt = n
	p.stalled = make(chan *session, 16)
	return p.stalled
}

func (p *recProxy) all() []*session {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*session(nil), p.sessions...)
}

func (p *recProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s := &session{stall: make(chan struct{})}
		p.mu.Lock()
		p.sessions = append(p.sessions, s)
		stallAt, stalled := p.stallAt, p.stalled
		p.mu.Unlock()
		go p.serve(c, s, stallAt, stalled)
	}
}

func (p *recProxy) serve(client net.Conn, s *session, stallAt int, stalled chan *session) {
	defer client.Close()
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	defer server.Close()
	done := make(chan struct{}, 2)
	// client -> server, counting TLS records once TLS has started.
	go func() {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 32<<10)
		for {
			n, err := client.Read(buf)
			if n > 0 {
				s.mu.Lock()
				s.c2s.Write(buf[:n])
				records := appRecords(s.c2s.Bytes(), p.starttls)
				stallNow := stallAt > 0 && records >= stallAt && !s.stalled
				if stallNow {
					s.stalled = true
					close(s.stall)
				}
				s.mu.Unlock()
				if stallNow {
					stalled <- s
				}
				if _, werr := server.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				if tc, ok := server.(*net.TCPConn); ok {
					tc.CloseWrite()
				}
				return
			}
		}
	}()
	// server -> client
	go func() {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 32<<10)
		for {
			n, err := server.Read(buf)
			if n > 0 {
				select {
				case <-s.stall:
					// Hold everything: the client waits until it is killed.
					io.Copy(io.Discard, server)
					return
				default:
				}
				s.mu.Lock()
				s.s2c.Write(buf[:n])
				s.mu.Unlock()
				if _, werr := client.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				if tc, ok := client.(*net.TCPConn); ok {
					tc.CloseWrite()
				}
				return
			}
		}
	}()
	<-done
	// One side finished; give the other a moment to drain, then close both.
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
}

// split returns the client bytes sent in plaintext (everything up to and including the
// STARTTLS command line; all of it if TLS never started) and the bytes after it.
func split(c2s []byte, starttls string) (plain, tls []byte, started bool) {
	if starttls == "" {
		return nil, c2s, true
	}
	for off := 0; off < len(c2s); {
		end := bytes.IndexByte(c2s[off:], '\n')
		if end < 0 {
			break
		}
		line := bytes.TrimRight(c2s[off:off+end], "\r")
		off += end + 1
		f := bytes.Fields(line)
		// POP3: "STLS"; IMAP: "<tag> STARTTLS".
		if (len(f) == 1 && bytes.EqualFold(f[0], []byte(starttls))) ||
			(len(f) == 2 && bytes.EqualFold(f[1], []byte(starttls))) {
			return c2s[:off], c2s[off:], true
		}
	}
	return c2s, nil, false
}

// appRecords counts the complete-or-started TLS application-data records (type 23) the
// client has sent after TLS began.
func appRecords(c2s []byte, starttls string) int {
	_, rest, started := split(c2s, starttls)
	if !started {
		return 0
	}
	n := 0
	for len(rest) >= 5 {
		if rest[0] == 23 {
			n++
		}
		l := int(rest[3])<<8 | int(rest[4])
		if len(rest) < 5+l {
			break
		}
		rest = rest[5+l:]
	}
	return n
}

func (s *session) snapshot() (c2s, s2c []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.c2s.Bytes()), bytes.Clone(s.s2c.Bytes())
}
