package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/crm"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/teststack"
	"github.com/stewardhq/steward/web"
	"github.com/stewardhq/steward/work"
)

// TestAdminBackend runs the admin center's services on a real store,
// queue and vault: each refuses people without the role, the credential is
// sealed and only its client id and type come back, and the audit trail
// records who set it and what was imported, never a secret.
func TestAdminBackend(t *testing.T) {
	ctx := context.Background()
	st := teststack.New(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), teststack.Options{})
	if _, err := st.DB.CreateTenant(ctx, governance.Tenant{ID: "contoso", Name: "Contoso", EntraTenantID: "3ee597ab-4c2e-5cc5-ac18-f87d56474cd8"}); err != nil {
		t.Fatal(err)
	}
	b := &adminBackend{db: st.DB, queue: st.Queue, vault: st.Vault, creds: work.GraphCredentials{DB: st.DB, Vault: st.Vault},
		crm: crm.NewBuiltin(st.DB, crm.IndexOptions{}), version: "test", now: time.Now,
		checks: []web.Check{{Name: "store", Ping: st.DB.Ping}, {Name: "broken", Ping: func(context.Context) error { return errors.New("down at 10.0.0.7") }}}}
	admin := governance.Principal{Kind: governance.PrincipalUser, TenantID: "contoso", ID: "admin-1", Name: "Ada", Roles: []governance.Role{governance.RoleAdministrator}}
	user := governance.Principal{Kind: governance.PrincipalUser, TenantID: "contoso", ID: "user-1", Name: "Uma"}

	t.Run("end users are refused", func(t *testing.T) {
		if _, err := b.SystemStatus(ctx, user); governance.KindOf(err) != governance.KindForbidden {
			t.Errorf("SystemStatus: %v", err)
		}
		if err := b.SetCredential(ctx, user, web.GraphCredentialInput{ClientID: "x", ClientSecret: "y"}); governance.KindOf(err) != governance.KindForbidden {
			t.Errorf("SetCredential: %v", err)
		}
		if _, err := b.ImportCRM(ctx, user, "account", "csv", strings.NewReader("id,name\n1,A\n")); governance.KindOf(err) != governance.KindForbidden {
			t.Errorf("ImportCRM: %v", err)
		}
	})
	t.Run("system status hides check errors", func(t *testing.T) {
		s, err := b.SystemStatus(ctx, admin)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Checks) != 2 || !s.Checks[0].OK || s.Checks[1].OK || s.Checks[1].Error != "unavailable" || s.Version != "test" {
			t.Fatalf("status %+v", s)
		}
	})
	t.Run("credential is write-only", func(t *testing.T) {
		before, err := b.CredentialStatus(ctx, admin)
		if err != nil || before.Set {
			t.Fatalf("before: %+v %v", before, err)
		}
		const secret = "s3cret-value-never-shown"
		if err := b.SetCredential(ctx, admin, web.GraphCredentialInput{ClientID: "ec479e2a-537d-587b-a826-ead744bdfc27", ClientSecret: secret}); err != nil {
			t.Fatal(err)
		}
		after, err := b.CredentialStatus(ctx, admin)
		if err != nil || !after.Set || after.ClientID != "ec479e2a-537d-587b-a826-ead744bdfc27" || after.Type != "secret" {
			t.Fatalf("after: %+v %v", after, err)
		}
		events, err := st.DB.AuditEvents(ctx, "contoso", governance.AuditFilter{Action: "tenant.graph_credential_set"})
		if err != nil || len(events) != 1 || strings.Contains(string(events[0].After), secret) || events[0].Actor.ID != "admin-1" {
			t.Fatalf("audit %+v %v", events, err)
		}
	})
	t.Run("CRM import is counted and audited", func(t *testing.T) {
		res, err := b.ImportCRM(ctx, admin, "account", "csv", strings.NewReader("id,name\nA-1,Alpine Ski House\nA-2,Contoso Pharma\n"))
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 2 {
			t.Fatalf("import %+v", res)
		}
		found, err := b.SearchCRM(ctx, admin, "account", "alpine")
		if err != nil || len(found) != 1 || found[0].ID != "A-1" {
			t.Fatalf("search %+v %v", found, err)
		}
		events, err := st.DB.AuditEvents(ctx, "contoso", governance.AuditFilter{Action: "crm.imported"})
		if err != nil || len(events) != 1 || !strings.Contains(string(events[0].After), `"created":2`) {
			t.Fatalf("audit %+v %v", events, err)
		}
	})
}
