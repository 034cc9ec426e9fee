package teamsapp

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// testConfig is a complete, valid configuration; tests change one thing.
func testConfig() Config {
	return Config{
		TeamsAppID: "0f1e2d3c-4b5a-4697-8877-665544332211",
		BotID:      "6E6B5A1C-1D3F-4A55-9D7E-0C2B8F1E4A21",
		AppID:      "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21",
		BaseURL:    "https://steward.example.com",
	}
}

func TestBuildRejectsBadConfig(t *testing.T) {
	manyDomains := make([]string, maxValidDomains)
	for i := range manyDomains {
		manyDomains[i] = fmt.Sprintf("d%d.example.com", i)
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"missing teams app id", func(c *Config) { c.TeamsAppID = "" }, "TeamsAppID is required"},
		{"teams app id not a guid", func(c *Config) { c.TeamsAppID = "com.example.steward" }, `TeamsAppID "com.example.steward" is not a GUID`},
		{"missing bot id", func(c *Config) { c.BotID = "" }, "BotID is required"},
		{"bot id not a guid", func(c *Config) { c.BotID = "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a2" }, "BotID \"6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a2\" is not a GUID"},
		{"missing app id", func(c *Config) { c.AppID = "" }, "AppID is required"},
		{"missing base url", func(c *Config) { c.BaseURL = "" }, "BaseURL is required"},
		{"http base url", func(c *Config) { c.BaseURL = "http://steward.example.com" }, "must be https"},
		{"http base url off loopback in dev", func(c *Config) { c.BaseURL = "http://192.0.2.10:8080"; c.Dev = true }, "only on a loopback host"},
		{"relative base url", func(c *Config) { c.BaseURL = "steward.example.com" }, "expected an absolute https URL"},
		{"base url with path", func(c *Config) { c.BaseURL = "https://example.com/steward" }, "without a path"},
		{"base url with credentials", func(c *Config) { c.BaseURL = "https://user:pw@example.com" }, "must not carry credentials"},
		{"short version", func(c *Config) { c.Version = "1.0" }, `Version "1.0"`},
		{"pre-release version", func(c *Config) { c.Version = "1.0.0-beta" }, "no pre-release"},
		{"leading zero version", func(c *Config) { c.Version = "1.01.0" }, `Version "1.01.0"`},
		{"colour name", func(c *Config) { c.AccentColor = "blue" }, `AccentColor "blue"`},
		{"long developer name", func(c *Config) { c.DeveloperName = strings.Repeat("x", 33) }, "1 to 32 characters"},
		{"http privacy url", func(c *Config) { c.PrivacyURL = "http://example.com/privacy" }, "PrivacyURL"},
		{"app id uri scheme", func(c *Config) { c.AppIDURI = "urn:steward" }, `AppIDURI "urn:steward"`},
		{"domain with scheme", func(c *Config) { c.ValidDomains = []string{"https://login.example.com"} }, "without scheme or path"},
		{"domain with path", func(c *Config) { c.ValidDomains = []string{"example.com/x"} }, "without scheme or path"},
		{"top-level wildcard", func(c *Config) { c.ValidDomains = []string{"*.com"} }, "registrable domain"},
		{"bare wildcard", func(c *Config) { c.ValidDomains = []string{"*"} }, "expected a domain"},
		{"underscore domain", func(c *Config) { c.ValidDomains = []string{"bad_name.example.com"} }, "expected a domain"},
		{"bad port", func(c *Config) { c.ValidDomains = []string{"example.com:https"} }, "not a number"},
		{"too many domains", func(c *Config) { c.ValidDomains = manyDomains }, "at most 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig()
			tt.change(&c)
			p, err := Build(c)
			if err == nil {
				t.Fatalf("Build accepted the configuration: %s", p.Manifest)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *ConfigError: %v", err, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not say %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "teamsapp: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestBuildReportsEveryProblemAtOnce(t *testing.T) {
	_, err := Build(Config{BaseURL: "ftp://example.com", Version: "x"})
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("want a *ConfigError, got %v", err)
	}
	for _, want := range []string{"TeamsAppID is required", "BotID is required", "AppID is required", "BaseURL \"ftp://example.com\"", "Version \"x\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}

func TestResolveDefaults(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		check  func(t *testing.T, r resolved)
	}{
		{"defaults", func(*Config) {}, func(t *testing.T, r resolved) {
			if r.Version != "1.0.0" || r.AccentColor != DefaultAccentColor || r.DeveloperName != "Steward" {
				t.Errorf("version %q colour %q developer %q", r.Version, r.AccentColor, r.DeveloperName)
			}
			if want := "api://steward.example.com/6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21"; r.AppIDURI != want {
				t.Errorf("AppIDURI = %q, want %q", r.AppIDURI, want)
			}
			if r.WebsiteURL != "https://steward.example.com/trust" || r.PrivacyURL != "https://steward.example.com/trust/privacy" || r.TermsURL != "https://steward.example.com/trust/terms" {
				t.Errorf("developer URLs %q %q %q", r.WebsiteURL, r.PrivacyURL, r.TermsURL)
			}
			if r.BotID != "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21" {
				t.Errorf("BotID not lower-cased: %q", r.BotID)
			}
		}},
		{"trailing slash and port", func(c *Config) { c.BaseURL = "https://Steward.Example.com:8443/" }, func(t *testing.T, r resolved) {
			if r.base.String() != "https://steward.example.com:8443" || r.ValidDomains[0] != "steward.example.com:8443" {
				t.Errorf("base %q domains %q", r.base, r.ValidDomains)
			}
			if r.AppIDURI != "api://steward.example.com:8443/6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21" {
				t.Errorf("AppIDURI = %q", r.AppIDURI)
			}
		}},
		{"dev loopback http", func(c *Config) { c.BaseURL = "http://127.0.0.1:8080"; c.Dev = true }, func(t *testing.T, r resolved) {
			if r.ValidDomains[0] != "127.0.0.1:8080" {
				t.Errorf("domains %q", r.ValidDomains)
			}
		}},
		{"extra domains deduplicated after the public host", func(c *Config) {
			c.ValidDomains = []string{"Login.Example.org", "steward.example.com", "*.example.net", "login.example.org", "127.0.0.1:3978"}
		}, func(t *testing.T, r resolved) {
			want := "steward.example.com,login.example.org,*.example.net,127.0.0.1:3978"
			if got := strings.Join(r.ValidDomains, ","); got != want {
				t.Errorf("domains %q, want %q", got, want)
			}
		}},
		{"explicit values kept", func(c *Config) {
			c.AppIDURI = "api://auth.example.com/6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21"
			c.Version = "2.10.3"
			c.TermsURL = "https://example.com/legal"
		}, func(t *testing.T, r resolved) {
			if r.AppIDURI != "api://auth.example.com/6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21" || r.Version != "2.10.3" || r.TermsURL != "https://example.com/legal" {
				t.Errorf("explicit values replaced: %q %q %q", r.AppIDURI, r.Version, r.TermsURL)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig()
			tt.change(&c)
			r, err := resolve(c)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
}
