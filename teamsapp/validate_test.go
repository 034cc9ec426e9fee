package teamsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/internal/testenv"
)

// needValidator finds node and the repository's node_modules with
// @microsoft/app-manifest (npm install at the module root). Missing tools
// skip the test locally and fail it in CI.
func needValidator(t *testing.T) (node, nodeModules string) {
	t.Helper()
	missing := func(why string) {
		t.Helper()
		if testenv.CI() {
			t.Fatalf("CI=true and the manifest validator cannot run: %s", why)
		}
		t.Skipf("skipping: %s (install Node.js and run npm ci at the repository root)", why)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package directory")
		}
		dir = parent
	}
	nodeModules = filepath.Join(dir, "node_modules")
	for _, p := range []string{"@microsoft/app-manifest", "fs-extra"} {
		if _, err := os.Stat(filepath.Join(nodeModules, p, "package.json")); err != nil {
			missing("node_modules/" + p + " is missing")
		}
	}
	return node, nodeModules
}

// validate writes each package's files to a directory of its own and runs
// testdata/validate.js once on all of them, returning the errors Microsoft's
// schemas report for each package, in order.
func validate(t *testing.T, node, nodeModules string, packages []map[string][]byte) [][]string {
	t.Helper()
	root := t.TempDir()
	dirs := make([]string, len(packages))
	for i, files := range packages {
		dirs[i] = filepath.Join(root, fmt.Sprintf("pkg%02d", i))
		if err := os.Mkdir(dirs[i], 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dirs[i], name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	script, err := filepath.Abs(filepath.Join("testdata", "validate.js"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script}, dirs...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodeModules)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 1) {
		t.Fatalf("validate.js: %v\n%s", err, stderr.String())
	}
	var res struct{ Packages map[string][]string }
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("validate.js printed %q: %v\n%s", out, err, stderr.String())
	}
	results := make([][]string, len(dirs))
	invalid := false
	for i, d := range dirs {
		errs, ok := res.Packages[d]
		if !ok {
			t.Fatalf("validate.js reported nothing for %s", d)
		}
		results[i] = errs
		invalid = invalid || len(errs) > 0
	}
	if (err != nil) != invalid {
		t.Fatalf("validate.js exit status %v disagrees with its results %q", err, results)
	}
	return results
}

// editJSON returns a copy of files with one JSON file changed.
func editJSON(t *testing.T, files map[string][]byte, name string, edit func(map[string]any)) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for k, v := range files {
		out[k] = v
	}
	var m map[string]any
	if err := json.Unmarshal(files[name], &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	out[name] = b
	return out
}

func firstExtCommand(m map[string]any) map[string]any {
	return m["composeExtensions"].([]any)[0].(map[string]any)["commands"].([]any)[0].(map[string]any)
}

// TestValidatesAgainstMicrosoftSchema runs Microsoft's validator, offline,
// on the package Build makes (no errors allowed) and on broken copies of it
// (each must be caught, which proves the validator is really checking).
func TestValidatesAgainstMicrosoftSchema(t *testing.T) {
	node, nodeModules := needValidator(t)
	files := buildTest(t, func(c *Config) {
		c.ValidDomains = []string{"*.crm.example.net", "login.example.org"}
		c.Version = "3.2.1"
	}).Files
	without := func(name string) map[string][]byte {
		out := map[string][]byte{}
		for k, v := range files {
			if k != name {
				out[k] = v
			}
		}
		return out
	}
	tests := []struct {
		name  string
		files map[string][]byte
		want  []string // substrings of the errors; none for a valid package
	}{
		{"built package", files, nil},
		{"dev package on loopback http", buildTest(t, func(c *Config) { c.BaseURL = "http://127.0.0.1:8080"; c.Dev = true }).Files, nil},
		{"missing developer", editJSON(t, files, ManifestFile, func(m map[string]any) { delete(m, "developer") }),
			[]string{"must have required property 'developer'"}},
		{"accent colour not hex", editJSON(t, files, ManifestFile, func(m map[string]any) { m["accentColor"] = "blue" }),
			[]string{"/accentColor must match pattern"}},
		{"bot id not a GUID", editJSON(t, files, ManifestFile, func(m map[string]any) {
			m["bots"].([]any)[0].(map[string]any)["botId"] = "steward-bot"
		}), []string{"/bots/0/botId must match pattern"}},
		{"extension title too long", editJSON(t, files, ManifestFile, func(m map[string]any) {
			firstExtCommand(m)["title"] = strings.Repeat("x", 33)
		}), []string{"/composeExtensions/0/commands/0/title must NOT have more than 32 characters"}},
		{"unknown manifest field", editJSON(t, files, ManifestFile, func(m map[string]any) { m["botId"] = "x" }),
			[]string{"must NOT have additional properties"}},
		{"schema of another version", editJSON(t, files, ManifestFile, func(m map[string]any) {
			m["$schema"] = "https://developer.microsoft.com/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
		}), []string{"$schema is"}},
		{"missing icon", without(OutlineIcon), []string{"icons.outline"}},
		{"missing localization file", without(FrenchFile), []string{"localization file fr.json (fr) is not in the package"}},
		{"french title too long", editJSON(t, files, FrenchFile, func(m map[string]any) {
			m["composeExtensions[0].commands[3].title"] = strings.Repeat("é", 33)
		}), []string{"fr.json: /composeExtensions[0].commands[3].title must NOT have more than 32 characters"}},
		{"french key of no localizable field", editJSON(t, files, FrenchFile, func(m map[string]any) { m["accentColor"] = "#000000" }),
			[]string{`fr.json:  must NOT have additional properties. Details: {"additionalProperty":"accentColor"}`}},
		{"french key of no manifest entry", editJSON(t, files, FrenchFile, func(m map[string]any) { m["staticTabs[9].name"] = "Rien" }),
			[]string{"fr.json: staticTabs[9].name names no text field of manifest.json"}},
		{"french file without required strings", editJSON(t, files, FrenchFile, func(m map[string]any) { delete(m, "description.full") }),
			[]string{"must have required property 'description.full'"}},
	}
	packages := make([]map[string][]byte, len(tests))
	for i, tt := range tests {
		packages[i] = tt.files
	}
	results := validate(t, node, nodeModules, packages)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := results[i]
			if tt.want == nil {
				if len(errs) > 0 {
					t.Fatalf("Microsoft's schema reports:\n  %s", strings.Join(errs, "\n  "))
				}
				return
			}
			all := strings.Join(errs, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("no error says %q; got:\n%s", w, all)
				}
			}
		})
	}
}
