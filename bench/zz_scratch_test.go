package bench

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestScratchServer(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	m := benchMailbox(t)
	f, _ := os.Create("/tmp/pfbench/scratch.env")
	fmt.Fprintf(f, "POP3=%d\nPOP3S=%d\nIMAP=%d\nIMAPS=%d\nCERT=%s\nDIR=%s\n", m.srv.POP3Port, m.srv.POP3SPort, m.srv.IMAPPort, m.srv.IMAPSPort, m.srv.CertPEMFile, m.srv.Dir)
	f.Close()
	time.Sleep(60 * time.Minute)
}
