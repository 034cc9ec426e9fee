package botconnector

import (
	"bytes"
	"encoding/json"
	"github.com/stewardhq/steward/m365sim/internal/simclock"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/m365sim/simauth"
)

const (
	tenantID   = "3ee597ab-4c2e-5cc5-ac18-f87d56474cd8"
	botAppID   = "b0b0b0b0-0000-4000-8000-000000000001"
	otherBotID = "b0b0b0b0-0000-4000-8000-000000000002"
	plainAppID = "a0a0a0a0-0000-4000-8000-000000000003"

	botToken   = "bot-token"
	otherToken = "other-bot-token"
	graphToken = "graph-audience-token"
	plainToken = "not-a-bot-token"
)

// botRequest is what the test bot received.
type botRequest struct {
	Header   http.Header
	Activity map[string]any
}

type env struct {
	t      *testing.T
	clock  *simclock.Clock
	dir    *directory.Directory
	conn   *Connector
	srv    *httptest.Server // the connector
	bot    *httptest.Server // the test bot's messaging endpoint
	users  []directory.User
	group  directory.Group
	mu     sync.Mutex
	got    []botRequest
	answer func(a map[string]any) (int, any)
}

func (e *env) received() []botRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]botRequest(nil), e.got...)
}

// newEnv builds a tenant with users, a team, two bots and a plain app, a
// connector on an httptest server and a bot endpoint that records what it
// receives and answers 200 {} (or e.answer).
func newEnv(t *testing.T, limits ThreadLimits) *env {
	t.Helper()
	e := &env{t: t, clock: simclock.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))}
	e.dir = directory.New(e.clock.Now)
	e.bot = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var a map[string]any
		data, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(data, &a)
		e.mu.Lock()
		e.got = append(e.got, botRequest{Header: r.Header.Clone(), Activity: a})
		answer := e.answer
		e.mu.Unlock()
		status, body := http.StatusOK, any(map[string]any{})
		if answer != nil {
			status, body = answer(a)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(e.bot.Close)

	must(t, e.dir.AddTenant(directory.Tenant{ID: tenantID, DisplayName: "Contoso", Domain: "contoso.onmicrosoft.com"}))
	for i, n := range []string{"Adele Vance", "Alex Wilber", "Megan Bowen", "Nestor Wilke", "Grady Archie"} {
		upn := string(rune('a'+i)) + ".user@contoso.onmicrosoft.com"
		u := directory.User{ID: directory.GUID("user/" + n), DisplayName: n, UserPrincipalName: upn, Mail: upn}
		if i == 4 {
			u.UserType = "Guest"
		}
		must(t, e.dir.AddUser(tenantID, u))
		u, _ = e.dir.User(tenantID, u.ID)
		e.users = append(e.users, u)
	}
	must(t, e.dir.AddApp(tenantID, directory.App{AppID: botAppID, DisplayName: "Steward", BotEndpoint: e.bot.URL + "/api/messages"}))
	must(t, e.dir.AddApp(tenantID, directory.App{AppID: otherBotID, DisplayName: "Other Bot", BotEndpoint: e.bot.URL + "/other"}))
	must(t, e.dir.AddApp(tenantID, directory.App{AppID: plainAppID, DisplayName: "Not a bot"}))
	g, err := e.dir.CreateGroup(tenantID, directory.Group{
		DisplayName: "Project Falcon", MailNickname: "falcon", GroupTypes: []string{"Unified"},
		Owners: []string{e.users[0].ID}, Members: []string{e.users[0].ID, e.users[1].ID, e.users[2].ID, e.users[4].ID},
	})
	must(t, err)
	e.group = g

	verifier := simauth.Static{
		botToken:   {Audience: ConnectorAudience, AppID: botAppID, TenantID: tenantID},
		otherToken: {Audience: ConnectorAudience, AppID: otherBotID, TenantID: tenantID},
		graphToken: {Audience: "https://graph.microsoft.com", AppID: botAppID, TenantID: tenantID},
		plainToken: {Audience: ConnectorAudience, AppID: plainAppID, TenantID: tenantID},
	}
	var h http.Handler = http.NotFoundHandler()
	var hmu sync.RWMutex
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hmu.RLock()
		defer hmu.RUnlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.conn, err = New(Options{BaseURL: e.srv.URL, Dir: e.dir, Verifier: verifier, Now: e.clock.Now, Limits: limits})
	must(t, err)
	hmu.Lock()
	h = e.conn.Handler()
	hmu.Unlock()
	return e
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// call makes a request to the connector's serviceUrl + rel with token.
func (e *env) call(method, rel, token string, body any) (int, http.Header, map[string]any, []any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		must(e.t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.conn.ServiceURL()+rel, rd)
	must(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	must(e.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	must(e.t, err)
	var obj map[string]any
	var arr []any
	if len(bytes.TrimSpace(data)) > 0 {
		if data[0] == '[' {
			must(e.t, json.Unmarshal(data, &arr))
		} else if err := json.Unmarshal(data, &obj); err != nil {
			e.t.Fatalf("%s %s: body %q is not JSON: %v", method, rel, data, err)
		}
	}
	return resp.StatusCode, resp.Header, obj, arr
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	must(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct == "" || ct[:16] != "application/json" {
		t.Fatalf("GET %s: Content-Type %q", url, ct)
	}
	must(t, json.NewDecoder(resp.Body).Decode(v))
}
