package discover

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/postfach/postfach/accounts"
)

// The Mozilla autoconfig ("ISPDB") clientConfig format, version 1.1, is what Thunderbird,
// K-9 Mail and Evolution read from autoconfig.<domain>. Its documents are untrusted input:
// they come from the network, and over plain HTTP from anyone on it. The parser therefore
// bounds the size and nesting, refuses DTDs, keeps only the few elements Postfach uses, checks
// every value and drops a bad server with a warning instead of guessing what was meant.

// Limits on a document. Real ones are a few KiB; ISPDB's largest, with hundreds of <domain>
// lines, stays far below 1 MiB.
const (
	maxDocumentSize = 1 << 20
	maxDepth        = 32
	maxServers      = 16
	maxNotes        = 4
	maxAuthMethods  = 8
)

// Errors for documents that are rejected as a whole.
var (
	errTooLarge   = errors.New("document larger than 1 MiB")
	errDirective  = errors.New("document declares a DOCTYPE or ENTITY, which autoconfig never needs")
	errTooDeep    = errors.New("elements nested too deeply")
	errEmpty      = errors.New("empty document")
	errNoProvider = errors.New("no emailProvider element")
)

// autoconfig is what Postfach keeps of a clientConfig document: the incoming servers (it only
// reads mail, so outgoing servers are skipped) and the provider's hints.
type autoconfig struct {
	Provider string             `json:"provider,omitempty"`
	Servers  []autoconfigServer `json:"servers"`
	Notes    []Note             `json:"notes,omitempty"`
	// Warnings say what was dropped and why; the discovery log shows them.
	Warnings []string `json:"warnings,omitempty"`
}

// autoconfigServer is one checked <incomingServer>. Hostname and Username may still hold the
// placeholders; they are filled in for a particular address by candidates.
type autoconfigServer struct {
	Protocol string   `json:"protocol"`
	Hostname string   `json:"hostname"`
	Port     int      `json:"port"`
	Security string   `json:"security"`
	Username string   `json:"username"`
	Auth     []string `json:"auth,omitempty"`
}

// parseAutoconfig reads one clientConfig document of at most maxDocumentSize bytes.
func parseAutoconfig(r io.Reader) (*autoconfig, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxDocumentSize+1))
	if err != nil {
		return nil, fmt.Errorf("autoconfig: read: %w", err)
	}
	if len(data) > maxDocumentSize {
		return nil, fmt.Errorf("autoconfig: %w", errTooLarge)
	}
	// encoding/xml never expands external entities and Decode silently skips directives, so a
	// first pass over the tokens is what lets us refuse DTDs outright (billion laughs, XXE)
	// and bound the nesting before the second pass decodes.
	if err := checkTokens(data); err != nil {
		return nil, fmt.Errorf("autoconfig: %w", err)
	}
	var doc xmlClientConfig
	if err := newXMLDecoder(data).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			err = errEmpty
		}
		return nil, fmt.Errorf("autoconfig: %w", err)
	}
	if len(doc.Providers) == 0 {
		return nil, fmt.Errorf("autoconfig: %w", errNoProvider)
	}
	a := convertProvider(doc.Providers[0])
	if len(doc.Providers) > 1 {
		// Thunderbird also uses only the first one.
		a.Warnings = append(a.Warnings, fmt.Sprintf("%d emailProvider elements; only the first one is used", len(doc.Providers)))
	}
	return a, nil
}

// The subset of the clientConfig schema Postfach reads; encoding/xml ignores everything else.
type (
	xmlClientConfig struct {
		XMLName   xml.Name      `xml:"clientConfig"`
		Providers []xmlProvider `xml:"emailProvider"`
	}
	xmlProvider struct {
		ID            string      `xml:"id,attr"`
		DisplayName   string      `xml:"displayName"`
		Incoming      []xmlServer `xml:"incomingServer"`
		Documentation []xmlLink   `xml:"documentation"`
		Enable        []xmlLink   `xml:"enable"`
	}
	xmlServer struct {
		Type           string   `xml:"type,attr"`
		Hostname       string   `xml:"hostname"`
		Port           string   `xml:"port"` // a string, so a wrong type is our warning, not a decode error
		SocketType     string   `xml:"socketType"`
		Username       string   `xml:"username"`
		Authentication []string `xml:"authentication"`
	}
	// xmlLink is <documentation url=…><descr lang=…>…</descr></documentation> and
	// <enable visiturl=…><instruction lang=…>…</instruction></enable>.
	xmlLink struct {
		URL         string    `xml:"url,attr"`
		VisitURL    string    `xml:"visiturl,attr"`
		Descr       []xmlText `xml:"descr"`
		Instruction []xmlText `xml:"instruction"`
	}
	xmlText struct {
		Lang string `xml:"lang,attr"`
		Text string `xml:",chardata"`
	}
)

