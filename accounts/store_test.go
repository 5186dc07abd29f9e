package accounts_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/oauth"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const goldenConfig = "testdata/config.golden.json"

// goldenAccounts are the two accounts of testdata/config.golden.json, as a user enters
// them: no port, no username, a fingerprint as openssl prints it.
func goldenAccounts() []accounts.Account {
	pop := validPOP3()
	pop.Port, pop.Username, pop.Security = 0, "", ""
	pop.PinnedSHA256 = fpColons
	pop.ProtocolChosenAt = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	pop.Backup.Schedule = accounts.Schedule{Kind: accounts.Daily, Minute: 150}

	imap := validIMAP()
	imap.Port, imap.Security = 0, accounts.StartTLS
	imap.ProtocolChosenAt = time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)
	return []accounts.Account{pop, imap}
}

func newStore(t *testing.T) *accounts.Store {
	t.Helper()
	return accounts.OpenStore(filepath.Join(t.TempDir(), "postfach"))
}

func mustAdd(t *testing.T, s *accounts.Store, a accounts.Account) accounts.Account {
	t.Helper()
	got, err := s.Add(a)
	if err != nil {
		t.Fatalf("Add(%s) = %v", a.Name, err)
	}
	return got
}

// checkNoTempFiles asserts the config folder holds nothing but the config and its lock.
func checkNoTempFiles(t *testing.T, s *accounts.Store) {
	t.Helper()
	ents, err := os.ReadDir(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != "config.json" && e.Name() != "config.lock" {
			t.Errorf("unexpected file %q in the config folder", e.Name())
		}
	}
}

func TestStoreGolden(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the golden backup folder is a Unix path")
	}
	s := newStore(t)
	for _, a := range goldenAccounts() {
		mustAdd(t, s, a)
	}
	got, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(goldenConfig, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenConfig)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("config written by Store differs from %s (run go test -update if intended):\n got: %s\nwant: %s", goldenConfig, got, want)
	}

	// The golden file reads back as what was stored.
	c, err := accounts.ParseConfig(want, goldenConfig)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Accounts, list) {
		t.Errorf("ParseConfig(golden) = %+v\nList() = %+v", c.Accounts, list)
	}
	// Password accounts only: version 1, which older builds read too.
	if c.Version != 1 {
		t.Errorf("Version = %d, want 1", c.Version)
	}
	pop, imap := c.Accounts[0], c.Accounts[1]
	if pop.Port != 995 || pop.Username != pop.Email || pop.Security != accounts.TLS || pop.PinnedSHA256 != fp || pop.Backup == nil {
		t.Errorf("POP3 account not normalised: %+v", pop)
	}
	if imap.Port != 143 || imap.Username != "anna" || imap.Backup != nil {
		t.Errorf("IMAP account not normalised: %+v", imap)
	}
}

func TestStoreAddListGet(t *testing.T) {
	s := newStore(t)
	if list, err := s.List(); err != nil || len(list) != 0 {
		t.Fatalf("List() of a new store = %v, %v; want empty", list, err)
	}
	if _, err := os.Stat(s.Dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reading created the config folder (%v)", err)
	}
	ga := goldenAccounts()
	pop := mustAdd(t, s, ga[0])
	imap := mustAdd(t, s, ga[1])

	noID := validIMAP()
	noID.ID, noID.Name = "", "Club"
	club := mustAdd(t, s, noID)
	if club.ID == "" {
		t.Error("Add did not assign an ID")
	}

	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range list {
		names = append(names, a.Name)
	}
	if got := strings.Join(names, ","); got != "Home,Work,Club" {
		t.Errorf("List() order = %s, want Home,Work,Club", got)
	}
	if !reflect.DeepEqual(list, []accounts.Account{pop, imap, club}) {
		t.Errorf("List() = %+v, want what Add returned", list)
	}

	tests := []struct {
		key    string
		wantID string
	}{
		{"Home", pop.ID}, {"home", pop.ID}, {"HOME", pop.ID},
		{"work", imap.ID}, {"wOrK", imap.ID},
		{pop.ID, pop.ID}, {imap.ID, imap.ID}, {club.ID, club.ID}, {"club", club.ID},
	}
	for _, tt := range tests {
		got, err := s.Get(tt.key)
		if err != nil || got.ID != tt.wantID {
			t.Errorf("Get(%q) = %s, %v; want %s", tt.key, got.ID, err, tt.wantID)
		}
	}
	for _, key := range []string{"", "Hom", "Home ", strings.ToUpper(pop.ID)} {
		if _, err := s.Get(key); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("Get(%q) = %v, want ErrNotFound", key, err)
		}
	}
	checkNoTempFiles(t, s)
}

