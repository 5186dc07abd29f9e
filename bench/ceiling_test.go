package bench

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The ceiling: the smallest POP3 reader that still does the job correctly — USER/PASS,
// UIDL, RETR pipelined with a window of 64, a ReadSlice-based dot-unstuffer, each message
// written to Maildir tmp/ and renamed into new/ WITHOUT any fsync, and the UIDL list saved
// for the next (incremental) run. Nothing a real tool needs beyond that: no index, no
// hashing, no durability, no keyring. The benchmark runs it as a child process (the test
// binary re-executed with BENCH_CHILD=ceiling) so its time includes process start-up and
// its peak RSS comes from wait4 like every other tool's.

// ceilingConfig arrives as JSON on standard input (so the password is in no argv or env).
type ceilingConfig struct {
	Addr     string // host:port
	TLS      bool   // implicit TLS (POP3S)
	CAFile   string // PEM file trusted for TLS
	User     string
	Password string
	Dir      string // Maildir to fill (tmp/ and new/ are created)
	State    string // file of UIDLs already downloaded, one per line
	// Discard reads and unstuffs every message but stores nothing: the limit that the
	// server and the connection set, below any client that keeps the mail.
	Discard bool
}

// ceilingResult is printed as JSON on standard output.
type ceilingResult struct {
	New        int   `json:"new"`
	AlreadyHad int   `json:"already_had"`
	Bytes      int64 `json:"bytes"`
}

const ceilingWindow = 64

func ceilingMain() int {
	var cfg ceilingConfig
	if err := json.NewDecoder(os.Stdin).Decode(&cfg); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling: config:", err)
		return 2
	}
	res, err := runCeiling(&cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		return 1
	}
	json.NewEncoder(os.Stdout).Encode(res)
	return 0
}

type pop3Conn struct {
	c  net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

func (p *pop3Conn) cmd(line string) (string, error) {
	p.bw.WriteString(line)
	p.bw.WriteString("\r\n")
	if err := p.bw.Flush(); err != nil {
		return "", err
	}
	return p.status(line)
}

// status reads one status line; -ERR is an error.
func (p *pop3Conn) status(what string) (string, error) {
	line, err := p.br.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(line, "+OK") {
		if strings.HasPrefix(what, "PASS ") {
			what = "PASS"
		}
		return "", fmt.Errorf("%s: %s", what, strings.TrimSpace(line))
	}
	return line, nil
}

// body streams one dot-stuffed multi-line body to w, unstuffed, line ends as sent.
func (p *pop3Conn) body(w io.Writer) (int64, error) {
	var n int64
	lineStart := true
	for {
		line, err := p.br.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		if lineStart && len(line) > 0 && line[0] == '.' {
			if err == nil && (len(line) == 3 && line[1] == '\r' || len(line) == 2) {
				return n, nil // ".\r\n": end of body
			}
			line = line[1:]
		}
		lineStart = err == nil
		m, werr := w.Write(line)
		n += int64(m)
		if werr != nil {
			return n, werr
		}
	}
}

func runCeiling(cfg *ceilingConfig) (*ceilingResult, error) {
	var conn net.Conn
	var err error
	d := net.Dialer{Timeout: 30 * time.Second}
	if cfg.TLS {
		pem, rerr := os.ReadFile(cfg.CAFile)
		if rerr != nil {
			return nil, rerr
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		host, _, _ := net.SplitHostPort(cfg.Addr)
		conn, err = tls.DialWithDialer(&d, "tcp", cfg.Addr, &tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12})
	} else {
		conn, err = d.Dial("tcp", cfg.Addr)
	}
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	p := &pop3Conn{c: conn, br: bufio.NewReaderSize(conn, 64<<10), bw: bufio.NewWriterSize(conn, 4<<10)}
	if _, err := p.status("greeting"); err != nil {
		return nil, err
	}
	if _, err := p.cmd("USER " + cfg.User); err != nil {
		return nil, err
	}
	if _, err := p.cmd("PASS " + cfg.Password); err != nil {
		return nil, err
	}
	if _, err := p.cmd("UIDL"); err != nil {
		return nil, err
	}
	var listing bytes.Buffer
	if _, err := p.body(&listing); err != nil {
		return nil, fmt.Errorf("UIDL: %w", err)
	}
	known := map[string]bool{}
	if b, err := os.ReadFile(cfg.State); err == nil {
		for _, u := range strings.Fields(string(b)) {
			known[u] = true
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	type msg struct {
		num  int
		uidl string
	}
	var todo []msg
	res := &ceilingResult{}
	for _, line := range strings.Split(listing.String(), "\r\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		num, err := strconv.Atoi(f[0])
		if err != nil {
			return nil, fmt.Errorf("UIDL line %q", line)
		}
		if known[f[1]] {
			res.AlreadyHad++
			continue
		}
		todo = append(todo, msg{num, f[1]})
	}
	if len(todo) > 0 && !cfg.Discard {
		for _, sub := range []string{"tmp", "new", "cur"} {
			if err := os.MkdirAll(filepath.Join(cfg.Dir, sub), 0o700); err != nil {
				return nil, err
			}
		}
	}
	host, _ := os.Hostname()
	prefix := strconv.FormatInt(time.Now().Unix(), 10) + ".P" + strconv.Itoa(os.Getpid()) + "Q"
	fw := bufio.NewWriterSize(nil, 64<<10)
	var done []string
	sent := 0
	for i := range todo {
		if sent < len(todo) && sent-i <= ceilingWindow/2 {
			for sent < len(todo) && sent-i < ceilingWindow {
				p.bw.WriteString("RETR " + strconv.Itoa(todo[sent].num) + "\r\n")
				sent++
			}
			if err := p.bw.Flush(); err != nil {
				return nil, err
			}
		}
		if _, err := p.status("RETR"); err != nil {
			return nil, err
		}
		if cfg.Discard {
			n, err := p.body(io.Discard)
			if err != nil {
				return nil, fmt.Errorf("RETR %d: %w", todo[i].num, err)
			}
			res.New++
			res.Bytes += n
			done = append(done, todo[i].uidl)
			continue
		}
		name := prefix + strconv.Itoa(i) + "." + host
		tmp := filepath.Join(cfg.Dir, "tmp", name)
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		fw.Reset(f)
		n, err := p.body(fw)
		if err == nil {
			err = fw.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("RETR %d: %w", todo[i].num, err)
		}
		if err := os.Rename(tmp, filepath.Join(cfg.Dir, "new", name)); err != nil {
			return nil, err
		}
		res.New++
		res.Bytes += n
		done = append(done, todo[i].uidl)
	}
	if len(done) > 0 {
		sf, err := os.OpenFile(cfg.State, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, err
		}
		sf.WriteString(strings.Join(done, "\n") + "\n")
		if err := sf.Close(); err != nil {
			return nil, err
		}
	}
	if _, err := p.cmd("QUIT"); err != nil {
		return nil, err
	}
	return res, nil
}
