package accounts_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postfach/postfach/accounts"
)

// fp is a valid SHA-256 fingerprint in canonical form; fpColons is the same one as
// browsers and openssl print it.
const fp = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

var fpColons = func() string {
	var pairs []string
	for i := 0; i < len(fp); i += 2 {
		pairs = append(pairs, strings.ToUpper(fp[i:i+2]))
	}
	return strings.Join(pairs, ":")
}()

func validPOP3() accounts.Account {
	return accounts.Account{
		ID:       "0123456789abcdef",
		Name:     "Home",
		Email:    "anna@example.org",
		Protocol: accounts.POP3,
		Host:     "pop.example.org",
		Port:     995,
		Security: accounts.TLS,
		Username: "anna@example.org",
		Backup: &accounts.BackupPolicy{
			Dir:       "/srv/postfach/home",
			Schedule:  accounts.DefaultSchedule(),
			Retention: accounts.DefaultRetention(),
		},
	}
}

func validIMAP() accounts.Account {
	return accounts.Account{
		ID:       "fedcba9876543210",
		Name:     "Work",
		Email:    "anna@work.example",
		Protocol: accounts.IMAP,
		Host:     "imap.work.example",
		Port:     993,
		Security: accounts.TLS,
		Username: "anna",
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		base    func() accounts.Account
		mutate  func(*accounts.Account)
		wantErr string // substring of the error; "" means valid
		wantIs  error  // if set, errors.Is must hold
	}{
		{name: "valid pop3", base: validPOP3},
		{name: "valid imap", base: validIMAP},
		{name: "valid starttls", base: validIMAP, mutate: func(a *accounts.Account) { a.Security = accounts.StartTLS; a.Port = 143 }},
		{name: "valid plaintext with opt-in", base: validPOP3, mutate: func(a *accounts.Account) {
			a.Security, a.Port, a.AllowPlaintext = accounts.None, 110, true
		}},
		{name: "valid pinned fingerprint", base: validIMAP, mutate: func(a *accounts.Account) { a.PinnedSHA256 = fp }},
		{name: "valid pinned fingerprint with colons", base: validIMAP, mutate: func(a *accounts.Account) { a.PinnedSHA256 = fpColons }},
		{name: "port 1", base: validIMAP, mutate: func(a *accounts.Account) { a.Port = 1 }},
		{name: "port 65535", base: validIMAP, mutate: func(a *accounts.Account) { a.Port = 65535 }},
		{name: "ipv6 host", base: validIMAP, mutate: func(a *accounts.Account) { a.Host = "::1" }},

		{name: "empty name", base: validPOP3, mutate: func(a *accounts.Account) { a.Name = "" }, wantErr: "needs a name"},
		{name: "blank name", base: validPOP3, mutate: func(a *accounts.Account) { a.Name = " \t" }, wantErr: "needs a name"},

		{name: "empty email", base: validPOP3, mutate: func(a *accounts.Account) { a.Email = "" }, wantErr: "is not an e-mail address"},
		{name: "email without at", base: validPOP3, mutate: func(a *accounts.Account) { a.Email = "anna" }, wantErr: "is not an e-mail address"},
		{name: "email without domain", base: validPOP3, mutate: func(a *accounts.Account) { a.Email = "anna@" }, wantErr: "is not an e-mail address"},
		{name: "email without local part", base: validPOP3, mutate: func(a *accounts.Account) { a.Email = "@example.org" }, wantErr: "is not an e-mail address"},
		{name: "email with space", base: validPOP3, mutate: func(a *accounts.Account) { a.Email = "anna example.org" }, wantErr: "is not an e-mail address"},
		{name: "two addresses", base: validPOP3, mutate: func(a *accounts.Account) { a.Email = "a@example.org, b@example.org" }, wantErr: "is not an e-mail address"},

		{name: "missing protocol has no default", base: validPOP3, mutate: func(a *accounts.Account) { a.Protocol = "" }, wantErr: "there is no default"},
		{name: "unknown protocol", base: validIMAP, mutate: func(a *accounts.Account) { a.Protocol = "smtp" }, wantErr: `unknown protocol "smtp"`},
		{name: "protocol is case-sensitive", base: validIMAP, mutate: func(a *accounts.Account) { a.Protocol = "IMAP" }, wantErr: "unknown protocol"},

		{name: "empty host", base: validIMAP, mutate: func(a *accounts.Account) { a.Host = "" }, wantErr: "is not a server name"},
		{name: "blank host", base: validIMAP, mutate: func(a *accounts.Account) { a.Host = "  " }, wantErr: "is not a server name"},
		{name: "host with space", base: validIMAP, mutate: func(a *accounts.Account) { a.Host = "imap example" }, wantErr: "is not a server name"},
		{name: "host with slash", base: validIMAP, mutate: func(a *accounts.Account) { a.Host = "imap.example/x" }, wantErr: "is not a server name"},
		{name: "host with tab", base: validIMAP, mutate: func(a *accounts.Account) { a.Host = "imap\texample" }, wantErr: "is not a server name"},

		{name: "port 0", base: validIMAP, mutate: func(a *accounts.Account) { a.Port = 0 }, wantErr: "port 0 is not between 1 and 65535"},
		{name: "negative port", base: validIMAP, mutate: func(a *accounts.Account) { a.Port = -1 }, wantErr: "port -1"},
		{name: "port 65536", base: validIMAP, mutate: func(a *accounts.Account) { a.Port = 65536 }, wantErr: "port 65536"},

		{name: "security none needs AllowPlaintext", base: validPOP3, mutate: func(a *accounts.Account) { a.Security, a.Port = accounts.None, 110 },
			wantErr: "explicit opt-in", wantIs: accounts.ErrPlaintextNotAllowed},
		{name: "empty security is not defaulted by Validate", base: validIMAP, mutate: func(a *accounts.Account) { a.Security = "" }, wantErr: `unknown security ""`},
		{name: "unknown security", base: validIMAP, mutate: func(a *accounts.Account) { a.Security = "ssl" }, wantErr: `unknown security "ssl"`},

		{name: "empty username", base: validIMAP, mutate: func(a *accounts.Account) { a.Username = "" }, wantErr: "needs a user name"},

		{name: "short fingerprint", base: validIMAP, mutate: func(a *accounts.Account) { a.PinnedSHA256 = fp[:63] }, wantErr: "is not a SHA-256 fingerprint"},
		{name: "long fingerprint", base: validIMAP, mutate: func(a *accounts.Account) { a.PinnedSHA256 = fp + "0" }, wantErr: "is not a SHA-256 fingerprint"},
		{name: "non-hex fingerprint", base: validIMAP, mutate: func(a *accounts.Account) { a.PinnedSHA256 = "g" + fp[1:] }, wantErr: "is not a SHA-256 fingerprint"},
		{name: "sha1 fingerprint", base: validIMAP, mutate: func(a *accounts.Account) { a.PinnedSHA256 = fp[:40] }, wantErr: "is not a SHA-256 fingerprint"},

		{name: "valid password method", base: validIMAP, mutate: func(a *accounts.Account) { a.Auth = accounts.AuthPassword }},
		{name: "valid oauth2 microsoft", base: validIMAP, mutate: func(a *accounts.Account) { a.Auth, a.OAuthProvider = accounts.AuthOAuth2, "microsoft" }},
		{name: "valid oauth2 issuer with client id", base: validPOP3, mutate: func(a *accounts.Account) {
			a.Auth, a.OAuthProvider, a.OAuthClientID = accounts.AuthOAuth2, "https://sso.example.org/realms/mail", "postfach"
		}},
		{name: "unknown auth method", base: validIMAP, mutate: func(a *accounts.Account) { a.Auth = "kerberos" }, wantErr: `unknown sign-in method "kerberos"`},
		{name: "oauth2 needs provider", base: validIMAP, mutate: func(a *accounts.Account) { a.Auth = accounts.AuthOAuth2 }, wantErr: "needs a provider"},
		{name: "oauth2 issuer must be https", base: validIMAP, mutate: func(a *accounts.Account) { a.Auth, a.OAuthProvider = accounts.AuthOAuth2, "http://sso.example.org" }, wantErr: "not an https URL"},
		{name: "oauth2 provider with space", base: validIMAP, mutate: func(a *accounts.Account) { a.Auth, a.OAuthProvider = accounts.AuthOAuth2, "micro soft" }, wantErr: "space or control"},
		{name: "password account with provider", base: validIMAP, mutate: func(a *accounts.Account) { a.OAuthProvider = "google" }, wantErr: "signs in with a password"},
		{name: "pop3 needs backup policy", base: validPOP3, mutate: func(a *accounts.Account) { a.Backup = nil }, wantErr: "needs a backup policy"},
		{name: "pop3 backup without dir", base: validPOP3, mutate: func(a *accounts.Account) { a.Backup.Dir = " " }, wantErr: "needs a backup folder"},
		{name: "pop3 backup bad schedule", base: validPOP3, mutate: func(a *accounts.Account) { a.Backup.Schedule = accounts.Schedule{Kind: accounts.Hourly} }, wantErr: "hours must be between"},
		{name: "pop3 backup bad retention", base: validPOP3, mutate: func(a *accounts.Account) { a.Backup.Retention = accounts.Retention{Mode: accounts.DeleteAfter} }, wantErr: "keep-days must be between"},
		{name: "imap must not have backup policy", base: validIMAP, mutate: func(a *accounts.Account) {
			a.Backup = &accounts.BackupPolicy{Dir: "/x", Schedule: accounts.DefaultSchedule(), Retention: accounts.DefaultRetention()}
		}, wantErr: "backups are for POP3 accounts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.base()
			if tt.mutate != nil {
				tt.mutate(&a)
			}
			err := a.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %q, want it to contain %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.wantIs)
			}
		})
	}
}

