# Postfach — the single entry point for building, running and testing.
#   make run      build and start the desktop app (installs missing Debian/Ubuntu packages)
#   make test     run every test: unit, Dovecot integration, keyring, GUI, fuzz seeds
#   make bench    benchmarks against a local Dovecot (not part of make test)
#   make package  build the Linux desktop package with fyne package

GO        ?= go
BIN       ?= postfach
FYNE_TOOL ?= fyne.io/tools/cmd/fyne@v1.7.4
FUZZTIME  ?= 20000x
# FyneApp.toml's [Migrations] fyneDo = true: `fyne build` sets this tag; plain go needs it.
TAGS      ?= migrated_fynedo

export LANG ?= en_US.UTF-8

.PHONY: all deps build run test test-go lint fuzz bench package clean

all: build

# System packages: Fyne's cgo build, Dovecot, gnome-keyring, D-Bus, Xvfb.
deps:
	@bash .ci/install-deps.sh

build: deps
	$(GO) build -tags $(TAGS) -o $(BIN) .

run: build
	./$(BIN)

# Everything runs inside a private D-Bus session with an unlocked gnome-keyring, so the
# keyring, notification and tray code meet real services; POSTFACH_REQUIRE_* turn
# "service missing" from a skip into a failure.
test: deps lint
	POSTFACH_REQUIRE_DOVECOT=1 POSTFACH_REQUIRE_KEYRING=1 POSTFACH_E2E=1 \
		bash .ci/with-session.sh $(MAKE) --no-print-directory test-go fuzz

test-go:
	$(GO) test -tags $(TAGS) -count=1 -timeout 20m ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l . ; echo "gofmt needed"; exit 1; }
	$(GO) vet -tags $(TAGS) ./...
	@bash .ci/check-imports.sh

# Each fuzz target briefly; the seed corpora also run as plain tests in test-go.
fuzz:
	@bash .ci/fuzz.sh $(FUZZTIME)

bench: deps
	bash bench/run.sh

package: deps
	$(GO) run $(FYNE_TOOL) package -os linux -name Postfach

clean:
	rm -f $(BIN) Postfach.tar.xz
