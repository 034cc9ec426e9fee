package m365sim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func listen(t *testing.T) *Server {
	t.Helper()
	srv, err := Listen("127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	return srv
}

func get(t *testing.T, u, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServicesShareOneDirectoryAndTrust drives the composed simulator the
// way Steward will: a client-credentials token from the simulated Entra ID
// is accepted by the simulated Graph, which serves the same directory.
func TestServicesShareOneDirectoryAndTrust(t *testing.T) {
	srv := listen(t)
	snap := srv.Snapshot()
	if len(snap.Tenants) != 2 || snap.Tenants[0].Domain != "contoso.onmicrosoft.com" {
		t.Fatalf("tenants = %+v", snap.Tenants)
	}
	contoso := snap.Tenants[0]
	app := contoso.Apps[0]

	code, body := get(t, srv.LoginURL()+"/"+contoso.Domain+"/v2.0/.well-known/openid-configuration", "")
	if code != 200 || !strings.Contains(body, `"issuer":"`+srv.LoginURL()+"/"+contoso.ID+`/v2.0"`) {
		t.Fatalf("discovery %d %s", code, body)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {app.AppID},
		"client_secret": {"steward-dev-secret-contoso"}, "scope": {"https://graph.microsoft.com/.default"}}
	resp, err := http.PostForm(srv.LoginURL()+"/"+contoso.ID+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("token endpoint answered %d", resp.StatusCode)
	}
	code, body = get(t, srv.GraphURL()+"/v1.0/users/adele.vance@contoso.onmicrosoft.com", tok.AccessToken)
	if code != 200 || !strings.Contains(body, `"displayName":"Adele Vance"`) {
		t.Fatalf("Graph user %d %s", code, body)
	}
	// Fabrikam's users are not visible with a Contoso token.
	code, _ = get(t, srv.GraphURL()+"/v1.0/users/ana.lima@fabrikam.onmicrosoft.com", tok.AccessToken)
	if code != 404 {
		t.Fatalf("a Contoso token read a Fabrikam user: %d", code)
	}
	code, _ = get(t, srv.GraphURL()+"/v1.0/users", "forged.token.value")
	if code != 401 {
		t.Fatalf("forged token: %d", code)
	}
	code, body = get(t, srv.BotOpenIDMetadataURL(), "")
	if code != 200 || !strings.Contains(body, `"issuer":"https://api.botframework.com"`) {
		t.Fatalf("bot metadata %d %s", code, body)
	}
}

func TestInspection(t *testing.T) {
	srv := listen(t)
	code, body := get(t, srv.InspectURL(), "")
	for _, want := range []string{"Microsoft 365 simulator", "Contoso", "Fabrikam", "Steward Approvers", "Global Administrator", "Adele Vance"} {
		if !strings.Contains(body, want) {
			t.Errorf("inspect page lacks %q", want)
		}
	}
	if code != 200 || strings.Contains(body, "steward-dev-secret") {
		t.Fatalf("inspect page %d (must never show secrets)", code)
	}
	code, body = get(t, srv.BaseURL()+"/inspect/api", "")
	var snap Snapshot
	if code != 200 || json.Unmarshal([]byte(body), &snap) != nil || len(snap.Tenants) != 2 || snap.URLs["graph"] != srv.GraphURL() {
		t.Fatalf("inspect api %d %s", code, body[:min(len(body), 300)])
	}
	if strings.Contains(body, "steward-dev-secret") {
		t.Fatal("inspect api shows client secrets")
	}
	code, body = get(t, srv.BaseURL()+"/inspect/api/tenants/fabrikam.onmicrosoft.com", "")
	if code != 200 || !strings.Contains(body, "Ana Lima") || strings.Contains(body, "Adele Vance") {
		t.Fatalf("tenant view %d", code)
	}
	if code, _ = get(t, srv.BaseURL()+"/inspect/api/tenants/nowhere", ""); code != 404 {
		t.Fatalf("unknown tenant: %d", code)
	}
}

func TestNewRejectsRelativeBaseURL(t *testing.T) {
	if _, err := New(Options{BaseURL: "127.0.0.1:8081"}); err == nil {
		t.Fatal("accepted a base URL without scheme")
	}
}
