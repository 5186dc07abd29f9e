package secrets

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zalando/go-keyring"
)

// Long secrets are split across several keyring entries, on every system alike.
//
// Windows' Credential Manager holds at most 2,560 bytes per secret, and macOS's
// security tool takes at most a 4,096-byte command line with the secret in base64
// (about 3,000 bytes); Microsoft's refresh tokens for work accounts can be longer. A
// secret of at most partSize bytes is stored as it is, in one entry, as before. A
// longer one is stored in parts under their own keys, and the entry itself holds a
// header naming them:
//
//	postfach:split:v1:<generation>:<parts>:<bytes>:<sha256 hex of the secret>
//
// The header is written last, so it is the commit point: a save interrupted before it
// leaves the old secret readable (its header still names its own parts, whose keys
// carry the old generation); the old parts are deleted only after the new header is
// in. Get joins the parts and checks their number, length and digest: a missing or
// wrong part (someone deleted entries by hand, a cleanup that raced a save) reads as
// ErrDamaged, which also matches ErrNotFound, so the user is asked to sign in or type
// the password again, and never gets a wrong secret. A secret that itself begins with
// the header's prefix is stored split too, so that the forms cannot be confused.
//
// The same format everywhere, rather than Windows only, because macOS has a limit of
// its own, because a keyring can be exported and imported elsewhere, and because one
// code path is tested on every system; the Secret Service on Linux has no limit and
// pays one extra keyring call per save (reading the old header).
const (
	partSize    = 2048
	maxParts    = 32 // 64 KiB: far above any token, and a bound on a damaged header
	splitPrefix = "postfach:split:v1:"
)

// ErrDamaged means a secret stored in parts could not be put together again: a part
// is missing or does not match the header's digest. Errors with it also match
// ErrNotFound: the remedy is the same (sign in or enter the password again).
var ErrDamaged = errors.New("the keyring entry is incomplete or damaged")

// backend is the keyring under the split format: go-keyring's functions in the
// product, a wrapper that fails on cue in the tests.
type backend interface {
	Get(service, user string) (string, error)
	Set(service, user, value string) error
	Delete(service, user string) error
}

// system is the OS keyring through go-keyring.
type system struct{}

func (system) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (system) Set(service, user, value string) error    { return keyring.Set(service, user, value) }
func (system) Delete(service, user string) error        { return keyring.Delete(service, user) }

// header describes a secret stored in parts.
type header struct {
	gen   string // random, so the parts of two saves never share a key
	parts int
	size  int
	sum   string // sha256, hex
}

func (h header) String() string {
	return fmt.Sprintf("%s%s:%d:%d:%s", splitPrefix, h.gen, h.parts, h.size, h.sum)
}

// partKey is the keyring user name of part i (1-based).
func (h header) partKey(key string, i int) string {
	return key + "#" + h.gen + "." + strconv.Itoa(i)
}

// parseHeader reads an entry: ok is false for a secret stored as it is; err says
// why an entry with the prefix is no valid header.
func parseHeader(s string) (h header, ok bool, err error) {
	rest, ok := strings.CutPrefix(s, splitPrefix)
	if !ok {
		return header{}, false, nil
	}
	f := strings.Split(rest, ":")
	if len(f) != 4 {
		return header{}, true, errors.New("malformed header")
	}
	h.gen, h.sum = f[0], f[3]
	h.parts, err = strconv.Atoi(f[1])
	if err != nil || h.parts < 1 || h.parts > maxParts {
		return header{}, true, fmt.Errorf("header names %q parts", f[1])
	}
	h.size, err = strconv.Atoi(f[2])
	if err != nil || h.size < 0 || h.size > h.parts*partSize {
		return header{}, true, fmt.Errorf("header names %q bytes for %d parts", f[2], h.parts)
	}
	if _, err := hex.DecodeString(h.gen); err != nil || h.gen == "" {
		return header{}, true, errors.New("malformed header generation")
	}
	if b, err := hex.DecodeString(h.sum); err != nil || len(b) != sha256.Size {
		return header{}, true, errors.New("malformed header digest")
	}
	return h, true, nil
}

