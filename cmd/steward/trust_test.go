package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/trust"
)

// runTrustCmd runs `steward trust` with env and args.
func runTrustCmd(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errOut strings.Builder
	err := run(context.Background(), append([]string{"steward", "trust"}, args...), envFrom(env), &out, &errOut)
	if err != nil && errOut.Len() > 0 {
		err = errors.Join(err, errors.New(errOut.String()))
	}
	return out.String(), err
}

// productionEnv is a production configuration with the bot and tracing on.
var productionEnv = map[string]string{
	"STEWARD_APP_ID":        "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21",
	"STEWARD_TEAMS_APP_ID":  "5e7ea4d0-57e3-4c1a-9d2e-7e5a1f0c0001",
	"STEWARD_OTLP_ENDPOINT": "http://otel-collector.internal:4318",
}

func TestTrustCommandJSON(t *testing.T) {
	out, err := runTrustCmd(t, productionEnv, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema       string `json:"schema"`
		Destinations []struct {
			Purpose      string             `json:"purpose"`
			Destinations []edge.Destination `json:"destinations"`
		} `json:"destinations"`
		GraphPermissions []trust.Permission   `json:"graphPermissions"`
		Data             []trust.DataCategory `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	got := map[string][]string{}
	for _, g := range doc.Destinations {
		for _, d := range g.Destinations {
			host := d.Address()
			if d.Browser() {
				host += " browser"
			}
			got[g.Purpose] = append(got[g.Purpose], host)
		}
	}
	want := map[string][]string{
		"microsoft-identity": {"login.microsoftonline.com (443, or 80 for http)"},
		"microsoft-graph":    {"graph.microsoft.com (443, or 80 for http)"},
		"bot-framework": {"login.botframework.com (443, or 80 for http)", "login.microsoftonline.com (443, or 80 for http)",
			"smba.trafficmanager.net (443, or 80 for http)"},
		"teams-cdn": {"res.cdn.office.net (443, or 80 for http) browser"},
		"webhooks":  {"registered at run time"},
		"telemetry": {"otel-collector.internal:4318"},
	}
	if len(got) != len(want) {
		t.Fatalf("purposes %v, want %v", got, want)
	}
	for p, w := range want {
		if strings.Join(got[p], ", ") != strings.Join(w, ", ") {
			t.Errorf("%s: %v, want %v", p, got[p], w)
		}
	}
	if len(doc.GraphPermissions) != len(trust.GraphPermissions()) || doc.Schema != trust.JSONSchema {
		t.Fatalf("%d permissions, schema %q", len(doc.GraphPermissions), doc.Schema)
	}
	tables := 0
	for _, c := range doc.Data {
		tables += len(c.Stored)
	}
	if tables != len(store.DataDeclarations()) {
		t.Fatalf("%d stored tables published, the store declares %d", tables, len(store.DataDeclarations()))
	}
}

func TestTrustCommandTextAndPAC(t *testing.T) {
	txt, err := runTrustCmd(t, productionEnv)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DESTINATIONS", "Bot Framework [bot-framework]", "smba.trafficmanager.net", "User.Read.All", "stored in audit_events", "minimum TLS 1.2"} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	pac, err := runTrustCmd(t, productionEnv, "--format", "pac", "--pac-blocked", "PROXY proxy.corp.example:3128")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`shExpMatch(host, "graph.microsoft.com") && defaultPort`, `shExpMatch(host, "otel-collector.internal") && port == 4318`, `return "PROXY proxy.corp.example:3128";`} {
		if !strings.Contains(pac, want) {
			t.Errorf("PAC lacks %s:\n%s", want, pac)
		}
	}
	// Without the bot, its destinations are not declared (nor reachable).
	noBot := map[string]string{"STEWARD_APP_ID": productionEnv["STEWARD_APP_ID"]}
	txt, err = runTrustCmd(t, noBot)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(txt, "botframework") || strings.Contains(txt, "trafficmanager") || strings.Contains(txt, "[telemetry]") {
		t.Fatalf("bot or telemetry destinations declared while off:\n%s", txt)
	}
}

func TestTrustCommandDevSimulator(t *testing.T) {
	env := map[string]string{"STEWARD_DEV_MODE": "true", "STEWARD_SIMULATOR_LISTEN": "127.0.0.1:18081"}
	out, err := runTrustCmd(t, env, "--format", "pac")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, `shExpMatch(host, "127.0.0.1") && port == 18081`) || strings.Contains(out, "microsoft.com\"") {
		t.Fatalf("dev's destination is not the simulator:\n%s", out)
	}
	env["STEWARD_SIMULATOR_LISTEN"] = "127.0.0.1:0"
	if _, err := runTrustCmd(t, env); err == nil || !strings.Contains(err.Error(), "set a fixed port") {
		t.Fatalf("port 0: %v", err)
	}
}

func TestTrustCommandRefusesBadInput(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--format", "yaml"}, productionEnv, "expected text, json or pac"},
		{[]string{"--format", "pac", "--pac-blocked", "BLOCK ALL"}, productionEnv, "trust_pac_result_invalid"},
		{[]string{"extra"}, productionEnv, "unexpected arguments"},
		{nil, map[string]string{"STEWARD_GRAPH_URL": "ftp://graph"}, "graph_url"},
	}
	for _, tt := range tests {
		_, err := runTrustCmd(t, tt.env, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("trust %v: %v, want an error saying %q", tt.args, err, tt.want)
		}
	}
}

// TestStoreCategoriesArePublished: every category the store declares is
// one the trust center titles (none falls into an untitled group).
func TestStoreCategoriesArePublished(t *testing.T) {
	known := map[string]bool{}
	for _, c := range trust.DataInventory(nil) {
		known[c.Key] = true
	}
	for _, d := range store.DataDeclarations() {
		if !known[d.Category] {
			t.Errorf("table %s: category %q has no title or description in trust/data.go", d.Table, d.Category)
		}
	}
}

func TestEgressDestinationsDedupeTheServiceURL(t *testing.T) {
	cfg := Config{LoginURL: microsoftLoginURL, GraphURL: microsoftGraphURL, BotOpenIDMetadataURL: botFrameworkOpenIDMetadata,
		TeamsAppID: "5e7ea4d0-57e3-4c1a-9d2e-7e5a1f0c0001", BotServiceURLs: []string{teamsServiceURL, "https://smba.infra.gcc.teams.microsoft.com/"}}
	ds, err := egressDestinations(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range ds {
		if d.Host == "smba.trafficmanager.net" {
			n++
		}
	}
	if n != 1 || len(ds) != 8 {
		t.Fatalf("%d smba entries, %d destinations: %+v", n, len(ds), ds)
	}
	if _, err := edge.NewAllowlist(ds, newWebhookHosts(&fakeWebhooks{}, time.Now)); err != nil {
		t.Fatal(err)
	}
}

// fakeWebhooks lists webhooks per tenant and counts loads.
type fakeWebhooks struct {
	mu    sync.Mutex
	subs  map[string][]governance.WebhookSubscription
	loads int
	err   error
}

func (f *fakeWebhooks) TenantIDs(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.loads++
	var ids []string
	for id := range f.subs {
		ids = append(ids, id)
	}
	return ids, f.err
}

func (f *fakeWebhooks) Webhooks(_ context.Context, tenantID string) ([]governance.WebhookSubscription, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.subs[tenantID], nil
}

func (f *fakeWebhooks) set(tenant string, urls ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var subs []governance.WebhookSubscription
	for _, u := range urls {
		subs = append(subs, governance.WebhookSubscription{TenantID: tenant, URL: u})
	}
	f.subs[tenant] = subs
}

func TestWebhookHosts(t *testing.T) {
	clock := testenv.NewClockAt(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	db := &fakeWebhooks{subs: map[string][]governance.WebhookSubscription{}}
	src := newWebhookHosts(db, clock.Now)
	ctx := context.Background()
	allows := func(authority string) bool {
		t.Helper()
		ok, err := src.AllowsHost(ctx, authority)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if allows("hooks.example.com:443") {
		t.Fatal("allowed before registration")
	}
	db.set("contoso", "https://Hooks.Example.com./steward", "https://other.example.net:8443/x")
	db.set("fabrikam", "http://127.0.0.1:9000/hook")
	for _, a := range []string{"hooks.example.com:443", "other.example.net:8443", "127.0.0.1:9000"} {
		if !allows(a) {
			t.Errorf("%s refused after registration", a)
		}
	}
	for _, a := range []string{"hooks.example.com:80", "other.example.net:443", "example.com:443"} {
		if allows(a) {
			t.Errorf("%s allowed", a)
		}
	}
	loads := db.loads
	allows("hooks.example.com:443")
	if db.loads != loads {
		t.Fatal("a hit within the TTL reloaded")
	}
	// Deleted: still admitted within the TTL, refused after it.
	db.set("contoso")
	clock.Advance(webhookHostsTTL + time.Second)
	if allows("hooks.example.com:443") {
		t.Fatal("a deleted webhook's host is still admitted after the TTL")
	}
	db.err = errors.New("database down")
	if _, err := src.AllowsHost(ctx, "new.example.com:443"); err == nil {
		t.Fatal("a failing store admitted or refused silently")
	}
}