func TestStoreAddRefused(t *testing.T) {
	s := newStore(t)
	home := mustAdd(t, s, validPOP3())
	before, _ := os.ReadFile(s.Path())

	tests := []struct {
		name   string
		a      func() accounts.Account
		wantIs error
		want   string
	}{
		{"same name", func() accounts.Account { a := validIMAP(); a.Name = "Home"; return a }, accounts.ErrDuplicate, ""},
		{"same name other case and spaces", func() accounts.Account { a := validIMAP(); a.Name = " hOME "; return a }, accounts.ErrDuplicate, ""},
		{"same id", func() accounts.Account { a := validIMAP(); a.ID = home.ID; return a }, accounts.ErrDuplicate, ""},
		{"invalid", func() accounts.Account { a := validIMAP(); a.Protocol = ""; return a }, nil, "no default"},
		{"plaintext without opt-in", func() accounts.Account { a := validIMAP(); a.Security = accounts.None; return a }, accounts.ErrPlaintextNotAllowed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Add(tt.a())
			if err == nil {
				t.Fatal("Add succeeded")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Add() = %v, want %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Add() = %q, want it to contain %q", err, tt.want)
			}
			if after, _ := os.ReadFile(s.Path()); !bytes.Equal(before, after) {
				t.Error("a refused Add changed the config file")
			}
		})
	}
}

func TestStoreAddInvalidWritesNothing(t *testing.T) {
	s := newStore(t)
	a := validPOP3()
	a.Backup = nil
	if _, err := s.Add(a); err == nil {
		t.Fatal("Add of an invalid account succeeded")
	}
	if _, err := os.Stat(s.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("config file exists after a refused Add (%v)", err)
	}
}

func TestStoreUpdate(t *testing.T) {
	s := newStore(t)
	ga := goldenAccounts()
	pop := mustAdd(t, s, ga[0])
	imap := mustAdd(t, s, ga[1])

	t.Run("change host and name", func(t *testing.T) {
		a := imap
		a.Host, a.Name = "mail.work.example", "Office"
		if err := s.Update(a, false); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get("office")
		if err != nil || got.Host != "mail.work.example" || got.ID != imap.ID {
			t.Fatalf("Get(office) = %+v, %v", got, err)
		}
		if !got.ProtocolChosenAt.Equal(imap.ProtocolChosenAt) {
			t.Errorf("ProtocolChosenAt changed from %v to %v without a protocol switch", imap.ProtocolChosenAt, got.ProtocolChosenAt)
		}
		if _, err := s.Get("Work"); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("old name still found: %v", err)
		}
		imap = got
	})
	t.Run("unknown id", func(t *testing.T) {
		a := imap
		a.ID = "nope"
		if err := s.Update(a, false); !errors.Is(err, accounts.ErrNotFound) {
			t.Errorf("Update() = %v, want ErrNotFound", err)
		}
	})
	t.Run("rename onto another account", func(t *testing.T) {
		a := imap
		a.Name = "HOME"
		if err := s.Update(a, false); !errors.Is(err, accounts.ErrDuplicate) {
			t.Errorf("Update() = %v, want ErrDuplicate", err)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		a := imap
		a.Port = 70000
		if err := s.Update(a, false); err == nil || !strings.Contains(err.Error(), "port 70000") {
			t.Errorf("Update() = %v, want a port error", err)
		}
	})

	t.Run("protocol switch refused", func(t *testing.T) {
		before, _ := os.ReadFile(s.Path())
		a := pop
		a.Protocol, a.Backup, a.Port = accounts.IMAP, nil, 993
		err := s.Update(a, false)
		if !errors.Is(err, accounts.ErrProtocolSwitch) {
			t.Fatalf("Update() = %v, want ErrProtocolSwitch", err)
		}
		for _, why := range []string{"pop3 to imap", "left behind", "explicit switch"} {
			if !strings.Contains(err.Error(), why) {
				t.Errorf("error %q does not say %q", err, why)
			}
		}
		if after, _ := os.ReadFile(s.Path()); !bytes.Equal(before, after) {
			t.Error("a refused protocol switch changed the config file")
		}
	})
	t.Run("protocol switch allowed", func(t *testing.T) {
		a := pop
		a.Protocol, a.Backup, a.Port = accounts.IMAP, nil, 993
		start := time.Now().Add(-time.Second)
		if err := s.Update(a, true); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(pop.ID)
		if err != nil || got.Protocol != accounts.IMAP || got.Backup != nil {
			t.Fatalf("Get() = %+v, %v", got, err)
		}
		if got.ProtocolChosenAt.Before(start) {
			t.Errorf("ProtocolChosenAt = %v, want the time of the switch", got.ProtocolChosenAt)
		}
	})
	checkNoTempFiles(t, s)
}

