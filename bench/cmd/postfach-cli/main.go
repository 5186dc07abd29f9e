// Command postfach-cli is Postfach's command line without the desktop app: exactly the
// code path `postfach backup` runs, built without cgo or Fyne. The benchmarks and the
// credential-leak sweep fall back to it while the repository has no desktop main
// package (the real binary dispatches command-line arguments to the same cli.Main).
package main

import (
	"os"

	"github.com/postfach/postfach/backup/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
