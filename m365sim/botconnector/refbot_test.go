package botconnector

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/m365sim/simauth"
)

// needNode finds node and the botbuilder packages (npm install at the
// repository root): missing tools skip the test locally and fail it in CI.
func needNode(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf("reference client: %s (run npm ci at the repository root)", what)
		}
		t.Skipf("reference client: %s; run npm install at the repository root", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	for _, p := range []string{"botbuilder", "botframework-connector", "@azure/msal-node"} {
		if _, err := os.Stat(filepath.Join("..", "..", "node_modules", p, "package.json")); err != nil {
			missing("node_modules/" + p + " is missing")
		}
	}
	return node
}

// tokenServer is a minimal Entra for the bot's outbound client-credentials
// call, over TLS because MSAL only talks to https authorities.
func tokenServer(t *testing.T, tenant, appID, secret, token string) (*httptest.Server, string) {
	t.Helper()
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		base := srv.URL + "/" + r.PathValue("tenant")
		writeJSON(w, 200, map[string]any{
			"issuer":                                base + "/v2.0",
			"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
			"token_endpoint":                        base + "/oauth2/v2.0/token",
			"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
			"jwks_uri":                              base + "/discovery/v2.0/keys",
			"response_types_supported":              []string{"code", "id_token", "token"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		})
	})
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil ||
			r.PathValue("tenant") != tenant ||
			r.PostForm.Get("grant_type") != "client_credentials" ||
			r.PostForm.Get("client_id") != appID ||
			r.PostForm.Get("client_secret") != secret ||
			r.PostForm.Get("scope") != "https://api.botframework.com/.default" {
			writeJSON(w, 400, map[string]any{"error": "invalid_request", "error_description": "unexpected client credentials request: " + r.PostForm.Encode()})
			return
		}
		writeJSON(w, 200, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})
	})
	srv = httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, ca
}

// startRefBot runs testdata/refbot.js and returns its messaging endpoint.
// Its stderr is logged when the test fails or runs verbose.
func startRefBot(t *testing.T, node string, env []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "refbot.js"))
	cmd.Env = env
	var stderr strings.Builder
	var mu sync.Mutex
	cmd.Stderr = writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return stderr.Write(p)
	})
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		mu.Lock()
		defer mu.Unlock()
		if (t.Failed() || testing.Verbose()) && stderr.Len() > 0 {
			t.Logf("refbot stderr:\n%s", stderr.String())
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if port, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				lines <- port
			}
		}
	}()
	select {
	case port := <-lines:
		return "http://127.0.0.1:" + port + "/api/messages"
	case <-time.After(15 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("refbot did not start; stderr:\n%s", stderr.String())
		return ""
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestReferenceBotFramework delivers activities to Microsoft's botbuilder
// (CloudAdapter) and checks that it accepts the simulator's tokens, rejects
// forged ones, and that its reply reaches the simulated connector.
func TestReferenceBotFramework(t *testing.T) {
	node := needNode(t)
	const (
		appID  = "5e1f0b0e-7b1a-4c3e-9d2f-0a1b2c3d4e5f"
		secret = "ref-bot-secret"
		token  = "ref-bot-access-token"
	)
	login, ca := tokenServer(t, tenantID, appID, secret, token)

	dir := directory.New(time.Now)
	must(t, dir.AddTenant(directory.Tenant{ID: tenantID, DisplayName: "Contoso", Domain: "contoso.onmicrosoft.com"}))
	user := directory.User{ID: directory.GUID("user/ref"), DisplayName: "Adele Vance", UserPrincipalName: "adele@contoso.onmicrosoft.com"}
	must(t, dir.AddUser(tenantID, user))

	var conn *Connector
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { conn.Handler().ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	var err error
	conn, err = New(Options{
		BaseURL:  srv.URL,
		Dir:      dir,
		Verifier: simauth.Static{token: {Audience: ConnectorAudience, AppID: appID, TenantID: tenantID}},
		Now:      time.Now, // node checks token lifetimes on the wall clock
	})
	must(t, err)

	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"NODE_EXTRA_CA_CERTS=" + ca,
		"NO_PROXY=127.0.0.1,localhost",
		"BOT_APP_ID=" + appID,
		"BOT_APP_PASSWORD=" + secret,
		"BOT_TENANT_ID=" + tenantID,
		"OPENID_METADATA_URL=" + conn.MetadataURL(),
		"LOGIN_URL=" + login.URL + "/",
	}
	endpoint := startRefBot(t, node, env)
	must(t, dir.AddApp(tenantID, directory.App{AppID: appID, DisplayName: "Reference Bot", Secrets: []string{secret}, BotEndpoint: endpoint}))
	conv, err := conn.PersonalConversation(tenantID, appID, user.ID)
	must(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// (a) botbuilder accepts the simulator's channel token.
	msg := conn.Message(user, "hello", conv)
	status, body, err := conn.Deliver(ctx, tenantID, appID, msg)
	must(t, err)
	if status != http.StatusOK {
		t.Fatalf("botbuilder answered %d %s to a genuine activity", status, body)
	}
	// (b) its echo reached the simulated connector, authenticated.
	var reply *Recorded
	for _, r := range conn.Activities(conv.ID) {
		if r.Method == "POST" && path(r.Activity, "text") == "echo: hello" {
			reply = &r
		}
	}
	if reply == nil {
		data, _ := json.MarshalIndent(conn.Activities(conv.ID), "", "  ")
		t.Fatalf("no echo recorded; calls:\n%s", data)
	}
	if reply.Status != http.StatusCreated || reply.AppID != appID ||
		reply.Path != "v3/conversations/"+conv.ID+"/activities/"+path(msg, "id") ||
		path(reply.Activity, "replyToId") != path(msg, "id") {
		t.Errorf("echo call = %+v", *reply)
	}

	// Forged tokens are refused by the reference client.
	// Forged tokens are refused by the reference client, for the reason
	// expected.
	forged := []struct {
		name, reason string
		opts         TokenOptions
	}{
		{"key not endorsed for msteams", "Could not validate endorsement", TokenOptions{Unendorsed: true}},
		{"serviceurl claim differs from activity.serviceUrl", "ServiceUrl claim do not match", TokenOptions{ServiceURL: "https://smba.trafficmanager.net/amer/"}},
		{"key not in the JWKS", "Signing Key could not be retrieved", TokenOptions{UnknownKey: true}},
		{"audience is another app", "Invalid AppId passed on token", TokenOptions{Audience: "00000000-0000-0000-0000-000000000001"}},
		{"expired", "The token has expired", TokenOptions{IssuedAt: time.Now().Add(-2 * time.Hour)}},
		{"no token", "Request is not authorized", TokenOptions{NoToken: true}},
	}
	for _, f := range forged {
		t.Run(f.name, func(t *testing.T) {
			before := len(conn.Activities(conv.ID))
			status, body, err := conn.DeliverWith(ctx, tenantID, appID, conn.Message(user, "forged", conv), f.opts)
			must(t, err)
			if status != http.StatusUnauthorized && status != http.StatusForbidden {
				t.Fatalf("botbuilder answered %d %s, want 401/403", status, body)
			}
			if after := len(conn.Activities(conv.ID)); after != before {
				t.Errorf("the bot called the connector after a forged activity")
			}
			// CloudAdapter answers with the AuthenticationError's message.
			if !strings.Contains(string(body), f.reason) {
				t.Errorf("botbuilder refused for another reason: %s, want %q", body, f.reason)
			}
		})
	}
}
