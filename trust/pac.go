package trust

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/stewardhq/steward/governance"
)

// PAC renders a proxy auto-config file for the server's network: declared
// server destinations answer "DIRECT", every other URL the blocked result
// (Inputs.PACBlocked). An operator who routes Steward's host through a
// proxy can load it there, so the network enforces the same list the
// process does.
//
// Matching follows the PAC helpers' semantics: shExpMatch(host, "name")
// with no wildcard is an exact, whole-string match, used for exact hosts;
// dnsDomainIs(host, ".domain") is a plain suffix test, used only for
// "*.domain" entries with the leading dot so that "domain" itself and
// "evildomain" do not match. (dnsDomainIs(host, "name") without the dot
// would admit "evilname".) The port comes from url, since host has none.
//
// Browser-only destinations and webhook endpoints registered at run time
// are not in the file: the first are not the server's, the second change
// without a new configuration.
func (c *Center) PAC() string {
	var b strings.Builder
	fmt.Fprintf(&b, "// Steward %s egress proxy auto-config, generated %s from its configuration.\n", c.in.Version, c.in.GeneratedAt.UTC().Format("2006-01-02T15:04:05Z"))
	b.WriteString("// Declared destinations go DIRECT; everything else is blocked.\n")
	var dynamic []string
	for _, d := range c.in.Destinations {
		if d.Dynamic {
			dynamic = append(dynamic, d.Purpose)
		}
	}
	if len(dynamic) > 0 {
		fmt.Fprintf(&b, "// Not listed: destinations registered at run time (%s); allow them in the proxy as they are registered.\n", strings.Join(dynamic, ", "))
	}
	b.WriteString(`function FindProxyForURL(url, host) {
  host = host.toLowerCase();
  if (host.charAt(host.length - 1) == ".") {
    host = host.substring(0, host.length - 1);
  }
  var m = /^([a-z][a-z0-9+.-]*):\/\/(\[[^\]]*\]|[^\/:?#]*)(:([0-9]+))?/i.exec(url);
  var scheme = m ? m[1].toLowerCase() : "";
  var port = m && m[4] ? parseInt(m[4], 10) : (scheme == "https" ? 443 : (scheme == "http" ? 80 : -1));
  var defaultPort = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
`)
	seen := map[string]bool{}
	for _, g := range c.Groups() {
		first := true
		for _, d := range g.Destinations {
			if d.Dynamic || d.Browser() {
				continue
			}
			key := d.Host + "|" + strconv.Itoa(d.Port)
			if seen[key] {
				continue
			}
			seen[key] = true
			if first {
				fmt.Fprintf(&b, "  // %s\n", g.Title)
				first = false
			}
			fmt.Fprintf(&b, "  if (%s && %s) {\n    return \"DIRECT\";\n  }\n", pacHost(d.Host), pacPort(d.Port))
		}
	}
	fmt.Fprintf(&b, "  return %q;\n}\n", c.in.PACBlocked)
	return b.String()
}

func pacHost(host string) string {
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		return fmt.Sprintf("dnsDomainIs(host, %q)", "."+rest)
	}
	return fmt.Sprintf("shExpMatch(host, %q)", host)
}

func pacPort(port int) string {
	if port == 0 {
		return "defaultPort"
	}
	return fmt.Sprintf("port == %d", port)
}

// checkPACResult accepts "DIRECT" and "PROXY|SOCKS|SOCKS4|SOCKS5|HTTP|HTTPS
// host:port" directives separated by semicolons.
func checkPACResult(r string) error {
	invalid := governance.Errorf(governance.KindInvalid, "trust_pac_result_invalid",
		"the PAC result for undeclared hosts %q is not a PAC answer: use DIRECT or PROXY host:port (several separated by \";\"), e.g. %q", r, DefaultPACBlocked)
	if strings.ContainsAny(r, "\"\\\n\r") {
		return invalid
	}
	for _, part := range strings.Split(r, ";") {
		f := strings.Fields(part)
		switch {
		case len(f) == 1 && f[0] == "DIRECT":
		case len(f) == 2 && (f[0] == "PROXY" || f[0] == "SOCKS" || f[0] == "SOCKS4" || f[0] == "SOCKS5" || f[0] == "HTTP" || f[0] == "HTTPS"):
			host, port, err := net.SplitHostPort(f[1])
			if err != nil || host == "" {
				return invalid
			}
			if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
				return invalid
			}
		default:
			return invalid
		}
	}
	return nil
}
