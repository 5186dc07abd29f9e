// Package cli is Postfach's headless command line: account management, connection tests,
// backups, verification, quota and server discovery, all without a display. It is a thin
// face over the account service (backup/service), which the desktop app uses too: this
// package parses flags and prints; the service does the work.
package cli

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/connect"
	"github.com/postfach/postfach/accounts/oauth"
	"github.com/postfach/postfach/backup/service"
	"github.com/postfach/postfach/backup/tr"
)

// Exit codes.
const (
	ExitOK    = 0 // success
	ExitFail  = 1 // a run, test or check failed
	ExitUsage = 2 // the command line was wrong
)

// Env is what a command may touch. Main fills it from the process; tests fill it with
// buffers, a temporary store and their test CA.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Store          *accounts.Store
	// Roots replaces the system certificate roots (tests); nil uses the system's.
	Roots *x509.CertPool
	// Terminal says whether Stderr is a terminal, for live progress lines.
	Terminal bool
	// Browser shows an OAuth2 sign-in page after its address was printed; nil means the
	// system browser when there is a display (openBrowser). Tests follow the page.
	Browser oauth.Browser
	// OAuth tunes the talks with OAuth2 providers (tests: the mock's HTTP client).
	OAuth *oauth.Options
	// Lang is the language of the texts printed for people: tr.German or tr.English
	// (also when empty). Main takes it from the process (tr.Detect). --json output,
	// flag names and kind codes are never translated.
	Lang string

	svc *service.Service // built from Store and Roots on first use
	tr  *tr.Printer      // built from Lang on first use
}

// L words a text for people in env's language (tr.Printer.L); key is a literal English
// text from assets/translations, so the catalog test finds it.
func (env *Env) L(key string, data ...any) string { return env.printer().L(key, data...) }

// N is L for a text with plural forms chosen by count (tr.Printer.N).
func (env *Env) N(key string, count int, data ...any) string {
	return env.printer().N(key, count, data...)
}

func (env *Env) printer() *tr.Printer {
	if env.tr == nil {
		env.tr = tr.New(env.Lang)
	}
	return env.tr
}

// service returns the account service every command goes through.
func (env *Env) service() *service.Service {
	if env.svc == nil {
		env.svc = service.New(env.Store, &service.Options{Conn: &connect.Options{Roots: env.Roots}, OAuth: env.OAuth})
	}
	return env.svc
}

// Main runs the command line with args (without the program name) and returns the exit
// code.
func Main(args []string) int {
	env, err := processEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "postfach:", err)
		return ExitFail
	}
	return Run(args, env)
}

// processEnv fills an Env from the process: standard streams, the store in the default
// folder and the language of the user's locale.
func processEnv() (*Env, error) {
	dir, err := accounts.DefaultDir()
	if err != nil {
		return nil, err
	}
	fi, _ := os.Stderr.Stat()
	return &Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Store:    accounts.OpenStore(dir),
		Terminal: fi != nil && fi.Mode()&os.ModeCharDevice != 0,
		Lang:     tr.Detect(),
	}, nil
}

// Run dispatches one command line.
func Run(args []string, env *Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(env.Stdout, usage(env))
		return ExitOK
	}
	cmd, rest := args[0], args[1:]
	if cmd == "account" {
		if len(rest) == 0 {
			return usageError(env, env.L("account needs a subcommand: add, list, signin or remove"))
		}
		cmd, rest = "account "+rest[0], rest[1:]
	}
	h, ok := commands[cmd]
	if !ok {
		return usageError(env, env.L("unknown command {{.Command}}", map[string]any{"Command": strconv.Quote(cmd)}))
	}
	return h(rest, env)
}

