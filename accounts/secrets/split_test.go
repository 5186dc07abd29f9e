package secrets

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// token returns a secret of n bytes that differs per seed.
func token(seed string, n int) string {
	s := strings.Repeat(seed+"-0123456789abcdefghijklmnopqrstuvwxyz.", n/(len(seed)+38)+1)
	return s[:n]
}

// TestSplitRoundTrip stores secrets of every interesting length, replacing each with
// the next: exactly one entry up to partSize, parts beyond it, no part of an earlier
// secret left behind, and the raw entry a header only when the secret is split.
func TestSplitRoundTrip(t *testing.T) {
	keyring.MockInit()
	ctx := context.Background()
	umlauts := strings.Repeat("ä", partSize) // 2 bytes each: cut at character boundaries
	for _, tc := range []struct {
		name  string
		value string
		split bool
	}{
		{"empty", "", false},
		{"password", "s3cret äöü €", false},
		{"one entry full", token("a", partSize), false},
		{"one byte more", token("b", partSize+1), true},
		{"6000-byte token", token("c", 6000), true},
		{"shorter token", token("d", 3000), true},
		{"multi-byte characters", umlauts, true},
		{"largest", token("e", maxParts*partSize), true},
		{"looks like a header", splitPrefix + "00:1:1:x", true},
		{"short again", "short", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before string
			if v, err := keyring.Get(Service, "acct"); err == nil {
				before = v
			}
			if err := Set(ctx, "acct", tc.value); err != nil {
				t.Fatal(err)
			}
			got, err := Get(ctx, "acct")
			if err != nil || got != tc.value {
				t.Fatalf("Get = %d bytes, %v; want %d bytes", len(got), err, len(tc.value))
			}
			raw, _ := keyring.Get(Service, "acct")
			if h, ok, err := parseHeader(raw); ok != tc.split || err != nil {
				t.Errorf("stored split %v (%v), want %v", ok, err, tc.split)
			} else if ok {
				for i := 1; i <= h.parts; i++ {
					p, err := keyring.Get(Service, h.partKey("acct", i))
					if err != nil || len(p) > partSize || p == "" {
						t.Errorf("part %d: %d bytes, %v", i, len(p), err)
					}
				}
			}
			if h, ok, _ := parseHeader(before); ok {
				for i := 1; i <= h.parts; i++ {
					if _, err := keyring.Get(Service, h.partKey("acct", i)); !errors.Is(err, keyring.ErrNotFound) {
						t.Errorf("part %d of the previous secret is still stored: %v", i, err)
					}
				}
			}
		})
	}
	if err := Set(ctx, "acct", token("f", maxParts*partSize+1)); !errors.Is(err, keyring.ErrSetDataTooBig) {
		t.Errorf("Set of more than %d bytes = %v, want ErrSetDataTooBig", maxParts*partSize, err)
	}
	if got, err := Get(ctx, "acct"); err != nil || got != "short" {
		t.Errorf("a refused Set changed the secret: %q, %v", got, err)
	}
}

// TestSplitDelete removes a split secret with its parts; deleting again is no error.
func TestSplitDelete(t *testing.T) {
	keyring.MockInit()
	ctx := context.Background()
	if err := Set(ctx, "acct", token("a", 5000)); err != nil {
		t.Fatal(err)
	}
	raw, _ := keyring.Get(Service, "acct")
	h, _, _ := parseHeader(raw)
	if err := Delete(ctx, "acct"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"acct", h.partKey("acct", 1), h.partKey("acct", 2), h.partKey("acct", 3)} {
		if _, err := keyring.Get(Service, k); !errors.Is(err, keyring.ErrNotFound) {
			t.Errorf("%s still stored: %v", k, err)
		}
	}
	if err := Delete(ctx, "acct"); err != nil {
		t.Errorf("second Delete: %v", err)
	}
	if _, err := Get(ctx, "acct"); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrDamaged) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
}

// TestSplitDamaged tampers with the stored entries as a hand-edited keyring or a
// cleanup racing a save could: every case reads as ErrDamaged (and ErrNotFound, the
// "sign in again" path), never as a secret.
func TestSplitDamaged(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		tamper func(h header)
	}{
		{"part missing", func(h header) { _ = keyring.Delete(Service, h.partKey("acct", 2)) }},
		{"part changed", func(h header) { _ = keyring.Set(Service, h.partKey("acct", 1), token("x", partSize)) }},
		{"part shortened", func(h header) { _ = keyring.Set(Service, h.partKey("acct", 3), "x") }},
		{"header with fewer parts", func(h header) { h.parts = 2; _ = keyring.Set(Service, "acct", h.String()) }},
		{"header with another digest", func(h header) { h.sum = digest("other"); _ = keyring.Set(Service, "acct", h.String()) }},
		{"header with too many parts", func(h header) { _ = keyring.Set(Service, "acct", splitPrefix+h.gen+":100000:5:"+h.sum) }},
		{"header cut short", func(h header) { _ = keyring.Set(Service, "acct", h.String()[:30]) }},
		{"header of another generation", func(h header) { h.gen = "00"; _ = keyring.Set(Service, "acct", h.String()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keyring.MockInit()
			if err := Set(ctx, "acct", token("a", 5000)); err != nil {
				t.Fatal(err)
			}
			raw, _ := keyring.Get(Service, "acct")
			h, _, err := parseHeader(raw)
			if err != nil {
				t.Fatal(err)
			}
			tc.tamper(h)
			got, err := Get(ctx, "acct")
			if !errors.Is(err, ErrDamaged) || !errors.Is(err, ErrNotFound) || got != "" {
				t.Errorf("Get = %d bytes, %v; want ErrDamaged", len(got), err)
			}
			if err := Delete(ctx, "acct"); err != nil {
				t.Errorf("Delete of a damaged entry: %v", err)
			}
		})
	}
}

