package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/m365sim"
	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/trust"
)

// fixtureGranting is the demo fixture with Steward's app registration
// granted exactly roles (admin consent to the application permissions).
func fixtureGranting(t *testing.T, roles []string) *directory.Fixture {
	t.Helper()
	fx := directory.DemoFixture()
	granted := 0
	for i := range fx.Tenants {
		for j := range fx.Tenants[i].Apps {
			if fx.Tenants[i].Apps[j].DisplayName == stewardApp {
				fx.Tenants[i].Apps[j].AppRoles = slices.Clone(roles)
				granted++
			}
		}
	}
	if granted == 0 {
		t.Fatal("the demo fixture has no Steward app registration")
	}
	return &fx
}

// startLogged is startRun keeping the process's log for the test.
func startLogged(t *testing.T, env map[string]string, args ...string) (base string, logs *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"steward"}, args...), envFrom(env), stdout, stderr) }()
	readiness := regexp.MustCompile(`Readiness: (https?://\S+)/readyz`)
	for deadline := time.Now().Add(15 * time.Second); base == "" && time.Now().Before(deadline); {
		if m := readiness.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("steward exited before it was ready: %v\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("steward announced no URL within 15 s\n%s", stderr.String())
	}
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(20 * time.Second):
				runErr = context.DeadlineExceeded
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return base, stderr, stop
}

