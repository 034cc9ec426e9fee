package identity

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
)

var keyPepper = bytes.Repeat([]byte("0123456789abcdef"), 2)

// keyStore is a migrated store with two tenants.
func keyStore(t *testing.T, dsn string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"contoso", "fabrikam"} {
		if _, err := db.CreateTenant(ctx, governance.Tenant{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

func keyUser(tenant string, roles ...governance.Role) governance.Principal {
	return governance.Principal{Kind: governance.PrincipalUser, TenantID: tenant, ID: "user-" + tenant, Name: "Ines", Roles: roles}
}

func auditActions(t *testing.T, db *store.DB, tenant string) []governance.AuditEvent {
	t.Helper()
	chain, err := db.AuditChain(context.Background(), tenant, 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return chain
}

// TestKeyManagerLifecycle: create, authenticate, list, revoke, on both
// engines, with the audit trail and tenant isolation checked at each step.
func TestKeyManagerLifecycle(t *testing.T) {
	for name, dsn := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "steward.db") },
		"postgres": func(t *testing.T) string { return testenv.PostgresDSN(t) },
	} {
		t.Run(name, func(t *testing.T) {
			db := keyStore(t, dsn(t))
			ctx := context.Background()
			m := NewKeyManager(db, keyPepper, KeyManagerOptions{})
			ines := keyUser("contoso", governance.RoleIntegrationManager)
			expires := time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second)
			k, plaintext, err := m.Create(ctx, ines, governance.APIKey{TenantID: "fabrikam", ID: "forged00", CreatedBy: "someone",
				Name: "Zapier", Scopes: []string{governance.ScopeWebhooksManage, governance.ScopeRequestsWrite}, ExpiresAt: expires})
			if err != nil {
				t.Fatal(err)
			}
			// The tenant, id and creator are the manager's, not the caller's.
			if k.TenantID != "contoso" || k.ID == "forged00" || k.CreatedBy != ines.ID || !k.ExpiresAt.Equal(expires) || !strings.HasPrefix(plaintext, k.Prefix+"_") {
				t.Fatalf("created %+v (%s)", k, plaintext)
			}
			p, err := db.AuthenticateAPIKey(ctx, keyPepper, plaintext, time.Now())
			if err != nil || p.TenantID != "contoso" || p.ID != k.ID || !slices.Equal(p.Scopes, k.Scopes) {
				t.Fatalf("the new key authenticates as %+v, %v", p, err)
			}

			list, err := m.List(ctx, ines)
			if err != nil || len(list) != 1 || list[0].Prefix != k.Prefix {
				t.Fatalf("list = %+v, %v", list, err)
			}
			if list, err := m.List(ctx, keyUser("fabrikam", governance.RoleAdministrator)); err != nil || len(list) != 0 {
				t.Fatalf("fabrikam lists %+v, %v", list, err)
			}
			if got, err := m.Get(ctx, ines, k.ID); err != nil || got.Prefix != k.Prefix || got.Name != "Zapier" {
				t.Fatalf("get = %+v, %v", got, err)
			}
			if _, err := m.Get(ctx, keyUser("fabrikam", governance.RoleAdministrator), k.ID); !governance.IsKind(err, governance.KindNotFound) {
				t.Fatalf("fabrikam gets contoso's key: %v", err)
			}

			if _, _, err := m.Revoke(ctx, keyUser("fabrikam", governance.RoleAdministrator), k.ID); !governance.IsKind(err, governance.KindNotFound) {
				t.Fatalf("fabrikam revokes contoso's key: %v", err)
			}
			got, revoked, err := m.Revoke(ctx, ines, k.ID)
			if err != nil || !revoked || got.RevokedAt.IsZero() {
				t.Fatalf("revoke = %+v, %v, %v", got, revoked, err)
			}
			if _, err := db.AuthenticateAPIKey(ctx, keyPepper, plaintext, time.Now()); !governance.IsKind(err, governance.KindUnauthenticated) {
				t.Fatalf("a revoked key authenticates: %v", err)
			}
			again, revoked, err := m.Revoke(ctx, ines, k.ID)
			if err != nil || revoked || !again.RevokedAt.Equal(got.RevokedAt) {
				t.Fatalf("revoke twice = %+v, %v, %v", again, revoked, err)
			}

			var actions []string
			for _, e := range auditActions(t, db, "contoso") {
				actions = append(actions, e.Action)
				if e.Actor.ID != ines.ID || e.Actor.Type != governance.AuditActorUser || e.SubjectID != k.ID {
					t.Fatalf("audit event %+v", e)
				}
				for _, leak := range []string{plaintext, plaintext[len(plaintext)-43:]} {
					if bytes.Contains(e.Before, []byte(leak)) || bytes.Contains(e.After, []byte(leak)) {
						t.Fatalf("audit event %s holds the secret", e.Action)
					}
				}
			}
			if !slices.Equal(actions, []string{"api_key.created", "api_key.revoked"}) {
				t.Fatalf("audit actions %v", actions)
			}
			if n := len(auditActions(t, db, "fabrikam")); n != 0 {
				t.Fatalf("fabrikam's trail has %d events", n)
			}
		})
	}
}

