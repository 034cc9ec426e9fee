// Package trust builds Steward's trust center from the running
// configuration: every destination the server talks to (the egress
// allowlist edge enforces), every Microsoft Graph permission it asks for,
// the data it handles, its TLS policy and its security measures. The same
// model renders as JSON, plain text, a proxy auto-config file and the web
// page's groups, so what is published is what is enforced.
//
// It imports only the standard library, governance and edge.
package trust

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/governance"
)

// Inputs are what a trust center is built from; cmd assembles them from
// the configuration.
type Inputs struct {
	Destinations     []edge.Destination
	GraphPermissions []Permission
	Data             []DataCategory
	TLS              edge.TLSPolicy
	// Certificates says where the HTTPS certificate comes from (ACME, the
	// certificate files, the dev CA), for the TLS section; "" leaves it out.
	Certificates string
	Measures     []Measure
	GeneratedAt  time.Time
	Version      string
	// PACBlocked is what the PAC file answers for undeclared hosts: a PAC
	// result such as "PROXY 127.0.0.1:9" (a black hole, the default) or an
	// inspecting proxy of the customer's.
	PACBlocked string
}

// DefaultPACBlocked sends undeclared hosts to the discard port on the
// machine itself: nothing listens there, so the connection fails.
const DefaultPACBlocked = "PROXY 127.0.0.1:9"

// Center is a built trust center. It is immutable.
type Center struct {
	in Inputs
}

// New checks the inputs and builds the center. Errors: KindInvalid for a
// destination without a purpose or reason, a permission without a type,
// name or justification, or a PACBlocked that is not a PAC result.
func New(in Inputs) (*Center, error) {
	for _, d := range in.Destinations {
		if !slices.Contains(edge.Purposes(), d.Purpose) || strings.TrimSpace(d.Why) == "" {
			return nil, governance.Errorf(governance.KindInvalid, "trust_destination_invalid",
				"destination %q needs a known purpose and a reason (purpose %q, why %q)", d.Host, d.Purpose, d.Why)
		}
		if !d.Dynamic {
			if _, err := edge.CanonicalHost(d.Host); err != nil {
				return nil, err
			}
		}
	}
	for _, p := range in.GraphPermissions {
		if (p.Type != Application && p.Type != Delegated) || p.Name == "" || p.Justification == "" {
			return nil, governance.Errorf(governance.KindInvalid, "trust_permission_invalid",
				"permission %q needs the type Application or Delegated, a name and a justification", p.Name)
		}
	}
	if in.PACBlocked == "" {
		in.PACBlocked = DefaultPACBlocked
	}
	if err := checkPACResult(in.PACBlocked); err != nil {
		return nil, err
	}
	in.Destinations = slices.Clone(in.Destinations)
	for i, d := range in.Destinations {
		if !d.Dynamic {
			in.Destinations[i].Host, _ = edge.CanonicalHost(d.Host)
		}
		if d.Direction == "" {
			in.Destinations[i].Direction = edge.DirectionServer
		}
	}
	return &Center{in: in}, nil
}

// Group is the destinations of one purpose, with the words the trust
// center page shows above them.
type Group struct {
	Purpose      string             `json:"purpose"`
	Title        string             `json:"title"`
	Description  string             `json:"description"`
	Destinations []edge.Destination `json:"destinations"`
}

// purposeText titles and describes each purpose.
func purposeText(purpose string) (title, description string) {
	switch purpose {
	case edge.PurposeIdentity:
		return "Microsoft identity platform",
			"Microsoft Entra ID: sign-in metadata and signing keys to validate tokens, and the tokens Steward requests for Microsoft Graph and the Bot Framework."
	case edge.PurposeGraph:
		return "Microsoft Graph",
			"Creating and governing teams, and reading the directory data policies need, with the permissions listed below."
	case edge.PurposeBot:
		return "Bot Framework",
			"The Teams bot: validating the tokens of the messages Teams sends it, and sending replies, approval cards and notifications through the Bot Connector."
	case edge.PurposeTeamsCDN:
		return "Microsoft Teams client library",
			"Steward's tabs load the Microsoft Teams JavaScript library from Microsoft's CDN in the browser, with a subresource integrity hash. The server never connects to it."
	case edge.PurposeBilling:
		return "Billing", "The payment provider, when billing is turned on."
	case edge.PurposeSupport:
		return "Support", "The support chat provider, when support chat is turned on."
	case edge.PurposeCRM:
		return "CRM", "The CRM systems a tenant connects for the messaging extension's search."
	case edge.PurposeWebhooks:
		return "Webhooks",
			"The endpoints a tenant's administrators register to receive Steward's events. Only registered endpoints are reached, never a private address."
	case edge.PurposeTelemetry:
		return "Telemetry", "The OpenTelemetry collector the operator configured for traces."
	case edge.PurposeCertificates:
		return "TLS certificates (ACME)",
			"The certificate authority Steward obtains and renews its HTTPS certificates from with ACME, when the operator set acme_hosts."
	}
	return purpose, ""
}

