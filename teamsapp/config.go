// Package teamsapp builds Steward's Microsoft Teams app package: the app
// manifest, its French localization file and the two icons, drawn by code so
// the package needs no binary assets and comes out byte-for-byte the same for
// the same configuration.
package teamsapp

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// Config is what varies between Steward installations. Everything else in
// the manifest (commands, tabs, names) is Steward's and fixed in code.
type Config struct {
	// TeamsAppID is the app's id in the Teams catalog (manifest "id"), a GUID
	// the operator generates once and keeps for every later version.
	TeamsAppID string
	// BotID is the bot's Microsoft App ID (its Azure Bot registration); the
	// messaging extension is served by the same bot.
	BotID string
	// AppID is Steward's Microsoft Entra application (client) id, used for
	// tab single sign-on.
	AppID string
	// AppIDURI is the app registration's Application ID URI. Empty:
	// api://{public host}/{AppID}, the form Teams SSO expects.
	AppIDURI string
	// BaseURL is where users reach Steward (https://steward.example.com).
	BaseURL string
	// Version is the app package version, MAJOR.MINOR.PATCH. Empty: 1.0.0.
	Version string
	// ValidDomains are domains besides BaseURL's host that the tabs may
	// navigate to (host, host:port or *.example.com).
	ValidDomains []string
	// DeveloperName is the publisher shown in Teams. Empty: Steward.
	DeveloperName string
	// WebsiteURL, PrivacyURL and TermsURL default to the trust center pages
	// under BaseURL (/trust, /trust/privacy, /trust/terms).
	WebsiteURL, PrivacyURL, TermsURL string
	// AccentColor is the icon background and Teams accent, #RRGGBB. Empty:
	// DefaultAccentColor.
	AccentColor string
	// Dev allows plain http URLs on a loopback host, for a developer machine.
	Dev bool
}

// DefaultVersion is the package version when Config.Version is empty.
const DefaultVersion = "1.0.0"

// DefaultAccentColor is Steward's brand colour: the icon background.
const DefaultAccentColor = "#1F5F8B"

// maxValidDomains is the manifest schema's limit on validDomains.
const maxValidDomains = 100

// ConfigError lists every problem with a Config at once, so one run tells
// the operator everything to fix.
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string {
	return "teamsapp: invalid configuration:\n  - " + strings.Join(e.Problems, "\n  - ")
}

var (
	guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	// Teams requires MAJOR.MINOR.PATCH without pre-release or build parts;
	// this is the "semver" definition of Microsoft's schema.
	versionPattern = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)
	colorPattern   = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	labelPattern   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// resolved is a Config checked and with its defaults applied.
type resolved struct {
	Config
	base *url.URL
	host string // BaseURL's host, with its port when it has one
}

// resolve validates c and fills in its defaults.
func resolve(c Config) (resolved, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	for _, g := range []struct{ name, v, what string }{
		{"TeamsAppID", c.TeamsAppID, "the Teams app id (generate one GUID and keep it for every version)"},
		{"BotID", c.BotID, "the bot's Microsoft App ID"},
		{"AppID", c.AppID, "Steward's Microsoft Entra application (client) id"},
	} {
		switch {
		case g.v == "":
			bad("%s is required: %s, a GUID such as 6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21", g.name, g.what)
		case !guidPattern.MatchString(g.v):
			bad("%s %q is not a GUID: expected %s such as 6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21", g.name, g.v, g.what)
		}
	}
	c.TeamsAppID, c.BotID, c.AppID = strings.ToLower(c.TeamsAppID), strings.ToLower(c.BotID), strings.ToLower(c.AppID)

	r := resolved{}
	if c.BaseURL == "" {
		bad("BaseURL is required: the https URL users reach Steward at, such as https://steward.example.com")
	} else if u, err := checkURL(c.BaseURL, c.Dev); err != nil {
		bad("BaseURL %q: %v", c.BaseURL, err)
	} else if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		bad("BaseURL %q: expected a URL without a path, query or fragment, such as https://steward.example.com", c.BaseURL)
	} else {
		u.Path, u.Host = "", strings.ToLower(u.Host)
		r.base, r.host = u, u.Host
	}

	if c.Version == "" {
		c.Version = DefaultVersion
	} else if !versionPattern.MatchString(c.Version) {
		bad("Version %q: expected MAJOR.MINOR.PATCH such as 1.0.0 (Teams accepts no pre-release or build suffix)", c.Version)
	}
	if c.AccentColor == "" {
		c.AccentColor = DefaultAccentColor
	} else if !colorPattern.MatchString(c.AccentColor) {
		bad("AccentColor %q: expected an HTML colour #RRGGBB such as %s", c.AccentColor, DefaultAccentColor)
	}
	if c.DeveloperName == "" {
		c.DeveloperName = "Steward"
	} else if len([]rune(c.DeveloperName)) > 32 || strings.TrimSpace(c.DeveloperName) == "" {
		bad("DeveloperName %q: expected 1 to 32 characters (Teams' limit)", c.DeveloperName)
	}

	if r.base != nil {
		base := r.base.String()
		if c.AppIDURI == "" && c.AppID != "" {
			c.AppIDURI = "api://" + r.host + "/" + c.AppID
		}
		for _, p := range []struct {
			name  string
			field *string
			def   string
		}{{"WebsiteURL", &c.WebsiteURL, "/trust"}, {"PrivacyURL", &c.PrivacyURL, "/trust/privacy"}, {"TermsURL", &c.TermsURL, "/trust/terms"}} {
			if *p.field == "" {
				*p.field = base + p.def
			} else if _, err := checkURL(*p.field, c.Dev); err != nil {
				bad("%s %q: %v", p.name, *p.field, err)
			}
		}
	}
	if c.AppIDURI != "" {
		if (!strings.HasPrefix(c.AppIDURI, "api://") && !strings.HasPrefix(c.AppIDURI, "https://")) || len(c.AppIDURI) > 2048 {
			bad("AppIDURI %q: expected the app registration's Application ID URI, such as api://steward.example.com/6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21", c.AppIDURI)
		}
	}

	domains, dproblems := validDomains(r.host, c.ValidDomains)
	problems = append(problems, dproblems...)
	c.ValidDomains = domains

	if len(problems) > 0 {
		return resolved{}, &ConfigError{Problems: problems}
	}
	r.Config = c
	return r, nil
}