// TestKeyManagerRefusals: who may not manage keys, and what no one may
// create; a refusal stores nothing.
func TestKeyManagerRefusals(t *testing.T) {
	db := keyStore(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"))
	ctx := context.Background()
	m := NewKeyManager(db, keyPepper, KeyManagerOptions{})
	ines := keyUser("contoso", governance.RoleIntegrationManager)
	webhooks := []string{governance.ScopeWebhooksManage}
	key := governance.Principal{Kind: governance.PrincipalAPIKey, TenantID: "contoso", ID: "AbCd1234", Scopes: governance.Scopes}
	tests := []struct {
		name string
		p    governance.Principal
		k    governance.APIKey
		code string
	}{
		{"nobody", governance.Principal{}, governance.APIKey{Name: "x", Scopes: webhooks}, "sign_in_required"},
		{"end user", keyUser("contoso"), governance.APIKey{Name: "x", Scopes: webhooks}, "role_required"},
		{"approver", keyUser("contoso", governance.RoleApprover), governance.APIKey{Name: "x", Scopes: webhooks}, "role_required"},
		{"catalog manager", keyUser("contoso", governance.RoleCatalogManager), governance.APIKey{Name: "x", Scopes: []string{governance.ScopeTemplatesRead}}, "role_required"},
		{"an API key with every scope", key, governance.APIKey{Name: "x", Scopes: webhooks}, "api_key_not_allowed"},
		{"audit:read from an integration manager", ines, governance.APIKey{Name: "x", Scopes: []string{governance.ScopeAuditRead}}, "api_key_scope_not_grantable"},
		{"requests:read from an integration manager", ines, governance.APIKey{Name: "x", Scopes: []string{governance.ScopeWebhooksManage, governance.ScopeRequestsRead}}, "api_key_scope_not_grantable"},
		{"no scope", ines, governance.APIKey{Name: "x"}, "api_key_scopes_invalid"},
		{"unknown scope", ines, governance.APIKey{Name: "x", Scopes: []string{"admin"}}, "api_key_scopes_invalid"},
		{"no name", ines, governance.APIKey{Name: " ", Scopes: webhooks}, "api_key_name_invalid"},
		{"expired already", ines, governance.APIKey{Name: "x", Scopes: webhooks, ExpiresAt: time.Now().Add(-time.Hour)}, "api_key_expiry_invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, plaintext, err := m.Create(ctx, tt.p, tt.k)
			if code, _ := governance.Public(err); code != tt.code || plaintext != "" || k.ID != "" {
				t.Fatalf("Create = %+v, %q, %v; want %s", k, plaintext, err, tt.code)
			}
		})
	}
	for _, p := range []governance.Principal{keyUser("contoso", governance.RoleApprover), key} {
		if _, err := m.List(ctx, p); !governance.IsKind(err, governance.KindForbidden) {
			t.Fatalf("%s lists keys: %v", p.Kind, err)
		}
		if _, err := m.Get(ctx, p, "AbCd1234"); !governance.IsKind(err, governance.KindForbidden) {
			t.Fatalf("%s reads a key: %v", p.Kind, err)
		}
		if _, _, err := m.Revoke(ctx, p, "AbCd1234"); !governance.IsKind(err, governance.KindForbidden) {
			t.Fatalf("%s revokes a key: %v", p.Kind, err)
		}
	}
	if keys, _ := db.APIKeys(ctx, "contoso"); len(keys) != 0 {
		t.Fatalf("refusals stored %d keys", len(keys))
	}
	if n := len(auditActions(t, db, "contoso")); n != 0 {
		t.Fatalf("refusals wrote %d audit events", n)
	}
	// Without the pepper a key cannot be made (listing still works).
	noPepper := NewKeyManager(db, nil, KeyManagerOptions{})
	if _, _, err := noPepper.Create(ctx, ines, governance.APIKey{Name: "x", Scopes: webhooks}); err == nil || governance.KindOf(err) != governance.KindInternal {
		t.Fatalf("create without a pepper: %v", err)
	}
	if _, err := noPepper.List(ctx, ines); err != nil {
		t.Fatalf("list without a pepper: %v", err)
	}
	// The system (the CLI) grants every scope.
	system := governance.Principal{Kind: governance.PrincipalSystem, TenantID: "contoso", ID: "steward-cli", Name: "steward apikeys"}
	if k, _, err := m.Create(ctx, system, governance.APIKey{Name: "ops", Scopes: governance.Scopes}); err != nil || k.CreatedBy != "steward-cli" {
		t.Fatalf("the system creates a key with every scope: %+v, %v", k, err)
	}
}
