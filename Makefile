# Postfach — the single entry point for building, running and testing.
#   make run      build and start the desktop app (installs missing Debian/Ubuntu packages)
#   make test     run every test: unit, Dovecot integration, keyring, GUI, fuzz seeds
#   make bench    benchmarks against a local Dovecot (not part of make test)
#   make package  build the Linux desktop package with fyne package
#   make package-windows  build dist/PostfachSetup.exe, dist/Postfach-windows-amd64.zip (docs/windows.md)
#   make test-windows     run the core packages' Windows tests under Wine
#   make e2e-windows      install the Windows build under Wine and back up a Dovecot account

GO        ?= go
BIN       ?= postfach
# The Fyne-free command line beside the desktop binary, which hands command lines to it
# (backup/cli/handover); Windows ships the same program as postfach.com.
CLI_BIN   ?= postfach-cli
FYNE_TOOL ?= fyne.io/tools/cmd/fyne@v1.7.4
FUZZTIME  ?= 20000x
# FyneApp.toml's [Migrations] fyneDo = true: `fyne build` sets this tag; plain go needs it.
TAGS      ?= migrated_fynedo

# Public OAuth2 client IDs (not secrets; docs/oauth.md says how to register them). A build
# without them offers no "Sign in with Microsoft/Google" and says so.
OAUTH_PKG            ?= github.com/postfach/postfach/accounts/oauth
MS_CLIENT_ID         ?=
GOOGLE_CLIENT_ID     ?=
GOOGLE_CLIENT_SECRET ?=
LDFLAGS ?= -X $(OAUTH_PKG).MicrosoftClientID=$(MS_CLIENT_ID) -X $(OAUTH_PKG).GoogleClientID=$(GOOGLE_CLIENT_ID) \
	-X $(OAUTH_PKG).GoogleClientSecret=$(GOOGLE_CLIENT_SECRET)

export LANG ?= en_US.UTF-8

.PHONY: all deps deps-windows build run test test-linux test-windows-all test-go test-windows e2e-windows lint fuzz bench package package-windows clean

all: build

# System packages: Fyne's cgo build, Dovecot, gnome-keyring, D-Bus, Xvfb.
deps:
	@bash .ci/install-deps.sh

# mingw, NSIS, Wine and zip, for the Windows build and its tests.
deps-windows:
	@bash .ci/install-deps.sh windows

build: deps
	$(GO) build -tags $(TAGS) -ldflags "$(LDFLAGS)" -o $(BIN) .
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(CLI_BIN) ./backup/cli/console

run: build
	./$(BIN)

# Two lines at once, each with its output kept together: the Linux side runs inside a
# private D-Bus session with an unlocked gnome-keyring, so the keyring, notification and
# tray code meet real services (POSTFACH_REQUIRE_* turn "service missing" from a skip into
# a failure); the Windows side runs the core's tests under Wine and then the Windows build
# itself. They share nothing but the machine (own Dovecots, own Xvfb displays), and the
# end-to-end tests' waits leave the other line the CPU.
test: deps deps-windows lint
	$(MAKE) --no-print-directory -j2 --output-sync=recurse test-linux test-windows-all

test-linux:
	POSTFACH_REQUIRE_DOVECOT=1 POSTFACH_REQUIRE_KEYRING=1 POSTFACH_E2E=1 \
		bash .ci/with-session.sh $(MAKE) --no-print-directory -j1 test-go fuzz

test-windows-all:
	$(MAKE) --no-print-directory -j1 test-windows e2e-windows

test-go:
	$(GO) test -tags $(TAGS) -count=1 -timeout 20m ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l . ; echo "gofmt needed"; exit 1; }
	$(GO) vet -tags $(TAGS) ./...
	GOOS=windows CGO_ENABLED=0 $(GO) vet -tags $(TAGS) ./accounts/... ./backup/... ./gui ./gui/realcore
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) vet ./accounts/... ./backup/...
	@bash .ci/check-imports.sh

# The Windows test binaries of accounts/ and backup/ under Wine, in a private prefix
# (.ci/wine/test.sh says what is left out and why).
test-windows: deps-windows
	bash .ci/wine/test.sh

# The installed Windows build under Wine: silent install, CLI backup and verify against
# Dovecot, a screenshot of the wizard (POSTFACH_ARTIFACTS), silent uninstall.
e2e-windows: package-windows
	bash .ci/wine/e2e.sh

# Each fuzz target briefly; the seed corpora also run as plain tests in test-go.
fuzz:
	@bash .ci/fuzz.sh $(FUZZTIME)

bench: deps
	bash bench/run.sh

package: deps
	$(GO) run $(FYNE_TOOL) package -os linux -name Postfach
	CGO_ENABLED=0 $(GO) build -ldflags "-s -w $(LDFLAGS)" -o dist/postfach-cli ./backup/cli/console
	bash .ci/package-linux-cli.sh Postfach.tar.xz dist/postfach-cli

# One cgo build path (plain go build + windres resources), sharing Go's build cache.
package-windows: deps-windows
	OAUTH_LDFLAGS="$(LDFLAGS)" bash .ci/package-windows.sh

clean:
	rm -rf $(BIN) $(CLI_BIN) Postfach.tar.xz dist
