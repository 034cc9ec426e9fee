package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/m365sim"
	"github.com/stewardhq/steward/m365sim/directory"
)

// apiCall sends a JSON request with a bearer token and decodes the answer.
func apiCall(t *testing.T, method, url, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, url, err, b)
		}
	}
	if resp.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, url, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// simTenant is a simulated tenant of the demo fixture with Steward's demo
// app registration in it.
type simTenant struct {
	directory.Tenant
	AppID, Secret string
}

// demoTenant finds the demo tenant named name (Contoso, Fabrikam) and the
// client id and secret of Steward's app in it.
func demoTenant(t *testing.T, sim *m365sim.Server, name string) simTenant {
	t.Helper()
	var st simTenant
	for _, tn := range sim.Dir.Tenants() {
		if tn.DisplayName == name {
			st.Tenant = tn
		}
	}
	st.AppID = simAppID(sim.Sim)
	apps, _ := sim.Dir.Apps(st.ID)
	for _, a := range apps {
		if a.AppID == st.AppID {
			st.Secret = a.Secrets[0]
		}
	}
	if st.ID == "" || st.Secret == "" {
		t.Fatalf("the simulator's fixture has no tenant %s with Steward's app", name)
	}
	return st
}

// writeSecret writes the tenant's client secret to a 0600 file in dir, as
// an operator hands it to `steward tenants credential`.
func (st simTenant) writeSecret(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "secret")
	if err := os.WriteFile(p, []byte(st.Secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// register prepares a fresh data directory as an operator would: the
// migrations, the keyring, the tenant (as "contoso") and its sealed Graph
// credential.
func (st simTenant) register(t *testing.T, env map[string]string, secretFile string) {
	t.Helper()
	for _, args := range [][]string{
		{"migrate", "up"},
		{"keys", "init"},
		{"tenants", "add", "--id", "contoso", "--name", "Contoso", "--entra-tenant-id", st.ID},
		{"tenants", "credential", "--id", "contoso", "--client-id", st.AppID, "--client-secret-file", secretFile},
	} {
		var out, errOut strings.Builder
		if err := run(context.Background(), append([]string{"steward"}, args...), envFrom(env), &out, &errOut); err != nil {
			t.Fatalf("steward %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
	}
}

// people picks a Global Administrator and two ordinary members of the
// tenant's demo users.
func (st simTenant) people(sim *m365sim.Server) (admin, first, second directory.User) {
	users, _ := sim.Dir.Users(st.ID)
	for _, u := range users {
		switch {
		case admin.ID == "" && strings.Contains(strings.Join(u.Roles, ","), "Global Administrator"):
			admin = u
		case first.ID == "" && u.UserType != "Guest" && len(u.Roles) == 0:
			first = u
		case second.ID == "" && u.UserType != "Guest" && len(u.Roles) == 0:
			second = u
		}
	}
	return admin, first, second
}

// TestTeamRequestEndToEnd runs the product as an operator would: a
// simulator stands in for Microsoft 365, `steward tenants` registers the
// customer and seals its Graph credential, `steward dev` serves the API,
// an administrator publishes a template, a user requests a team through
// /api/v1, and the team appears in the simulator while the request reads
// completed. Another tenant's user cannot see the request.
func TestTeamRequestEndToEnd(t *testing.T) {
	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Options{TeamOperationDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close(context.Background())
	contoso, fabrikam := demoTenant(t, sim, "Contoso"), demoTenant(t, sim, "Fabrikam")
	appID := contoso.AppID
	admin, requester, member := contoso.people(sim)
	fabUsers, _ := sim.Dir.Users(fabrikam.ID)

	dir := t.TempDir()
	env := map[string]string{
		"STEWARD_DEV_MODE": "true", "STEWARD_DATA_DIR": dir, "STEWARD_LISTEN": "127.0.0.1:0",
		"STEWARD_SIMULATOR": "false", "STEWARD_LOGIN_URL": sim.LoginURL(), "STEWARD_GRAPH_URL": sim.GraphURL(),
		"STEWARD_BOT_OPENID_METADATA_URL": sim.BotOpenIDMetadataURL(), "STEWARD_APP_ID": appID,
	}
	contoso.register(t, env, contoso.writeSecret(t, dir))
	ctx := context.Background()
	var out, errOut strings.Builder
	if err := run(ctx, []string{"steward", "tenants", "list"}, envFrom(env), &out, &errOut); err != nil || !strings.Contains(out.String(), "stored") {
		t.Fatalf("tenants list: %v\n%s", err, out.String())
	}
	base, stop := startRun(t, env, "dev")
	defer stop()

	token := func(tid, uid string) string {
		tok, err := sim.Entra.IssueUserToken(tid, uid, appID, appID, []string{"access_as_user"})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	api := base + "/api/v1"
	tpl := map[string]any{"id": "project", "name": "Project", "spec": map[string]any{
		"visibility": "private",
		"channels": []map[string]any{{"name": "Planning", "tabs": []map[string]any{{"name": "Site", "appId": "com.microsoft.teamspace.tab.web",
			"contentUrl": "https://contoso.example/p", "websiteUrl": "https://contoso.example/p"}}}, {"name": "Design"}},
		"apps": []string{"com.microsoft.teamspace.tab.planner"},
	}}
	if st := apiCall(t, "POST", api+"/templates", token(contoso.ID, admin.ID), tpl, nil); st != http.StatusCreated {
		t.Fatalf("create template: %d", st)
	}
	var req struct {
		ID, State, TeamID, DisplayName, FailureReason string
	}
	if st := apiCall(t, "POST", api+"/requests", token(contoso.ID, requester.ID),
		map[string]any{"templateId": "project", "name": "Falcon", "members": []string{member.ID}}, &req); st != http.StatusCreated {
		t.Fatalf("submit: %d", st)
	}
	for deadline := time.Now().Add(30 * time.Second); req.State != "completed" && req.State != "failed" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		apiCall(t, "GET", api+"/requests/"+req.ID, token(contoso.ID, requester.ID), nil, &req)
	}
	if req.State != "completed" || req.TeamID == "" {
		t.Fatalf("request %s: %s %q", req.ID, req.State, req.FailureReason)
	}
	g, err := sim.Dir.Group(contoso.ID, req.TeamID)
	if err != nil || g.DisplayName != req.DisplayName {
		t.Fatalf("the simulator has no team %s named %q: %+v %v", req.TeamID, req.DisplayName, g, err)
	}
	// Fabrikam's users are strangers here: their tenant is not even
	// registered, and the request is invisible to them.
	if st := apiCall(t, "GET", api+"/requests/"+req.ID, token(fabrikam.ID, fabUsers[0].ID), nil, nil); st != http.StatusUnauthorized && st != http.StatusNotFound {
		t.Fatalf("fabrikam reads contoso's request: %d", st)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