// checkURL accepts an absolute https URL, or in dev an http URL on a
// loopback host: Teams loads tabs only over https, and a dev machine has no
// certificate for its loopback address.
func checkURL(raw string, dev bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("expected an absolute https URL")
	}
	if u.User != nil {
		return nil, fmt.Errorf("must not carry credentials")
	}
	if len(raw) > 2048 {
		return nil, fmt.Errorf("longer than Teams' 2048-character limit")
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		if !dev {
			return nil, fmt.Errorf("must be https (plain http is allowed only in dev mode, on a loopback host)")
		}
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("plain http is allowed only on a loopback host (127.0.0.1, ::1, localhost)")
		}
		return u, nil
	}
	return nil, fmt.Errorf("expected an absolute https URL")
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validDomains puts the public host first, then each extra domain once.
func validDomains(host string, extra []string) ([]string, []string) {
	var out, problems []string
	seen := map[string]bool{}
	add := func(d string) {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	if host != "" {
		add(host)
	}
	for _, d := range extra {
		norm := strings.ToLower(strings.TrimSpace(d))
		if err := checkDomain(norm); err != nil {
			problems = append(problems, fmt.Sprintf("valid domain %q: %v", d, err))
			continue
		}
		add(norm)
	}
	if len(out) > maxValidDomains {
		problems = append(problems, fmt.Sprintf("%d valid domains: Teams accepts at most %d", len(out), maxValidDomains))
	}
	return out, problems
}

// checkDomain accepts host, host:port and *.host, the forms Teams documents
// for validDomains. A wildcard needs at least two labels after it, so that no
// one whitelists a whole top-level domain.
func checkDomain(d string) error {
	if strings.Contains(d, "://") || strings.ContainsAny(d, "/?#@") {
		return fmt.Errorf("expected a domain such as login.example.com or *.example.com, without scheme or path")
	}
	host := d
	if h, port, err := net.SplitHostPort(d); err == nil {
		if port == "" {
			return fmt.Errorf("empty port")
		}
		for _, r := range port {
			if r < '0' || r > '9' {
				return fmt.Errorf("port %q is not a number", port)
			}
		}
		host = h
	}
	wildcard := false
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		host, wildcard = rest, true
	}
	if ip := net.ParseIP(host); ip != nil && !wildcard {
		return nil
	}
	labels := strings.Split(host, ".")
	if wildcard && len(labels) < 2 {
		return fmt.Errorf("a wildcard must be followed by a registrable domain, such as *.example.com")
	}
	if len(host) > 253 {
		return fmt.Errorf("longer than 253 characters")
	}
	for _, l := range labels {
		if !labelPattern.MatchString(l) {
			return fmt.Errorf("expected a domain such as login.example.com or *.example.com")
		}
	}
	return nil
}
