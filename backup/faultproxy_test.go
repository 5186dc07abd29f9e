package backup

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// faultProxy is a TCP proxy between the engine and Dovecot that injects network faults,
// in the spirit of toxiproxy's toxics (reset_peer, timeout, slicer/latency, limit_data).
// Pointed at Dovecot's plain POP3 port it understands the session: it sees each command
// and knows where the RETR replies begin, so it can cut a message at an exact byte, e.g.
// inside its final ".\r\n". Pointed at the implicit-TLS port it only counts bytes.
//
// The fault in force when a connection is accepted applies to that whole connection; set
// it with setFault before a run and clear it (nil) for the run that must succeed.
type faultProxy struct {
	ln       net.Listener
	upstream string
	fault    atomic.Pointer[fault]
	mu       sync.Mutex
	conns    []net.Conn
	accepted atomic.Int64
}

// action is what the proxy does at a cut.
type action int

const (
	actReset action = iota // RST to the client (SO_LINGER 0), upstream closed
	actClose               // FIN to the client without a TLS close_notify or POP3 reply
	actStall               // forward nothing more, keep both connections open
)

// fault describes what to do to one connection. The zero value forwards faithfully.
type fault struct {
	// command, if set, is shown each client command line (without CRLF) with its verb's
	// 1-based count on this connection, and decides what happens to it. Needs plain POP3.
	command func(verb string, n int) verdict
	// retrCut, if set, is shown the server's bytes since the client's first RETR, and
	// returns the offset (into those bytes) where atCut happens, or -1 while it cannot
	// tell yet. Bytes are held back until it can. Needs plain POP3.
	retrCut func(region []byte) int
	// streamCut > 0 applies atCut after that many server-to-client bytes (any protocol).
	streamCut int64
	atCut     action
	// trickle > 0 forwards server bytes in 64-byte slices with this pause between them.
	trickle time.Duration
}

// verdict is a fault's decision about one client command.
type verdict struct {
	reply        string // answer this to the client instead of forwarding the command
	drop         bool   // reset the client and close upstream instead of forwarding
	rewriteReply string // forward, but replace the server's reply with this line
	dropReply    bool   // forward, then reset the client instead of passing the reply on
}

func startProxy(t testing.TB, upstream string) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, upstream: upstream}
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *faultProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *faultProxy) setFault(f *fault) { p.fault.Store(f) }

func (p *faultProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
}

func (p *faultProxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
}

func (p *faultProxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.accepted.Add(1)
		server, err := net.Dial("tcp", p.upstream)
		if err != nil {
			client.Close()
			continue
		}
		p.track(client)
		p.track(server)
		f := p.fault.Load()
		if f == nil {
			f = &fault{}
		}
		s := &proxySession{f: f, client: client.(*net.TCPConn), server: server.(*net.TCPConn)}
		go s.clientToServer()
		go s.serverToClient()
	}
}

// proxySession is one proxied connection.
type proxySession struct {
	f              *fault
	client, server *net.TCPConn
	mu             sync.Mutex
	inRetr         bool   // the client has sent RETR: server bytes from here are the region
	rewrite        string // replace the next server reply with this line
	dropReply      bool   // reset the client instead of passing the next reply on
	done           bool
}

// reset kills both sides: the client sees a connection reset.
func (s *proxySession) reset() {
	s.mu.Lock()
	s.done = true
	s.mu.Unlock()
	s.client.SetLinger(0)
	s.client.Close()
	s.server.Close()
}

// finish closes both sides normally.
func (s *proxySession) finish() {
	s.mu.Lock()
	s.done = true
	s.mu.Unlock()
	s.client.Close()
	s.server.Close()
}

func (s *proxySession) clientToServer() {
	if s.f.command == nil && s.f.retrCut == nil {
		io.Copy(s.server, s.client)
		s.server.CloseWrite()
		return
	}
	br := bufio.NewReader(s.client)
	counts := map[string]int{}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			s.server.CloseWrite()
			return
		}
		verb := strings.ToUpper(strings.Fields(line + " x")[0])
		counts[verb]++
		var v verdict
		if s.f.command != nil {
			v = s.f.command(verb, counts[verb])
		}
		switch {
		case v.drop:
			s.reset()
			return
		case v.reply != "":
			s.client.Write([]byte(v.reply + "\r\n"))
			continue
		}
		s.mu.Lock()
		if verb == "RETR" {
			// Everything the server sent before is already forwarded: the client sends
			// RETR only after reading the LIST reply, so the region starts exactly here.
			s.inRetr = true
		}
		if v.rewriteReply != "" {
			s.rewrite = v.rewriteReply
		}
		s.dropReply = v.dropReply
		s.mu.Unlock()
		if _, err := s.server.Write([]byte(line)); err != nil {
			return
		}
	}
}