// TestValidateReportsEveryProblem: the wizard shows all problems at once, not one per try.
func TestValidateReportsEveryProblem(t *testing.T) {
	var a accounts.Account
	err := a.Validate()
	if err == nil {
		t.Fatal("Validate() of the zero account = nil")
	}
	for _, want := range []string{"needs a name", "e-mail address", "there is no default", "server name", "port 0", "unknown security", "user name"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %q, missing %q", err, want)
		}
	}
}

// TestValidateEmailDisplayName: the address field must hold a bare address; "Name <addr>"
// would become the login user name.
func TestValidateEmailDisplayName(t *testing.T) {
	a := validPOP3()
	a.Email = "Anna <anna@example.org>"
	if err := a.Validate(); err == nil {
		t.Errorf("Validate() accepted e-mail %q", a.Email)
	}
}

func TestNormalize(t *testing.T) {
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	chosen := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	tests := []struct {
		name string
		in   accounts.Account
		want func(t *testing.T, a accounts.Account)
	}{
		{"pop3 tls port 995", accounts.Account{Protocol: accounts.POP3}, wantPort(995)},
		{"pop3 default security is tls", accounts.Account{Protocol: accounts.POP3, Security: ""}, func(t *testing.T, a accounts.Account) {
			wantPort(995)(t, a)
			if a.Security != accounts.TLS {
				t.Errorf("Security = %q, want tls", a.Security)
			}
		}},
		{"pop3 starttls port 110", accounts.Account{Protocol: accounts.POP3, Security: accounts.StartTLS}, wantPort(110)},
		{"pop3 none port 110", accounts.Account{Protocol: accounts.POP3, Security: accounts.None}, wantPort(110)},
		{"imap tls port 993", accounts.Account{Protocol: accounts.IMAP, Security: accounts.TLS}, wantPort(993)},
		{"imap starttls port 143", accounts.Account{Protocol: accounts.IMAP, Security: accounts.StartTLS}, wantPort(143)},
		{"imap none port 143", accounts.Account{Protocol: accounts.IMAP, Security: accounts.None}, wantPort(143)},
		{"explicit port kept", accounts.Account{Protocol: accounts.IMAP, Port: 10993}, wantPort(10993)},
		{"no protocol, no port and no protocol time", accounts.Account{}, func(t *testing.T, a accounts.Account) {
			if a.Port != 0 || a.Protocol != "" || !a.ProtocolChosenAt.IsZero() {
				t.Errorf("got port %d, protocol %q, chosen %v; want no defaults without a protocol", a.Port, a.Protocol, a.ProtocolChosenAt)
			}
		}},
		{"id assigned", accounts.Account{}, func(t *testing.T, a accounts.Account) {
			if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(a.ID) {
				t.Errorf("ID = %q, want 16 hex digits", a.ID)
			}
		}},
		{"id kept", accounts.Account{ID: "keep-me"}, func(t *testing.T, a accounts.Account) {
			if a.ID != "keep-me" {
				t.Errorf("ID = %q, want keep-me", a.ID)
			}
		}},
		{"username defaults to trimmed email", accounts.Account{Email: " anna@example.org "}, func(t *testing.T, a accounts.Account) {
			if a.Email != "anna@example.org" || a.Username != "anna@example.org" {
				t.Errorf("Email, Username = %q, %q", a.Email, a.Username)
			}
		}},
		{"username kept", accounts.Account{Email: "anna@example.org", Username: "anna"}, func(t *testing.T, a accounts.Account) {
			if a.Username != "anna" {
				t.Errorf("Username = %q, want anna", a.Username)
			}
		}},
		{"name and host trimmed", accounts.Account{Name: " Home ", Host: " pop.example.org\t"}, func(t *testing.T, a accounts.Account) {
			if a.Name != "Home" || a.Host != "pop.example.org" {
				t.Errorf("Name, Host = %q, %q", a.Name, a.Host)
			}
		}},
		{"fingerprint AB:CD form", accounts.Account{PinnedSHA256: fpColons}, wantFP(fp)},
		{"fingerprint upper case with spaces", accounts.Account{PinnedSHA256: " " + strings.ToUpper(fp[:32]) + " " + fp[32:] + " "}, wantFP(fp)},
		{"fingerprint canonical kept", accounts.Account{PinnedSHA256: fp}, wantFP(fp)},
		{"no fingerprint stays empty", accounts.Account{}, wantFP("")},
		{"protocol time set", accounts.Account{Protocol: accounts.POP3}, func(t *testing.T, a accounts.Account) {
			if a.ProtocolChosenAt.IsZero() || time.Since(a.ProtocolChosenAt) > time.Minute || a.ProtocolChosenAt.Location() != time.UTC {
				t.Errorf("ProtocolChosenAt = %v, want about now in UTC", a.ProtocolChosenAt)
			}
		}},
		{"protocol time kept", accounts.Account{Protocol: accounts.POP3, ProtocolChosenAt: chosen}, func(t *testing.T, a accounts.Account) {
			if !a.ProtocolChosenAt.Equal(chosen) {
				t.Errorf("ProtocolChosenAt = %v, want %v", a.ProtocolChosenAt, chosen)
			}
		}},
		{"relative backup dir made absolute", accounts.Account{Backup: &accounts.BackupPolicy{Dir: filepath.Join("mail", "backup")}}, func(t *testing.T, a accounts.Account) {
			if want := filepath.Join(cwd, "mail", "backup"); a.Backup.Dir != want {
				t.Errorf("Backup.Dir = %q, want %q", a.Backup.Dir, want)
			}
		}},
		{"absolute backup dir cleaned", accounts.Account{Backup: &accounts.BackupPolicy{Dir: filepath.Join(cwd, "a", "..", "b")}}, func(t *testing.T, a accounts.Account) {
			if want := filepath.Join(cwd, "b"); a.Backup.Dir != want {
				t.Errorf("Backup.Dir = %q, want %q", a.Backup.Dir, want)
			}
		}},
		{"empty backup dir stays empty", accounts.Account{Backup: &accounts.BackupPolicy{}}, func(t *testing.T, a accounts.Account) {
			if a.Backup.Dir != "" {
				t.Errorf("Backup.Dir = %q, want empty (Validate reports it)", a.Backup.Dir)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.in
			a.Normalize()
			tt.want(t, a)
		})
	}
}

func wantPort(p int) func(*testing.T, accounts.Account) {
	return func(t *testing.T, a accounts.Account) {
		t.Helper()
		if a.Port != p {
			t.Errorf("Port = %d, want %d", a.Port, p)
		}
	}
}

func wantFP(want string) func(*testing.T, accounts.Account) {
	return func(t *testing.T, a accounts.Account) {
		t.Helper()
		if a.PinnedSHA256 != want {
			t.Errorf("PinnedSHA256 = %q, want %q", a.PinnedSHA256, want)
		}
	}
}

// TestNormalizeThenValidate: what the wizard collects (no ID, port, username) becomes a
// valid account.
func TestNormalizeThenValidate(t *testing.T) {
	for _, base := range []func() accounts.Account{validPOP3, validIMAP} {
		a := base()
		a.ID, a.Port, a.Username, a.Security = "", 0, "", ""
		a.PinnedSHA256 = fpColons
		a.Normalize()
		if err := a.Validate(); err != nil {
			t.Errorf("%s: Validate after Normalize = %v", a.Name, err)
		}
	}
}

func TestNewIDUnique(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := accounts.NewID()
		if seen[id] {
			t.Fatalf("NewID repeated %q", id)
		}
		seen[id] = true
	}
}

