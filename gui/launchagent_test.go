package gui

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestLaunchAgentPath(t *testing.T) {
	if got, want := launchAgentPath("/Users/Jürgen Groß", "de.postfach.app"), "/Users/Jürgen Groß/Library/LaunchAgents/de.postfach.app.plist"; got != filepath.FromSlash(want) {
		t.Errorf("launchAgentPath = %q, want %q", got, want)
	}
}

// TestLaunchAgentGolden pins the whole property list for one awkward path.
func TestLaunchAgentGolden(t *testing.T) {
	got, err := launchAgent("de.postfach.app", "/Users/Jürgen Groß/Programme/Post & Fach <neu>.app/Contents/MacOS/Postfach")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "launchagent.plist")
	if *updateGolden {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("launchAgent =\n%s\nwant (%s)\n%s", got, golden, want)
	}
}

// TestLaunchAgentArguments reads the list back as XML: whatever the path holds, launchd
// gets exactly the executable and StartHiddenArg.
func TestLaunchAgentArguments(t *testing.T) {
	for _, exe := range []string{
		"/Applications/Postfach.app/Contents/MacOS/Postfach",
		"/Users/Jürgen Groß/Applications/Postfach.app/Contents/MacOS/Postfach",
		`/Volumes/Daten & "Mail"/Post<fach>'s.app/Contents/MacOS/Postfach`,
		"/Applications/]]>&amp;.app/Contents/MacOS/Postfach",
	} {
		t.Run(exe, func(t *testing.T) {
			data, err := launchAgent("de.postfach.app", exe)
			if err != nil {
				t.Fatal(err)
			}
			label, args := readLaunchAgent(t, data)
			if label != "de.postfach.app" {
				t.Errorf("Label = %q", label)
			}
			if want := []string{exe, StartHiddenArg}; !slices.Equal(args, want) {
				t.Errorf("ProgramArguments = %q, want %q", args, want)
			}
		})
	}
}

func TestLaunchAgentTranslocated(t *testing.T) {
	exe := "/private/var/folders/xy/T/AppTranslocation/1A2B/d/Postfach.app/Contents/MacOS/Postfach"
	if _, err := launchAgent("de.postfach.app", exe); !errors.Is(err, errTranslocated) {
		t.Errorf("launchAgent from a translocated copy = %v, want errTranslocated", err)
	}
}

// readLaunchAgent decodes the Label and ProgramArguments of a LaunchAgent property list.
func readLaunchAgent(t *testing.T, data []byte) (label string, args []string) {
	t.Helper()
	var p struct {
		Dict struct {
			Items []struct {
				XMLName xml.Name
				Text    string   `xml:",chardata"`
				Strings []string `xml:"string"`
			} `xml:",any"`
		} `xml:"dict"`
	}
	if err := xml.Unmarshal(data, &p); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, data)
	}
	items := p.Dict.Items
	for i := 0; i+1 < len(items); i++ {
		if items[i].XMLName.Local != "key" {
			continue
		}
		switch items[i].Text {
		case "Label":
			label = items[i+1].Text
		case "ProgramArguments":
			args = items[i+1].Strings
		}
	}
	return label, args
}

// TestSetLaunchAgent writes, rewrites and removes the file in a stand-in home folder,
// as autostart_darwin.go does in the real one.
func TestSetLaunchAgent(t *testing.T) {
	home := filepath.Join(t.TempDir(), "Jürgen Groß")
	const id = "de.postfach.app"
	if launchAgentExists(home, id) {
		t.Fatal("launch agent exists before it was written")
	}
	for _, exe := range []string{"/Applications/Postfach.app/Contents/MacOS/Postfach", "/Users/j/Applications/Postfach.app/Contents/MacOS/Postfach"} {
		if err := setLaunchAgent(home, id, exe, true); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(home, "Library", "LaunchAgents", id+".plist"))
		if err != nil {
			t.Fatal(err)
		}
		if _, args := readLaunchAgent(t, data); len(args) == 0 || args[0] != exe {
			t.Errorf("after writing for %s: ProgramArguments = %q", exe, args)
		}
		if !launchAgentExists(home, id) {
			t.Error("launch agent missing after it was written")
		}
	}
	if err := setLaunchAgent(home, id, "/private/var/folders/x/AppTranslocation/y/Postfach.app/Contents/MacOS/Postfach", true); !errors.Is(err, errTranslocated) {
		t.Errorf("writing for a translocated app = %v, want errTranslocated", err)
	}
	for range 2 { // switching off twice is fine
		if err := setLaunchAgent(home, id, "", false); err != nil {
			t.Fatal(err)
		}
	}
	if launchAgentExists(home, id) {
		t.Error("launch agent still there after it was removed")
	}
	if ents, _ := os.ReadDir(filepath.Join(home, "Library", "LaunchAgents")); len(ents) != 0 {
		t.Errorf("LaunchAgents holds %d files, want none", len(ents))
	}
}
