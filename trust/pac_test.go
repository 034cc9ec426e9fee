package trust

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stewardhq/steward/edge"
)

// pacHelpers are the PAC helper functions as Mozilla's PAC runtime
// defines them (netwerk/base/ascii_pac_utils.js): dnsDomainIs is a plain
// suffix test, shExpMatch a whole-string glob where only * and ? are special.
const pacHelpers = `
function dnsDomainIs(host, domain) {
  return (host.length >= domain.length && host.substring(host.length - domain.length) == domain);
}
function shExpMatch(url, pattern) {
  pattern = pattern.replace(/\./g, '\\.');
  pattern = pattern.replace(/\*/g, '.*');
  pattern = pattern.replace(/\?/g, '.');
  var newRe = new RegExp('^' + pattern + '$');
  return newRe.test(url);
}
`

// TestPACDecides runs the generated PAC file in Node with the standard
// helpers and checks which URLs go DIRECT.
func TestPACDecides(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the PAC file cannot be run")
	}
	in := sampleInputs()
	in.PACBlocked = "PROXY blackhole.invalid:9; PROXY 127.0.0.1:9"
	in.Destinations = append(in.Destinations, edge.Destination{Host: "127.0.0.1", Port: 8081, Purpose: edge.PurposeGraph, Why: "simulator"})
	pac := mustCenter(t, in).PAC()
	cases := []struct {
		url, host string
		direct    bool
	}{
		{"https://login.microsoftonline.com/", "login.microsoftonline.com", true},
		{"https://LOGIN.microsoftonline.com/", "LOGIN.microsoftonline.com", true},
		{"https://login.microsoftonline.com./", "login.microsoftonline.com.", true},
		{"https://login.microsoftonline.com:443/", "login.microsoftonline.com", true},
		{"http://graph.microsoft.com/v1.0/teams", "graph.microsoft.com", true},
		{"https://graph.microsoft.com:8443/", "graph.microsoft.com", false},
		{"https://evillogin.microsoftonline.com/", "evillogin.microsoftonline.com", false},
		{"https://login.microsoftonline.com.evil.example/", "login.microsoftonline.com.evil.example", false},
		{"https://smba.trafficmanager.net/", "smba.trafficmanager.net", true},
		{"https://res.cdn.office.net/", "res.cdn.office.net", false}, // browsers' destination, not the server's
		{"https://a.example-crm.com/", "a.example-crm.com", true},
		{"https://a.b.example-crm.com/", "a.b.example-crm.com", true},
		{"https://example-crm.com/", "example-crm.com", false},
		{"https://evilexample-crm.com/", "evilexample-crm.com", false},
		{"http://otel.internal.example:4318/v1/traces", "otel.internal.example", true},
		{"http://otel.internal.example/v1/traces", "otel.internal.example", false},
		{"http://127.0.0.1:8081/graph/v1.0/teams", "127.0.0.1", true},
		{"http://127.0.0.1:8082/", "127.0.0.1", false},
		{"https://hooks.example.com/", "hooks.example.com", false}, // webhooks are registered at run time
		{"https://attacker.example/?login.microsoftonline.com", "attacker.example", false},
	}
	calls := make([][2]string, len(cases))
	for i, c := range cases {
		calls[i] = [2]string{c.url, c.host}
	}
	script := pacHelpers + pac + "\nconst cases = " + mustJSON(t, calls) + ";\n" +
		"for (const c of cases) { console.log(FindProxyForURL(c[0], c[1])); }\n"
	path := filepath.Join(t.TempDir(), "pac.js")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, path).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s\n%s", err, out, pac)
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(got) != len(cases) {
		t.Fatalf("%d answers for %d cases:\n%s", len(got), len(cases), out)
	}
	for i, c := range cases {
		want := in.PACBlocked
		if c.direct {
			want = "DIRECT"
		}
		if got[i] != want {
			t.Errorf("FindProxyForURL(%q, %q) = %q, want %q", c.url, c.host, got[i], want)
		}
	}
	if t.Failed() {
		t.Log(pac)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPACUsesExactMatchForExactHosts(t *testing.T) {
	pac := mustCenter(t, sampleInputs()).PAC()
	for _, want := range []string{
		`shExpMatch(host, "login.microsoftonline.com")`,
		`dnsDomainIs(host, ".example-crm.com")`,
		`return "PROXY 127.0.0.1:9";`,
		"function FindProxyForURL(url, host) {",
		"Not listed: destinations registered at run time (webhooks)",
	} {
		if !strings.Contains(pac, want) {
			t.Errorf("PAC lacks %s:\n%s", want, pac)
		}
	}
	if strings.Contains(pac, `dnsDomainIs(host, "login`) || strings.Contains(pac, "res.cdn.office.net") {
		t.Errorf("exact host matched by suffix, or a browser destination listed:\n%s", pac)
	}
	if n := strings.Count(pac, `shExpMatch(host, "login.microsoftonline.com")`); n != 1 {
		t.Errorf("login.microsoftonline.com appears %d times (declared twice, listed once)", n)
	}
}