func newXMLDecoder(data []byte) *xml.Decoder {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.CharsetReader = charsetReader
	return d // Strict, and no Entity map: only the five predefined entities are known.
}

// checkTokens walks the whole document once: it must be well-formed XML without directives
// and without absurd nesting.
func checkTokens(data []byte) error {
	d := newXMLDecoder(data)
	depth := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.Directive:
			return errDirective
		case xml.StartElement:
			if depth++; depth > maxDepth {
				return errTooDeep
			}
		case xml.EndElement:
			depth--
		}
	}
}

// charsetReader accepts the encodings autoconfig documents are written in besides UTF-8.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "us-ascii", "ascii", "utf8":
		return in, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		b, err := io.ReadAll(in) // already bounded by maxDocumentSize
		if err != nil {
			return nil, err
		}
		runes := make([]rune, len(b))
		for i, c := range b {
			runes[i] = rune(c) // Latin-1 bytes are the first 256 code points
		}
		return strings.NewReader(string(runes)), nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", label)
}

func convertProvider(p xmlProvider) *autoconfig {
	a := &autoconfig{Provider: cleanText(p.DisplayName, 80)}
	if a.Provider == "" {
		a.Provider = cleanText(p.ID, 80)
	}
	for i, s := range p.Incoming {
		if i == maxServers {
			a.Warnings = append(a.Warnings, fmt.Sprintf("more than %d incoming servers; the rest are ignored", maxServers))
			break
		}
		srv, warn, err := convertServer(s)
		if err != nil {
			a.Warnings = append(a.Warnings, fmt.Sprintf("incomingServer %d dropped: %v", i+1, err))
			continue
		}
		if warn != "" {
			a.Warnings = append(a.Warnings, fmt.Sprintf("incomingServer %d: %s", i+1, warn))
		}
		a.Servers = append(a.Servers, srv)
	}
	for _, e := range p.Enable {
		if text := pickText(e.Instruction); text != "" {
			a.addNote(Note{Code: NoteEnable, Text: "To allow mail programs: " + text, Detail: text, Link: httpsLink(e.VisitURL)})
		}
	}
	for _, d := range p.Documentation {
		// A help page's title ("Generic settings page") is useless without its link.
		if text, link := pickText(d.Descr), httpsLink(d.URL); text != "" && link != "" {
			a.addNote(Note{Code: NoteHelp, Text: "Provider's help: " + text, Detail: text, Link: link})
		}
	}
	return a
}

// sample fills placeholders when a template is checked, before the real address is known.
var sample = emailAddress{full: "user@example.com", local: "user", domain: "example.com"}

// authToken is what an <authentication> value looks like ("password-cleartext", "OAuth2").
var authToken = regexp.MustCompile(`^[A-Za-z0-9-]{1,40}$`)

