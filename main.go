// Command postfach is Postfach: with arguments it is the command line (see
// `postfach help`), without arguments the desktop app.
package main

import (
	"fmt"
	"os"

	"fyne.io/fyne/v2/app"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup/cli"
	"github.com/postfach/postfach/backup/cli/handover"
	"github.com/postfach/postfach/gui"
	"github.com/postfach/postfach/gui/realcore"
)

// appID must match FyneApp.toml: Fyne keeps preferences under it, and the desktop entry
// and autostart file are named after it.
const appID = "de.postfach.app"

func main() {
	if len(os.Args) > 1 && os.Args[1] != gui.StartHiddenArg {
		handover.Exec(os.Args[1:])
		os.Exit(cli.Main(os.Args[1:]))
	}
	dir, err := accounts.DefaultDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "postfach:", err)
		os.Exit(1)
	}
	core := realcore.New(accounts.OpenStore(dir))
	os.Exit(gui.Run(app.NewWithID(appID), core, gui.Options{Tray: gui.TrayAvailable()}))
}
