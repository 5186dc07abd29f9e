package discover

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// Postfach's own entries for the providers most of its users have. They are written from the
// providers' published help pages (as of 2025; re-check when a provider changes its servers)
// and carry the hints users need that no autoconfig document gives, such as Telekom's
// separate e-mail password. Because we wrote them, their hosts are never treated as
// "another domain" (Gmail serves googlemail.com from imap.gmail.com).
//
// Checked against Thunderbird's ISPDB (github.com/thunderbird/autoconfig, ispdb/*.xml, commit
// c6ad796): every address domain ISPDB lists for these providers is here, and the servers,
// ports and user-name forms agree, except where a comment says why not. Two differences hold
// for every entry: only implicit TLS (993/995) is listed, never ISPDB's STARTTLS alternatives
// (RFC 8314 section 3.3: a second, weaker way in adds nothing when the first one works), and
// host names that ISPDB lists as "domains" but that are mail exchangers (yahoodns.net,
// olc.protection.outlook.com, mail.protection.outlook.com) are MXDomains here, because no
// address ends in them. mailbox.org and freenet are not in ISPDB.

// provider is one built-in entry.
type provider struct {
	Name string
	// Domains are the address domains the provider hands out.
	Domains []string
	// MXDomains are the registrable domains of the provider's mail exchangers: a custom domain
	// whose MX points there is hosted by this provider (source 4).
	MXDomains []string
	Servers   []builtinServer
	Notes     []Note // for every server
	// Auth is how users sign in (AuthPassword when empty), OAuthProvider the accounts/oauth
	// provider for OAuth2 when Postfach has one.
	Auth, OAuthProvider string
}

// builtinServer is one server of a provider.
type builtinServer struct {
	Protocol, Host string
	Port           int
	Security       string
	Username       string // template with the autoconfig placeholders
	Notes          []Note
}

