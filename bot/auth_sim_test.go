package bot

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/m365sim/botconnector"
	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/m365sim/simauth"
)

// The demo fixture's tenants and Steward's app registration in both.
const (
	simContoso  = "3ee597ab-4c2e-5cc5-ac18-f87d56474cd8"
	simFabrikam = "20f69448-80e5-5348-a26f-4f6dbac70b82"
	simAppID    = "ec479e2a-537d-587b-a826-ead744bdfc27"
)

// simAnswer is what the test bot answers: the claims, or the refusal.
type simAnswer struct {
	Code     string `json:"code,omitempty"`
	TenantID string `json:"tenantId,omitempty"`
	KeyID    string `json:"keyId,omitempty"`
}

// simBot is the simulated Bot Connector delivering to a bot endpoint whose
// handler authenticates every activity with an Authenticator that serves
// Contoso only.
type simBot struct {
	conn *botconnector.Connector
	dir  *directory.Directory
}

func newSimBot(t *testing.T, now func() time.Time) *simBot {
	t.Helper()
	dir := directory.New(now)
	if err := dir.Load(directory.DemoFixture()); err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.RWMutex
		handler http.Handler = http.NotFoundHandler()
	)
	channel := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.RLock()
		defer mu.RUnlock()
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(channel.Close)
	conn, err := botconnector.New(botconnector.Options{
		BaseURL:  channel.URL,
		Dir:      dir,
		Verifier: simauth.Static{},
		Now:      now,
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	handler = conn.Handler()
	mu.Unlock()

	auth, err := NewAuthenticator(AuthOptions{
		MetadataURL: conn.MetadataURL(),
		AppID:       simAppID,
		HTTPClient:  channel.Client(),
		KnownTenant: func(_ context.Context, tid string) bool { return tid == simContoso },
		Now:         now,
	})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var act Activity
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&act); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		status, answer := http.StatusOK, simAnswer{}
		c, err := auth.Authenticate(r.Context(), r, &act)
		var ae *AuthError
		switch {
		case errors.As(err, &ae):
			status, answer.Code = ae.Status, ae.Code
		case err != nil:
			status, answer.Code = http.StatusInternalServerError, err.Error()
		default:
			answer.TenantID, answer.KeyID = c.TenantID, c.KeyID
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(answer)
	}))
	t.Cleanup(endpoint.Close)
	if _, err := dir.SetBotEndpoint(simAppID, endpoint.URL+"/api/messages"); err != nil {
		t.Fatal(err)
	}
	return &simBot{conn: conn, dir: dir}
}

// message builds a fresh personal-chat message from the tenant's first user
// (Deliver fills the activity in place, so each delivery needs its own).
func (s *simBot) message(t *testing.T, tenantID string) map[string]any {
	t.Helper()
	users, err := s.dir.Users(tenantID)
	if err != nil || len(users) == 0 {
		t.Fatalf("users of %s: %v", tenantID, err)
	}
	conv, err := s.conn.PersonalConversation(tenantID, simAppID, users[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return s.conn.Message(users[0], "hello", conv)
}

// TestAuthAgainstSimulator delivers activities signed by the simulated
// channel (its own keys, metadata and JWKS with endorsements) to a bot
// endpoint that authenticates them: the genuine one passes, each forgery
// fails with its code.
func TestAuthAgainstSimulator(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := newSimBot(t, clock)

	tests := []struct {
		name   string
		tenant string
		opts   botconnector.TokenOptions
		status int
		code   string
	}{
		{name: "genuine", tenant: simContoso, status: http.StatusOK},
		{name: "no token", tenant: simContoso, opts: botconnector.TokenOptions{NoToken: true}, status: 401, code: CodeTokenMissing},
		{name: "key not endorsed for msteams", tenant: simContoso, opts: botconnector.TokenOptions{Unendorsed: true}, status: 401, code: CodeEndorsementMissing},
		{name: "key not in the JWKS", tenant: simContoso, opts: botconnector.TokenOptions{UnknownKey: true}, status: 401, code: CodeKeyUnknown},
		{name: "serviceurl of another service", tenant: simContoso, opts: botconnector.TokenOptions{ServiceURL: "https://attacker.example/amer/"}, status: 401, code: CodeServiceURLMismatch},
		{name: "audience of another bot", tenant: simContoso, opts: botconnector.TokenOptions{Audience: "b0b0b0b0-0000-4000-8000-000000000002"}, status: 401, code: CodeAudienceInvalid},
		{name: "issuer not the channel", tenant: simContoso, opts: botconnector.TokenOptions{Issuer: "https://sts.windows.net/" + simContoso + "/"}, status: 401, code: CodeIssuerInvalid},
		{name: "expired beyond the skew", tenant: simContoso, opts: botconnector.TokenOptions{IssuedAt: now.Add(-time.Hour - 6*time.Minute)}, status: 401, code: CodeTokenExpired},
		{name: "expired within the skew", tenant: simContoso, opts: botconnector.TokenOptions{IssuedAt: now.Add(-time.Hour - 4*time.Minute)}, status: http.StatusOK},
		{name: "not yet valid", tenant: simContoso, opts: botconnector.TokenOptions{IssuedAt: now.Add(10 * time.Minute)}, status: 401, code: CodeTokenNotYetValid},
		{name: "tenant Steward does not serve", tenant: simFabrikam, status: 403, code: CodeTenantUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			status, body, err := s.conn.DeliverWith(ctx, tc.tenant, simAppID, s.message(t, tc.tenant), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got simAnswer
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("answer %q: %v", body, err)
			}
			if status != tc.status || got.Code != tc.code {
				t.Fatalf("got %d %q, want %d %q", status, got.Code, tc.status, tc.code)
			}
			if tc.status == http.StatusOK && (got.TenantID != tc.tenant || got.KeyID == "") {
				t.Errorf("claims: tenant %q key %q, want tenant %s and a key id", got.TenantID, got.KeyID, tc.tenant)
			}
		})
	}
}