// usage is the command overview printed by "postfach help". The command lines are the
// same in every language; the explanations are translated.
func usage(env *Env) string {
	return env.L("Postfach — mail account manager with verified POP3 backups and IMAP quota.") + "\n\n" +
		env.L("Without arguments, postfach opens the desktop app. Commands:") + `

  postfach account add --name NAME --email ADDR --protocol pop3|imap --host HOST [--port PORT]
                       [--security tls|starttls|none] [--username USER]
                       (--password-stdin | --auth oauth2 --oauth-provider microsoft|google|URL [--oauth-client-id ID])
                       [--backup-dir DIR] [--schedule SPEC] [--keep-days N | --keep-forever | --delete-after-backup]
                       [--trust-fingerprint SHA256] [--allow-plaintext] [--json]
  postfach account list [--json]
  postfach account signin NAME         ` + env.L("sign an OAuth2 account in again (after \"sign in again\")") + `
  postfach account remove NAME [--keep-password]
  postfach test NAME                   ` + env.L("test the connection and the login") + `
  postfach backup [NAME...] [--json]   ` + env.L("back up the named (or all) POP3 accounts now") + `
  postfach verify [NAME...] [--json]   ` + env.L("re-check every backed-up message against its hash") + `
  postfach quota  [NAME...] [--json]   ` + env.L("show IMAP quota use") + `
  postfach discover ADDRESS [--json]   ` + env.L("find the server settings for an address") + `
  postfach switch NAME --to imap|pop3 [--host HOST] [--port PORT] [--security tls|starttls|none]
                  [--username USER] [--password-stdin] [--trust-fingerprint SHA256]
                  [--backup-dir DIR] [--keep-days N | --keep-forever | --delete-after-backup]
                  [--dry-run] [--json]
                                       ` + env.L("move the mail to the other protocol, then switch the account") + `
  postfach archive NAME [--older-than 2y] [--larger-than 10M] [--folder F]... [--archive-dir DIR]
                  [--dry-run] [--json]
                                       ` + env.L("move old or large IMAP mail into a local archive to free space") + `
  postfach search NAME [WORDS...] [--from ADDR] [--since YYYY-MM-DD] [--before YYYY-MM-DD]
                  [--attachment] [--limit N] [--json]   ` + env.L("find messages in a backup, newest first") + `
  postfach export NAME --to DIR [--format eml|mbox] [WORDS...] [--from ...]
                                       ` + env.L("copy the messages found (all without a query) out") + `
  postfach index NAME [--rebuild]      ` + env.L("bring the search index up to date (automatic after backups)") + `

` + env.L("SPEC for --schedule: off, \"every 6h\", \"daily 02:30\", \"weekly mon 02:30\" (default: daily 13:00).") + "\n" +
		env.L("Exit status: 0 success, 1 failure, 2 usage error.") + "\n" +
		env.L("Files live in $POSTFACH_HOME, or in the user config folder (postfach/); passwords only in the system keyring.") + "\n" +
		env.L("Language: German or English, from LC_ALL, LC_MESSAGES, LANG or LANGUAGE (on Windows the display language); POSTFACH_LANG=de or en overrides it.") + "\n"
}

type handler func(args []string, env *Env) int

var commands = map[string]handler{
	"account add":    accountAdd,
	"account list":   accountList,
	"account remove": accountRemove,
	"account signin": accountSignin,
	"test":           testCmd,
	"backup":         backupCmd,
	"verify":         verifyCmd,
	"quota":          quotaCmd,
	"discover":       discoverCmd,
	"switch":         switchCmd,
	"archive":        archiveCmd,
	"search":         searchCmd,
	"export":         exportCmd,
	"index":          indexCmd,
}

func usageError(env *Env, msg string) int {
	fmt.Fprintf(env.Stderr, "postfach: %s\n%s\n", msg, env.L("Run \"postfach help\" for usage."))
	return ExitUsage
}

// newFlags returns a quiet flag set; parse reports its errors through usageError.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses flags that may come before or after positional arguments.
func parse(fs *flag.FlagSet, args []string, env *Env) ([]string, int, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError(env, fmt.Sprintf("%s: %v", fs.Name(), err)), false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, 0, true
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseAccounts parses a command line of flags and account names and returns the named
// accounts, or all accounts keep accepts when none is named. ok false means the command
// is over and returns code (a usage error or a failure, already reported).
func parseAccounts(fs *flag.FlagSet, args []string, env *Env, keep func(accounts.Account) bool) ([]accounts.Account, int, bool) {
	names, code, ok := parse(fs, args, env)
	if !ok {
		return nil, code, false
	}
	accts, err := selectAccounts(env, names, keep)
	if err != nil {
		return nil, fail(env, err), false
	}
	return accts, 0, true
}

// selectAccounts returns the named accounts, or all of them (filtered by keep) when no
// name is given.
func selectAccounts(env *Env, names []string, keep func(accounts.Account) bool) ([]accounts.Account, error) {
	if len(names) == 0 {
		all, err := env.service().List()
		if err != nil {
			return nil, err
		}
		var out []accounts.Account
		for _, a := range all {
			if keep(a) {
				out = append(out, a)
			}
		}
		return out, nil
	}
	var out []accounts.Account
	for _, n := range names {
		a, err := env.service().Get(n)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func printJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// fail prints an error as a plain sentence and returns ExitFail.
func fail(env *Env, err error) int {
	fmt.Fprintln(env.Stderr, "postfach:", env.explain(err))
	return ExitFail
}

func isPOP3(a accounts.Account) bool { return a.Protocol == accounts.POP3 }
func isIMAP(a accounts.Account) bool { return a.Protocol == accounts.IMAP }

func readPassword(env *Env) (string, error) {
	b, err := io.ReadAll(io.LimitReader(env.Stdin, 4096))
	if err != nil {
		return "", err
	}
	pw := strings.TrimRight(string(b), "\r\n")
	if pw == "" {
		return "", errors.New(env.L("no password on standard input"))
	}
	return pw, nil
}
