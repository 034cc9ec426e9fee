package edge

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/stewardhq/steward/governance"
)

// Purposes group destinations on the trust center. They are stable keys:
// the published list and the PAC file are grouped by them.
const (
	PurposeIdentity  = "microsoft-identity"
	PurposeGraph     = "microsoft-graph"
	PurposeBot       = "bot-framework"
	PurposeTeamsCDN  = "teams-cdn"
	PurposeBilling   = "billing"
	PurposeSupport   = "support"
	PurposeCRM       = "crm"
	PurposeWebhooks  = "webhooks"
	PurposeTelemetry = "telemetry"
	// PurposeCertificates: the ACME certificate authority (acme_hosts).
	PurposeCertificates = "tls-certificates"
)

// Purposes lists every purpose, in the order the trust center shows them.
func Purposes() []string {
	return []string{PurposeIdentity, PurposeGraph, PurposeBot, PurposeTeamsCDN, PurposeBilling,
		PurposeSupport, PurposeCRM, PurposeWebhooks, PurposeTelemetry, PurposeCertificates}
}

// Directions say who opens the connection to a destination.
const (
	// DirectionServer: the Steward process connects; the allowlist admits it.
	DirectionServer = "server"
	// DirectionBrowser: people's browsers (Steward's pages inside Teams)
	// fetch from it; the server never does, so the allowlist does not admit
	// it, but the trust center lists it for the customer's firewall.
	DirectionBrowser = "browser"
)

// Destination is one place Steward talks to, declared with the reason.
type Destination struct {
	// Host is the DNS name or IP literal, lower case. "*.example.com"
	// admits every name under example.com (not example.com itself); use a
	// wildcard only where Microsoft documents a wildcard host. Empty for a
	// Dynamic destination.
	Host string `json:"host,omitempty"`
	// Port is the TCP port; 0 means the scheme's: 443 for https, 80 for http.
	Port int `json:"port,omitempty"`
	// Purpose is the group key (Purpose* constants).
	Purpose string `json:"purpose"`
	// Why says what Steward does there, for the trust center.
	Why string `json:"why"`
	// Setting is the configuration setting the destination comes from
	// (graph_url, bot_service_urls...), empty for fixed Microsoft hosts.
	Setting string `json:"setting,omitempty"`
	// Dynamic marks a class of destinations registered at run time (the
	// webhook URLs administrators register): its hosts come from the
	// allowlist's HostSource, not from Host.
	Dynamic bool `json:"dynamic,omitempty"`
	// Direction is DirectionServer (empty means server) or DirectionBrowser.
	Direction string `json:"direction,omitempty"`
}

// Browser reports whether only browsers connect to d.
func (d Destination) Browser() bool { return d.Direction == DirectionBrowser }

// Wildcard reports whether d's host is a "*." wildcard.
func (d Destination) Wildcard() bool { return strings.HasPrefix(d.Host, "*.") }

// Address is host:port as the trust center prints it ("*" port for a
// dynamic destination, "443/80" for the scheme default).
func (d Destination) Address() string {
	switch {
	case d.Dynamic:
		return "registered at run time"
	case d.Port == 0:
		return d.Host + " (443, or 80 for http)"
	}
	return net.JoinHostPort(d.Host, strconv.Itoa(d.Port))
}

// HostSource admits hosts registered at run time: the webhook URLs any
// tenant's administrators registered. authority is canonical, "name:port"
// (lower case, no trailing dot, port always present).
type HostSource interface {
	AllowsHost(ctx context.Context, authority string) (bool, error)
}

// Allowlist is the immutable set of declared destinations the server may
// connect to, plus an optional source of run-time registered hosts.
type Allowlist struct {
	exact   map[string]bool // "host:port"; port 0 stored as "host:0"
	suffix  []wildcard
	dynamic HostSource
	dests   []Destination
}

type wildcard struct {
	suffix string // ".example.com"
	port   int
}

// NewAllowlist builds the allowlist of dests (browser destinations are kept
// for Destinations but admit nothing). dynamic may be nil when no
// destination is Dynamic. Errors: KindInvalid for a malformed destination.
func NewAllowlist(dests []Destination, dynamic HostSource) (*Allowlist, error) {
	a := &Allowlist{exact: map[string]bool{}, dynamic: dynamic}
	hasDynamic := false
	for _, d := range dests {
		if d.Purpose == "" || !slices.Contains(Purposes(), d.Purpose) {
			return nil, governance.Errorf(governance.KindInvalid, "egress_destination_invalid",
				"destination %q: purpose %q is not one of %s", d.Host, d.Purpose, strings.Join(Purposes(), ", "))
		}
		if d.Direction != "" && d.Direction != DirectionServer && d.Direction != DirectionBrowser {
			return nil, governance.Errorf(governance.KindInvalid, "egress_destination_invalid",
				"destination %q: direction %q must be server or browser", d.Host, d.Direction)
		}
		if d.Port < 0 || d.Port > 65535 {
			return nil, governance.Errorf(governance.KindInvalid, "egress_destination_invalid",
				"destination %q: port %d must be from 1 to 65535, or 0 for the scheme's", d.Host, d.Port)
		}
		if d.Dynamic {
			if d.Host != "" {
				return nil, governance.Errorf(governance.KindInvalid, "egress_destination_invalid",
					"the dynamic destination of purpose %s names host %q: its hosts come from registrations, leave host empty", d.Purpose, d.Host)
			}
			hasDynamic = true
			a.dests = append(a.dests, d)
			continue
		}
		host, err := CanonicalHost(d.Host)
		if err != nil {
			return nil, err
		}
		d.Host = host
		a.dests = append(a.dests, d)
		if d.Browser() {
			continue
		}
		if rest, ok := strings.CutPrefix(host, "*."); ok {
			a.suffix = append(a.suffix, wildcard{suffix: "." + rest, port: d.Port})
			continue
		}
		a.exact[net.JoinHostPort(host, strconv.Itoa(d.Port))] = true
	}
	if hasDynamic && dynamic == nil {
		return nil, governance.Errorf(governance.KindInvalid, "egress_destination_invalid",
			"a dynamic destination is declared but no host source answers for it")
	}
	return a, nil
}

