// Command maildirmda is the minimal durable Maildir delivery agent the benchmarks give
// fetchmail (fetchmail runs it once per message): it copies standard input to
// DIR/tmp/NAME, fsyncs the file, renames it to DIR/new/NAME and fsyncs DIR/new, so a
// message counts as delivered only once it survives a power loss — the same guarantee
// Postfach gives. Usage: maildirmda DIR
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"
)

var seq atomic.Int64

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: maildirmda DIR")
		os.Exit(64) // EX_USAGE
	}
	if err := deliver(os.Args[1], os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "maildirmda:", err)
		os.Exit(75) // EX_TEMPFAIL: fetchmail keeps the message on the server
	}
}

func deliver(dir string, r io.Reader) error {
	host, _ := os.Hostname()
	now := time.Now()
	name := strconv.FormatInt(now.Unix(), 10) + ".M" + strconv.Itoa(now.Nanosecond()/1000) +
		"P" + strconv.Itoa(os.Getpid()) + "Q" + strconv.FormatInt(seq.Add(1), 10) + "." + host
	tmp := filepath.Join(dir, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	newDir := filepath.Join(dir, "new")
	if err := os.Rename(tmp, filepath.Join(newDir, name)); err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(newDir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
