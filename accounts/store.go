package accounts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/postfach/postfach/accounts/atomicfile"
	"github.com/postfach/postfach/accounts/filelock"
	"github.com/postfach/postfach/accounts/oauth"
)

// ConfigVersion is the newest version of the config file format this build reads.
// Version 2 added the sign-in method (Account.Auth and the OAuth fields) and the OAuth2
// provider overrides (Config.OAuthProviders). A file is written with the lowest version
// that holds its content (Config.version), so a config without either stays readable by
// builds that know only version 1, and one with them makes such a build say "update
// Postfach" instead of "damaged" (it refuses unknown fields).
const ConfigVersion = 2

// Config file errors. A config that cannot be read is never overwritten: the user's
// settings stay as they are until someone looks at them.
var (
	ErrCorruptConfig = errors.New("the config file is damaged")
	ErrNewerConfig   = errors.New("the config file was written by a newer Postfach")
)

// Config is the content of the config file.
type Config struct {
	Version  int       `json:"version"`
	Accounts []Account `json:"accounts"`
	// OAuthProviders change OAuth2 providers by name (microsoft, microsoft-consumers,
	// microsoft-organizations, google, or an https issuer URL): client IDs, scopes, or
	// another authorization server (docs/oauth.md). Postfach never writes them itself;
	// a distributor or an administrator does, and a rewrite of the file keeps them.
	OAuthProviders map[string]oauth.Override `json:"oauth_providers,omitempty"`
}

// Store is the config directory: the config file plus per-account state kept by other
// packages (StateDir). It is safe for use by several processes at once: every change is a
// locked read-modify-write of the file.
type Store struct {
	dir string
}

// HomeEnv names the environment variable that moves all of Postfach's files into one
// folder (portable mode, tests).
const HomeEnv = "POSTFACH_HOME"

// DefaultDir returns $POSTFACH_HOME if set, else os.UserConfigDir()/postfach.
func DefaultDir() (string, error) {
	if d := os.Getenv(HomeEnv); d != "" {
		return filepath.Abs(d)
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find config folder: %w", err)
	}
	return filepath.Join(d, "postfach"), nil
}

// OpenStore returns the store in dir; the directory is created on first write.
func OpenStore(dir string) *Store { return &Store{dir: dir} }

// Dir returns the config directory.
func (s *Store) Dir() string { return s.dir }

// Path returns the config file's path.
func (s *Store) Path() string { return filepath.Join(s.dir, "config.json") }

// StateDir returns the directory for per-account state (backup history and the like).
func (s *Store) StateDir() string { return filepath.Join(s.dir, "state") }

// Load reads the config. A missing file is an empty config.
func (s *Store) Load() (*Config, error) {
	data, err := os.ReadFile(s.Path())
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{Version: ConfigVersion}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(data, s.Path())
}

// ParseConfig decodes a config file's bytes; path only labels errors.
func ParseConfig(data []byte, path string) (*Config, error) {
	var probe struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptConfig, path, err)
	}
	if probe.Version > ConfigVersion {
		return nil, fmt.Errorf("%w: %s has version %d, this Postfach reads up to %d; please update Postfach",
			ErrNewerConfig, path, probe.Version, ConfigVersion)
	}
	if probe.Version < 1 {
		return nil, fmt.Errorf("%w: %s has no valid version", ErrCorruptConfig, path)
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptConfig, path, err)
	}
	if len(c.OAuthProviders) > 0 && c.Version < 2 {
		return nil, fmt.Errorf("%w: %s: oauth_providers needs \"version\": 2 (older Postfach builds cannot read it)", ErrCorruptConfig, path)
	}
	for _, name := range slices.Sorted(maps.Keys(c.OAuthProviders)) {
		if err := oauth.CheckOverride(name, c.OAuthProviders[name]); err != nil {
			return nil, fmt.Errorf("%w: %s: oauth_providers %q: %v", ErrCorruptConfig, path, name, err)
		}
	}
	seen := map[string]bool{}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		if err := a.Validate(); err != nil {
			return nil, fmt.Errorf("%w: %s: account %q: %v", ErrCorruptConfig, path, a.Name, err)
		}
		name := "name:" + strings.ToLower(a.Name)
		if a.ID == "" || seen[a.ID] || seen[name] {
			return nil, fmt.Errorf("%w: %s: account %q has a missing or repeated id or name", ErrCorruptConfig, path, a.Name)
		}
		seen[a.ID], seen[name] = true, true
	}
	return &c, nil
}