func TestStoreRemove(t *testing.T) {
	s := newStore(t)
	ga := goldenAccounts()
	pop := mustAdd(t, s, ga[0])
	imap := mustAdd(t, s, ga[1])
	club := validIMAP()
	club.ID, club.Name = "", "Club"
	club = mustAdd(t, s, club)

	got, err := s.Remove("WORK")
	if err != nil || got.ID != imap.ID {
		t.Fatalf("Remove(WORK) = %+v, %v", got, err)
	}
	if got, err = s.Remove(pop.ID); err != nil || got.ID != pop.ID {
		t.Fatalf("Remove(id) = %+v, %v", got, err)
	}
	if _, err := s.Remove("Work"); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("second Remove = %v, want ErrNotFound", err)
	}
	list, err := s.List()
	if err != nil || len(list) != 1 || list[0].ID != club.ID {
		t.Errorf("List() = %+v, %v; want only Club", list, err)
	}
	// A removed name can be used again.
	mustAdd(t, s, ga[1])
	checkNoTempFiles(t, s)
}

func TestStorePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permissions")
	}
	s := newStore(t)
	mustAdd(t, s, validIMAP())
	for _, tt := range []struct {
		path string
		want os.FileMode
	}{
		{s.Dir(), 0o700 | os.ModeDir},
		{s.Path(), 0o600},
		{filepath.Join(s.Dir(), "config.lock"), 0o600},
	} {
		fi, err := os.Stat(tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != tt.want {
			t.Errorf("%s: mode %v, want %v", tt.path, fi.Mode(), tt.want)
		}
	}
	// Rewrites keep 0600 even if someone loosened the file.
	if err := os.Chmod(s.Path(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Remove("Work"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(s.Path()); fi.Mode() != 0o600 {
		t.Errorf("after rewrite: mode %v, want 0600", fi.Mode())
	}
}

func TestStoreConcurrentAdds(t *testing.T) {
	s := newStore(t)
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := validIMAP()
			a.ID, a.Name = "", fmt.Sprintf("Account %d", i)
			_, err := s.Add(a)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	list, err := s.List()
	if err != nil || len(list) != n {
		t.Fatalf("List() = %d accounts, %v; want %d (a lost update?)", len(list), err, n)
	}
	checkNoTempFiles(t, s)
}

// goldenBytes returns the golden config, or builds the same bytes if it is missing.
func goldenBytes(t testing.TB) []byte {
	data, err := os.ReadFile(goldenConfig)
	if err != nil {
		t.Fatalf("%v (run go test -run TestStoreGolden -update)", err)
	}
	return data
}

// badConfigs are config files the store must refuse to read and never overwrite. They
// seed FuzzParseConfig too.
func badConfigs(t testing.TB) []struct {
	name   string
	data   []byte
	wantIs error
} {
	g := goldenBytes(t)
	mutate := func(f func(c map[string]any, accts []any)) []byte {
		var c map[string]any
		_ = json.Unmarshal(g, &c)
		f(c, c["accounts"].([]any))
		b, _ := json.Marshal(c)
		return b
	}
	acct := func(accts []any, i int) map[string]any { return accts[i].(map[string]any) }
	type bad = struct {
		name   string
		data   []byte
		wantIs error
	}
	cases := []bad{
		{"empty file", nil, accounts.ErrCorruptConfig},
		{"whitespace", []byte(" \n"), accounts.ErrCorruptConfig},
		{"garbage", []byte("this is not a config\n"), accounts.ErrCorruptConfig},
		{"binary", []byte{0, 0xff, 0xfe, 0x7b}, accounts.ErrCorruptConfig},
		{"null", []byte("null"), accounts.ErrCorruptConfig},
		{"array", []byte("[]"), accounts.ErrCorruptConfig},
		{"empty object", []byte("{}"), accounts.ErrCorruptConfig},
		{"version 0", []byte(`{"version":0,"accounts":[]}`), accounts.ErrCorruptConfig},
		{"negative version", []byte(`{"version":-1,"accounts":[]}`), accounts.ErrCorruptConfig},
		{"version as string", []byte(`{"version":"1","accounts":[]}`), accounts.ErrCorruptConfig},
		{"fractional version", []byte(`{"version":1.5,"accounts":[]}`), accounts.ErrCorruptConfig},
		{"accounts not a list", []byte(`{"version":1,"accounts":{}}`), accounts.ErrCorruptConfig},
		{"trailing garbage", append(append([]byte{}, g...), "garbage"...), accounts.ErrCorruptConfig},
		{"two documents", append(append([]byte{}, g...), g...), accounts.ErrCorruptConfig},
		{"unknown top-level field", mutate(func(c map[string]any, _ []any) { c["theme"] = "dark" }), accounts.ErrCorruptConfig},
		{"unknown account field", mutate(func(_ map[string]any, a []any) { acct(a, 0)["password"] = "hunter2" }), accounts.ErrCorruptConfig},
		{"unknown backup field", mutate(func(_ map[string]any, a []any) {
			acct(a, 0)["backup"].(map[string]any)["compress"] = true
		}), accounts.ErrCorruptConfig},
		{"invalid account: plaintext without opt-in", mutate(func(_ map[string]any, a []any) { acct(a, 1)["security"] = "none" }), accounts.ErrCorruptConfig},
		{"invalid account: pop3 without backup", mutate(func(_ map[string]any, a []any) { delete(acct(a, 0), "backup") }), accounts.ErrCorruptConfig},
		{"invalid account: imap with backup", mutate(func(_ map[string]any, a []any) { acct(a, 1)["backup"] = acct(a, 0)["backup"] }), accounts.ErrCorruptConfig},
		{"invalid account: no protocol", mutate(func(_ map[string]any, a []any) { acct(a, 1)["protocol"] = "" }), accounts.ErrCorruptConfig},
		{"invalid account: bad port", mutate(func(_ map[string]any, a []any) { acct(a, 1)["port"] = 0 }), accounts.ErrCorruptConfig},
		{"invalid account: bad schedule", mutate(func(_ map[string]any, a []any) {
			acct(a, 0)["backup"].(map[string]any)["schedule"] = map[string]any{"kind": "every", "hours": 0}
		}), accounts.ErrCorruptConfig},
		{"missing id", mutate(func(_ map[string]any, a []any) { delete(acct(a, 1), "id") }), accounts.ErrCorruptConfig},
		{"repeated id", mutate(func(_ map[string]any, a []any) { acct(a, 1)["id"] = acct(a, 0)["id"] }), accounts.ErrCorruptConfig},
		{"wrong type", mutate(func(_ map[string]any, a []any) { acct(a, 1)["port"] = "993" }), accounts.ErrCorruptConfig},
		{"bad time", mutate(func(_ map[string]any, a []any) { acct(a, 1)["protocol_chosen_at"] = "yesterday" }), accounts.ErrCorruptConfig},

		{"oauth_providers in version 1", []byte(`{"version":1,"accounts":[],"oauth_providers":{"google":{"client_id":"x"}}}`), accounts.ErrCorruptConfig},
		{"oauth_providers: unknown provider", []byte(`{"version":2,"accounts":[],"oauth_providers":{"yahoo":{"client_id":"x"}}}`), accounts.ErrCorruptConfig},
		{"oauth_providers: http endpoint", []byte(`{"version":2,"accounts":[],"oauth_providers":{"microsoft":{"auth_url":"http://a.example/auth","token_url":"https://a.example/token"}}}`), accounts.ErrCorruptConfig},
		{"oauth_providers: unknown field", []byte(`{"version":2,"accounts":[],"oauth_providers":{"microsoft":{"tenant":"x"}}}`), accounts.ErrCorruptConfig},
		{"oauth_providers: empty override", []byte(`{"version":2,"accounts":[],"oauth_providers":{"google":{}}}`), accounts.ErrCorruptConfig},
		{"newer version", []byte(`{"version":3,"accounts":[]}`), accounts.ErrNewerConfig},
		{"newer version with new fields", mutate(func(c map[string]any, a []any) {
			c["version"] = 7
			c["profiles"] = []string{"x"}
			acct(a, 0)["oauth"] = true
		}), accounts.ErrNewerConfig},
	}
	// Truncated at several points (a torn write by a tool that does not write atomically).
	for _, n := range []int{1, len(g) / 4, len(g) / 2, len(g) - 2} {
		cases = append(cases, bad{fmt.Sprintf("truncated to %d of %d bytes", n, len(g)), g[:n], accounts.ErrCorruptConfig})
	}
	return cases
}

func TestStoreRefusesUnreadableConfig(t *testing.T) {
	for _, tt := range badConfigs(t) {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(s.Path(), tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			check := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, tt.wantIs) {
					t.Errorf("%s = %v, want %v", op, err, tt.wantIs)
				}
			}
			_, err := accounts.ParseConfig(tt.data, "config.json")
			check("ParseConfig", err)
			_, err = s.Load()
			check("Load", err)
			_, err = s.List()
			check("List", err)
			_, err = s.Get("Home")
			check("Get", err)
			a := validIMAP()
			a.Name, a.ID = "New", ""
			_, err = s.Add(a)
			check("Add", err)
			err = s.Update(validIMAP(), true)
			check("Update", err)
			_, err = s.Remove("Home")
			check("Remove", err)

			after, err := os.ReadFile(s.Path())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(after, tt.data) {
				t.Errorf("the unreadable config was overwritten:\nbefore %q\nafter  %q", tt.data, after)
			}
			checkNoTempFiles(t, s)
		})
	}
}

