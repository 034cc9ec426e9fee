package cards

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOfficialParser parses every golden card with Microsoft's
// adaptivecards package (testdata/validate.js) and requires zero errors.
func TestOfficialParser(t *testing.T) {
	node := nodeTool(t)
	var files []string
	for _, c := range goldenCases() {
		files = append(files, filepath.Join("testdata", c.name+".json"))
	}
	out, err := exec.Command(node, append([]string{filepath.Join("testdata", "validate.js")}, files...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("validate.js: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "ok   "); n != len(files) {
		t.Fatalf("validate.js passed %d of %d cards:\n%s", n, len(files), out)
	}
	if strings.Contains(string(out), "WARN") {
		t.Logf("parser warnings:\n%s", out)
	}
}

// TestOfficialParserRejects proves the validator can fail: each card here
// is wrong in a way Teams would reject or silently ignore.
func TestOfficialParserRejects(t *testing.T) {
	node := nodeTool(t)
	cases := []struct{ name, card, want string }{
		{"unknown element", `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlok","text":"hi"}]}`, "UnknownElementType"},
		{"input without id", `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"Input.Text","label":"Name"}]}`, "PropertyCantBeNull"},
		{"misspelt property", `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"hi","wrapp":true}]}`, "parser dropped $.body[0].wrapp"},
		{"wrong version", `{"type":"AdaptiveCard","version":"1.6","body":[{"type":"TextBlock","text":"hi"}]}`, `version is "1.6"`},
		{"bad enum value", `{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"hi","size":"huge"}]}`, "huge"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.json")
			if err := os.WriteFile(path, []byte(c.card), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(node, filepath.Join("testdata", "validate.js"), path).CombinedOutput()
			if err == nil {
				t.Fatalf("validate.js accepted the card:\n%s", out)
			}
			if !strings.Contains(string(out), c.want) {
				t.Fatalf("validate.js output lacks %q:\n%s", c.want, out)
			}
		})
	}
}

// nodeTool finds node and the repository's adaptivecards package. Missing
// either skips the test locally and fails it in CI (CI=true).
func nodeTool(t *testing.T) string {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format, args...)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed: the official Adaptive Card parser cannot run")
	}
	root, err := moduleRoot()
	if err != nil {
		missing("no go.mod above the package: %v", err)
	}
	pkg := filepath.Join(root, "node_modules", "adaptivecards", "dist", "adaptivecards.js")
	if _, err := os.Stat(pkg); err != nil {
		missing("the adaptivecards npm package is not installed (%s): run npm ci at the repository root", pkg)
	}
	return node
}

// moduleRoot is the nearest directory above the working directory that
// holds go.mod: where node_modules lives.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