// splitParts cuts s into pieces of at most partSize bytes, at character boundaries
// (keyrings that store text need not see half a character).
func splitParts(s string) []string {
	var parts []string
	for len(s) > partSize {
		n := partSize
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return append(parts, s)
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// damaged is the error of a secret whose parts do not fit together.
func damaged(why error) error {
	return fmt.Errorf("%w: %v (%w)", ErrDamaged, why, ErrNotFound)
}

// setSplit stores value under key: as it is when it is short, else in parts
// committed by the header. The parts of the secret stored before are deleted after
// the commit; failing that leaves unreferenced entries, never a wrong secret.
func setSplit(ctx context.Context, kr backend, key, value string) error {
	var old *header
	if v, err := call(ctx, func() (string, error) { return kr.Get(Service, key) }); err == nil {
		if h, ok, err := parseHeader(v); ok && err == nil {
			old = &h
		}
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	if len(value) <= partSize && !strings.HasPrefix(value, splitPrefix) {
		if err := setRaw(ctx, kr, key, value); err != nil {
			return err
		}
	} else {
		parts := splitParts(value)
		if len(parts) > maxParts {
			return fmt.Errorf("%w: %d bytes, at most %d", keyring.ErrSetDataTooBig, len(value), maxParts*partSize)
		}
		gen := make([]byte, 8)
		if _, err := rand.Read(gen); err != nil {
			return err
		}
		h := header{gen: hex.EncodeToString(gen), parts: len(parts), size: len(value), sum: digest(value)}
		for i, p := range parts {
			if err := setRaw(ctx, kr, h.partKey(key, i+1), p); err != nil {
				_ = deleteParts(ctx, kr, key, h, i) // unreferenced; a leftover does no harm
				return err
			}
		}
		// A failed or timed-out header write leaves the new parts: the write may still
		// land, and then they must be there.
		if err := setRaw(ctx, kr, key, h.String()); err != nil {
			return err
		}
	}
	if old != nil {
		_ = deleteParts(ctx, kr, key, *old, old.parts) // committed; leftovers are unreferenced
	}
	return nil
}

// getSplit reads key and joins its parts, checking them against the header.
func getSplit(ctx context.Context, kr backend, key string) (string, error) {
	v, err := call(ctx, func() (string, error) { return kr.Get(Service, key) })
	if err != nil {
		return "", err
	}
	h, ok, err := parseHeader(v)
	if !ok {
		return v, nil
	}
	if err != nil {
		return "", damaged(err)
	}
	var b strings.Builder
	for i := 1; i <= h.parts; i++ {
		p, err := call(ctx, func() (string, error) { return kr.Get(Service, h.partKey(key, i)) })
		if errors.Is(err, ErrNotFound) {
			return "", damaged(fmt.Errorf("part %d of %d is missing", i, h.parts))
		}
		if err != nil {
			return "", err
		}
		b.WriteString(p)
	}
	if b.Len() != h.size || digest(b.String()) != h.sum {
		return "", damaged(errors.New("the parts do not match their digest"))
	}
	return b.String(), nil
}

// deleteSplit removes key and, when it holds a header, its parts. Missing entries are
// not an error.
func deleteSplit(ctx context.Context, kr backend, key string) error {
	v, err := call(ctx, func() (string, error) { return kr.Get(Service, key) })
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := call(ctx, func() (string, error) { return "", kr.Delete(Service, key) }); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if h, ok, err := parseHeader(v); ok && err == nil {
		return deleteParts(ctx, kr, key, h, h.parts)
	}
	return nil
}

// deleteParts removes parts 1..n of h; missing ones are not an error.
func deleteParts(ctx context.Context, kr backend, key string, h header, n int) error {
	var errs []error
	for i := 1; i <= n; i++ {
		_, err := call(ctx, func() (string, error) { return "", kr.Delete(Service, h.partKey(key, i)) })
		if err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func setRaw(ctx context.Context, kr backend, key, value string) error {
	_, err := call(ctx, func() (string, error) { return "", kr.Set(Service, key, value) })
	return err
}
