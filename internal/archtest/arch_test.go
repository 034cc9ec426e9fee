// Package archtest enforces the direction of dependencies between Steward's
// packages (see ARCHITECTURE.md). It reads what `go list` reports, so a
// forbidden import fails the build of the test suite, not a code review.
package archtest

import (
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/stewardhq/steward"

// pkg is one package with its transitive, non-test dependencies.
type pkg struct {
	path     string
	standard bool
	deps     []string
}

func listPackages(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}|{{.Standard}}|{{join .Deps \",\"}}", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			t.Fatalf("unexpected go list line %q", line)
		}
		p := pkg{path: parts[0], standard: parts[1] == "true"}
		if parts[2] != "" {
			p.deps = strings.Split(parts[2], ",")
		}
		pkgs[p.path] = p
	}
	return pkgs
}

func rel(path string) string { return strings.TrimPrefix(strings.TrimPrefix(path, module), "/") }

// top is the first element of a package path inside the module ("store" for
// store/storetest).
func top(path string) string {
	r := rel(path)
	if i := strings.IndexByte(r, '/'); i >= 0 {
		return r[:i]
	}
	return r
}

// Surfaces and workflow: adapters must never depend on them.
var upper = map[string]bool{"web": true, "bot": true, "provision": true}

// Adapters: technology packages that serve the domain.
var adapters = map[string]bool{
	"store": true, "graph": true, "cache": true, "vault": true, "blob": true, "billing": true,
	"jobs": true, "telemetry": true, "crm": true, "cards": true, "identity": true, "edge": true,
	"webhook": true, "work": true,
}

// violations applies Steward's dependency rules to pkgs.
func violations(pkgs map[string]pkg) []string {
	var out []string
	for _, p := range pkgs {
		if !strings.HasPrefix(p.path, module) {
			continue
		}
		from := top(p.path)
		for _, d := range p.deps {
			dp, ok := pkgs[d]
			inModule := strings.HasPrefix(d, module)
			switch {
			case from == "governance" && ok && !dp.standard && !inModule:
				out = append(out, fmt.Sprintf("governance must import only the standard library: %s imports %s", rel(p.path), d))
			case from == "governance" && inModule && top(d) != "governance":
				out = append(out, fmt.Sprintf("governance must not import other Steward packages: %s imports %s", rel(p.path), rel(d)))
			case !inModule:
			case adapters[from] && upper[top(d)]:
				out = append(out, fmt.Sprintf("adapter %s must not import %s (surfaces and workflow depend on adapters, not the reverse)", rel(p.path), rel(d)))
			case top(d) == "m365sim" && from != "m365sim" && from != "cmd" && from != "bench":
				out = append(out, fmt.Sprintf("only cmd, bench and tests may import the simulator: %s imports %s", rel(p.path), rel(d)))
			case from == "m365sim" && top(d) != "m365sim":
				out = append(out, fmt.Sprintf("the simulator must import nothing of Steward: %s imports %s", rel(p.path), rel(d)))
			case top(d) == "cmd" && from != "cmd":
				out = append(out, fmt.Sprintf("nothing imports a command: %s imports %s", rel(p.path), rel(d)))
			case (strings.HasPrefix(rel(d), "internal/testenv") || strings.HasPrefix(rel(d), "internal/teststack")) &&
				from != "internal" && !strings.HasSuffix(p.path, "test"):
				// Test-support packages (store/storetest, cache/cachetest) may use them.
				out = append(out, fmt.Sprintf("%s is for tests only: %s imports it", rel(d), rel(p.path)))
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestDependencyDirection(t *testing.T) {
	pkgs := listPackages(t)
	if _, ok := pkgs[module+"/governance"]; !ok {
		t.Fatal("go list did not report the governance package")
	}
	for _, v := range violations(pkgs) {
		t.Error(v)
	}
}

// TestRulesCatchViolations feeds the rules a made-up module that breaks each
// of them, so TestDependencyDirection cannot pass by checking nothing.
func TestRulesCatchViolations(t *testing.T) {
	m := func(s string) string { return module + "/" + s }
	pkgs := map[string]pkg{
		m("governance"):          {path: m("governance"), deps: []string{"fmt", "github.com/google/uuid", m("store")}},
		m("store"):               {path: m("store"), deps: []string{m("web"), m("governance")}},
		m("cache"):               {path: m("cache"), deps: []string{m("provision")}},
		m("web"):                 {path: m("web"), deps: []string{m("m365sim"), m("cmd/steward")}},
		m("m365sim"):             {path: m("m365sim"), deps: []string{m("governance")}},
		m("cmd/steward"):         {path: m("cmd/steward"), deps: []string{m("m365sim"), m("web")}},
		m("vault"):               {path: m("vault"), deps: []string{m("internal/testenv")}},
		m("store/storetest"):     {path: m("store/storetest"), deps: []string{m("internal/testenv")}},
		m("provision"):           {path: m("provision"), deps: []string{m("internal/teststack")}},
		"fmt":                    {path: "fmt", standard: true},
		"github.com/google/uuid": {path: "github.com/google/uuid"},
	}
	got := strings.Join(violations(pkgs), "\n")
	for _, want := range []string{
		"governance must import only the standard library: governance imports github.com/google/uuid",
		"governance must not import other Steward packages: governance imports store",
		"adapter store must not import web",
		"adapter cache must not import provision",
		"only cmd, bench and tests may import the simulator: web imports m365sim",
		"nothing imports a command: web imports cmd/steward",
		"the simulator must import nothing of Steward: m365sim imports governance",
		"internal/testenv is for tests only: vault imports it",
		"internal/teststack is for tests only: provision imports it",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rules missed: %s\ngot:\n%s", want, got)
		}
	}
	if strings.Contains(got, "storetest imports") {
		t.Errorf("test-support packages may use testenv:\n%s", got)
	}
	if strings.Contains(got, "cmd/steward imports") {
		t.Errorf("cmd may import anything:\n%s", got)
	}
}
