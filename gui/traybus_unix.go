//go:build linux || freebsd || openbsd || netbsd

package gui

import (
	"time"

	"github.com/godbus/dbus/v5"
)

// TrayAvailable reports whether a tray icon is safe to show. On Linux and the BSDs the tray
// (StatusNotifierItem) talks over the session D-Bus, and Fyne's tray code panics on quit
// when there is none (fyne-io/fyne#6403). So: only when a session bus answers. The check
// never starts a bus itself (godbus would otherwise launch a dbus-daemon that outlives
// us) and gives up after two seconds.
func TrayAvailable() bool {
	ok := make(chan bool, 1)
	go func() {
		conn, err := dbus.SessionBusPrivateNoAutoStartup()
		if err != nil {
			ok <- false
			return
		}
		defer conn.Close()
		ok <- conn.Auth(nil) == nil && conn.Hello() == nil
	}()
	select {
	case v := <-ok:
		return v
	case <-time.After(2 * time.Second):
		return false
	}
}