// convertServer checks one <incomingServer>. An error drops it; a warning keeps it.
func convertServer(s xmlServer) (srv autoconfigServer, warn string, err error) {
	srv.Protocol = strings.ToLower(strings.TrimSpace(s.Type))
	if srv.Protocol != ProtocolIMAP && srv.Protocol != ProtocolPOP3 {
		return srv, "", fmt.Errorf("type %s is not supported (only imap and pop3)", short(s.Type))
	}
	srv.Hostname = strings.TrimSuffix(strings.TrimSpace(s.Hostname), ".")
	if err := checkPlaceholders(srv.Hostname); err != nil {
		return srv, "", err
	}
	if !accounts.ValidHostname(normalizeHost(sample.expand(srv.Hostname))) {
		return srv, "", fmt.Errorf("hostname %s is not a valid host name", short(s.Hostname))
	}
	if srv.Port, err = parsePort(s.Port); err != nil {
		return srv, "", err
	}
	switch strings.ToUpper(strings.TrimSpace(s.SocketType)) {
	case "SSL":
		srv.Security = SecurityTLS
	case "STARTTLS":
		srv.Security = SecuritySTARTTLS
	case "PLAIN":
		srv.Security = SecurityNone
		warn = "offered without encryption; kept only to show it, never chosen"
	default:
		return srv, "", fmt.Errorf("socketType %s is not SSL, STARTTLS or plain", short(s.SocketType))
	}
	srv.Username = strings.TrimSpace(s.Username)
	switch {
	case srv.Username == "":
		srv.Username = "%EMAILADDRESS%"
	case len(srv.Username) > 256 || strings.ContainsFunc(srv.Username, isControl):
		return srv, "", fmt.Errorf("username %s is not a valid user name", short(s.Username))
	case checkPlaceholders(srv.Username) != nil:
		warn = fmt.Sprintf("username %s has an unknown placeholder; the address is used instead", short(s.Username))
		srv.Username = "%EMAILADDRESS%"
	}
	for _, m := range s.Authentication {
		m = strings.TrimSpace(m)
		if authToken.MatchString(m) && len(srv.Auth) < maxAuthMethods {
			srv.Auth = append(srv.Auth, m)
		}
	}
	return srv, warn, nil
}

// parsePort accepts decimal digits only (no sign, no hex) in 1–65535.
func parsePort(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 5 || strings.Trim(s, "0123456789") != "" {
		return 0, fmt.Errorf("port %s is not a number from 1 to 65535", short(s))
	}
	p, _ := strconv.Atoi(s)
	if p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %s is not a number from 1 to 65535", short(s))
	}
	return p, nil
}

// pickText chooses the English text of a multi-language element, else the unlabelled one,
// else the first: Postfach's notes are in English and the GUI translates its own texts.
func pickText(texts []xmlText) string {
	best := -1
	for i, t := range texts {
		lang := strings.ToLower(t.Lang)
		switch {
		case lang == "en" || strings.HasPrefix(lang, "en-"):
			return cleanText(t.Text, 300)
		case lang == "" && best < 0:
			best = i
		}
	}
	if best < 0 && len(texts) > 0 {
		best = 0
	}
	if best < 0 {
		return ""
	}
	return cleanText(texts[best].Text, 300)
}

// addNote adds a hint, up to maxNotes.
func (a *autoconfig) addNote(n Note) {
	if len(a.Notes) < maxNotes {
		a.Notes = append(a.Notes, n)
	}
}

// httpsLink returns link if it is a short https URL with a valid host, else "": a note never
// sends the user to a page an attacker could change on the way, or to a javascript: URL.
func httpsLink(link string) string {
	link = strings.TrimSpace(link)
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "https" || u.User != nil || !accounts.ValidHostname(normalizeHost(u.Hostname())) || len(link) > 300 {
		return ""
	}
	return u.String()
}

// candidates fills in the address and turns the servers into candidates from source.
// Servers whose host becomes invalid once the address is filled in are reported as problems.
func (a *autoconfig) candidates(addr emailAddress, source, detail string) (fs []found, problems []string) {
	for i, s := range a.Servers {
		host := normalizeHost(addr.expand(s.Hostname))
		if !accounts.ValidHostname(host) {
			problems = append(problems, fmt.Sprintf("server %s is not a valid host name for this address", short(host)))
			continue
		}
		auth := authentication(s.Auth)
		c := Candidate{
			Protocol: s.Protocol, Host: host, Port: s.Port, Security: s.Security,
			Username: addr.expand(s.Username), Source: source, Detail: detail,
			Provider: a.Provider, Auth: s.Auth, Notes: slices.Clone(a.Notes),
			Authentication: auth, OAuthProvider: oauthProvider(host, auth),
		}
		if len(s.Auth) > 0 && !strings.Contains(strings.ToLower(strings.Join(s.Auth, " ")), "password") {
			methods := strings.Join(s.Auth, ", ")
			c.Notes = append(c.Notes, Note{Code: NoteAuthOnly, Detail: methods,
				Text: "The provider names only " + methods + " sign-in for this server; a password may not work."})
		}
		fs = append(fs, found{Candidate: c, seq: i})
	}
	return fs, problems
}

// short quotes an untrusted value for a warning, cut to a readable length.
func short(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return strconv.Quote(s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