// TestDeclaredPermissionsAndDestinationsCoverARun runs Steward against the
// simulator with its app registration granted exactly the application
// permissions trust.GraphPermissions declares, and walks the paths that
// call Microsoft Graph: a team requested and provisioned from a template
// with channels, a tab and an app, a template copied from that team, the
// bot (its principal's memberships) and a webhook. (The requested members
// go in the POST /teams body; members/add, the lifecycle and the
// membership reconciler are not on this path.) Then:
//
//	(a) everything succeeds with those permissions: a missing declaration
//	    makes Graph answer 403 and the provisioning fail;
//	(b) every Graph route the simulator served is one a declared permission
//	    names, and none was refused;
//	(c) every outbound request went to a declared destination: the
//	    allowlist refuses others, so the log has no refusal, and the only
//	    hosts reached are the simulator and the registered webhook. (The
//	    simulator serves every Microsoft service on one host:port, so here
//	    one declaration admits them all; TestTrustCommandJSON checks the
//	    per-service list of a production configuration.)
func TestDeclaredPermissionsAndDestinationsCoverARun(t *testing.T) {
	rec := &m365sim.Recorder{}
	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Options{
		TeamOperationDelay: 100 * time.Millisecond, Recorder: rec,
		Fixture: fixtureGranting(t, trust.ApplicationPermissionNames()),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close(context.Background())
	contoso := demoTenant(t, sim, "Contoso")
	appID := contoso.AppID
	admin, requester, member := contoso.people(sim)
	if app, err := sim.Dir.App(contoso.ID, appID); err != nil || !slices.Equal(app.AppRoles, trust.ApplicationPermissionNames()) {
		t.Fatalf("the app is granted %v, want exactly %v (%v)", app.AppRoles, trust.ApplicationPermissionNames(), err)
	}

	var hookMu sync.Mutex
	var hookEvents []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hookMu.Lock()
		hookEvents = append(hookEvents, r.Header.Get("X-Steward-Event"))
		hookMu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()

	dir := t.TempDir()
	secretFile := contoso.writeSecret(t, dir)
	env := map[string]string{
		"STEWARD_DEV_MODE": "true", "STEWARD_DATA_DIR": dir, "STEWARD_LISTEN": "127.0.0.1:0",
		"STEWARD_SIMULATOR": "false", "STEWARD_LOGIN_URL": sim.LoginURL(), "STEWARD_GRAPH_URL": sim.GraphURL(),
		"STEWARD_BOT_OPENID_METADATA_URL": sim.BotOpenIDMetadataURL(), "STEWARD_APP_ID": appID,
		"STEWARD_TEAMS_APP_ID": "5e7ea4d0-57e3-4c1a-9d2e-7e5a1f0c0077", "STEWARD_BOT_TENANT_ID": contoso.ID,
		"STEWARD_BOT_SECRET_FILE": secretFile, "STEWARD_BOT_SERVICE_URLS": sim.ServiceURL(), "STEWARD_LOG_LEVEL": "debug",
	}
	contoso.register(t, env, secretFile)
	base, logs, stop := startLogged(t, env, "dev")
	if _, err := sim.Dir.SetBotEndpoint(appID, base+"/api/messages"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	token := func(uid string) string {
		tok, err := sim.Entra.IssueUserToken(contoso.ID, uid, appID, appID, []string{"access_as_user"})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	api := base + "/api/v1"

	// A webhook: its host is declared by registering it.
	if st := apiCall(t, "POST", api+"/webhooks", token(admin.ID), map[string]any{"url": hook.URL + "/steward", "events": []string{"*"}}, nil); st != http.StatusCreated {
		t.Fatalf("create webhook: %d", st)
	}
	// The bot: installing it resolves the user's principal from Graph
	// (transitiveMemberOf) and posts a welcome card through the connector.
	conv, err := sim.Bot.PersonalConversation(contoso.ID, appID, requester.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st, body, err := sim.Bot.Deliver(ctx, contoso.ID, appID, sim.Bot.InstallationUpdate(conv, requester, "add")); err != nil || st >= 300 {
		t.Fatalf("install: %d %s %v", st, body, err)
	}
	waitCard(t, sim, conv.ID, "welcome card", false, "Steward")
	// Asking for one's approvals needs the principal: groups and directory
	// roles from Graph.
	if st, body, err := sim.Bot.Deliver(ctx, contoso.ID, appID, sim.Bot.Message(requester, "approvals", conv)); err != nil || st >= 300 {
		t.Fatalf("message: %d %s %v", st, body, err)
	}

	tpl := map[string]any{"id": "project", "name": "Project", "spec": map[string]any{
		"visibility": "private",
		"channels": []map[string]any{{"name": "Planning", "tabs": []map[string]any{{"name": "Site", "appId": "com.microsoft.teamspace.tab.web",
			"contentUrl": "https://contoso.example/p", "websiteUrl": "https://contoso.example/p"}}}, {"name": "Design"}},
		"apps": []string{"com.microsoft.teamspace.tab.planner"},
	}}
	if st := apiCall(t, "POST", api+"/templates", token(admin.ID), tpl, nil); st != http.StatusCreated {
		t.Fatalf("create template: %d", st)
	}
	var req struct{ ID, State, TeamID, FailureReason string }
	if st := apiCall(t, "POST", api+"/requests", token(requester.ID),
		map[string]any{"templateId": "project", "name": "Osprey", "members": []string{member.ID}}, &req); st != http.StatusCreated {
		t.Fatalf("submit: %d", st)
	}
	for deadline := time.Now().Add(30 * time.Second); req.State != "completed" && req.State != "failed" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		apiCall(t, "GET", api+"/requests/"+req.ID, token(requester.ID), nil, &req)
	}
	// (a) The provisioning path works with exactly the declared permissions.
	if req.State != "completed" || req.TeamID == "" {
		t.Fatalf("request %s: %s %q\n%s", req.ID, req.State, req.FailureReason, logs.String())
	}
	if st := apiCall(t, "POST", api+"/templates/from-team", token(admin.ID),
		map[string]any{"teamId": req.TeamID, "id": "osprey-copy", "name": "Osprey copy"}, nil); st != http.StatusCreated {
		t.Fatalf("template from team: %d", st)
	}
	waitCard(t, sim, conv.ID, "completion card", false, req.TeamID)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		hookMu.Lock()
		n := len(hookEvents)
		hookMu.Unlock()
		if n > 0 {
			break
		}
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// (b) Every Graph route served is declared, and none was refused.
	served := map[string]int{}
	services := map[string]int{}
	for _, c := range rec.Calls() {
		services[c.Service]++
		if c.Service != "graph" || (c.Path == "/$batch" && !c.Batched) {
			continue
		}
		route := c.Method + " " + c.Path
		if c.Status == http.StatusForbidden {
			t.Errorf("Graph refused %s with 403: the declared permissions do not cover it", route)
		}
		if len(trust.CoveringPermissions(c.Method, c.Path)) == 0 {
			t.Errorf("%s was called but no declared permission names it: add it to trust.GraphPermissions", route)
		}
		served[routeShape(c.Method, c.Path)]++
	}
	// The walk must have reached the calls it is meant to check.
	for _, want := range []string{"POST /teams", "GET /teams/{}/operations/{}", "GET /users/{}",
		"GET /users/{}/transitiveMemberOf", "GET /groups", "GET /teams/{}/channels/{}/tabs", "GET /teams/{}/installedApps", "GET /teams/{}/primaryChannel"} {
		if served[want] == 0 {
			t.Errorf("the run never called %s: the coverage walk is incomplete (served: %v)", want, served)
		}
	}

	// (c) No undeclared destination was attempted, and the hosts reached
	// are the declared ones.
	if strings.Contains(logs.String(), "egress_destination_undeclared") {
		t.Errorf("Steward tried an undeclared destination:\n%s", logs.String())
	}
	for _, s := range []string{"login", "graph", "botframework", "connector"} {
		if services[s] == 0 {
			t.Errorf("no request reached the simulator's %s service: %v", s, services)
		}
	}
	hookMu.Lock()
	defer hookMu.Unlock()
	if len(hookEvents) == 0 {
		t.Error("the registered webhook received nothing: its host was not admitted")
	}
	t.Logf("allowed hosts reached: 2 (simulator %s: %v; webhook %s: %d events); %d distinct Graph routes: %v",
		sim.Addr(), services, hook.Listener.Addr(), len(hookEvents), len(served), served)
}

// routeShape replaces a path's ids by {} so routes can be counted.
func routeShape(method, path string) string {
	known := map[string]bool{"teams": true, "groups": true, "users": true, "channels": true, "tabs": true, "installedApps": true,
		"members": true, "owners": true, "operations": true, "primaryChannel": true, "transitiveMemberOf": true, "add": true,
		"delta": true, "photo": true, "$value": true, "messages": true, "archive": true, "unarchive": true, "$batch": true}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if !known[s] {
			segs[i] = "{}"
		}
	}
	return method + " /" + strings.Join(segs, "/")
}
