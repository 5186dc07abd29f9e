package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SASL mechanism names.
const (
	// MechOAuthBearer is RFC 7628's OAUTHBEARER.
	MechOAuthBearer = "OAUTHBEARER"
	// MechXOAuth2 is XOAUTH2, Google's and Microsoft's older mechanism (Microsoft offers
	// only this one).
	MechXOAuth2 = "XOAUTH2"
)

// Why our own clients and not go-sasl's OAUTHBEARER: when the server refuses the token,
// RFC 7628 section 3.2.3 has it send an error challenge that the client must answer
// (with %x01) before the server sends its final NO / -ERR. go-sasl's client returns an
// error instead of answering, and go-imap's Authenticate then leaves the command
// unfinished, so the connection is stuck. These clients answer, remember the server's
// error for TokenSource-style retries, and go-sasl has no XOAUTH2 client at all.

// ChooseMechanism picks the mechanism to use from the server's SASL list (IMAP
// AUTH=…, POP3 CAPA SASL): OAUTHBEARER, the standard, when offered, else XOAUTH2. It
// returns false when the server offers neither.
func ChooseMechanism(offered []string) (string, bool) {
	for _, m := range []string{MechOAuthBearer, MechXOAuth2} {
		if slices.ContainsFunc(offered, func(o string) bool { return strings.EqualFold(o, m) }) {
			return m, true
		}
	}
	return "", false
}

// SASLFailure is the JSON a server sends as the challenge that refuses a token (RFC 7628
// section 3.2.2; Google's XOAUTH2 sends the same fields).
type SASLFailure struct {
	Status  string `json:"status"`
	Schemes string `json:"schemes"`
	Scope   string `json:"scope"`
}

// SASLClient is an OAUTHBEARER or XOAUTH2 client. It implements go-sasl's Client
// interface (Start, Next), which go-imap's Authenticate and the POP3 client's AuthSASL
// take. Use it for one authentication only.
type SASLClient struct {
	mech    string
	ir      []byte
	failure *SASLFailure
}

// errSASLField is returned by Start for a user name or token that cannot be encoded.
var errSASLField = errors.New("user name or token contains a control character")

// NewSASLClient returns a client for mech (MechOAuthBearer or MechXOAuth2). user is the
// login name (the e-mail address); host and port name the server for OAUTHBEARER and
// may be empty / zero.
func NewSASLClient(mech, user, accessToken, host string, port int) (*SASLClient, error) {
	if strings.ContainsFunc(user+accessToken+host, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, fmt.Errorf("sasl %s: %w", mech, errSASLField)
	}
	switch mech {
	case MechXOAuth2:
		// "user=" user ^A "auth=Bearer " token ^A ^A (Google's and Microsoft's
		// documentation of XOAUTH2).
		return &SASLClient{mech: mech, ir: []byte("user=" + user + "\x01auth=Bearer " + accessToken + "\x01\x01")}, nil
	case MechOAuthBearer:
		// gs2-header "n,a=" saslname "," then key=value pairs separated by ^A (RFC 7628
		// section 3.1).
		var b strings.Builder
		b.WriteString("n,")
		if user != "" {
			b.WriteString("a=" + gs2Escape(user))
		}
		b.WriteString(",")
		if host != "" {
			b.WriteString("\x01host=" + host)
		}
		if port > 0 {
			b.WriteString("\x01port=" + strconv.Itoa(port))
		}
		b.WriteString("\x01auth=Bearer " + accessToken + "\x01\x01")
		return &SASLClient{mech: mech, ir: []byte(b.String())}, nil
	}
	return nil, fmt.Errorf("sasl: unsupported mechanism %q", mech)
}

// gs2Escape encodes "," and "=" in a GS2 saslname (RFC 5801 section 4).
func gs2Escape(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

// Start returns the mechanism and the initial response; the token is in it, so callers
// must never log it.
func (c *SASLClient) Start() (string, []byte, error) { return c.mech, c.ir, nil }

// Next answers the server's only possible challenge, the error JSON, with the response
// that lets the server finish with its failure reply: %x01 for OAUTHBEARER (RFC 7628
// section 3.2.3), empty for XOAUTH2. A second challenge is a protocol error.
func (c *SASLClient) Next(challenge []byte) ([]byte, error) {
	if c.failure != nil {
		return nil, fmt.Errorf("sasl %s: unexpected second challenge", c.mech)
	}
	c.failure = &SASLFailure{}
	if err := json.Unmarshal(challenge, c.failure); err != nil {
		c.failure.Status = "unreadable error challenge"
	}
	c.failure.Status = safeText(c.failure.Status, 64)
	c.failure.Schemes = safeText(c.failure.Schemes, 64)
	c.failure.Scope = safeText(c.failure.Scope, 300)
	if c.mech == MechOAuthBearer {
		return []byte{0x01}, nil
	}
	return []byte{}, nil
}

// Failure returns what the server said when it refused the token, or nil if it sent no
// error challenge.
func (c *SASLClient) Failure() *SASLFailure { return c.failure }