func TestParseConfigErrorNamesFile(t *testing.T) {
	_, err := accounts.ParseConfig([]byte("{"), "/home/anna/.config/postfach/config.json")
	if err == nil || !strings.Contains(err.Error(), "/home/anna/.config/postfach/config.json") {
		t.Errorf("ParseConfig error %v does not name the file", err)
	}
	_, err = accounts.ParseConfig([]byte(`{"version":3}`), "c.json")
	if err == nil || !strings.Contains(err.Error(), "version 3") || !strings.Contains(err.Error(), "update Postfach") {
		t.Errorf("ParseConfig error %v does not explain the newer version", err)
	}
}

func TestParseConfigEmptyAccounts(t *testing.T) {
	for _, in := range []string{`{"version":1}`, `{"version":1,"accounts":null}`, `{"version":1,"accounts":[]}`} {
		c, err := accounts.ParseConfig([]byte(in), "c.json")
		if err != nil || len(c.Accounts) != 0 || c.Version != 1 {
			t.Errorf("ParseConfig(%s) = %+v, %v", in, c, err)
		}
	}
}

func TestDefaultDir(t *testing.T) {
	t.Run("POSTFACH_HOME absolute", func(t *testing.T) {
		dir := t.TempDir()
		t.Setenv(accounts.HomeEnv, dir)
		got, err := accounts.DefaultDir()
		if err != nil || got != dir {
			t.Errorf("DefaultDir() = %q, %v; want %q", got, err, dir)
		}
	})
	t.Run("POSTFACH_HOME relative is made absolute", func(t *testing.T) {
		t.Setenv(accounts.HomeEnv, filepath.Join("portable", "data"))
		cwd, _ := os.Getwd()
		got, err := accounts.DefaultDir()
		if want := filepath.Join(cwd, "portable", "data"); err != nil || got != want {
			t.Errorf("DefaultDir() = %q, %v; want %q", got, err, want)
		}
	})
	t.Run("unset uses the user config dir", func(t *testing.T) {
		t.Setenv(accounts.HomeEnv, "")
		if runtime.GOOS == "linux" {
			t.Setenv("XDG_CONFIG_HOME", "/xdg/config")
		}
		got, err := accounts.DefaultDir()
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS == "linux" && got != "/xdg/config/postfach" {
			t.Errorf("DefaultDir() = %q, want /xdg/config/postfach", got)
		}
		if filepath.Base(got) != "postfach" {
			t.Errorf("DefaultDir() = %q, want a postfach folder", got)
		}
	})
}

