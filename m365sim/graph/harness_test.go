package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/stewardhq/steward/m365sim/internal/simclock"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/m365sim/simauth"
)

const (
	tenantA  = "aaaaaaaa-0000-4000-a000-000000000001"
	tenantB  = "bbbbbbbb-0000-4000-a000-000000000002"
	graphAud = "https://graph.microsoft.com"
	appID    = "11111111-0000-4000-a000-00000000a991"
)

type env struct {
	t   *testing.T
	g   *Graph
	dir *directory.Directory
	clk *simclock.Clock
	srv *httptest.Server
}

// Users of tenant A.
var (
	alice = directory.User{ID: directory.GUID("alice"), DisplayName: "Alice Owner", UserPrincipalName: "alice@a.test", Mail: "alice@a.test", AccountEnabled: true}
	bob   = directory.User{ID: directory.GUID("bob"), DisplayName: "Bob Member", UserPrincipalName: "bob@a.test", Mail: "bob@a.test", AccountEnabled: true}
	carol = directory.User{ID: directory.GUID("carol"), DisplayName: "Carol Member", UserPrincipalName: "carol@a.test", Mail: "carol@a.test", AccountEnabled: true}
	guest = directory.User{ID: directory.GUID("guest"), DisplayName: "Gus Guest", UserPrincipalName: "gus_x.test#EXT#@a.test", UserType: "Guest", AccountEnabled: true}
	zed   = directory.User{ID: directory.GUID("zed"), DisplayName: "Zed Other", UserPrincipalName: "zed@b.test", Mail: "zed@b.test", AccountEnabled: true}
)

// allRoles is what a fully consented provisioning app holds.
var allRoles = []string{"Team.Create", "Group.ReadWrite.All", "User.Read.All", "TeamMember.ReadWrite.All", "Channel.Create",
	"TeamsTab.Create", "TeamsAppInstallation.ReadWriteForTeam.All", "TeamSettings.ReadWrite.All", "ChannelMessage.Read.All"}

func tokens() simauth.Static {
	return simauth.Static{
		"app-a":    {TenantID: tenantA, AppID: appID, Audience: graphAud, Roles: allRoles},
		"app-a2":   {TenantID: tenantA, AppID: "22222222-0000-4000-a000-00000000a992", Audience: graphAud, Roles: allRoles},
		"app-b":    {TenantID: tenantB, AppID: appID, Audience: graphAud, Roles: allRoles},
		"app-weak": {TenantID: tenantA, AppID: appID, Audience: graphAud, Roles: []string{"User.ReadBasic.All"}},
		"user-a":   {TenantID: tenantA, AppID: appID, Audience: graphAud, ObjectID: alice.ID, Name: alice.DisplayName, Scopes: []string{"ChannelMessage.Send", "ChannelMessage.Read.All", "Group.Read.All", "User.Read"}},
		"other":    {TenantID: tenantA, AppID: appID, Audience: "api://something-else", Roles: allRoles},
	}
}

func newEnv(t *testing.T, mod func(*Options)) *env {
	t.Helper()
	clk := simclock.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	dir := directory.New(clk.Now)
	must(t, dir.AddTenant(directory.Tenant{ID: tenantA, DisplayName: "A", Domain: "a.test"}))
	must(t, dir.AddTenant(directory.Tenant{ID: tenantB, DisplayName: "B", Domain: "b.test"}))
	for _, u := range []directory.User{alice, bob, carol, guest} {
		must(t, dir.AddUser(tenantA, u))
	}
	must(t, dir.AddUser(tenantB, zed))
	var h http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	opts := Options{BaseURL: srv.URL, Dir: dir, Verifier: tokens(), Now: clk.Now, Seed: 1}
	if mod != nil {
		mod(&opts)
	}
	g, err := New(opts)
	must(t, err)
	h = g.Handler()
	return &env{t: t, g: g, dir: dir, clk: clk, srv: srv}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// do sends a request; body may be nil, a string (raw JSON) or a value.
func (e *env) do(method, path, token string, body any, hdr ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		must(e.t, err)
		rd = bytes.NewReader(buf)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = e.srv.URL + path
	}
	req, err := http.NewRequest(method, url, rd)
	must(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := e.srv.Client().Do(req)
	must(e.t, err)
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &r.body)
	}
	return r
}

// want fails unless the response has status (and, for errors, code).
func (r resp) want(t *testing.T, status int, code ...string) resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.raw)
	}
	if len(code) > 0 {
		if got := r.errCode(); got != code[0] {
			t.Fatalf("error code %q, want %q; body %s", got, code[0], r.raw)
		}
	}
	return r
}

func (r resp) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r resp) errMessage() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

func (r resp) values() []map[string]any {
	list, _ := r.body["value"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, v := range list {
		m, _ := v.(map[string]any)
		out = append(out, m)
	}
	return out
}

func (r resp) str(k string) string { s, _ := r.body[k].(string); return s }

func userBind(id string) string {
	return fmt.Sprintf("https://graph.microsoft.com/v1.0/users('%s')", id)
}

func appBind(id string) string { return "https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/" + id }

const standardTemplate = "https://graph.microsoft.com/v1.0/teamsTemplates('standard')"

func owner(id string) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.aadUserConversationMember", "roles": []string{"owner"}, "user@odata.bind": userBind(id)}
}

func member(id string) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.aadUserConversationMember", "roles": []string{}, "user@odata.bind": userBind(id)}
}

// createTeam creates a team and waits (on the fake clock) until it is ready.
func (e *env) createTeam(name string, extra map[string]any) string {
	e.t.Helper()
	body := map[string]any{"template@odata.bind": standardTemplate, "displayName": name, "members": []any{owner(alice.ID)}}
	for k, v := range extra {
		body[k] = v
	}
	r := e.do("POST", "/v1.0/teams", "app-a", body).want(e.t, 202)
	id := between(r.header.Get("Content-Location"), "/teams('", "')")
	e.clk.Advance(6 * time.Second)
	return id
}

func between(s, a, b string) string {
	_, rest, _ := strings.Cut(s, a)
	out, _, _ := strings.Cut(rest, b)
	return out
}
