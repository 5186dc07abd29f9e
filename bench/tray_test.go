package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// trayIdle starts the desktop app under xvfb-run with three accounts (POP3 with backup,
// POP3S with backup, IMAP for quota; schedules off so nothing runs), lets it settle for
// 20 s and reads the app process's VmRSS and VmHWM. The note is set instead when the
// measurement is impossible.
func trayIdle(b *testing.B, bin string, m *mailbox) (rss, hwm int64, note string) {
	if _, err := exec.LookPath("xvfb-run"); err != nil {
		return 0, 0, "skipped: xvfb-run not installed"
	}
	dir, err := os.MkdirTemp("", "bench-tray")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	home := filepath.Join(dir, "home")
	common := []string{"--email", "bench@example.org", "--host", m.srv.Host, "--username", m.user.Name, "--password-stdin"}
	adds := [][]string{
		{"--name", "pop3", "--protocol", "pop3", "--port", strconv.Itoa(m.srv.POP3Port), "--security", "starttls",
			"--backup-dir", filepath.Join(dir, "b1"), "--keep-forever", "--schedule", "off"},
		{"--name", "pop3s", "--protocol", "pop3", "--port", strconv.Itoa(m.srv.POP3SPort), "--security", "tls",
			"--backup-dir", filepath.Join(dir, "b2"), "--keep-forever", "--schedule", "off"},
		{"--name", "imap", "--protocol", "imap", "--port", strconv.Itoa(m.srv.IMAPSPort), "--security", "tls"},
	}
	for _, a := range adds {
		cli(b, bin, home, m, m.user.Password, append(append([]string{"account", "add"}, a...), common...)...)
		defer cli(b, bin, home, m, "", "account", "remove", a[1])
	}
	cmd := exec.Command("xvfb-run", "-a", "-s", "-screen 0 1280x800x24", bin)
	cmd.Env = append(os.Environ(), "POSTFACH_HOME="+home, "SSL_CERT_FILE="+m.srv.CertPEMFile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return 0, 0, "failed to start xvfb-run: " + err.Error()
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		// Our own process group: xvfb-run, Xvfb and the app.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}()
	select {
	case <-exited:
		return 0, 0, "failed: the app exited within 20 s: " + firstLine(tailString(out.String(), 300))
	case <-time.After(20 * time.Second):
	}
	pid := findAppPID(bin, home)
	if pid == 0 {
		return 0, 0, "failed: app process not found"
	}
	rss, hwm = procStatusKB(pid, "VmRSS")*1024, procStatusKB(pid, "VmHWM")*1024
	anon, file := procStatusKB(pid, "RssAnon")*1024, procStatusKB(pid, "RssFile")*1024
	syscall.Kill(pid, syscall.SIGTERM)
	fmt.Printf("bench: tray idle pid %d VmRSS %.1f MiB (anon %.1f, file %.1f) VmHWM %.1f MiB\n", pid, mib(rss), mib(anon), mib(file), mib(hwm))
	trayDetail = fmt.Sprintf("anon %.1f + file-backed %.1f MiB; Xvfb, so GL is Mesa's software renderer", mib(anon), mib(file))
	return rss, hwm, ""
}

// trayDetail breaks the tray figure down for the table.
var trayDetail string

// findAppPID finds the process running bin with POSTFACH_HOME=home.
func findAppPID(bin, home string) int {
	want, _ := filepath.EvalSymlinks(bin)
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil || exe != want {
			continue
		}
		env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		for _, kv := range bytes.Split(env, []byte{0}) {
			if string(kv) == "POSTFACH_HOME="+home {
				return pid
			}
		}
	}
	return 0
}

func procStatusKB(pid int, field string) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n
			}
		}
	}
	return 0
}
