// Package service is Postfach's one account service: every job a face offers on an
// account — add, update, remove, connection test, quota, backup, verify, discovery — is
// written here once, with one rule for keyring and config, one set of timeouts and one
// place that builds the backup engine's options.
//
// The two faces are thin callers: the desktop app through gui/realcore, the command line
// through backup/cli. Neither loads an account, reads a password or connects by itself,
// so both behave the same and drift cannot start (docs/architecture.md draws the map).
//
// Every method may block on the network, the disk or the keyring; a Service is safe for
// use by several goroutines. Failures keep the sentinels of the packages below (see
// backup.KindOf for the one classification both faces explain).
package service

import (
	"context"
	"sync"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/discover"
	"github.com/postfach/postfach/accounts/mailerr"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/backup"
)

// Options tunes a Service. A nil *Options is the same as the zero value: system
// certificate roots, mailerr.DefaultTimeout, every discovery source.
type Options struct {
	// Conn tunes every connection: tests, quota reads and backups (roots, timeout).
	Conn *connect.Options
	// Discover tunes server discovery.
	Discover *discover.Options
	// OAuth tunes the talks with OAuth2 providers (HTTP client, timeout); nil means the
	// system's roots and oauth.DefaultTimeout.
	OAuth *oauth.Options
}

// Service runs the account jobs on one account store.
type Service struct {
	store    *accounts.Store
	conn     connect.Options
	discover *discover.Options
	oauth    *oauth.Options
	newID    func() string // accounts.NewID; tests pick IDs to look them up

	mu       sync.Mutex
	running  map[string]map[*job]bool // account ID -> its running backups and checks
	removing map[string]int           // account ID -> removals in progress
	sources  map[tokenKey]*oauth.TokenSource
}

// New returns the service for a store.
func New(store *accounts.Store, opts *Options) *Service {
	s := &Service{store: store, newID: accounts.NewID, running: map[string]map[*job]bool{}, removing: map[string]int{},
		sources: map[tokenKey]*oauth.TokenSource{}}
	if opts != nil {
		if opts.Conn != nil {
			s.conn = *opts.Conn
		}
		s.discover = opts.Discover
		s.oauth = opts.OAuth
	}
	if s.conn.Timeout == 0 {
		s.conn.Timeout = mailerr.DefaultTimeout
	}
	return s
}

// Store returns the account store the service works on.
func (s *Service) Store() *accounts.Store { return s.store }

// List returns the configured accounts in the order they were added.
func (s *Service) List() ([]accounts.Account, error) { return s.store.List() }

// Get returns the account whose ID or name (case-insensitive) is key.
func (s *Service) Get(key string) (accounts.Account, error) { return s.store.Get(key) }

// History returns an account's past backup runs, oldest first.
func (s *Service) History(id string) ([]backup.Result, error) {
	return backup.History(s.store.StateDir(), id)
}

// Discover looks up the incoming server settings for an address. A lookup that found
// nothing returns its log with discover.ErrNotFound.
func (s *Service) Discover(ctx context.Context, email string) (*discover.Result, error) {
	return discover.Discover(ctx, email, s.discover)
}

// DiscoverBuiltin looks the address up in Postfach's built-in provider table only: no
// network, so a face can ask while the user types (the wizard offers "Sign in with
// Microsoft" in place of the password field when the table says so).
func (s *Service) DiscoverBuiltin(ctx context.Context, email string) (*discover.Result, error) {
	return discover.Discover(ctx, email, &discover.Options{Sources: []string{discover.SourceBuiltin}})
}

// engineOptions is the one place that builds the backup engine's options, for runs and
// checks alike; tokens (nil for password accounts) log a run in with OAuth2.
func (s *Service) engineOptions(progress func(backup.Progress), tokens connect.Tokens) *backup.Options {
	return &backup.Options{StateDir: s.store.StateDir(), Progress: progress, Conn: &s.conn, Tokens: tokens}
}
