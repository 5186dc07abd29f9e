// Command postfach-cli is Postfach's command line without the desktop app: exactly the
// code path `postfach backup` runs, built without cgo or Fyne. The benchmark table shows
// it beside the real binary to separate the engine's memory from what linking Fyne costs.
//
// For profiling, BENCH_HEAPPROFILE=FILE writes a heap profile (pprof format, in-use and
// allocated space) each time the live heap after a garbage collection reaches a new
// maximum, so FILE ends up describing the run's peak; BENCH_CPUPROFILE=FILE writes a CPU
// profile of the whole run, BENCH_TRACE=FILE an execution trace (go tool trace: where the
// run waits on the network, on system calls and on other goroutines).
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
	"time"

	"github.com/postfach/postfach/backup/cli"
)

func main() {
	if path := os.Getenv("BENCH_TRACE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			panic(err)
		}
		trace.Start(f)
		code := run()
		trace.Stop()
		f.Close()
		os.Exit(code)
	}
	if path := os.Getenv("BENCH_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			panic(err)
		}
		pprof.StartCPUProfile(f)
		code := run()
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	os.Exit(run())
}

func run() int {
	// As backup/cli/console does.
	if len(os.Args) > 1 && os.Args[1] == "backup" {
		debug.SetGCPercent(50)
	}
	if path := os.Getenv("BENCH_HEAPPROFILE"); path != "" {
		runtime.MemProfileRate = 4096
		stop := make(chan struct{})
		done := make(chan struct{})
		go watchHeap(path, stop, done)
		defer func() { close(stop); <-done }()
	}
	return cli.Main(os.Args[1:])
}

// watchHeap polls the heap every 20 ms and rewrites path whenever the live heap measured
// at the last collection is the largest seen so far.
func watchHeap(path string, stop, done chan struct{}) {
	defer close(done)
	var peak uint64
	var lastGC uint32
	var atPeak, maxSys runtime.MemStats
	defer func() {
		m := atPeak
		fmt.Fprintf(os.Stderr, "heap at its peak: alloc %.1f MiB, in use %.1f, idle not released %.1f, stacks %.1f, spans+GC+other %.1f, Sys %.1f MiB; largest Sys %.1f MiB (heap in use %.1f, idle %.1f, released %.1f); %d GCs\n",
			mb(m.HeapAlloc), mb(m.HeapInuse), mb(m.HeapIdle-m.HeapReleased), mb(m.StackSys), mb(m.MSpanSys+m.MCacheSys+m.GCSys+m.OtherSys+m.BuckHashSys), mb(m.Sys),
			mb(maxSys.Sys), mb(maxSys.HeapInuse), mb(maxSys.HeapIdle), mb(maxSys.HeapReleased), m.NumGC)
	}()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.Sys-ms.HeapReleased > maxSys.Sys-maxSys.HeapReleased {
			maxSys = ms
		}
		if ms.NumGC == lastGC {
			continue
		}
		lastGC = ms.NumGC
		if live := ms.HeapAlloc; live > peak {
			peak, atPeak = live, ms
			if f, err := os.Create(path); err == nil {
				pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
		}
	}
}

func mb(n uint64) float64 { return float64(n) / (1 << 20) }