func (s *proxySession) serverToClient() {
	buf := make([]byte, 32<<10)
	var region []byte // server bytes since RETR (only tracked with retrCut)
	fwd := 0          // bytes of region already forwarded
	cut := -1
	var total int64
	for {
		n, err := s.server.Read(buf)
		chunk := buf[:n]
		s.mu.Lock()
		inRetr, done, drop := s.inRetr, s.done, s.dropReply && n > 0
		if s.rewrite != "" && n > 0 {
			// The client waits for this reply before sending anything else, so the
			// chunk holds exactly the reply to the rewritten command.
			chunk = []byte(s.rewrite + "\r\n")
			s.rewrite = ""
		}
		s.mu.Unlock()
		if done {
			return
		}
		if drop {
			// The server has acted on the command and answered; the client never hears.
			s.reset()
			return
		}
		if n > 0 {
			if s.f.streamCut > 0 && total+int64(len(chunk)) >= s.f.streamCut {
				s.client.Write(chunk[:s.f.streamCut-total])
				s.act()
				return
			}
			total += int64(len(chunk))
			if s.f.retrCut != nil && inRetr {
				region = append(region, chunk...)
				if cut < 0 {
					cut = s.f.retrCut(region)
				}
				if cut < 0 {
					continue // hold back until the cut is known
				}
				end := min(cut, len(region))
				s.write(region[fwd:end])
				fwd = end
				if fwd == cut {
					s.act()
					return
				}
				continue
			}
			s.write(chunk)
		}
		if err != nil {
			if fwd < len(region) {
				s.write(region[fwd:])
			}
			s.client.CloseWrite()
			return
		}
	}
}

// write forwards b to the client, in slices if the fault trickles.
func (s *proxySession) write(b []byte) {
	if s.f.trickle <= 0 {
		s.client.Write(b)
		return
	}
	for len(b) > 0 {
		n := min(64, len(b))
		if _, err := s.client.Write(b[:n]); err != nil {
			return
		}
		b = b[n:]
		time.Sleep(s.f.trickle)
	}
}

func (s *proxySession) act() {
	switch s.f.atCut {
	case actReset:
		s.reset()
	case actClose:
		s.finish()
	case actStall:
		// Leave both open; the client's deadline ends the session, and cleanup closes.
	}
}

// retrReply is one RETR reply located in the server's byte stream.
type retrReply struct {
	start int // the status line
	body  int // first body byte
	term  int // the CRLF that begins the terminating "\r\n.\r\n" (the body's last line end)
	end   int // just after the terminator
}

// retrReplies returns the complete RETR replies at the start of region, in order. A -ERR
// reply has body == term == end.
func retrReplies(region []byte) []retrReply {
	var out []retrReply
	pos := 0
	for {
		eol := bytes.Index(region[pos:], []byte("\r\n"))
		if eol < 0 {
			return out
		}
		eol += pos
		if bytes.HasPrefix(region[pos:], []byte("-ERR")) {
			out = append(out, retrReply{start: pos, body: eol + 2, term: eol + 2, end: eol + 2})
			pos = eol + 2
			continue
		}
		// Dot-stuffing guarantees "\r\n.\r\n" appears only at the terminator; searching from
		// the status line's CRLF also finds the terminator of an empty body.
		term := bytes.Index(region[eol:], []byte("\r\n.\r\n"))
		if term < 0 {
			return out
		}
		term += eol
		out = append(out, retrReply{start: pos, body: eol + 2, term: term, end: term + 5})
		pos = term + 5
	}
}

// cutInReply returns a retrCut that cuts reply k (0-based) at where(reply), once that
// reply has fully arrived.
func cutInReply(k int, where func(r retrReply, region []byte) int) func([]byte) int {
	return func(region []byte) int {
		rs := retrReplies(region)
		if len(rs) <= k {
			return -1
		}
		return where(rs[k], region)
	}
}
