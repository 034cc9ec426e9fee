package m365sim

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromiumPath is Debian's Chromium (apt-get install chromium); the browser
// tests never download a browser build.
const chromiumPath = "/usr/bin/chromium"

// needBrowser finds node, the npm packages the browser script imports
// (npm ci at the repository root) and Chromium: missing tools skip the test
// locally and fail it in CI.
func needBrowser(t *testing.T) (node, root string) {
	t.Helper()
	missing := func(what, fix string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests: %s (%s)", what, fix)
		}
		t.Skipf("browser tests: %s; %s", what, fix)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	node, err = exec.LookPath("node")
	if err != nil {
		missing("node is not installed", "apt-get install nodejs npm")
	}
	for _, p := range []string{"playwright-core/package.json", "axe-core/axe.min.js"} {
		if _, err := os.Stat(filepath.Join(root, "node_modules", p)); err != nil {
			missing("node_modules/"+p+" is missing", "run npm ci at the repository root")
		}
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		missing(chromiumPath+" is missing", "apt-get install chromium")
	}
	return node, root
}

// browserResult is the JSON line testdata/browser/pages.mjs prints.
type browserResult struct {
	OK          bool                       `json:"ok"`
	Checks      []string                   `json:"checks"`
	Errors      []string                   `json:"errors"`
	Notes       []string                   `json:"notes"`
	Screenshots []string                   `json:"screenshots"`
	Axe         map[string]json.RawMessage `json:"axe"`
}

// TestBrowserPages drives the inspection page and Entra's sign-in pages in
// headless Chromium: content, console and CSP, keyboard operation and focus
// indicators, axe-core (no serious or critical violations), the
// authorization code flow with PKCE through the account picker, login_hint
// and a refused redirect URI. Screenshots go to $STEWARD_ARTIFACTS_DIR when
// set, else to a temporary directory.
func TestBrowserPages(t *testing.T) {
	node, root := needBrowser(t)

	srv, err := Listen("127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})

	snap := srv.Snapshot()
	var tenantID, clientID string
	for _, tv := range snap.Tenants {
		if tv.DisplayName != "Contoso" {
			continue
		}
		tenantID = tv.ID
		for _, a := range tv.Apps {
			if a.DisplayName == "Steward" {
				clientID = a.AppID
			}
		}
	}
	if tenantID == "" || clientID == "" {
		t.Fatalf("demo fixture: no Contoso tenant with the Steward app in %+v", snap.Tenants)
	}

	shots := t.TempDir()
	if dir := os.Getenv("STEWARD_ARTIFACTS_DIR"); dir != "" {
		shots = filepath.Join(dir, "m365sim-browser")
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 160*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "browser", "pages.mjs"))
	cmd.Env = append(os.Environ(),
		"SIM_INSPECT_URL="+srv.InspectURL(),
		"SIM_LOGIN_URL="+srv.LoginURL(),
		"SIM_TENANT_ID="+tenantID,
		"SIM_CLIENT_ID="+clientID,
		"SIM_CLIENT_SECRET=steward-dev-secret-contoso", // the demo fixture's
		"SCREENSHOT_DIR="+shots,
		"AXE_PATH="+filepath.Join(root, "node_modules", "axe-core", "axe.min.js"),
		"CHROMIUM_PATH="+chromiumPath,
		"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1",
	)
	// Chromium talks to node over a pipe and exits when node is killed;
	// WaitDelay stops Wait from hanging on pipes a straggler still holds.
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	runErr := cmd.Wait()

	var res browserResult
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("pages.mjs printed no result (%v, run: %v)\nstdout:\n%s\nstderr:\n%s", err, runErr, stdout.String(), stderr.String())
	}
	// The whole result (with axe-core's findings, minor ones included)
	// beside the screenshots.
	_ = os.WriteFile(filepath.Join(shots, "result.json"), []byte(lines[len(lines)-1]+"\n"), 0o644)
	for _, c := range res.Checks {
		t.Logf("ok: %s", c)
	}
	for _, n := range res.Notes {
		t.Logf("note: %s", n)
	}
	t.Logf("screenshots: %s", strings.Join(res.Screenshots, " "))
	if !res.OK || runErr != nil || len(res.Errors) > 0 {
		t.Fatalf("browser checks failed (run: %v):\n%s\nstderr:\n%s", runErr, strings.Join(res.Errors, "\n"), stderr.String())
	}
	if len(res.Checks) < 40 {
		t.Errorf("only %d checks ran", len(res.Checks))
	}
}
