package dovecottest

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	s := Start(t)
	s.AddUser(t, "p", "p", 0)
	orig, _ := os.ReadFile(s.ConfPath)
	for _, v := range []struct{ name, from, to string }{
		{"current", "", ""},
		{"no-anvil-override", "unix_listener anvil-auth-penalty {\n    mode = 0\n  }", ""},
		{"no-failure-delay-setting", "auth_failure_delay = 0\n", ""},
	} {
		conf := string(orig)
		if v.from != "" {
			conf = strings.Replace(conf, v.from, v.to, 1)
		}
		os.WriteFile(s.ConfPath, []byte(conf), 0o644)
		s.Restart(t)
		var ds []string
		for i := 0; i < 5; i++ {
			t1 := time.Now()
			c := dialPOP3(t, s.POP3Addr())
			c.cmd("USER p")
			c.conn.Write([]byte("PASS wrong\r\n"))
			c.r.ReadString('\n')
			ds = append(ds, time.Since(t1).Round(10*time.Millisecond).String())
			c.conn.Close()
		}
		t.Logf("%s: %v", v.name, ds)
	}
}
