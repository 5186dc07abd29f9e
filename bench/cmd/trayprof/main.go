// Command trayprof is the desktop app exactly as main.go starts it, plus a heap profile:
// on SIGUSR1 it collects garbage and writes the in-use heap (pprof format) to
// $BENCH_HEAPPROFILE. BenchmarkTrayIdle uses it with BENCH_TRAY_PROFILE=1 to say what the
// idle app's Go heap holds. Build it with -tags migrated_fynedo, like the app.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"

	"fyne.io/fyne/v2/app"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/gui"
	"github.com/postfach/postfach/gui/realcore"
)

func main() {
	runtime.MemProfileRate = 4096
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		for range usr1 {
			runtime.GC()
			if f, err := os.Create(os.Getenv("BENCH_HEAPPROFILE")); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	}()
	dir, err := accounts.DefaultDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "trayprof:", err)
		os.Exit(1)
	}
	core := realcore.New(accounts.OpenStore(dir))
	// The app ID of main.go, so preferences and translations behave the same.
	os.Exit(gui.Run(app.NewWithID("de.postfach.app"), core, gui.Options{Tray: gui.TrayAvailable()}))
}
