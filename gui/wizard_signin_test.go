package gui

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/accounts/oauth"
)

// TestWizardSignInReplacesPassword walks an Outlook.com address through the wizard: the
// provider accepts only its own sign-in page, so "Sign in with Microsoft" stands where
// the password field was, with no way back to a password; the page opens in the browser,
// the connection test and the saved account use the sign-in.
func TestWizardSignInReplacesPassword(t *testing.T) {
	core := newFakeCore()
	core.offers = map[string]*SignInOffer{"outlook.com": {OAuth2Only: true, Provider: oauth.NameMicrosoft, DisplayName: "Microsoft"}}
	core.signInURL = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=x"
	core.discovery = &Discovery{Candidates: []Candidate{
		{Protocol: accounts.IMAP, Host: "outlook.office365.com", Port: 993, Security: accounts.TLS, Source: "builtin", Provider: "Outlook.com"},
	}}
	u, opened := newTestUI(t, core)
	w := u.wizard
	test.Type(w.address.address, "anna@outlook.com")
	test.Type(w.address.name, "Anna")
	assertShows(t, u.win, "Sign in with Microsoft", "Microsoft signs you in on its own page")
	if l := w.address.form.Items[2].Text; l != "Sign-in" {
		t.Errorf("the row is labelled %q", l)
	}
	assertNotShows(t, u.win, "Use a password instead")
	if w.address.password.Visible() || w.address.keyringHint.Visible() {
		t.Error("the password field and its keyring note must give way to the sign-in")
	}
	if !w.next.Disabled() {
		t.Fatal("Next must wait for the sign-in")
	}
	// The user says no in the browser first.
	core.signInErr = fmt.Errorf("oauth microsoft: sign-in: %w", oauth.ErrDenied)
	tap(t, u.win, "Sign in with Microsoft")
	assertShows(t, u.win, "The sign-in was refused. The sign-in page answered that Postfach may not access this mailbox")
	if !w.next.Disabled() {
		t.Fatal("a refused sign-in must not let the wizard go on")
	}
	core.signInErr = nil
	tap(t, u.win, "Sign in with Microsoft")
	if len(*opened) != 2 || (*opened)[1].String() != core.signInURL {
		t.Fatalf("the browser opened %v", *opened)
	}
	assertShows(t, u.win, "Signed in.")
	tap(t, u.win, "Next")
	tap(t, u.win, "Use IMAP for this address")
	tap(t, u.win, "Next")
	tap(t, u.win, "Test connection")
	assertShows(t, u.win, "Connected and logged in.")
	tap(t, u.win, "Save account")

	if u.wizard != nil || len(core.accts) != 1 {
		t.Fatalf("not saved: %d accounts", len(core.accts))
	}
	a := core.accts[0]
	if a.Auth != accounts.AuthOAuth2 || a.OAuthProvider != oauth.NameMicrosoft || a.Host != "outlook.office365.com" ||
		core.addedTokens["Anna"] == nil || core.addedTokens["Anna"].AccessToken != "access-anna@outlook.com" {
		t.Fatalf("saved %+v with token %v", a, core.addedTokens["Anna"])
	}
	if core.passwords[a.ID] != "" {
		t.Error("an OAuth2 account got a password")
	}
}

// TestWizardSignInOrPassword checks a provider that takes both (Gmail): the sign-in is
// offered first, "Use a password instead" brings the password field back (and the
// account is then a password account), and a button leads to the sign-in again.
func TestWizardSignInOrPassword(t *testing.T) {
	core := newFakeCore()
	core.offers = map[string]*SignInOffer{"gmail.com": {Provider: oauth.NameGoogle, DisplayName: "Google"}}
	u, _ := newTestUI(t, core)
	w := u.wizard
	test.Type(w.address.address, "anna@gmail.com")
	assertShows(t, u.win, "Sign in with Google", "Use a password instead")
	tap(t, u.win, "Use a password instead")
	if !w.address.password.Visible() {
		t.Fatal("the password field did not come back")
	}
	assertShows(t, u.win, "Sign in with Google instead")
	if l := w.address.form.Items[2].Text; l != "Password" {
		t.Errorf("the row is labelled %q", l)
	}
	assertNotShows(t, u.win, "Google signs you in")
	test.Type(w.address.password, "app-password")
	if w.next.Disabled() {
		t.Fatal("a password is enough for Gmail")
	}
	if a := w.account(); a.Auth != "" || a.OAuthProvider != "" {
		t.Errorf("a password account marked as OAuth2: %+v", a)
	}
	tap(t, u.win, "Sign in with Google instead")
	assertShows(t, u.win, "Sign in with Google")
	if w.address.password.Visible() || !w.next.Disabled() {
		t.Error("back on the sign-in: the password field hides and Next waits for the sign-in")
	}
	// Another address forgets the offer.
	w.address.address.SetText("anna@example.org")
	assertNotShows(t, u.win, "Sign in with Google")
	if !w.address.password.Visible() {
		t.Error("an address without a sign-in page needs the password field")
	}
}

