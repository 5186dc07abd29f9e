// Command postfach-cli is Postfach's command line without the desktop app: exactly the
// code path `postfach backup` runs, built without cgo or Fyne. The benchmark table shows
// it beside the real binary to separate the engine's memory from what linking Fyne costs.
package main

import (
	"os"

	"github.com/postfach/postfach/backup/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