// providers is the built-in table. Order matters only for readability.
var providers = []provider{
	{
		Name:      "Telekom (t-online.de)",
		Domains:   []string{"t-online.de", "magenta.de"},
		MXDomains: []string{"t-online.de"},
		Servers: []builtinServer{
			imapTLS("secureimap.t-online.de", "%EMAILADDRESS%"),
			pop3TLS("securepop.t-online.de", "%EMAILADDRESS%"),
		},
		Notes: []Note{{Code: NoteTelekomPassword, Text: "Telekom needs the separate E-Mail-Passwort for mail programs, which you set in the Telekom E-Mail Center; your Telekom login password does not work here."}},
	},
	{
		Name: "GMX",
		Domains: []string{
			"gmx.net", "gmx.de", "gmx.at", "gmx.ch", "gmx.eu", "gmx.biz", "gmx.org", "gmx.info", "mein.gmx",
			"mail.gmx", "email.gmx",
		},
		MXDomains: []string{"gmx.net"},
		Servers: []builtinServer{
			imapTLS("imap.gmx.net", "%EMAILADDRESS%"),
			pop3TLS("pop.gmx.net", "%EMAILADDRESS%"),
		},
		Notes: []Note{{Code: NoteGMXAccess, Text: `If GMX refuses the connection, switch on "POP3 und IMAP Zugriff erlauben" in the GMX web mail settings (POP3 & IMAP).`}},
	},
	{
		Name: "GMX.com",
		Domains: []string{
			"gmx.com", "gmx.tm", "gmx.us", "gmx.co.uk", "gmx.es", "gmx.fr", "gmx.ca", "gmx.cn", "gmx.co.in",
			"gmx.com.br", "gmx.com.my", "gmx.hk", "gmx.ie", "gmx.ph", "gmx.pt", "gmx.ru", "gmx.se",
			"gmx.sg", "gmx.tw", "gmx.com.tr", "gmx.it", "gmx.li",
		},
		MXDomains: []string{"gmx.com"},
		Servers: []builtinServer{
			imapTLS("imap.gmx.com", "%EMAILADDRESS%"),
			pop3TLS("pop.gmx.com", "%EMAILADDRESS%"),
		},
		Notes: []Note{{Code: NoteGMXComAccess, Text: "If GMX refuses the connection, allow POP3 and IMAP access in the GMX web mail settings."}},
	},
	{
		Name:      "WEB.DE",
		Domains:   []string{"web.de"},
		MXDomains: []string{"web.de"},
		// ISPDB names the local part as the user name; WEB.DE's help page names the full
		// address, which the servers accept as well and which cannot be mistaken for
		// another provider's account.
		Servers: []builtinServer{
			imapTLS("imap.web.de", "%EMAILADDRESS%"),
			pop3TLS("pop3.web.de", "%EMAILADDRESS%"),
		},
		Notes: []Note{{Code: NoteWebDEAccess, Text: `WEB.DE only lets mail programs in after you switch on "POP3/IMAP Abruf" in the WEB.DE web mail settings.`}},
	},
	{
		// Customers' own domains are found by their MX (mx00.ionos.de, and
		// mx00.kundenserver.de from the 1&1 days); the address domains are 1&1's old ones,
		// as ISPDB lists them. ISPDB still names imap.1und1.de and pop.1und1.de; IONOS's
		// help page names the ionos.de hosts, which serve the same mailboxes.
		Name: "IONOS (1&1)",
		Domains: []string{
			"online.de", "onlinehome.de", "sofortstart.de", "sofort-start.de", "sofortsurf.de",
			"sofort-surf.de", "go4more.de", "kundenserver.de", "schlund.de",
		},
		MXDomains: []string{"ionos.de", "kundenserver.de"},
		Servers: []builtinServer{
			imapTLS("imap.ionos.de", "%EMAILADDRESS%"),
			pop3TLS("pop.ionos.de", "%EMAILADDRESS%"),
		},
	},
	{
		Name:      "STRATO",
		Domains:   []string{"strato.de", "rzone.de"},
		MXDomains: []string{"rzone.de"},
		Servers: []builtinServer{
			imapTLS("imap.strato.de", "%EMAILADDRESS%"),
			pop3TLS("pop3.strato.de", "%EMAILADDRESS%"),
		},
	},
	{
		Name: "Posteo",
		Domains: []string{
			"posteo.de", "posteo.at", "posteo.be", "posteo.ca", "posteo.ch", "posteo.cl", "posteo.co",
			"posteo.co.uk", "posteo.com", "posteo.com.br", "posteo.cr", "posteo.cz", "posteo.dk",
			"posteo.ee", "posteo.es", "posteo.eu", "posteo.fi", "posteo.gl", "posteo.gr", "posteo.hn",
			"posteo.hr", "posteo.hu", "posteo.ie", "posteo.in", "posteo.is", "posteo.it", "posteo.jp",
			"posteo.la", "posteo.li", "posteo.lt", "posteo.lu", "posteo.me", "posteo.mx", "posteo.my",
			"posteo.net", "posteo.nl", "posteo.no", "posteo.nz", "posteo.org", "posteo.pe", "posteo.pl",
			"posteo.pm", "posteo.pt", "posteo.ro", "posteo.se", "posteo.sg", "posteo.si", "posteo.tn",
			"posteo.uk", "posteo.us",
		},
		MXDomains: []string{"posteo.de"},
		Servers: []builtinServer{
			imapTLS("posteo.de", "%EMAILADDRESS%"),
			pop3TLS("posteo.de", "%EMAILADDRESS%"),
		},
	},
	{
		Name:      "mailbox.org",
		Domains:   []string{"mailbox.org"},
		MXDomains: []string{"mailbox.org"},
		Servers: []builtinServer{
			imapTLS("imap.mailbox.org", "%EMAILADDRESS%"),
			pop3TLS("pop3.mailbox.org", "%EMAILADDRESS%"),
		},
	},
	{
		Name:      "freenet",
		Domains:   []string{"freenet.de"},
		MXDomains: []string{"freenet.de"},
		Servers: []builtinServer{
			imapTLS("mx.freenet.de", "%EMAILADDRESS%"),
			pop3TLS("mx.freenet.de", "%EMAILADDRESS%"),
		},
	},
	{
		// ISPDB also lists jazztel.es and nyu.edu, customers' domains hosted by Google:
		// those are found by their MX (google.com) like every Google Workspace domain.
		Name:      "Gmail",
		Domains:   []string{"gmail.com", "googlemail.com", "google.com"},
		MXDomains: []string{"google.com", "googlemail.com"},
		Servers: []builtinServer{
			imapTLS("imap.gmail.com", "%EMAILADDRESS%"),
			withNotes(pop3TLS("pop.gmail.com", "%EMAILADDRESS%"),
				Note{Code: NoteGmailPOP, Text: "POP must be switched on first in Gmail's settings (See all settings > Forwarding and POP/IMAP)."}),
		},
		Notes: []Note{{Code: NoteGoogleSignIn, Text: "Google does not accept your normal password here: sign in with Google, or " +
			"use an app password created in your account's security settings (it needs two-step verification)."}},
		Auth:          AuthPasswordOrOAuth2,
		OAuthProvider: "google",
	},
	{
		// Microsoft 365 tenants (*.onmicrosoft.com and customers' own domains) are found by
		// their MX, *.mail.protection.outlook.com.
		Name: "Outlook.com / Microsoft 365",
		Domains: []string{
			"hotmail.com", "live.com", "msn.com", "outlook.com", "windowslive.com", "outlook.at",
			"outlook.be", "outlook.cl", "outlook.cz", "outlook.de", "outlook.dk", "outlook.es",
			"outlook.fr", "outlook.hu", "outlook.ie", "outlook.in", "outlook.it", "outlook.jp",
			"outlook.kr", "outlook.lv", "outlook.my", "outlook.ph", "outlook.pt", "outlook.sa",
			"outlook.sg", "outlook.sk", "outlook.co.id", "outlook.co.il", "outlook.co.th", "outlook.com.ar",
			"outlook.com.au", "outlook.com.br", "outlook.com.gr", "outlook.com.tr", "outlook.com.vn",
			"hotmail.be", "hotmail.ca", "hotmail.cl", "hotmail.cz", "hotmail.de", "hotmail.dk",
			"hotmail.es", "hotmail.fi", "hotmail.fr", "hotmail.gr", "hotmail.hu", "hotmail.it",
			"hotmail.lt", "hotmail.lv", "hotmail.my", "hotmail.nl", "hotmail.no", "hotmail.ph",
			"hotmail.rs", "hotmail.se", "hotmail.sg", "hotmail.sk", "hotmail.co.id", "hotmail.co.il",
			"hotmail.co.in", "hotmail.co.jp", "hotmail.co.kr", "hotmail.co.th", "hotmail.co.uk",
			"hotmail.co.za", "hotmail.com.ar", "hotmail.com.au", "hotmail.com.br", "hotmail.com.hk",
			"hotmail.com.tr", "hotmail.com.tw", "hotmail.com.vn", "live.at", "live.be", "live.ca",
			"live.cl", "live.cn", "live.de", "live.dk", "live.fi", "live.fr", "live.hk", "live.ie",
			"live.in", "live.it", "live.jp", "live.nl", "live.no", "live.ru", "live.se", "live.co.jp",
			"live.co.kr", "live.co.uk", "live.co.za", "live.com.ar", "live.com.au", "live.com.mx",
			"live.com.my", "live.com.ph", "live.com.pt", "live.com.sg", "livemail.tw",
		},
		MXDomains: []string{"outlook.com"},
		Servers: []builtinServer{
			imapTLS("outlook.office365.com", "%EMAILADDRESS%"),
			withNotes(pop3TLS("outlook.office365.com", "%EMAILADDRESS%"),
				Note{Code: NoteOutlookPOP, Text: `POP must be switched on first in Outlook.com's settings (Mail > Forwarding and IMAP > "Let devices and apps use POP").`}),
		},
		Notes: []Note{{Code: NoteMicrosoftOAuth2, Text: "Microsoft accepts only \"Sign in with Microsoft\" (OAuth2) for IMAP and POP; passwords and app passwords are refused."}},
		// ISPDB lists only OAuth2 for these servers.
		Auth:          AuthOAuth2,
		OAuthProvider: "microsoft",
	},
	{
		// ISPDB also lists export.imap.mail.yahoo.com, Yahoo's host for exporting whole
		// mailboxes; ordinary accounts use imap.mail.yahoo.com. ISPDB offers OAuth2 as
		// well, but Postfach has no Yahoo client ID, so the wizard asks for an app password.
		Name: "Yahoo",
		Domains: []string{
			"yahoo.com", "yahoo.ca", "yahoo.de", "yahoo.it", "yahoo.fr", "yahoo.es", "yahoo.se",
			"yahoo.co.in", "yahoo.co.uk", "yahoo.co.nz", "yahoo.com.au", "yahoo.com.ar", "yahoo.com.br",
			"yahoo.com.mx", "ymail.com", "myyahoo.com", "rocketmail.com", "cox.net",
		},
		MXDomains: []string{"yahoodns.net"},
		Servers: []builtinServer{
			imapTLS("imap.mail.yahoo.com", "%EMAILADDRESS%"),
			pop3TLS("pop.mail.yahoo.com", "%EMAILADDRESS%"),
		},
		Notes: []Note{{Code: NoteYahooAppPassword, Text: "Yahoo does not accept your normal password here. Use an app password created in your account's security settings, not your normal password (it needs two-step verification)."}},
		Auth:  AuthPasswordOrOAuth2,
	},
	{
		Name:      "iCloud",
		Domains:   []string{"icloud.com", "me.com", "mac.com"},
		MXDomains: []string{"icloud.com"},
		Servers: []builtinServer{
			// Apple documents the name part of the iCloud address as the user name.
			imapTLS("imap.mail.me.com", "%EMAILLOCALPART%"),
		},
		Notes: []Note{
			{Code: NoteICloudAppPassword, Text: "iCloud Mail needs an app-specific password created at account.apple.com, not your Apple Account password."},
			{Code: NoteICloudUsername, Text: "The user name is the part of your iCloud Mail address before the @ (for a custom domain: of your iCloud Mail address). If it is refused, try the full address."},
			{Code: NoteICloudNoPOP3, Text: "iCloud Mail does not offer POP3."},
		},
	},
}