// TestWizardSignInNotInThisBuild checks a build without client IDs: for Outlook.com
// (sign-in only) the page says that this sign-in is not available and how to get it,
// and Next stays disabled; for Gmail it points to an app password.
func TestWizardSignInNotInThisBuild(t *testing.T) {
	core := newFakeCore()
	core.offers = map[string]*SignInOffer{
		"outlook.com": {OAuth2Only: true, Provider: oauth.NameMicrosoft, DisplayName: "Microsoft", Unavailable: oauth.ErrNotConfigured},
		"gmail.com":   {Provider: oauth.NameGoogle, DisplayName: "Google", Unavailable: oauth.ErrNotConfigured},
	}
	u, _ := newTestUI(t, core)
	w := u.wizard
	test.Type(w.address.address, "anna@outlook.com")
	assertShows(t, u.win, "sign-in with Microsoft is not available in this build", "docs/oauth.md")
	assertNotShows(t, u.win, "Sign in with Microsoft")
	if w.address.password.Visible() || !w.next.Disabled() {
		t.Error("Outlook.com takes no password: no field, no Next")
	}
	w.address.address.SetText("anna@gmail.com")
	assertShows(t, u.win, "Sign-in with Google is not available in this build", "app password")
	test.Type(w.address.password, "app-password")
	if !w.address.password.Visible() || w.next.Disabled() {
		t.Error("Gmail takes an app password")
	}
}

// TestWizardSignInFromDiscovery checks a custom domain whose mail Microsoft 365
// handles: the provider table does not know the domain, so the address page asks for a
// password, but discovery (here through the MX record) says Microsoft; the server page
// then offers "Sign in with Microsoft", the test waits for it, and the account is saved
// as an OAuth2 account.
func TestWizardSignInFromDiscovery(t *testing.T) {
	core := newFakeCore()
	core.discovery = &Discovery{Candidates: []Candidate{
		{Protocol: accounts.IMAP, Host: "outlook.office365.com", Port: 993, Security: accounts.TLS, Source: "mx", Provider: "Microsoft 365",
			SignIn: &SignInOffer{OAuth2Only: true, Provider: oauth.NameMicrosoft, DisplayName: "Microsoft"}},
	}}
	u, opened := newTestUI(t, core)
	fillAddress(t, u)
	tap(t, u.win, "Use IMAP for this address")
	tap(t, u.win, "Next")
	assertShows(t, u.win, "Microsoft signs you in on its own page, not with the password", "Sign in with Microsoft")
	assertNotShows(t, u.win, "Use the password instead")
	tap(t, u.win, "Test connection")
	assertShows(t, u.win, "Sign in first")
	if !u.wizard.next.Disabled() || len(core.tested) != 0 {
		t.Fatal("no test and no saving before the sign-in")
	}
	tap(t, u.win, "Sign in with Microsoft")
	if len(*opened) != 1 {
		t.Fatalf("the browser opened %v", *opened)
	}
	assertNotShows(t, u.win, "Sign in with Microsoft")
	tap(t, u.win, "Test connection")
	tap(t, u.win, "Save account")
	if len(core.accts) != 1 || core.accts[0].Auth != accounts.AuthOAuth2 || core.addedTokens["Anna"] == nil {
		t.Fatalf("saved %+v", core.accts)
	}
}