// CanonicalHost lower-cases host and strips one trailing dot, checking it is
// a DNS name, an IP literal or a "*." wildcard of a DNS name with at least
// two labels. Errors: KindInvalid.
func CanonicalHost(host string) (string, error) {
	h := strings.ToLower(strings.TrimSuffix(strings.TrimSpace(host), "."))
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	invalid := governance.Errorf(governance.KindInvalid, "egress_destination_invalid",
		"destination host %q: expected a DNS name (graph.microsoft.com), an IP address, or *.domain where Microsoft documents a wildcard", host)
	if h == "" {
		return "", invalid
	}
	if net.ParseIP(h) != nil {
		return h, nil
	}
	name := h
	if rest, ok := strings.CutPrefix(h, "*."); ok {
		if !strings.Contains(rest, ".") {
			return "", invalid // "*.com" would admit a whole top-level domain
		}
		name = rest
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return "", invalid
		}
		for _, r := range label {
			if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
				return "", invalid
			}
		}
	}
	return h, nil
}

// Destinations returns the declared destinations, hosts canonical.
func (a *Allowlist) Destinations() []Destination { return slices.Clone(a.dests) }

// Allows reports whether the server may connect to host on port for
// scheme ("https" or "http"; "" when only the port is known, at dial time).
// Errors: KindForbidden with code egress_destination_undeclared when the
// destination is not declared; the HostSource's error when it fails.
func (a *Allowlist) Allows(ctx context.Context, scheme, host string, port int) error {
	h := strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), "."))
	if a.matches(h, port, scheme) {
		return nil
	}
	if a.dynamic != nil {
		ok, err := a.dynamic.AllowsHost(ctx, net.JoinHostPort(h, strconv.Itoa(port)))
		if err != nil {
			return fmt.Errorf("edge: check registered destinations for %s: %w", h, err)
		}
		if ok {
			return nil
		}
	}
	return governance.Errorf(governance.KindForbidden, "egress_destination_undeclared",
		"Steward does not connect to %s: it is not a declared destination; it must be declared in the configuration (login_url, graph_url, bot_openid_metadata_url, bot_service_urls, otlp_endpoint) or registered as a webhook URL",
		net.JoinHostPort(h, strconv.Itoa(port)))
}

func (a *Allowlist) matches(host string, port int, scheme string) bool {
	ports := []int{port}
	if defaultPort(scheme, port) {
		ports = append(ports, 0)
	}
	for _, p := range ports {
		if a.exact[net.JoinHostPort(host, strconv.Itoa(p))] {
			return true
		}
		for _, w := range a.suffix {
			if w.port == p && strings.HasSuffix(host, w.suffix) && len(host) > len(w.suffix) {
				return true
			}
		}
	}
	return false
}

// defaultPort reports whether port is the default of scheme, so that a
// destination declared with port 0 admits it. At dial time the scheme is
// unknown and either default port is admitted.
func defaultPort(scheme string, port int) bool {
	switch scheme {
	case "https":
		return port == 443
	case "http":
		return port == 80
	case "":
		return port == 443 || port == 80
	}
	return false
}

// AllowsURL is Allows for an absolute http(s) URL.
func (a *Allowlist) AllowsURL(ctx context.Context, u *url.URL) error {
	port, err := urlPort(u)
	if err != nil {
		return err
	}
	return a.Allows(ctx, u.Scheme, u.Hostname(), port)
}

// urlPort is u's explicit port or its scheme's default.
func urlPort(u *url.URL) (int, error) {
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return 0, governance.Errorf(governance.KindInvalid, "egress_refused", "the URL's port %q is not a port number", p)
		}
		return n, nil
	}
	switch u.Scheme {
	case "https":
		return 443, nil
	case "http":
		return 80, nil
	}
	return 0, governance.Errorf(governance.KindInvalid, "egress_refused", "the scheme %q is not http or https", u.Scheme)
}

// DestinationFromURL declares the host and port of an absolute http(s) URL
// (a configured endpoint) with purpose, reason and setting.
// Errors: KindInvalid when raw is not an absolute http(s) URL.
func DestinationFromURL(raw, purpose, why, setting string) (Destination, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" {
		return Destination{}, governance.Errorf(governance.KindInvalid, "egress_destination_invalid",
			"%s %q: expected an absolute http(s) URL", setting, raw)
	}
	d := Destination{Host: strings.ToLower(u.Hostname()), Purpose: purpose, Why: why, Setting: setting}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return Destination{}, governance.Errorf(governance.KindInvalid, "egress_destination_invalid",
				"%s %q: port %q is not a port number", setting, raw, p)
		}
		if !(u.Scheme == "https" && n == 443) && !(u.Scheme == "http" && n == 80) {
			d.Port = n
		}
	}
	return d, nil
}
