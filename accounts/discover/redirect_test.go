package discover

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAutoconfigRedirectKeepsAddress: the address goes to autoconfig.<domain> only. A
// redirect must not carry it on, neither in a Referer (which Go's client adds with the
// full first URL), nor in any other header, nor in the URL or its user info. The servers
// are HTTPS test servers on 127.0.0.1 (the env's web server) reached under the names
// below.
func TestAutoconfigRedirectKeepsAddress(t *testing.T) {
	const address = "anna@example.com"
	good := docFor("imap.example.com", "pop.example.com", "SSL")
	tests := []struct {
		name     string
		status   int
		location string // the first redirect, from https://autoconfig.example.com
		hop      string // if set, config.example.com/hop redirects here
		refused  bool   // the redirect is not followed at all
		// sameHost: autoconfig.example.com may see the address again (it is the domain's
		// own host), but without a Referer.
		sameHost bool
	}{
		{name: "302 to another host", status: http.StatusFound, location: "https://config.example.com/final.xml"},
		{name: "301 to another host", status: http.StatusMovedPermanently, location: "https://config.example.com/final.xml"},
		{name: "303 to another host", status: http.StatusSeeOther, location: "https://config.example.com/final.xml"},
		{name: "307 to another host", status: http.StatusTemporaryRedirect, location: "https://config.example.com/final.xml"},
		{name: "308 to another host", status: http.StatusPermanentRedirect, location: "https://config.example.com/final.xml"},
		{name: "same host, relative", status: http.StatusFound, location: "/final.xml"},
		{name: "query kept on the same host", status: http.StatusMovedPermanently,
			location: "https://autoconfig.example.com/final.xml?emailaddress=" + url.QueryEscape(address), sameHost: true},
		{name: "two hops", status: http.StatusFound, location: "https://config.example.com/hop", hop: "https://config.example.com/final.xml"},
		// nginx's "return 301 https://central$request_uri" passes the query on.
		{name: "query passed on to another host", status: http.StatusMovedPermanently,
			location: "https://config.example.com/final.xml?emailaddress=" + url.QueryEscape(address)},
		{name: "query passed on over two hops", status: http.StatusFound,
			location: "https://config.example.com/hop?emailaddress=" + url.QueryEscape(address),
			hop:      "https://config.example.com/final.xml?emailaddress=" + url.QueryEscape(address) + "&x=1"},
		{name: "address in the path of another host", status: http.StatusFound,
			location: "https://config.example.com/users/" + address + "/final.xml", refused: true},
		{name: "address as user info", status: http.StatusFound,
			location: "https://" + url.UserPassword(address, "x").String() + "@config.example.com/final.xml", refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			redirect := func(to string, status int) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, status) }
			}
			e.handle("autoconfig.example.com", configPath, redirect(tt.location, tt.status))
			e.doc("autoconfig.example.com", "/final.xml", good)
			e.doc("config.example.com", "/final.xml", good)
			e.doc("config.example.com", "/users/"+address+"/final.xml", good)
			if tt.hop != "" {
				e.handle("config.example.com", "/hop", redirect(tt.hop, http.StatusFound))
			}
			opts := e.options(SourceAutoconfig)
			opts.NoHTTPFallback = true
			res, err := e.discover(address, opts)
			if tt.refused {
				if !errors.Is(err, ErrNotFound) || !strings.Contains(logOf(res, SourceAutoconfig)[0].Err, "redirect refused") {
					t.Errorf("err = %v, want a refused redirect%s", err, dump(res))
				}
			} else if err != nil {
				t.Fatalf("redirect not followed: %v%s", err, dump(res))
			}

			first := true
			for _, req := range e.web.seen() {
				if req.Header.Get("Authorization") != "" || req.Header.Get("Cookie") != "" {
					t.Errorf("credentials sent to %s%s", req.Host, req.URL)
				}
				if req.Host == "autoconfig.example.com" && req.URL.Path == configPath && first {
					first = false // the one request that may carry the address
					continue
				}
				if ref := req.Header.Get("Referer"); ref != "" {
					t.Errorf("%s%s got Referer %q", req.Host, req.URL, ref)
				}
				if tt.sameHost && req.Host == "autoconfig.example.com" {
					continue
				}
				if where := carries(req, address); where != "" {
					t.Errorf("%s%s got the address in %s", req.Host, req.URL, where)
				}
			}
			if first {
				t.Error("autoconfig.example.com was not asked")
			}
		})
	}
}

// carries says where in req the address appears, in any of the forms a URL or a header
// could hold it, or "" if nowhere.
func carries(req *http.Request, address string) string {
	forms := []string{
		address, url.QueryEscape(address), url.PathEscape(address),
		base64.StdEncoding.EncodeToString([]byte(address)), // inside Basic credentials
	}
	has := func(s string) bool {
		s = strings.ToLower(s)
		for _, f := range forms {
			if strings.Contains(s, strings.ToLower(f)) {
				return true
			}
		}
		return false
	}
	if has(req.RequestURI) || has(req.URL.String()) || has(req.Host) {
		return "the URL"
	}
	for k, vs := range req.Header {
		for _, v := range vs {
			if has(k) || has(v) {
				return "header " + k
			}
		}
	}
	return ""
}

// FuzzCheckRedirect: whatever Location the autoconfig host sends, a redirect that
// checkRedirect lets through to another host holds the address nowhere in what is sent
// (the fragment never is), and no redirect keeps a Referer or user info.
func FuzzCheckRedirect(f *testing.F) {
	const address = "anna@example.com"
	for _, s := range []string{
		"https://config.example.com/final.xml",
		"/final.xml",
		"https://config.example.com/final.xml?emailaddress=anna%40example.com",
		"https://config.example.com/final.xml?emailaddress=ANNA%40Example.com&x=1",
		"https://config.example.com/users/anna@example.com/final.xml",
		"https://config.example.com/users/anna%40example.com/final.xml",
		"https://config.example.com/?anna%40example.com",
		"https://config.example.com/?a=%zz&b=anna@example.com",
		"https://config.example.com/?a=anna%2540example.com",
		"https://anna%40example.com:x@config.example.com/",
		"https://config.example.com/#anna@example.com",
	} {
		f.Add(s)
	}
	first, err := http.NewRequest(http.MethodGet, "https://autoconfig.example.com"+configPath+"?emailaddress="+url.QueryEscape(address), nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, location string) {
		loc, err := url.Parse(location)
		if err != nil {
			return
		}
		u := first.URL.ResolveReference(loc)
		req := &http.Request{URL: u, Host: u.Host, Header: http.Header{
			"Accept": {"application/xml"}, "Referer": {first.URL.String()}, "X-Other": {address},
		}}
		if checkRedirect(req, []*http.Request{first}) != nil {
			return
		}
		if len(req.Header) != 1 || req.URL.User != nil {
			t.Errorf("Location %q: headers %v, user info %v go on", location, req.Header, req.URL.User)
		}
		if strings.EqualFold(u.Hostname(), "autoconfig.example.com") {
			return
		}
		sent := &http.Request{URL: &url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery},
			RequestURI: u.RequestURI(), Host: u.Host, Header: req.Header}
		if where := carries(sent, address); where != "" {
			t.Errorf("Location %q: %q goes to %s with the address in %s", location, u.RequestURI(), u.Host, where)
		}
	})
}