func TestDefaultPort(t *testing.T) {
	tests := []struct {
		p    accounts.Protocol
		s    accounts.Security
		want int
	}{
		{accounts.POP3, accounts.TLS, 995},
		{accounts.POP3, accounts.StartTLS, 110},
		{accounts.POP3, accounts.None, 110},
		{accounts.IMAP, accounts.TLS, 993},
		{accounts.IMAP, accounts.StartTLS, 143},
		{accounts.IMAP, accounts.None, 143},
	}
	for _, tt := range tests {
		if got := accounts.DefaultPort(tt.p, tt.s); got != tt.want {
			t.Errorf("DefaultPort(%s, %s) = %d, want %d", tt.p, tt.s, got, tt.want)
		}
	}
}

func TestAddr(t *testing.T) {
	tests := []struct {
		host string
		port int
		want string
	}{
		{"pop.example.org", 995, "pop.example.org:995"},
		{"192.0.2.1", 110, "192.0.2.1:110"},
		{"::1", 993, "[::1]:993"},
		{"2001:db8::1", 143, "[2001:db8::1]:143"},
	}
	for _, tt := range tests {
		a := accounts.Account{Host: tt.host, Port: tt.port}
		if got := a.Addr(); got != tt.want {
			t.Errorf("Addr(%q, %d) = %q, want %q", tt.host, tt.port, got, tt.want)
		}
	}
}

func TestTrustOptions(t *testing.T) {
	a := validIMAP()
	a.PinnedSHA256 = fp
	if got := a.TrustOptions().PinnedSHA256; got != fp {
		t.Errorf("TrustOptions().PinnedSHA256 = %q, want %q", got, fp)
	}
}
