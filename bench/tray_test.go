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
	app, note := startTray(b, bin, bin, m, false)
	if app == nil {
		return 0, 0, note
	}
	defer app.stop()
	select {
	case <-app.exited:
		return 0, 0, "failed: the app exited within 20 s: " + firstLine(tailString(app.out.String(), 300))
	case <-time.After(20 * time.Second):
	}
	pid := findAppPID(bin, app.home)
	if pid == 0 {
		return 0, 0, "failed: app process not found"
	}
	rss, hwm = procStatusKB(pid, "VmRSS")*1024, procStatusKB(pid, "VmHWM")*1024
	anon, file := procStatusKB(pid, "RssAnon")*1024, procStatusKB(pid, "RssFile")*1024
	fmt.Printf("bench: tray idle pid %d VmRSS %.1f MiB (anon %.1f, file %.1f) VmHWM %.1f MiB\n", pid, mib(rss), mib(anon), mib(file), mib(hwm))
	trayDetail = fmt.Sprintf("anon %.1f + file-backed %.1f MiB; Xvfb, so GL is Mesa's software renderer", mib(anon), mib(file))
	return rss, hwm, ""
}

// trayApp is the desktop app running under xvfb-run in its own process group.
type trayApp struct {
	home   string
	cmd    *exec.Cmd
	out    *bytes.Buffer
	exited chan struct{}
	stop   func()
}

// startTray adds the three accounts to a private home and starts the desktop app under
// xvfb-run, with its window shown or (hidden) only in the tray, as the autostart entry
// starts it. bin adds the accounts; appBin is the app started (the same binary, or
// bench/cmd/trayprof). It returns nil and a note when the app cannot run here.
func startTray(b *testing.B, bin, appBin string, m *mailbox, hidden bool) (*trayApp, string) {
	if _, err := exec.LookPath("xvfb-run"); err != nil {
		return nil, "skipped: xvfb-run not installed"
	}
	dir, err := os.MkdirTemp("", "bench-tray")
	if err != nil {
		b.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	common := []string{"--email", "bench@example.org", "--host", m.srv.Host, "--username", m.user.Name, "--password-stdin"}
	adds := [][]string{
		{"--name", "pop3", "--protocol", "pop3", "--port", strconv.Itoa(m.srv.POP3Port), "--security", "starttls",
			"--backup-dir", filepath.Join(dir, "b1"), "--keep-forever", "--schedule", "off"},
		{"--name", "pop3s", "--protocol", "pop3", "--port", strconv.Itoa(m.srv.POP3SPort), "--security", "tls",
			"--backup-dir", filepath.Join(dir, "b2"), "--keep-forever", "--schedule", "off"},
		{"--name", "imap", "--protocol", "imap", "--port", strconv.Itoa(m.srv.IMAPSPort), "--security", "tls"},
	}
	var names []string
	removeAccounts := func() {
		for _, n := range names {
			cli(b, bin, home, m, "", "account", "remove", n)
		}
		os.RemoveAll(dir)
	}
	for _, a := range adds {
		cli(b, bin, home, m, m.user.Password, append(append([]string{"account", "add"}, a...), common...)...)
		names = append(names, a[1])
	}
	args := []string{"-a", "-s", "-screen 0 1280x800x24", appBin}
	if hidden {
		args = append(args, "--start-hidden")
	}
	cmd := exec.Command("xvfb-run", args...)
	cmd.Env = append(os.Environ(), "POSTFACH_HOME="+home, "SSL_CERT_FILE="+m.srv.CertPEMFile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		removeAccounts()
		return nil, "failed to start xvfb-run: " + err.Error()
	}
	app := &trayApp{home: home, cmd: cmd, out: out, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(app.exited) }()
	app.stop = func() {
		// Our own process group: xvfb-run, Xvfb and the app.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-app.exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-app.exited
		}
		removeAccounts()
	}
	return app, ""
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

// BenchmarkTrayIdle measures the desktop app idle in the tray over BENCH_TRAY_MINUTES
// (default 10) under Xvfb: started as the autostart entry starts it (--start-hidden, the
// window never shown; BENCH_TRAY_SHOWN=1 shows it instead), three accounts, schedules
// off. Each minute it prints VmRSS (anonymous + file-backed), the CPU used in that minute
// and the Go heap after the app's last garbage collection (GODEBUG=gctrace=1); at the end
// the largest mappings (smaps), which separate Mesa's software GL, the shared libraries,
// the binary and the anonymous memory (Go heap and GL buffers alike). BENCH_TRAY_PROFILE=1
// runs bench/cmd/trayprof instead of the app and writes its heap profile at the end.
// bench/tray-idle.sh runs it.
func BenchmarkTrayIdle(b *testing.B) {
	if os.Getenv("BENCH_TRAY_IDLE") != "1" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		b.Skip("takes 10 minutes: run bench/tray-idle.sh")
	}
	bin := postfachBin(b)
	appBin := bin
	if os.Getenv("BENCH_TRAY_PROFILE") == "1" {
		appBin = trayProfBin(b, bin)
	}
	m := trayMailbox(b)
	minutes := 10
	if v, err := strconv.Atoi(os.Getenv("BENCH_TRAY_MINUTES")); err == nil && v >= 0 {
		minutes = v
	}
	shown := os.Getenv("BENCH_TRAY_SHOWN") == "1"
	os.Setenv("GODEBUG", "gctrace=1")
	if appBin != bin {
		os.Setenv("BENCH_HEAPPROFILE", filepath.Join(os.TempDir(), "tray-heap.out"))
	}
	app, note := startTray(b, bin, appBin, m, !shown)
	os.Unsetenv("GODEBUG")
	if app == nil {
		b.Skip(note)
	}
	defer app.stop()
	var pid int
	for deadline := time.Now().Add(20 * time.Second); pid == 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		pid = findAppPID(appBin, app.home)
	}
	if pid == 0 {
		b.Fatalf("app process not found: %s", tailString(app.out.String(), 500))
	}
	fmt.Printf("bench: tray idle, window %s, pid %d, %d minutes\n", map[bool]string{true: "shown", false: "never shown (--start-hidden)"}[shown], pid, minutes)
	fmt.Printf("bench: tray  min   VmRSS    anon    file   CPU %%  Go heap (last GC)\n")
	lastCPU, lastT := procCPUTicks(pid), time.Now()
	var rss int64
	for i := 0; i <= minutes; i++ {
		if i > 0 {
			select {
			case <-app.exited:
				b.Fatalf("the app exited: %s", tailString(app.out.String(), 500))
			case <-time.After(time.Minute):
			}
		}
		cpu, now := procCPUTicks(pid), time.Now()
		pct := float64(cpu-lastCPU) / 100 / now.Sub(lastT).Seconds() * 100
		lastCPU, lastT = cpu, now
		rss = procStatusKB(pid, "VmRSS") << 10
		fmt.Printf("bench: tray %4d %6.1f  %6.1f  %6.1f  %5.2f  %s\n", i, mib(rss),
			mib(procStatusKB(pid, "RssAnon")<<10), mib(procStatusKB(pid, "RssFile")<<10), pct, lastGCLine(app.out.String()))
	}
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		b.Fatalf("smaps: %v", err)
	}
	fmt.Printf("bench: tray largest mappings at the end:\n%s", summarizeSmaps(maps))
	if appBin != bin {
		syscall.Kill(pid, syscall.SIGUSR1)
		time.Sleep(2 * time.Second)
		fmt.Printf("bench: tray heap profile in %s (go tool pprof -sample_index=inuse_space %s %s)\n",
			os.Getenv("BENCH_HEAPPROFILE"), appBin, os.Getenv("BENCH_HEAPPROFILE"))
	}
	b.ReportMetric(mib(rss), "RSS-MiB")
}