// crashing is a keyring that dies after a number of writes (Set and Delete): every
// later call fails, as when the process is killed half-way through a save.
type crashing struct {
	writesLeft int
}

var errCrashed = errors.New("process killed")

func (c *crashing) Get(service, user string) (string, error) {
	if c.writesLeft < 0 {
		return "", errCrashed
	}
	return keyring.Get(service, user)
}

func (c *crashing) Set(service, user, value string) error {
	if c.writesLeft--; c.writesLeft < 0 {
		return errCrashed
	}
	return keyring.Set(service, user, value)
}

func (c *crashing) Delete(service, user string) error {
	if c.writesLeft--; c.writesLeft < 0 {
		return errCrashed
	}
	return keyring.Delete(service, user)
}

// TestSplitCrash kills a save after every possible number of keyring writes, for
// every kind of old and new secret (none, short, split; shorter and longer): what
// Get reads afterwards is always the old or the new secret, whole. A new save then
// works and leaves no part of the interrupted one referenced.
func TestSplitCrash(t *testing.T) {
	ctx := context.Background()
	values := map[string]string{"none": "", "short": "password", "3 parts": token("old", 5000), "5 parts": token("big", 9000), "2 parts": token("new", 3000)}
	for _, from := range []string{"none", "short", "3 parts", "5 parts"} {
		for _, to := range []string{"short", "2 parts", "5 parts"} {
			if from == to {
				continue
			}
			for writes := 0; ; writes++ {
				keyring.MockInit()
				if from != "none" {
					if err := Set(ctx, "acct", values[from]); err != nil {
						t.Fatal(err)
					}
				}
				kr := &crashing{writesLeft: writes}
				err := setSplit(ctx, kr, "acct", values[to])
				got, gerr := Get(ctx, "acct")
				switch {
				case from == "none" && errors.Is(gerr, ErrNotFound) && !errors.Is(gerr, ErrDamaged):
				case gerr != nil:
					t.Fatalf("%s to %s, killed after %d writes: Get = %v", from, to, writes, gerr)
				case got != values[from] && got != values[to]:
					t.Fatalf("%s to %s, killed after %d writes: Get = %d bytes, neither old nor new", from, to, writes, len(got))
				}
				if err == nil {
					if got != values[to] {
						t.Fatalf("%s to %s: completed save reads %d bytes", from, to, len(got))
					}
					break // no more writes to interrupt
				}
				if err := Set(ctx, "acct", values[to]); err != nil {
					t.Fatal(err)
				}
				if got, err := Get(ctx, "acct"); err != nil || got != values[to] {
					t.Fatalf("%s to %s: save after the crash: %v", from, to, err)
				}
			}
		}
	}
}

// TestParseHeader checks the header parser against what a keyring could hold.
func TestParseHeader(t *testing.T) {
	good := header{gen: "0a1b", parts: 3, size: 5000, sum: digest("x")}.String()
	for _, tc := range []struct {
		in      string
		ok, bad bool
	}{
		{"plain password", false, false},
		{"", false, false},
		{good, true, false},
		{strings.Replace(good, ":3:", ":0:", 1), true, true},
		{strings.Replace(good, ":3:", ":-1:", 1), true, true},
		{strings.Replace(good, ":5000:", ":9000:", 1), true, true},
		{strings.Replace(good, "0a1b", "zz", 1), true, true},
		{good + ":extra", true, true},
		{splitPrefix, true, true},
		{good[:len(good)-2], true, true},
	} {
		t.Run(fmt.Sprintf("%.40q", tc.in), func(t *testing.T) {
			_, ok, err := parseHeader(tc.in)
			if ok != tc.ok || (err != nil) != tc.bad {
				t.Errorf("parseHeader = %v, %v; want ok %v, error %v", ok, err, tc.ok, tc.bad)
			}
		})
	}
}

// FuzzParseHeader feeds arbitrary keyring contents to the header parser: it must not
// panic, and what it accepts must be within the limits.
func FuzzParseHeader(f *testing.F) {
	f.Add("plain")
	f.Add(header{gen: "0a1b", parts: 3, size: 5000, sum: digest("x")}.String())
	f.Add(splitPrefix + "00:1:1:")
	f.Fuzz(func(t *testing.T, s string) {
		h, ok, err := parseHeader(s)
		if ok && err == nil && (h.parts < 1 || h.parts > maxParts || h.size > h.parts*partSize) {
			t.Errorf("accepted %+v", h)
		}
	})
}
