package discover

import "strings"

// authentication derives Candidate.Authentication from the <authentication> values of an
// autoconfig document: "OAuth2" means OAuth2, any "password-…" value a password. A
// document that names neither (or nothing) leaves the password, which is what a server
// without such a document expects.
func authentication(methods []string) string {
	var password, oauth2 bool
	for _, m := range methods {
		m = strings.ToLower(m)
		switch {
		case m == "oauth2":
			oauth2 = true
		case strings.HasPrefix(m, "password"):
			password = true
		}
	}
	switch {
	case oauth2 && password:
		return AuthPasswordOrOAuth2
	case oauth2:
		return AuthOAuth2
	}
	return AuthPassword
}

// oauthHosts maps the mail servers of the providers Postfach can sign in to with OAuth2
// to the accounts/oauth provider name, for candidates from documents (autoconfig, ISPDB)
// that say OAuth2 but not whose.
var oauthHosts = map[string]string{
	"outlook.office365.com": "microsoft",
	"imap.gmail.com":        "google",
	"pop.gmail.com":         "google",
}

// oauthProvider returns the OAuth2 provider for host when auth allows OAuth2, else "".
func oauthProvider(host, auth string) string {
	if auth == AuthPassword {
		return ""
	}
	return oauthHosts[host]
}
