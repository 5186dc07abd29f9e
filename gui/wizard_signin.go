package gui

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/oauth"
)

// signIn is the address page's OAuth2 part. When Postfach's provider table says the
// address's provider signs in through its own page (Outlook.com and Microsoft 365 only
// that way, Gmail besides app passwords), a "Sign in with …" button replaces the
// password field; the page opens in the system browser (App.OpenURL) and the answer
// comes back to Postfach on a loopback address. For providers that take a password too,
// a button leads back to the password field and another one forward again. A build
// without the provider's client ID says that this sign-in is not available.
type signIn struct {
	w *wizard

	offer      *SignInOffer
	offerFor   string // the address offer is for
	usePW      bool   // the user chose a password although a sign-in is offered
	token      *oauth.Token
	tokenFor   string // the address token is for
	busy       bool
	cancel     context.CancelFunc // ends a sign-in that is waiting for the browser
	gen        int                // incremented per lookup and sign-in, so stale answers are dropped
	button     *widget.Button
	status     *widget.Label
	toPassword *widget.Button
	toSignIn   *widget.Button
	box        *fyne.Container
}

func newSignIn(w *wizard) *signIn {
	g := &signIn{w: w}
	g.buildUI()
	return g
}

func (g *signIn) buildUI() {
	g.button = &widget.Button{Importance: widget.HighImportance, OnTapped: g.onSignIn}
	g.status = &widget.Label{Wrapping: fyne.TextWrapWord}
	g.toPassword = &widget.Button{Text: lang.L("Use a password instead"), Importance: widget.LowImportance, OnTapped: g.onUsePassword}
	g.toSignIn = &widget.Button{Importance: widget.LowImportance, OnTapped: g.onUseSignIn}
	g.box = container.NewVBox(container.NewHBox(g.button), g.status, container.NewHBox(g.toPassword))
}

// offered reports whether the provider has a sign-in page Postfach could use or must
// explain (available or not).
func (g *signIn) offered() bool { return g.offer != nil && g.offerFor == g.w.address.email() }

// active reports whether the account signs in with OAuth2 instead of a password: the
// sign-in is available and the user did not choose a password.
func (g *signIn) active() bool {
	return g.offered() && g.offer.Unavailable == nil && (g.offer.OAuth2Only || !g.usePW)
}

// blocked reports an address whose provider accepts only a sign-in this build cannot
// offer.
func (g *signIn) blocked() bool {
	return g.offered() && g.offer.Unavailable != nil && g.offer.OAuth2Only
}

// current returns the token of a finished sign-in for the current address, or nil.
func (g *signIn) current() *oauth.Token {
	if !g.active() || g.tokenFor != g.w.address.email() {
		return nil
	}
	return g.token
}

// apply marks a as an OAuth2 account when the sign-in is active.
func (g *signIn) apply(a *accounts.Account) {
	if g.active() {
		a.Auth, a.OAuthProvider = accounts.AuthOAuth2, g.offer.Provider
	}
}

// lookup asks the provider table about a (valid) address.
func (g *signIn) lookup(email string) {
	if email == g.offerFor {
		return
	}
	g.stop()
	g.offerFor, g.offer, g.usePW = email, nil, false
	g.gen++
	gen := g.gen
	g.update()
	g.w.u.async(func() {
		offer, err := g.w.u.core.SignInOffer(g.w.u.ctx, email)
		fyne.Do(func() {
			if gen != g.gen || err != nil {
				return // an unreadable table means: ask for a password, as before
			}
			g.offer = offer
			g.update()
		})
	})
}

// onSignIn opens the provider's page and waits for the answer in the background.
func (g *signIn) onSignIn() {
	if !g.active() || g.busy {
		return
	}
	a := g.w.account()
	email := a.Email
	ctx, cancel := context.WithCancel(g.w.u.ctx)
	g.cancel, g.busy = cancel, true
	g.gen++
	gen := g.gen
	g.status.Importance = widget.MediumImportance
	g.update()
	g.w.u.async(func() {
		tok, err := g.w.u.core.SignIn(ctx, a, g.w.u.openURL)
		cancel()
		fyne.Do(func() {
			if gen != g.gen {
				return
			}
			g.busy, g.cancel = false, nil
			if err != nil {
				p := explainSignIn(err, a)
				g.status.Importance = widget.DangerImportance
				g.status.SetText(p.Title + ". " + p.Text)
			} else {
				g.token, g.tokenFor = tok, email
				g.w.server.test.reset() // a test with another sign-in proves nothing
			}
			g.update()
		})
	})
}

