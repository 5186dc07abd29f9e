package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/postfach/postfach/accounts"
)

// addOAuth2 signs a new OAuth2 account in through the browser and stores it with its
// token.
func addOAuth2(a accounts.Account, env *Env) (accounts.Account, error) {
	ctx := context.Background()
	tok, err := env.service().SignIn(ctx, a, env.browser())
	if err != nil {
		return accounts.Account{}, err
	}
	return env.service().AddOAuth2(ctx, a, tok)
}

// accountSignin signs a saved OAuth2 account in again, after its refresh token was
// revoked or expired (kind reauth-required).
func accountSignin(args []string, env *Env) int {
	fs := newFlags("account signin")
	pos, code, ok := parse(fs, args, env)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(env, env.L("account signin needs exactly one account name"))
	}
	ctx := context.Background()
	a, err := env.service().Get(pos[0])
	if err != nil {
		return fail(env, err)
	}
	if !a.Connection().OAuth2() {
		fmt.Fprintln(env.Stderr, "postfach:", env.L("account {{.Name}} signs in with a password; to change it, remove the account and add it again",
			map[string]any{"Name": strconv.Quote(a.Name)}))
		return ExitFail
	}
	tok, err := env.service().SignIn(ctx, a, env.browser())
	if err != nil {
		return fail(env, err)
	}
	if err := env.service().Reauthorize(ctx, a.ID, tok); err != nil {
		return fail(env, err)
	}
	fmt.Fprintln(env.Stdout, env.L("Signed in to {{.Name}} again.", map[string]any{"Name": strconv.Quote(a.Name)}))
	return ExitOK
}

// browser returns the sign-in page's handler: print the address (always: the browser
// may not open, or open on another screen), then show it with env.Browser or the
// system browser. The browser is started without a shell: the URL is one argument.
func (env *Env) browser() func(ctx context.Context, url string) error {
	return func(ctx context.Context, url string) error {
		fmt.Fprintf(env.Stderr, "%s\n\n  %s\n\n%s\n", env.L("Sign in in your browser. If none opens, open this address:"), url,
			env.L("Waiting for the sign-in to finish (Ctrl+C to cancel)…"))
		if env.Browser != nil {
			return env.Browser(ctx, url)
		}
		if err := openBrowser(url); err != nil {
			fmt.Fprintln(env.Stderr, "postfach:", env.L("could not open a browser:"), err)
		}
		return nil
	}
}

// openBrowser starts the system browser with url when there is a display
// (systemBrowser). It does not wait: a browser started by xdg-open may run until the
// user closes it, and the sign-in goes on in the meantime. Release lets the process go;
// it ends with the browser or when postfach exits.
func openBrowser(url string) error {
	cmd := systemBrowser(url)
	if cmd == nil {
		return nil
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	return cmd.Process.Release()
}
