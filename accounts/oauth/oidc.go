package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/postfach/postfach/accounts/mailerr"
)

// maxDiscoveryDocument bounds the discovery document; real ones are a few KiB.
const maxDiscoveryDocument = 1 << 20

// discoveryDocument is the part of the OpenID Provider Metadata (OpenID Connect
// Discovery 1.0 section 3, RFC 8414 section 2) Postfach uses.
type discoveryDocument struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	TokenEndpoint         string   `json:"token_endpoint"`
	RevocationEndpoint    string   `json:"revocation_endpoint"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	IssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
}

// DiscoverIssuer reads the discovery document of an OpenID Connect issuer (an https URL,
// e.g. a self-hosted Keycloak realm) from issuer + "/.well-known/openid-configuration"
// and returns it as a Provider without a client ID: the caller sets ClientID from the
// account's config. The document must name the same issuer (OpenID Connect Discovery
// section 4.3, against a document planted elsewhere), https endpoints, and S256 among
// its PKCE methods when it lists any.
func DiscoverIssuer(ctx context.Context, issuer string, opts *Options) (Provider, error) {
	issuer = strings.TrimSuffix(issuer, "/")
	p := Provider{Name: issuer, DisplayName: issuer, Issuer: issuer, Scopes: clone(oidcScopes)}
	if err := checkHTTPS(issuer); err != nil {
		return Provider{}, wrapf(p, "discovery", err)
	}
	r := resolve(opts)
	doc, err := fetchDiscovery(ctx, r, issuer+"/.well-known/openid-configuration")
	if err != nil {
		return Provider{}, wrapf(p, "discovery", err)
	}
	if doc.Issuer != issuer {
		return Provider{}, wrapf(p, "discovery", fmt.Errorf("document names issuer %q", safeText(doc.Issuer, 200)))
	}
	if len(doc.CodeChallengeMethods) > 0 && !slices.Contains(doc.CodeChallengeMethods, "S256") {
		return Provider{}, wrapf(p, "discovery", ErrNoPKCE)
	}
	p.AuthURL, p.TokenURL, p.RevocationURL = doc.AuthorizationEndpoint, doc.TokenEndpoint, doc.RevocationEndpoint
	p.RequireIssuer = doc.IssParameterSupported
	if err := p.checkEndpoints(); err != nil {
		return Provider{}, wrapf(p, "discovery", err)
	}
	return p, nil
}

func fetchDiscovery(ctx context.Context, r resolved, target string) (*discoveryDocument, error) {
	ctx, cancel := r.requestContext(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, classify(ctx, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500:
		return nil, fmt.Errorf("%w: %s answered %s", mailerr.ErrTemporary, target, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s answered %s", target, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryDocument+1))
	if err != nil {
		return nil, classify(ctx, err)
	}
	if len(data) > maxDiscoveryDocument {
		return nil, fmt.Errorf("%w: discovery document larger than 1 MiB", mailerr.ErrProtocol)
	}
	var doc discoveryDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: discovery document: %w", mailerr.ErrProtocol, err)
	}
	return &doc, nil
}
