package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/m365sim"
	"github.com/stewardhq/steward/m365sim/directory"
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
	root, err := filepath.Abs(filepath.Join("..", ".."))
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

// flowResult is the JSON line testdata/browser/flow.mjs prints last.
type flowResult struct {
	OK          bool                       `json:"ok"`
	Checks      []string                   `json:"checks"`
	Errors      []string                   `json:"errors"`
	Notes       []string                   `json:"notes"`
	Screenshots []string                   `json:"screenshots"`
	Covered     []string                   `json:"covered"`
	Absent      []string                   `json:"absent"`
	Axe         map[string]json.RawMessage `json:"axe"`
	RequestID   string                     `json:"requestId"`
	TeamName    string                     `json:"teamName"`
}

// TestBrowserWebFlow is issue 7's walk through the pages in headless
// Chromium, as three people signed in through the simulator's Entra pages:
// a requester asks for a team with the wizard (live name preview, people
// picker), an approver approves it from the Approvals tab, the requester's
// page follows the request to "Team ready"; an administrator goes through
// the admin center, the Catalog tab, help, preferences (French, dark) and
// an error page. Every page is screenshotted and checked with axe-core (no
// serious or critical violation), for console errors and CSP violations;
// the keyboard's skip link and a 360 px wide Home are checked too. The
// team is then looked up in the simulator. Screenshots and the full result
// go to $STEWARD_ARTIFACTS/web-browser when set, else to a temporary
// directory.
func TestBrowserWebFlow(t *testing.T) {
	node, root := needBrowser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)

	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Options{TeamOperationDelay: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close(context.Background()) })
	contoso := demoTenant(t, sim, "Contoso")
	admin, requester, approver := contoso.people(sim)
	member := pickMember(t, sim, contoso.ID, admin.ID, requester.ID, approver.ID)

	dir := t.TempDir()
	env := map[string]string{
		"STEWARD_DEV_MODE": "true", "STEWARD_DATA_DIR": dir, "STEWARD_LISTEN": "127.0.0.1:0",
		"STEWARD_SIMULATOR": "false", "STEWARD_LOGIN_URL": sim.LoginURL(), "STEWARD_GRAPH_URL": sim.GraphURL(),
		"STEWARD_BOT_OPENID_METADATA_URL": sim.BotOpenIDMetadataURL(), "STEWARD_APP_ID": contoso.AppID,
	}
	contoso.register(t, env, contoso.writeSecret(t, dir))
	base, stop := startRun(t, env, "dev")
	defer stop()
	// Sign-in comes back to this process, on the port it got (steward dev
	// with its own simulator does the same).
	if _, err := sim.Dir.AddRedirectURI(contoso.AppID, base+"/auth/callback"); err != nil {
		t.Fatal(err)
	}

	token := func(uid string) string {
		t.Helper()
		tok, err := sim.Entra.IssueUserToken(contoso.ID, uid, contoso.AppID, contoso.AppID, []string{"access_as_user"})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	// The template everyone sees in the catalog: one approval stage, decided
	// by the approver (not the requester), and a naming prefix the wizard
	// previews live.
	tpl := map[string]any{"id": "project", "name": "Project", "category": "Projects",
		"description": "A private team for a project, with a planning channel.",
		"spec":        map[string]any{"visibility": "private", "channels": []map[string]any{{"name": "Planning"}}},
		"policies": map[string]any{
			"naming": map[string]any{"prefix": "PRJ-"},
			"approval": map[string]any{"stages": []map[string]any{
				{"name": "Manager", "approvers": []map[string]any{{"type": "user", "id": approver.ID}}},
			}},
		}}
	api := base + "/api/v1"
	if st := apiCall(t, "POST", api+"/templates", token(admin.ID), tpl, nil); st != http.StatusCreated {
		t.Fatalf("create template: %d", st)
	}

	out := t.TempDir()
	if dir := os.Getenv("STEWARD_ARTIFACTS"); dir != "" {
		out = filepath.Join(dir, "web-browser")
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots and result.json: %s", out)

	const teamName = "Falcon launch"
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "browser", "flow.mjs"), base, out)
	cmd.Env = append(os.Environ(),
		"FLOW_TENANT_ID="+contoso.ID,
		"FLOW_REQUESTER="+requester.UserPrincipalName, "FLOW_REQUESTER_ID="+requester.ID,
		"FLOW_APPROVER="+approver.UserPrincipalName, "FLOW_APPROVER_ID="+approver.ID,
		"FLOW_ADMIN="+admin.UserPrincipalName, "FLOW_ADMIN_ID="+admin.ID,
		"FLOW_MEMBER_NAME="+member.DisplayName,
		"FLOW_TEMPLATE_NAME=Project", "FLOW_TEAM_NAME="+teamName, "FLOW_NAME_PREFIX=PRJ-",
		"AXE_PATH="+filepath.Join(root, "node_modules", "axe-core", "axe.min.js"),
		"CHROMIUM_PATH="+chromiumPath,
		"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1",
	)
	// Chromium talks to node over a pipe and exits when node is killed;
	// WaitDelay stops Wait from hanging on pipes a straggler still holds.
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	runErr := cmd.Wait()
	t.Logf("flow.mjs ran %.1f s", time.Since(began).Seconds())

	var res flowResult
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	last := lines[len(lines)-1]
	if err := json.Unmarshal([]byte(last), &res); err != nil {
		t.Fatalf("flow.mjs printed no result (%v, run: %v)\nstdout:\n%s\nstderr:\n%s", err, runErr, stdout.String(), stderr.String())
	}
	// The whole result (axe-core's findings, minor ones included) beside
	// the screenshots.
	if err := os.WriteFile(filepath.Join(out, "result.json"), []byte(last+"\n"), 0o644); err != nil {
		t.Error(err)
	}
	for _, c := range res.Checks {
		t.Logf("ok: %s", c)
	}
	for _, n := range res.Notes {
		t.Logf("note: %s", n)
	}
	t.Logf("pages covered: %s; absent (404): %s", strings.Join(res.Covered, " "), strings.Join(res.Absent, " "))
	t.Logf("%d screenshots, %d pages audited with axe-core", len(res.Screenshots), len(res.Axe))
	if !res.OK || runErr != nil || len(res.Errors) > 0 {
		t.Fatalf("browser flow failed (run: %v):\n%s\nstderr:\n%s", runErr, strings.Join(res.Errors, "\n"), stderr.String())
	}
	if len(res.Axe) < 20 || len(res.Screenshots) < len(res.Axe) {
		t.Errorf("only %d pages audited and %d screenshots", len(res.Axe), len(res.Screenshots))
	}

	// What the browser saw is what happened: the request is completed and
	// the simulator has the team, named as previewed, with the people
	// picked in the wizard.
	var req struct {
		ID, State, TeamID, DisplayName string
		Owners, Members                []string
	}
	if st := apiCall(t, "GET", api+"/requests/"+res.RequestID, token(requester.ID), nil, &req); st != http.StatusOK {
		t.Fatalf("read request %q: %d", res.RequestID, st)
	}
	if req.State != "completed" || req.TeamID == "" || req.DisplayName != res.TeamName || res.TeamName != "PRJ-"+teamName {
		t.Fatalf("request %s: state %s, team %q named %q; the browser saw %q", req.ID, req.State, req.TeamID, req.DisplayName, res.TeamName)
	}
	g, err := sim.Dir.Group(contoso.ID, req.TeamID)
	if err != nil {
		t.Fatalf("the simulator has no group %s: %v", req.TeamID, err)
	}
	if g.DisplayName != res.TeamName || !slices.Contains(g.ResourceProvisioningOptions, "Team") {
		t.Errorf("simulator group %s: %q, provisioning options %v; want team %q", g.ID, g.DisplayName, g.ResourceProvisioningOptions, res.TeamName)
	}
	if !slices.Contains(g.Owners, requester.ID) || !slices.Contains(append(g.Members, g.Owners...), member.ID) {
		t.Errorf("simulator team %q: owners %v, members %v; want owner %s and member %s (%s)", g.DisplayName, g.Owners, g.Members, requester.ID, member.ID, member.DisplayName)
	}
}

// pickMember is a demo user of tid, none of the others, whose display name
// is the only one starting with its first five letters (the people picker
// then offers exactly that person).
func pickMember(t *testing.T, sim *m365sim.Server, tid string, not ...string) (u directory.User) {
	t.Helper()
	users, err := sim.Dir.Users(tid)
	if err != nil {
		t.Fatal(err)
	}
	prefix := func(s string) string { return strings.ToLower(string([]rune(s)[:min(5, len([]rune(s)))])) }
	for _, c := range users {
		if slices.Contains(not, c.ID) || c.UserType == "Guest" || len([]rune(c.DisplayName)) < 5 {
			continue
		}
		same := 0
		for _, o := range users {
			if prefix(o.DisplayName) == prefix(c.DisplayName) {
				same++
			}
		}
		if same == 1 {
			return c
		}
	}
	t.Fatalf("no demo user of %s with a unique name prefix", tid)
	return u
}