func imapTLS(host, user string) builtinServer {
	return builtinServer{Protocol: ProtocolIMAP, Host: host, Port: 993, Security: SecurityTLS, Username: user}
}

func pop3TLS(host, user string) builtinServer {
	return builtinServer{Protocol: ProtocolPOP3, Host: host, Port: 995, Security: SecurityTLS, Username: user}
}

func withNotes(s builtinServer, notes ...Note) builtinServer {
	s.Notes = append(s.Notes, notes...)
	return s
}

// ProviderNotes returns the built-in hints for the provider of address and for its server
// of protocol (ProtocolIMAP or ProtocolPOP3), found by the address's domain without any
// network: what the app shows when the login of an account set up long ago is refused.
// An address at a domain the table does not know has none.
func ProviderNotes(address, protocol string) []Note {
	addr, err := parseAddress(address)
	if err != nil {
		return nil
	}
	p := providerByDomain(addr.domain)
	if p == nil {
		return nil
	}
	notes := slices.Clone(p.Notes)
	for _, s := range p.Servers {
		if s.Protocol == protocol {
			notes = append(notes, s.Notes...)
		}
	}
	return notes
}

// providerByDomain returns the entry that hands out addresses at domain, or nil.
func providerByDomain(domain string) *provider {
	for i := range providers {
		if slices.Contains(providers[i].Domains, domain) {
			return &providers[i]
		}
	}
	return nil
}

