package oauth

import (
	"context"
	"sync"
	"testing"

	"github.com/postfach/postfach/accounts/secrets"
	"github.com/postfach/postfach/internal/testkit/oauthmock"
)

// memKeyring is an in-memory Keyring.
type memKeyring struct {
	mu sync.Mutex
	m  map[string]string
}

func (k *memKeyring) Get(_ context.Context, key string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.m[key]
	if !ok {
		return "", secrets.ErrNotFound
	}
	return v, nil
}

func (k *memKeyring) Set(_ context.Context, key, value string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]string{}
	}
	k.m[key] = value
	return nil
}

func (k *memKeyring) Delete(_ context.Context, key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, key)
	return nil
}

// mockProvider starts a mock authorization server and returns it with the Provider its
// discovery document describes, client ID set.
func mockProvider(t *testing.T, cfg oauthmock.Config) (*oauthmock.Server, Provider, *Options) {
	t.Helper()
	m := oauthmock.Start(t, cfg)
	opts := &Options{HTTPClient: m.HTTPClient()}
	p, err := DiscoverIssuer(context.Background(), m.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	p.ClientID = m.ClientID()
	p.ClientSecret = cfg.ClientSecret
	return m, p, opts
}
