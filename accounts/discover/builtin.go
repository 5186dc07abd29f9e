package discover

import (
	"context"
	"slices"
	"time"
)

// Postfach's own entries for the providers most of its users have. They are written from the
// providers' published help pages (as of 2025; re-check when a provider changes its servers)
// and carry the hints users need that no autoconfig document gives, such as Telekom's
// separate e-mail password. Because we wrote them, their hosts are never treated as
// "another domain" (Gmail serves googlemail.com from imap.gmail.com).

// provider is one built-in entry.
type provider struct {
	Name string
	// Domains are the address domains the provider hands out.
	Domains []string
	// MXDomains are the registrable domains of the provider's mail exchangers: a custom domain
	// whose MX points there is hosted by this provider (source 4).
	MXDomains []string
	Servers   []builtinServer
	Notes     []string // for every server
}

// builtinServer is one server of a provider.
type builtinServer struct {
	Protocol, Host string
	Port           int
	Security       string
	Username       string // template with the autoconfig placeholders
	Notes          []string
}

// Hints shared by several providers.
const (
	noteAppPassword = "Use an app password created in your account's security settings, not your normal password (it needs two-step verification)."
)

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
		Notes: []string{"Telekom needs the separate E-Mail-Passwort for mail programs, which you set in the Telekom E-Mail Center; your Telekom login password does not work here."},
	},
	{
		Name:      "GMX",
		Domains:   []string{"gmx.de", "gmx.net", "gmx.at", "gmx.ch"},
		MXDomains: []string{"gmx.net"},
		Servers: []builtinServer{
			imapTLS("imap.gmx.net", "%EMAILADDRESS%"),
			pop3TLS("pop.gmx.net", "%EMAILADDRESS%"),
		},
		Notes: []string{`If GMX refuses the connection, switch on "POP3 und IMAP Zugriff erlauben" in the GMX web mail settings (POP3 & IMAP).`},
	},
	{
		Name:      "GMX.com",
		Domains:   []string{"gmx.com"},
		MXDomains: []string{"gmx.com"},
		Servers: []builtinServer{
			imapTLS("imap.gmx.com", "%EMAILADDRESS%"),
			pop3TLS("pop.gmx.com", "%EMAILADDRESS%"),
		},
		Notes: []string{"If GMX refuses the connection, allow POP3 and IMAP access in the GMX web mail settings."},
	},
	{
		Name:      "WEB.DE",
		Domains:   []string{"web.de"},
		MXDomains: []string{"web.de"},
		Servers: []builtinServer{
			imapTLS("imap.web.de", "%EMAILADDRESS%"),
			pop3TLS("pop3.web.de", "%EMAILADDRESS%"),
		},
		Notes: []string{`WEB.DE only lets mail programs in after you switch on "POP3/IMAP Abruf" in the WEB.DE web mail settings.`},
	},
	{
		// IONOS hands out no addresses of its own: customers' domains are found by their MX
		// (mx00.ionos.de, and mx00.kundenserver.de from the 1&1 days).
		Name:      "IONOS (1&1)",
		MXDomains: []string{"ionos.de", "kundenserver.de"},
		Servers: []builtinServer{
			imapTLS("imap.ionos.de", "%EMAILADDRESS%"),
			pop3TLS("pop.ionos.de", "%EMAILADDRESS%"),
		},
	},
	{
		Name:      "STRATO",
		Domains:   []string{"strato.de"},
		MXDomains: []string{"rzone.de"},
		Servers: []builtinServer{
			imapTLS("imap.strato.de", "%EMAILADDRESS%"),
			pop3TLS("pop3.strato.de", "%EMAILADDRESS%"),
		},
	},
	{
		Name:      "Posteo",
		Domains:   []string{"posteo.de", "posteo.net", "posteo.at", "posteo.ch", "posteo.org", "posteo.eu"},
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
		Name:      "Gmail",
		Domains:   []string{"gmail.com", "googlemail.com"},
		MXDomains: []string{"google.com", "googlemail.com"},
		Servers: []builtinServer{
			imapTLS("imap.gmail.com", "%EMAILADDRESS%"),
			withNotes(pop3TLS("pop.gmail.com", "%EMAILADDRESS%"),
				"POP must be switched on first in Gmail's settings (See all settings > Forwarding and POP/IMAP)."),
		},
		Notes: []string{"Google does not accept your normal password here. " + noteAppPassword},
	},
	{
		Name:      "Outlook.com / Microsoft 365",
		Domains:   []string{"outlook.com", "outlook.de", "hotmail.com", "hotmail.de", "live.com", "live.de", "msn.com"},
		MXDomains: []string{"outlook.com"},
		Servers: []builtinServer{
			imapTLS("outlook.office365.com", "%EMAILADDRESS%"),
			withNotes(pop3TLS("outlook.office365.com", "%EMAILADDRESS%"),
				`POP must be switched on first in Outlook.com's settings (Mail > Forwarding and IMAP > "Let devices and apps use POP").`),
		},
		Notes: []string{"Microsoft has switched off password sign-in for IMAP and POP on most accounts; it expects OAuth2 (modern authentication)."},
	},
	{
		Name:      "Yahoo",
		Domains:   []string{"yahoo.com", "yahoo.de", "ymail.com", "rocketmail.com"},
		MXDomains: []string{"yahoodns.net"},
		Servers: []builtinServer{
			imapTLS("imap.mail.yahoo.com", "%EMAILADDRESS%"),
			pop3TLS("pop.mail.yahoo.com", "%EMAILADDRESS%"),
		},
		Notes: []string{"Yahoo does not accept your normal password here. " + noteAppPassword},
	},
	{
		Name:      "iCloud",
		Domains:   []string{"icloud.com", "me.com", "mac.com"},
		MXDomains: []string{"icloud.com"},
		Servers: []builtinServer{
			// Apple documents the name part of the iCloud address as the user name.
			imapTLS("imap.mail.me.com", "%EMAILLOCALPART%"),
		},
		Notes: []string{
			"iCloud Mail needs an app-specific password created at account.apple.com, not your Apple Account password.",
			"The user name is the part of your iCloud Mail address before the @ (for a custom domain: of your iCloud Mail address). If it is refused, try the full address.",
			"iCloud Mail does not offer POP3.",
		},
	},
}

func imapTLS(host, user string) builtinServer {
	return builtinServer{Protocol: ProtocolIMAP, Host: host, Port: 993, Security: SecurityTLS, Username: user}
}

func pop3TLS(host, user string) builtinServer {
	return builtinServer{Protocol: ProtocolPOP3, Host: host, Port: 995, Security: SecurityTLS, Username: user}
}

func withNotes(s builtinServer, notes ...string) builtinServer {
	s.Notes = append(s.Notes, notes...)
	return s
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
