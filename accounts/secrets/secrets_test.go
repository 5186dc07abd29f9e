package secrets

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

func TestMockRoundTrip(t *testing.T) {
	keyring.MockInit()
	ctx := context.Background()
	if _, err := Get(ctx, "acct"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before Set: got %v, want ErrNotFound", err)
	}
	if err := Set(ctx, "acct", "s3cret"); err != nil {
		t.Fatal(err)
	}
	if pw, err := Get(ctx, "acct"); err != nil || pw != "s3cret" {
		t.Fatalf("Get = %q, %v", pw, err)
	}
	if err := Delete(ctx, "acct"); err != nil {
		t.Fatal(err)
	}
	if err := Delete(ctx, "acct"); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
}

func TestUnavailableIsClassified(t *testing.T) {
	keyring.MockInitWithError(errors.New("The name org.freedesktop.secrets was not provided by any .service files"))
	_, err := Get(context.Background(), "acct")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
}

func TestHangingKeyringTimesOut(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := call(ctx, func() (string, error) { <-release; return "", nil })
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("got %v, want ErrUnavailable", err)
	}
}