func TestStorePaths(t *testing.T) {
	s := accounts.OpenStore(filepath.Join("x", "y"))
	if s.Dir() != filepath.Join("x", "y") || s.Path() != filepath.Join("x", "y", "config.json") || s.StateDir() != filepath.Join("x", "y", "state") {
		t.Errorf("Dir, Path, StateDir = %q, %q, %q", s.Dir(), s.Path(), s.StateDir())
	}
}

// FuzzParseConfig: ParseConfig never panics, refuses with one of its two errors, and a
// config it accepts survives marshal + parse unchanged (what Store does on every write).
func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	sort.Strings(files)
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, b := range badConfigs(f) {
		f.Add(b.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := accounts.ParseConfig(data, "fuzz.json")
		if err != nil {
			if !errors.Is(err, accounts.ErrCorruptConfig) && !errors.Is(err, accounts.ErrNewerConfig) {
				t.Fatalf("ParseConfig error %v is neither ErrCorruptConfig nor ErrNewerConfig", err)
			}
			return
		}
		out, err := json.MarshalIndent(c, "", "  ")
		if err != nil {
			t.Fatalf("marshal an accepted config: %v", err)
		}
		c2, err := accounts.ParseConfig(out, "fuzz.json")
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if !reflect.DeepEqual(utcAccounts(c.Accounts), utcAccounts(c2.Accounts)) {
			t.Fatalf("accounts changed by a round trip:\n%+v\n%+v", c.Accounts, c2.Accounts)
		}
		out2, err := json.MarshalIndent(c2, "", "  ")
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("second marshal differs (%v):\n%s\n%s", err, out, out2)
		}
	})
}

