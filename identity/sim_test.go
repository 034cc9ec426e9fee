package identity

import (
	"context"
	"crypto/rand"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/m365sim"
	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/store"
)

// The store is what cmd wires in; it must fit the consumer interfaces.
var (
	_ TenantResolver      = (*store.DB)(nil)
	_ APIKeyAuthenticator = (*store.DB)(nil)
)

// simEnv is an Authenticator trusting the in-process Microsoft 365
// simulator, with Contoso registered in a real SQLite store and Fabrikam
// not registered at all.
type simEnv struct {
	sim      *m365sim.Server
	db       *store.DB
	clock    *clock
	count    *countingTransport
	auth     *Authenticator
	contoso  directory.Tenant
	fabrikam directory.Tenant
	appID    string
	aud      string // the App ID URI, as Teams SSO tokens carry it
	pepper   []byte
}

func newSimEnv(t *testing.T, roles RoleSource) *simEnv {
	t.Helper()
	e := &simEnv{clock: newClock(), count: &countingTransport{base: http.DefaultTransport}}
	srv, err := m365sim.Listen("127.0.0.1:0", m365sim.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	e.sim = srv
	for _, tn := range srv.Dir.Tenants() {
		switch tn.Domain {
		case "contoso.onmicrosoft.com":
			e.contoso = tn
		case "fabrikam.onmicrosoft.com":
			e.fabrikam = tn
		}
	}
	apps, err := srv.Dir.Apps(e.contoso.ID)
	if err != nil || len(apps) == 0 {
		t.Fatalf("apps of Contoso: %v %v", apps, err)
	}
	e.appID = apps[0].AppID
	e.aud = "api://localhost/" + e.appID

	ctx := t.Context()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), store.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateTenant(ctx, governance.Tenant{ID: "contoso", Name: "Contoso", EntraTenantID: e.contoso.ID}); err != nil {
		t.Fatal(err)
	}
	e.db = db
	e.pepper = make([]byte, governance.APIKeyPepperSize)
	if _, err := rand.Read(e.pepper); err != nil {
		t.Fatal(err)
	}
	e.auth, err = New(Options{
		LoginURL:   srv.LoginURL(),
		Audiences:  []string{e.appID, e.aud},
		HTTPClient: &http.Client{Transport: e.count, Timeout: 5 * time.Second},
		Tenants:    db,
		Roles:      roles,
		APIKeys:    db,
		Pepper:     e.pepper,
		Now:        e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// userWithRole finds a user of tenant tid holding an Entra directory role.
func (e *simEnv) userWithRole(t *testing.T, tid, role string) directory.User {
	t.Helper()
	users, err := e.sim.Dir.Users(tid)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if slices.Contains(u.Roles, role) {
			return u
		}
	}
	t.Fatalf("no %s in tenant %s", role, tid)
	return directory.User{}
}

func (e *simEnv) userToken(t *testing.T, tid, userID, aud string) string {
	t.Helper()
	tok, err := e.sim.Entra.IssueUserToken(tid, userID, e.appID, aud, []string{"access_as_user"})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestSimDelegatedToken signs in the demo fixture's Global Administrator
// with a token the simulated Entra ID issued, resolved through the real
// store.
func TestSimDelegatedToken(t *testing.T) {
	admin := directory.User{}
	roles := roleSourceFunc(func(tenantID string) []governance.RoleAssignment {
		return []governance.RoleAssignment{{TenantID: tenantID, Role: governance.RoleCatalogManager, SubjectType: "user", SubjectID: admin.ID}}
	})
	e := newSimEnv(t, roles)
	admin = e.userWithRole(t, e.contoso.ID, "Global Administrator")
	tok := e.userToken(t, e.contoso.ID, admin.ID, e.aud)

	c, err := e.auth.ValidateToken(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.auth.Authenticate(t.Context(), bearerRequest(tok))
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != governance.PrincipalUser || p.TenantID != "contoso" || p.ID != admin.ID ||
		p.UPN != admin.UserPrincipalName || p.Name != admin.DisplayName {
		t.Fatalf("principal = %+v", p)
	}
	if !slices.Contains(p.Roles, governance.RoleCatalogManager) {
		t.Fatalf("roles %v lack the user assignment", p.Roles)
	}
	// The simulator, like Entra, puts the directory roles' template ids in
	// wids: the demo's Global Administrator is a Steward administrator.
	if !slices.Contains(c.Wids, governance.EntraGlobalAdministratorID) || !slices.Contains(p.Roles, governance.RoleAdministrator) {
		t.Fatalf("roles %v with wids %v: a Global Administrator must be a Steward administrator", p.Roles, c.Wids)
	}
	// The demo app asks for security groups: the approver group (which the
	// admin owns) reaches the principal, so group-based roles and approvals work.
	if approvers := directory.GUID("group/contoso/steward-approvers"); !slices.Contains(p.Groups, approvers) {
		t.Fatalf("principal groups %v lack Steward Approvers %s", p.Groups, approvers)
	}
}

type roleSourceFunc func(tenantID string) []governance.RoleAssignment

func (f roleSourceFunc) RoleAssignments(_ context.Context, tenantID string) ([]governance.RoleAssignment, error) {
	return f(tenantID), nil
}

// TestSimRejections: tokens the simulated Entra ID really issues, but
// which Steward must not accept.
func TestSimRejections(t *testing.T) {
	e := newSimEnv(t, nil)
	user := e.userWithRole(t, e.contoso.ID, "Teams Administrator")

	t.Run("wrong audience", func(t *testing.T) {
		p, err := e.auth.Authenticate(t.Context(), bearerRequest(e.userToken(t, e.contoso.ID, user.ID, "api://elsewhere/"+e.appID)))
		wantInvalidToken(t, p, err)
	})
	t.Run("app-only token", func(t *testing.T) {
		tok, err := e.sim.Entra.IssueAppToken(e.contoso.ID, e.appID, e.appID)
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.auth.ValidateToken(t.Context(), tok)
		if err != nil || c.Delegated {
			t.Fatalf("ValidateToken = %+v, %v: an app token is valid, just not a user", c, err)
		}
		p, err := e.auth.Authenticate(t.Context(), bearerRequest(tok))
		wantInvalidToken(t, p, err)
	})
	t.Run("unregistered tenant makes no request", func(t *testing.T) {
		before := e.count.total.Load()
		fab := e.userWithRole(t, e.fabrikam.ID, "Global Administrator")
		p, err := e.auth.Authenticate(t.Context(), bearerRequest(e.userToken(t, e.fabrikam.ID, fab.ID, e.aud)))
		wantInvalidToken(t, p, err)
		if n := e.count.total.Load() - before; n != 0 {
			t.Fatalf("%d requests for an unregistered tenant", n)
		}
	})
	t.Run("expired", func(t *testing.T) {
		tok := e.userToken(t, e.contoso.ID, user.ID, e.aud)
		if _, err := e.auth.ValidateToken(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour + DefaultSkew + time.Second)
		p, err := e.auth.Authenticate(t.Context(), bearerRequest(tok))
		wantInvalidToken(t, p, err)
	})
}

// TestSimMetadataCached: validations share one metadata and JWKS fetch
// until the TTL passes.
func TestSimMetadataCached(t *testing.T) {
	e := newSimEnv(t, nil)
	user := e.userWithRole(t, e.contoso.ID, "Teams Administrator")
	for range 2 {
		if _, err := e.auth.ValidateToken(t.Context(), e.userToken(t, e.contoso.ID, user.ID, e.aud)); err != nil {
			t.Fatal(err)
		}
	}
	if m, k := e.count.meta.Load(), e.count.jwks.Load(); m != 1 || k != 1 {
		t.Fatalf("metadata fetched %d times, JWKS %d, want 1 and 1", m, k)
	}
	e.clock.Advance(DefaultMetadataTTL)
	if _, err := e.auth.ValidateToken(t.Context(), e.userToken(t, e.contoso.ID, user.ID, e.aud)); err != nil {
		t.Fatal(err)
	}
	if m := e.count.meta.Load(); m != 2 {
		t.Fatalf("metadata fetched %d times after the TTL, want 2", m)
	}
}

// TestSimKeyRotation: a token signed by a key published after the JWKS was
// cached is accepted after one refetch.
func TestSimKeyRotation(t *testing.T) {
	e := newSimEnv(t, nil)
	user := e.userWithRole(t, e.contoso.ID, "Teams Administrator")
	if _, err := e.auth.ValidateToken(t.Context(), e.userToken(t, e.contoso.ID, user.ID, e.aud)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.Entra.RotateKeys(); err != nil {
		t.Fatal(err)
	}
	before := e.count.jwks.Load()
	if _, err := e.auth.ValidateToken(t.Context(), e.userToken(t, e.contoso.ID, user.ID, e.aud)); err != nil {
		t.Fatal(err)
	}
	if n := e.count.jwks.Load() - before; n != 1 {
		t.Fatalf("%d JWKS fetches after rotation, want 1", n)
	}
}

// TestAPIKey: a stw_ key goes to the store, never to Entra, and yields the
// key's scopes.
func TestAPIKey(t *testing.T) {
	e := newSimEnv(t, nil)
	ctx := t.Context()
	key, id, err := governance.NewAPIKey(rand.Reader, "contoso")
	if err != nil {
		t.Fatal(err)
	}
	scopes := []string{governance.ScopeRequestsRead, governance.ScopeRequestsWrite}
	if _, err := e.db.CreateAPIKey(ctx, governance.APIKey{
		TenantID: "contoso", ID: id, Name: "Zapier: new requests", Prefix: governance.APIKeyPrefix("contoso", id),
		Scopes: scopes, CreatedBy: "test",
	}, governance.HashAPIKey(e.pepper, key)); err != nil {
		t.Fatal(err)
	}
	p, err := e.auth.Authenticate(ctx, bearerRequest(key))
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != governance.PrincipalAPIKey || p.TenantID != "contoso" || p.ID != id || !slices.Equal(p.Scopes, scopes) || p.Roles != nil {
		t.Fatalf("principal = %+v", p)
	}
	if n := e.count.total.Load(); n != 0 {
		t.Fatalf("%d requests to Entra for an API key", n)
	}

	// A wrong secret is the store's one generic answer.
	i := len(key) - 10 // inside the secret, where every character counts
	flip := byte('A')
	if key[i] == 'A' {
		flip = 'B'
	}
	bad := key[:i] + string(flip) + key[i+1:]
	_, err = e.auth.Authenticate(ctx, bearerRequest(bad))
	if code, _ := governance.Public(err); governance.KindOf(err) != governance.KindUnauthenticated || code != "api_key_invalid" {
		t.Fatalf("wrong secret: %v", err)
	}
}

// TestAPIKeyWithoutAuthenticator: a deployment without API keys refuses
// them like any invalid key.
func TestAPIKeyWithoutAuthenticator(t *testing.T) {
	e := newFakeEnv(t, nil)
	_, err := e.auth.Authenticate(t.Context(), bearerRequest("stw_contoso_AbCd1234_"+rand.Text()))
	if code, _ := governance.Public(err); governance.KindOf(err) != governance.KindUnauthenticated || code != "api_key_invalid" {
		t.Fatalf("err = %v", err)
	}
}
