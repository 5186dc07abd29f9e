package pop3

import (
	"bufio"
	"slices"
	"strings"
)

// Caps is a server's answer to CAPA (RFC 2449 section 5): capability names (case-
// insensitive, stored upper case) with their parameters. The zero Caps is valid and
// empty, which is also what a server without CAPA (plain RFC 1939) looks like.
type Caps struct {
	m map[string][]string
}

// Has reports whether the server announced the capability name, e.g. "TOP".
func (c Caps) Has(name string) bool {
	_, ok := c.m[strings.ToUpper(name)]
	return ok
}

// Args returns the parameters of a capability, e.g. Args("IMPLEMENTATION"), or nil.
func (c Caps) Args(name string) []string {
	return slices.Clone(c.m[strings.ToUpper(name)])
}

// Names returns every announced capability name, sorted, for display and logs.
func (c Caps) Names() []string {
	names := make([]string, 0, len(c.m))
	for n := range c.m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// SASL returns the SASL mechanisms of the "SASL" capability, upper case (RFC 2449
// section 6.3, RFC 5034 section 6).
func (c Caps) SASL() []string {
	mechs := c.Args("SASL")
	for i, m := range mechs {
		mechs[i] = strings.ToUpper(m)
	}
	return mechs
}

// HasSASL reports whether the SASL mechanism mech (e.g. "PLAIN") is offered.
func (c Caps) HasSASL(mech string) bool {
	return slices.Contains(c.SASL(), strings.ToUpper(mech))
}

// Pipelining reports PIPELINING (RFC 2449 section 6.6): commands may be sent ahead of
// their replies, which RetrAll uses to avoid one round trip per message.
func (c Caps) Pipelining() bool { return c.Has("PIPELINING") }

// UIDL reports the UIDL capability (RFC 2449 section 6.5). A server without CAPA may
// still support UIDL; Client.UIDL tries it regardless.
func (c Caps) UIDL() bool { return c.Has("UIDL") }

// STLS reports whether the server offers STLS (RFC 2595 section 4).
func (c Caps) STLS() bool { return c.Has("STLS") }

// Bounds on a CAPA reply: capability lines are short and few.
const (
	maxCapaLine  = 1 << 10
	maxCapaBytes = 64 << 10
)

// readCaps reads the multi-line CAPA reply after its +OK.
func readCaps(br *bufio.Reader) (Caps, error) {
	m := make(map[string][]string)
	err := readMultiLine(br, maxCapaLine, maxCapaBytes, func(line []byte) error {
		fields := strings.Fields(sanitize(line))
		if len(fields) == 0 {
			return nil // blank line: carries nothing
		}
		m[strings.ToUpper(fields[0])] = fields[1:]
		return nil
	})
	if err != nil {
		return Caps{}, err
	}
	return Caps{m: m}, nil
}

// capa issues CAPA. An -ERR is returned as a ServerError with the given kind and leaves
// the current caps alone; the caller decides whether a server without CAPA is acceptable.
func (c *Client) capa(kind error) error {
	if err := c.send("CAPA", "CAPA"); err != nil {
		return err
	}
	r, err := c.readReply("CAPA", false)
	if err != nil {
		return err
	}
	if r.status == statusErr {
		return serverError("CAPA", r, kind)
	}
	c.dc.idle = true
	caps, err := readCaps(c.br)
	if err != nil {
		return c.fail("CAPA", err)
	}
	c.caps = caps
	return nil
}