// List returns all accounts in the order they were added.
func (s *Store) List() ([]Account, error) {
	c, err := s.Load()
	if err != nil {
		return nil, err
	}
	return c.Accounts, nil
}

// Get returns the account whose ID or name (case-insensitive) is key.
func (s *Store) Get(key string) (Account, error) {
	c, err := s.Load()
	if err != nil {
		return Account{}, err
	}
	if i := find(c.Accounts, key); i >= 0 {
		return c.Accounts[i], nil
	}
	return Account{}, fmt.Errorf("account %q: %w", key, ErrNotFound)
}

// Add normalises, validates and stores a new account, and returns it as stored. An empty
// ID is assigned; a caller that stored the password under a fresh NewID first passes it.
func (s *Store) Add(a Account) (Account, error) {
	a.Normalize()
	if err := a.Validate(); err != nil {
		return Account{}, err
	}
	err := s.update(func(c *Config) error {
		if find(c.Accounts, a.Name) >= 0 || find(c.Accounts, a.ID) >= 0 {
			return fmt.Errorf("account %q: %w", a.Name, ErrDuplicate)
		}
		c.Accounts = append(c.Accounts, a)
		return nil
	})
	return a, err
}

// Update replaces the stored account with the same ID. Changing the protocol is refused
// with ErrProtocolSwitch unless allowProtocolSwitch is set, because it strands mail.
func (s *Store) Update(a Account, allowProtocolSwitch bool) error {
	a.Normalize()
	if err := a.Validate(); err != nil {
		return err
	}
	return s.update(func(c *Config) error {
		i := find(c.Accounts, a.ID)
		if i < 0 {
			return fmt.Errorf("account %q: %w", a.Name, ErrNotFound)
		}
		old := c.Accounts[i]
		switch {
		case old.Protocol == a.Protocol:
			a.ProtocolChosenAt = old.ProtocolChosenAt
		case !allowProtocolSwitch:
			return fmt.Errorf("account %q (%s to %s): %w", a.Name, old.Protocol, a.Protocol, ErrProtocolSwitch)
		default:
			a.ProtocolChosenAt = time.Now().UTC().Truncate(time.Second)
		}
		if j := find(c.Accounts, a.Name); j >= 0 && j != i {
			return fmt.Errorf("account %q: %w", a.Name, ErrDuplicate)
		}
		c.Accounts[i] = a
		return nil
	})
}

// Remove deletes the account with the given ID or name from the config. Its keyring entry
// and backup folder are the caller's decision.
func (s *Store) Remove(key string) (Account, error) {
	var removed Account
	err := s.update(func(c *Config) error {
		i := find(c.Accounts, key)
		if i < 0 {
			return fmt.Errorf("account %q: %w", key, ErrNotFound)
		}
		removed = c.Accounts[i]
		c.Accounts = append(c.Accounts[:i], c.Accounts[i+1:]...)
		return nil
	})
	return removed, err
}

// update runs a locked read-modify-write. If the file cannot be read, nothing is written.
func (s *Store) update(change func(*Config) error) error {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("create config folder: %w", err)
	}
	lock, err := lockWait(filepath.Join(s.dir, "config.lock"))
	if err != nil {
		return err
	}
	defer lock.Unlock()
	c, err := s.Load()
	if err != nil {
		return err
	}
	if err := change(c); err != nil {
		return err
	}
	c.Version = c.version()
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	return atomicfile.WriteFile(s.Path(), append(data, '\n'), 0o600)
}

// version returns the lowest file version that holds c: 2 when an account signs in
// with OAuth2 or a provider is overridden, else 1.
func (c *Config) version() int {
	if len(c.OAuthProviders) > 0 {
		return 2
	}
	for _, a := range c.Accounts {
		if a.Auth != "" && a.Auth != AuthPassword {
			return 2
		}
	}
	return 1
}

// lockWait retries TryLock for a few seconds: config writes are short, so a held lock
// means another Postfach process is saving right now.
func lockWait(path string) (*filelock.Lock, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		l, err := filelock.TryLock(path)
		if err == nil || !errors.Is(err, filelock.ErrLocked) || time.Now().After(deadline) {
			return l, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func find(accts []Account, key string) int {
	for i, a := range accts {
		if a.ID == key || strings.EqualFold(a.Name, key) {
			return i
		}
	}
	return -1
}