// providerByMX returns the entry whose mail exchangers live in the registrable domain
// mxDomain, or nil.
func providerByMX(mxDomain string) *provider {
	for i := range providers {
		if slices.Contains(providers[i].MXDomains, mxDomain) {
			return &providers[i]
		}
	}
	return nil
}

// candidates turns the entry into candidates for addr.
func (p *provider) candidates(addr emailAddress, source, detail string) []found {
	fs := make([]found, 0, len(p.Servers))
	for i, s := range p.Servers {
		notes := append(slices.Clone(p.Notes), s.Notes...)
		fs = append(fs, found{
			Candidate: Candidate{
				Protocol: s.Protocol, Host: s.Host, Port: s.Port, Security: s.Security,
				Username: addr.expand(s.Username), Source: source, Detail: detail,
				Provider: p.Name, Notes: notes,
				Authentication: cmp.Or(p.Auth, AuthPassword), OAuthProvider: p.OAuthProvider,
			},
			seq:     i,
			curated: true,
		})
	}
	return fs
}

// builtinSource looks the address's domain up in the table.
func (r *run) builtinSource(context.Context) {
	start := time.Now()
	p := providerByDomain(r.addr.domain)
	if p == nil {
		r.addLog(LogEntry{Source: SourceBuiltin, Target: r.addr.domain, Duration: time.Since(start), Result: "no built-in entry"})
		return
	}
	fs := p.candidates(r.addr, SourceBuiltin, "built-in entry "+p.Name)
	r.add(fs...)
	r.addLog(LogEntry{Source: SourceBuiltin, Target: r.addr.domain, Duration: time.Since(start),
		Result: p.Name + ": " + describe(fs)})
}