// trayMailbox is the server the tray's accounts point at: nothing is downloaded, so an
// empty user does.
func trayMailbox(b *testing.B) *mailbox {
	srv := benchServer(b)
	return &mailbox{srv: srv, user: srv.AddUser(processTB{b}, "traybench", "traybench-pw", 0)}
}

// procCPUTicks returns a process's user + system time in clock ticks (USER_HZ, 100/s).
func procCPUTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count from the closing parenthesis.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// lastGCLine returns the heap figures of the last gctrace line in out ("31->31->21 MB,
// 43 MB goal"): the heap at the start and end of that collection and what is live after
// it, and the size at which the next one starts.
func lastGCLine(out string) string {
	i := strings.LastIndex(out, "\ngc ")
	if i < 0 {
		return "–"
	}
	line := out[i+1:]
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	f := strings.Split(line, ", ")
	for k := range f {
		if strings.HasSuffix(f[k], " MB") && strings.Contains(f[k], "->") && k+1 < len(f) {
			return f[k] + ", " + f[k+1]
		}
	}
	return line
}

// trayProfBin builds bench/cmd/trayprof next to the desktop binary.
func trayProfBin(b *testing.B, bin string) string {
	out := filepath.Join(filepath.Dir(bin), "trayprof")
	if msg, err := exec.Command("go", "build", "-tags", "migrated_fynedo", "-o", out, "./cmd/trayprof").CombinedOutput(); err != nil {
		b.Fatalf("go build trayprof: %v\n%s", err, msg)
	}
	return out
}
