package governance_test

import (
	"context"
	"testing"

	"github.com/stewardhq/steward/governance"
)

// TestTemplateVersionVisibility: catalog managers read every version whole,
// approvers named in a version read that version, and to everyone else —
// another tenant included — it does not exist.
func TestTemplateVersionVisibility(t *testing.T) {
	const approver, escalation, group, member = "a-1", "e-1", "g-1", "m-1"
	v1 := governance.Template{TenantID: "contoso", ID: "board", Version: 1, Name: "Board", Audience: []string{"secret-group"},
		Policies: governance.TemplatePolicies{Approval: governance.ApprovalPolicy{
			Stages:     []governance.ApprovalStage{{Name: "Manager", Approvers: []governance.ApproverRef{{Type: "user", ID: approver}, {Type: "group", ID: group}}}},
			EscalateTo: []governance.ApproverRef{{Type: "user", ID: escalation}}, EscalateAfterHours: 24,
		}}}
	v2 := v1
	v2.Version, v2.Name, v2.Policies = 2, "Board 2", governance.TemplatePolicies{}
	other := governance.Template{TenantID: "fabrikam", ID: "board", Version: 1, Name: "Fabrikam board"}
	fake := &readFake{templates: []governance.Template{v1, v2, other}}
	svc := governance.NewReadService(fake, fake)
	user := func(tenant, id string, roles ...governance.Role) governance.Principal {
		return governance.Principal{Kind: governance.PrincipalUser, TenantID: tenant, ID: id, Roles: roles}
	}
	inGroup := user("contoso", member)
	inGroup.Groups = []string{group}
	key := func(scopes ...string) governance.Principal {
		return governance.Principal{Kind: governance.PrincipalAPIKey, TenantID: "contoso", ID: "k", Scopes: scopes}
	}
	ctx := context.Background()
	tests := []struct {
		name    string
		p       governance.Principal
		version int
		code    string // "" when it reads the version
	}{
		{"catalog manager, v1", user("contoso", "c", governance.RoleCatalogManager), 1, ""},
		{"catalog manager, v2", user("contoso", "c", governance.RoleCatalogManager), 2, ""},
		{"administrator", user("contoso", "x", governance.RoleAdministrator), 1, ""},
		{"stage approver", user("contoso", approver), 1, ""},
		{"approver through a group", inGroup, 1, ""},
		{"escalation approver", user("contoso", escalation), 1, ""},
		{"approver of v1 reads not v2", user("contoso", approver), 2, "template_version_not_found"},
		{"end user", user("contoso", "nobody"), 1, "template_version_not_found"},
		{"approver role alone", user("contoso", "r", governance.RoleApprover), 1, "template_version_not_found"},
		{"integration manager", user("contoso", "i", governance.RoleIntegrationManager), 1, "template_version_not_found"},
		{"another tenant's administrator", user("fabrikam", "x", governance.RoleAdministrator), 2, "template_version_not_found"},
		{"key with templates:read", key(governance.ScopeTemplatesRead), 2, ""},
		{"key without templates:read", key(governance.ScopeRequestsRead), 1, "scope_required"},
		{"absent version", user("contoso", "c", governance.RoleCatalogManager), 3, "template_version_not_found"},
		{"version 0", user("contoso", "c", governance.RoleCatalogManager), 0, "template_version_invalid"},
		{"nobody", governance.Principal{}, 1, "sign_in_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.TemplateVersion(ctx, tt.p, "board", tt.version)
			code, _ := governance.Public(err)
			if tt.code == "" {
				if err != nil || got.Version != tt.version || got.TenantID != "contoso" {
					t.Fatalf("TemplateVersion = %+v, %v", got, err)
				}
				return
			}
			if code != tt.code || got.Name != "" {
				t.Fatalf("TemplateVersion = %+v, %v; want %s", got, err, tt.code)
			}
		})
	}
}

func TestManagedTemplate(t *testing.T) {
	v1 := governance.Template{TenantID: "contoso", ID: "legacy", Version: 1, Name: "Legacy", Retired: true, Audience: []string{"g"}}
	fake := &readFake{templates: []governance.Template{v1}}
	svc := governance.NewReadService(fake, fake)
	ctx := context.Background()
	manager := governance.Principal{Kind: governance.PrincipalUser, TenantID: "contoso", ID: "c", Roles: []governance.Role{governance.RoleCatalogManager}}
	if got, err := svc.ManagedTemplate(ctx, manager, "legacy"); err != nil || !got.Retired || len(got.Audience) != 1 {
		t.Fatalf("retired template for its manager = %+v, %v", got, err)
	}
	endUser := governance.Principal{Kind: governance.PrincipalUser, TenantID: "contoso", ID: "u"}
	if _, err := svc.ManagedTemplate(ctx, endUser, "legacy"); !governance.IsKind(err, governance.KindForbidden) {
		t.Fatalf("end user: %v", err)
	}
	foreign := manager
	foreign.TenantID = "fabrikam"
	if _, err := svc.ManagedTemplate(ctx, foreign, "legacy"); !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("another tenant: %v", err)
	}
}