// Groups returns the destinations grouped by purpose, in edge.Purposes
// order, leaving out purposes with no destination.
func (c *Center) Groups() []Group {
	var out []Group
	for _, p := range edge.Purposes() {
		title, desc := purposeText(p)
		g := Group{Purpose: p, Title: title, Description: desc}
		for _, d := range c.in.Destinations {
			if d.Purpose == p {
				g.Destinations = append(g.Destinations, d)
			}
		}
		if len(g.Destinations) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// document is the JSON shape, version 1. Fields are only ever added.
type document struct {
	Schema           string         `json:"schema"`
	Version          string         `json:"version"`
	GeneratedAt      time.Time      `json:"generatedAt"`
	Destinations     []Group        `json:"destinations"`
	GraphPermissions []Permission   `json:"graphPermissions"`
	Data             []DataCategory `json:"data"`
	TLS              tlsSection     `json:"tls"`
	Measures         []Measure      `json:"measures"`
}

// tlsSection is the policy with where the certificate comes from.
type tlsSection struct {
	edge.TLSPolicy
	Certificates string `json:"certificates,omitempty"`
}

// JSONSchema names the JSON shape; it changes only if a field changes
// meaning or goes away.
const JSONSchema = "https://steward.dev/schemas/trust-center/v1"

// JSON renders the trust center as indented JSON: {schema, version,
// generatedAt, destinations: [{purpose, title, description, destinations:
// [{host, port, purpose, why, setting, dynamic, direction}]}],
// graphPermissions: [{type, name, justification, features, calls}],
// data: [{key, title, accessed, cached, stored: [{table, holds, protection,
// retention}]}], tls: {minVersion, preferredVersion, cipherSuitesTLS12,
// cipherSuitesTLS13, curves, hsts, certificates}, measures: [{key, title, what, where}]}.
// The same inputs always give the same bytes.
func (c *Center) JSON() ([]byte, error) {
	doc := document{
		Schema: JSONSchema, Version: c.in.Version, GeneratedAt: c.in.GeneratedAt.UTC(),
		Destinations: nonNil(c.Groups()), GraphPermissions: nonNil(c.in.GraphPermissions), Data: nonNil(c.in.Data),
		TLS: tlsSection{TLSPolicy: c.in.TLS, Certificates: c.in.Certificates}, Measures: nonNil(c.in.Measures),
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("trust: encode: %w", err)
	}
	return append(b, '\n'), nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Text renders the trust center as plain text, destinations grouped by
// purpose.
func (c *Center) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Steward %s trust center (generated %s)\n", c.in.Version, c.in.GeneratedAt.UTC().Format(time.RFC3339))
	b.WriteString("\nDESTINATIONS\nThe server connects to these and refuses every other destination.\n")
	for _, g := range c.Groups() {
		fmt.Fprintf(&b, "\n%s [%s]\n  %s\n", g.Title, g.Purpose, g.Description)
		for _, d := range g.Destinations {
			fmt.Fprintf(&b, "  - %s", d.Address())
			var notes []string
			if d.Browser() {
				notes = append(notes, "browsers only")
			}
			if d.Setting != "" {
				notes = append(notes, "setting "+d.Setting)
			}
			if len(notes) > 0 {
				fmt.Fprintf(&b, " (%s)", strings.Join(notes, ", "))
			}
			fmt.Fprintf(&b, ": %s\n", d.Why)
		}
	}
	b.WriteString("\nMICROSOFT GRAPH PERMISSIONS\n")
	for _, typ := range []string{Application, Delegated} {
		fmt.Fprintf(&b, "\n%s permissions\n", typ)
		for _, p := range c.in.GraphPermissions {
			if p.Type != typ {
				continue
			}
			fmt.Fprintf(&b, "  - %s: %s\n", p.Name, p.Justification)
			if len(p.Features) > 0 {
				fmt.Fprintf(&b, "      used by: %s\n", strings.Join(p.Features, "; "))
			}
			if len(p.Calls) > 0 {
				fmt.Fprintf(&b, "      calls: %s\n", strings.Join(p.Calls, ", "))
			}
		}
	}
	b.WriteString("\nDATA\n")
	for _, d := range c.in.Data {
		fmt.Fprintf(&b, "\n%s\n  accessed: %s\n  cached: %s\n", d.Title, d.Accessed, d.Cached)
		if len(d.Stored) == 0 {
			b.WriteString("  stored: nothing\n")
		}
		for _, t := range d.Stored {
			fmt.Fprintf(&b, "  stored in %s: %s\n      protection: %s\n      retention: %s\n", t.Table, t.Holds, t.Protection, t.Retention)
		}
	}
	t := c.in.TLS
	fmt.Fprintf(&b, "\nTLS\n  minimum %s, %s preferred\n  TLS 1.2 suites: %s\n  TLS 1.3 suites: %s\n  key exchange: %s\n  HSTS: %s\n",
		t.MinVersion, t.PreferredVersion, strings.Join(t.CipherSuites12, ", "), strings.Join(t.CipherSuites13, ", "),
		strings.Join(t.Curves, ", "), t.HSTS)
	if c.in.Certificates != "" {
		fmt.Fprintf(&b, "  certificates: %s\n", c.in.Certificates)
	}
	b.WriteString("\nSECURITY MEASURES\n")
	for _, m := range c.in.Measures {
		fmt.Fprintf(&b, "\n%s (%s)\n  %s\n", m.Title, m.Where, m.What)
	}
	return b.String()
}
