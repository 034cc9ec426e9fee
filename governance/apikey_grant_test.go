package governance

import "testing"

// TestEveryScopeHasAGrantor: a new scope must say who may grant it.
func TestEveryScopeHasAGrantor(t *testing.T) {
	for _, s := range Scopes {
		if _, ok := scopeGrantors[s]; !ok {
			t.Errorf("scope %s has no grantor role in scopeGrantors", s)
		}
	}
	if ScopeGrantor("future:scope") != RoleAdministrator {
		t.Error("an unknown scope must be an administrator's to grant")
	}
}

func TestRequireGrantable(t *testing.T) {
	user := func(roles ...Role) Principal {
		return Principal{Kind: PrincipalUser, TenantID: "contoso", ID: "u", Roles: roles}
	}
	tests := []struct {
		name   string
		p      Principal
		scopes []string
		code   string // "" when allowed
	}{
		{"integration manager, webhooks", user(RoleIntegrationManager), []string{ScopeWebhooksManage, ScopeRequestsWrite}, ""},
		{"integration manager, audit", user(RoleIntegrationManager), []string{ScopeWebhooksManage, ScopeAuditRead}, "api_key_scope_not_grantable"},
		{"integration manager, every request", user(RoleIntegrationManager), []string{ScopeRequestsRead}, "api_key_scope_not_grantable"},
		{"integration manager, catalog", user(RoleIntegrationManager), []string{ScopeTemplatesWrite}, "api_key_scope_not_grantable"},
		{"integration and catalog manager, catalog", user(RoleIntegrationManager, RoleCatalogManager), []string{ScopeTemplatesRead, ScopeTemplatesWrite}, ""},
		{"administrator, everything", user(RoleAdministrator), Scopes, ""},
		{"system, everything", Principal{Kind: PrincipalSystem, TenantID: "contoso", ID: "steward-cli"}, Scopes, ""},
		{"API key, webhooks", Principal{Kind: PrincipalAPIKey, TenantID: "contoso", ID: "k", Scopes: []string{ScopeWebhooksManage}}, []string{ScopeWebhooksManage}, "api_key_scope_not_grantable"},
		{"nobody", Principal{}, []string{ScopeRequestsWrite}, "sign_in_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := RequireGrantable(tt.p, tt.scopes)
			if code, _ := Public(err); (err == nil) != (tt.code == "") || (err != nil && code != tt.code) {
				t.Fatalf("RequireGrantable = %v, want code %q", err, tt.code)
			}
		})
	}
}