// adopt takes the sign-in full discovery found for the address (a custom domain whose
// mail a provider with its own sign-in page handles), unless the provider table
// already offered one or the user chose a password.
func (g *signIn) adopt(email string, offer *SignInOffer) {
	if offer == nil || g.offered() || email != g.w.address.email() {
		return
	}
	g.gen++ // a table lookup still under way is older news
	g.offerFor, g.offer, g.usePW = email, offer, false
	g.update()
}

func (g *signIn) onUsePassword() { g.usePW = true; g.stop(); g.update() }
func (g *signIn) onUseSignIn()   { g.usePW = false; g.update() }

// stop ends a sign-in that is still waiting for the browser (address changed, wizard
// closed).
func (g *signIn) stop() {
	if g.cancel != nil {
		g.cancel()
		g.cancel = nil
	}
	if g.busy {
		g.busy = false
		g.gen++
	}
}

// update shows the password field or the sign-in, and what the sign-in is doing.
func (g *signIn) update() {
	s := g.w.address
	data := map[string]any{}
	if g.offer != nil {
		data["Provider"] = g.offer.DisplayName
	}
	g.toPassword.Hide()
	g.toSignIn.Hide()
	switch {
	case !g.offered():
		g.box.Hide()
		s.showPassword(true)
	case g.offer.Unavailable != nil:
		g.box.Show()
		g.button.Hide()
		g.status.Importance = widget.WarningImportance
		if g.offer.OAuth2Only {
			s.showPassword(false)
			g.status.SetText(lang.L("{{.Provider}} accepts only its own sign-in page, and sign-in with {{.Provider}} is not available in this build of Postfach. A build from a distributor that registered Postfach with {{.Provider}} offers it (docs/oauth.md says how).", data))
		} else {
			s.showPassword(true)
			g.status.SetText(lang.L("Sign-in with {{.Provider}} is not available in this build of Postfach; use an app password from your {{.Provider}} account.", data))
		}
	case !g.active():
		g.box.Hide()
		s.showPassword(true)
		g.toSignIn.SetText(lang.L("Sign in with {{.Provider}} instead", data))
		g.toSignIn.Show()
	default:
		g.box.Show()
		s.showPassword(false)
		g.button.Show()
		g.button.SetText(lang.L("Sign in with {{.Provider}}", data))
		if !g.offer.OAuth2Only {
			g.toPassword.Show()
		}
		switch {
		case g.busy:
			g.button.Disable()
			g.status.Importance = widget.MediumImportance
			g.status.SetText(lang.L("Waiting for the sign-in in your browser…"))
		case g.current() != nil:
			g.button.Enable()
			g.status.Importance = widget.SuccessImportance
			g.status.SetText(lang.L("Signed in. Postfach keeps only a sign-in token in your system's keyring, never your password."))
		default:
			g.button.Enable()
			if g.status.Importance != widget.DangerImportance {
				g.status.SetText(lang.L("{{.Provider}} signs you in on its own page: Postfach opens it in your browser and never sees your password.", data))
			}
		}
	}
	g.status.Refresh()
	s.box.Refresh()
	g.w.server.updateSignIn()
	g.w.refreshButtons()
}

// oauthProviderName names an account's OAuth provider for people: the company for the
// built-in ones, else the issuer URL.
func oauthProviderName(name string) string {
	switch {
	case strings.HasPrefix(name, oauth.NameMicrosoft):
		return "Microsoft"
	case name == oauth.NameGoogle:
		return "Google"
	}
	return name
}

// explainSignIn explains a failed sign-in: the two ways it ends in the browser (the user
// or the organisation said no; nobody finished it within the sign-in's ten minutes)
// need other words than a failed login to a mail server.
func explainSignIn(err error, a accounts.Account) problem {
	switch {
	case errors.Is(err, oauth.ErrDenied):
		return problem{Title: lang.L("The sign-in was refused"), Detail: err.Error(),
			Text:  lang.L("The sign-in page answered that Postfach may not access this mailbox: it was cancelled there, or the organisation does not allow it."),
			Hints: []string{lang.L("Try again and allow access; for a work account, ask your administrator to allow Postfach.")}}
	case errors.Is(err, context.DeadlineExceeded):
		return problem{Title: lang.L("The sign-in was not finished"), Detail: err.Error(),
			Text:  lang.L("Postfach waited ten minutes for the sign-in in the browser."),
			Hints: []string{lang.L("Try again; if no browser window opens, check your default browser.")}}
	}
	return explain(err, a, nil)
}
