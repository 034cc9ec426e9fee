package m365sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func call(t *testing.T, method, u string, body any, token string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func clientToken(t *testing.T, srv *Server, tenantID, appID, secret, scope string) string {
	t.Helper()
	resp, err := http.PostForm(srv.LoginURL()+"/"+tenantID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {secret}, "scope": {scope}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token for %s: %d %v", scope, resp.StatusCode, err)
	}
	return tok.AccessToken
}

// TestBotRoundTripThroughAdminAPI: a bot registered over the admin API gets
// a Teams message from the simulated channel, obtains a token from the
// simulated Entra ID, and its reply reaches the simulated connector and the
// inspection page.
func TestBotRoundTripThroughAdminAPI(t *testing.T) {
	srv := listen(t)
	contoso := srv.Snapshot().Tenants[0]
	appID := contoso.Apps[0].AppID
	var mu sync.Mutex
	var got []map[string]any
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var act map[string]any
		_ = json.NewDecoder(r.Body).Decode(&act)
		mu.Lock()
		got = append(got, act)
		mu.Unlock()
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		// Reply as a Bot Framework bot does: token from Entra, POST to serviceUrl.
		token := clientToken(t, srv, contoso.ID, appID, "steward-dev-secret-contoso", "https://api.botframework.com/.default")
		conv := act["conversation"].(map[string]any)["id"].(string)
		reply := map[string]any{"type": "message", "text": "echo: " + act["text"].(string), "replyToId": act["id"]}
		status, _ := call(t, "POST", act["serviceUrl"].(string)+"v3/conversations/"+url.PathEscape(conv)+"/activities", reply, token)
		if status != http.StatusCreated && status != http.StatusOK {
			t.Errorf("connector answered the reply with %d", status)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer bot.Close()

	if status, body := call(t, "PUT", srv.BaseURL()+"/admin/bots/"+appID+"/endpoint", map[string]string{"endpoint": bot.URL + "/api/messages"}, ""); status != 200 || body["tenants"] != float64(2) {
		t.Fatalf("set endpoint: %d %v", status, body)
	}
	adele, _ := srv.Dir.User(contoso.ID, "adele.vance@contoso.onmicrosoft.com")
	conv, err := srv.Bot.PersonalConversation(contoso.ID, appID, adele.ID)
	if err != nil {
		t.Fatal(err)
	}
	act := srv.Bot.Message(adele, "hello steward", conv)
	status, body := call(t, "POST", srv.BaseURL()+"/admin/bots/"+appID+"/activities", map[string]any{"tenantId": contoso.ID, "activity": act}, "")
	if status != 200 || body["status"] != float64(200) {
		t.Fatalf("deliver: %d %v", status, body)
	}
	mu.Lock()
	if len(got) != 1 || got[0]["channelId"] != "msteams" || got[0]["text"] != "hello steward" {
		t.Fatalf("bot received %v", got)
	}
	mu.Unlock()
	calls := srv.Bot.Activities(conv.ID)
	if len(calls) != 1 || calls[0].Activity["text"] != "echo: hello steward" {
		t.Fatalf("connector recorded %+v", calls)
	}
	_, page := get(t, srv.InspectURL(), "")
	if !strings.Contains(page, "echo: hello steward") || strings.Contains(page, "&lt;nil&gt;") || strings.Contains(page, "<no value>") {
		t.Fatal("the inspection page does not show the bot's reply cleanly")
	}
}

func TestAdminAPIRefusesBadInput(t *testing.T) {
	srv := listen(t)
	appID := srv.Snapshot().Tenants[0].Apps[0].AppID
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"relative endpoint", "PUT", "/admin/bots/" + appID + "/endpoint", map[string]string{"endpoint": "/api/messages"}, 400, "BadArgument"},
		{"unknown field", "PUT", "/admin/bots/" + appID + "/endpoint", map[string]string{"url": "http://x"}, 400, "BadArgument"},
		{"unknown bot", "PUT", "/admin/bots/00000000-0000-0000-0000-000000000000/endpoint", map[string]string{"endpoint": "http://127.0.0.1:1/api/messages"}, 404, "NotFound"},
		{"activity without tenant", "POST", "/admin/bots/" + appID + "/activities", map[string]any{"activity": map[string]any{"type": "message"}}, 400, "BadArgument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, tt.method, srv.BaseURL()+tt.path, tt.body, "")
			if status != tt.status || body["error"].(map[string]any)["code"] != tt.code {
				t.Fatalf("%d %v", status, body)
			}
		})
	}
}

// TestInspectionShowsTeams creates a team through Graph and finds it, with
// its owner named, on the inspection page.
func TestInspectionShowsTeams(t *testing.T) {
	srv := listen(t)
	contoso := srv.Snapshot().Tenants[0]
	token := clientToken(t, srv, contoso.ID, contoso.Apps[0].AppID, "steward-dev-secret-contoso", "https://graph.microsoft.com/.default")
	adele, _ := srv.Dir.User(contoso.ID, "adele.vance@contoso.onmicrosoft.com")
	team := map[string]any{
		"template@odata.bind": "https://graph.microsoft.com/v1.0/teamsTemplates('standard')",
		"displayName":         "Launch Room", "description": "Product launch",
		"members": []any{map[string]any{"@odata.type": "#microsoft.graph.aadUserConversationMember", "roles": []string{"owner"},
			"user@odata.bind": "https://graph.microsoft.com/v1.0/users('" + adele.ID + "')"}},
	}
	if status, body := call(t, "POST", srv.GraphURL()+"/v1.0/teams", team, token); status != 202 {
		t.Fatalf("POST /teams: %d %v", status, body)
	}
	_, page := get(t, srv.InspectURL(), "")
	for _, want := range []string{"Launch Room", "Adele Vance", "being created", "createTeam"} {
		if !strings.Contains(page, want) {
			t.Errorf("inspection page lacks %q", want)
		}
	}
}
