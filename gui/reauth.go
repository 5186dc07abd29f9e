package gui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/postfach/postfach/accounts"
	"github.com/postfach/postfach/backup"
)

// needsSignIn reports whether the account's OAuth2 sign-in expired or was revoked: its
// last backup or quota reading ended with kind reauth-required.
func (st *accountStatus) needsSignIn() bool {
	return backup.KindOf(st.lastFailure()) == backup.KindReauth || backup.KindOf(st.quotaErr) == backup.KindReauth
}

// signInAgain runs the provider's sign-in for a saved account from its card (the page
// opens in the browser) and, once signed in, backs up or reads the quota right away, so
// the card shows the repaired state.
func (u *UI) signInAgain(id string) {
	st := u.status[id]
	if st == nil || st.signingIn {
		return
	}
	st.signingIn = true
	u.overview.refreshCard(id)
	acct := st.acct
	u.async(func() {
		err := u.core.Reauthorize(u.ctx, id, u.openURL)
		fyne.Do(func() {
			st.signingIn = false
			if err != nil {
				u.overview.refreshCard(id)
				u.showProblem(explainSignIn(err, acct))
				return
			}
			st.lastErr, st.quotaErr = nil, nil
			if acct.Protocol == accounts.POP3 {
				u.sched.BackupNow(id)
				u.overview.refreshCard(id)
			} else {
				u.checkQuotaNow(id)
			}
			u.refreshTray()
		})
	})
}

// updateSignIn shows the card's "Sign in again" button while the sign-in is needed.
func (c *accountCard) updateSignIn(st *accountStatus) {
	if !st.needsSignIn() {
		c.signInAgain.Hide()
		return
	}
	c.signInAgain.Show()
	if st.signingIn {
		c.signInAgain.SetText(lang.L("Waiting for the sign-in in your browser…"))
		c.signInAgain.Disable()
	} else {
		c.signInAgain.SetText(lang.L("Sign in again"))
		c.signInAgain.Enable()
	}
}

func (c *accountCard) onSignInAgain() { c.u.signInAgain(c.id) }