// utcAccounts copies accounts with times in UTC, so that DeepEqual compares instants
// rather than *time.Location pointers (the offset itself is checked by the byte compare).
func utcAccounts(in []accounts.Account) []accounts.Account {
	out := make([]accounts.Account, len(in))
	for i, a := range in {
		a.ProtocolChosenAt = a.ProtocolChosenAt.UTC()
		if a.Backup != nil {
			b := *a.Backup
			a.Backup = &b
		}
		out[i] = a
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// TestStoreOAuth2Version checks that a config is written with the lowest version that
// holds it: 2 while an account signs in with OAuth2 (older builds then say "update"
// instead of "damaged"), 1 again without one, and that both read back.
func TestStoreOAuth2Version(t *testing.T) {
	s := newStore(t)
	mustAdd(t, s, goldenAccounts()[0])
	o := goldenAccounts()[1]
	o.Name, o.Auth, o.OAuthProvider = "Cloud", accounts.AuthOAuth2, "microsoft"
	o = mustAdd(t, s, o)
	for _, step := range []struct {
		name string
		do   func() error
		want int
	}{
		{"with an OAuth2 account", func() error { return nil }, 2},
		{"OAuth2 account removed", func() error { _, err := s.Remove(o.ID); return err }, 1},
	} {
		if err := step.do(); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(s.Path())
		if err != nil {
			t.Fatal(err)
		}
		c, err := accounts.ParseConfig(data, s.Path())
		if err != nil || c.Version != step.want {
			t.Errorf("%s: version %v, %v; want %d", step.name, c, err, step.want)
		}
	}
	got, err := s.Get("Home")
	if err != nil || got.Auth != "" {
		t.Errorf("password account: %+v %v", got, err)
	}
}

// TestStoreKeepsOAuthProviders checks that the provider overrides an administrator wrote
// into the config survive Postfach's own rewrites, keep the file at version 2 without
// any OAuth2 account, and read back; and that a refused override names itself.
func TestStoreKeepsOAuthProviders(t *testing.T) {
	s := newStore(t)
	if err := os.MkdirAll(s.Dir(), 0o700); err != nil {
		t.Fatal(err)
	}
	in := `{"version":2,"accounts":[],"oauth_providers":{` +
		`"microsoft":{"issuer":"https://login.example.org/tenant/v2.0","client_id":"11111111-2222"},` +
		`"https://sso.example.org/realms/mail":{"client_id":"postfach"}}}`
	if err := os.WriteFile(s.Path(), []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	mustAdd(t, s, goldenAccounts()[0])
	data, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	c, err := accounts.ParseConfig(data, s.Path())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]oauth.Override{
		"microsoft":                           {Issuer: "https://login.example.org/tenant/v2.0", ClientID: "11111111-2222"},
		"https://sso.example.org/realms/mail": {ClientID: "postfach"},
	}
	if c.Version != 2 || !reflect.DeepEqual(c.OAuthProviders, want) || len(c.Accounts) != 1 {
		t.Errorf("after Add: version %d, providers %+v, %d accounts\n%s", c.Version, c.OAuthProviders, len(c.Accounts), data)
	}

	_, err = accounts.ParseConfig([]byte(`{"version":2,"oauth_providers":{"google":{"issuer":"https://a.example","auth_url":"https://a.example/a","token_url":"https://a.example/t"}}}`), "c.json")
	if !errors.Is(err, accounts.ErrCorruptConfig) || !strings.Contains(err.Error(), `oauth_providers "google"`) || !strings.Contains(err.Error(), "either issuer") {
		t.Errorf("refused override: %v", err)
	}
}
