package governance

// scopeGrantors is the role a person needs to give an API key each scope.
// A key must not reach further than the person who made it could reach
// themselves, or the role checks would be a formality: an integration
// manager could mint an audit:read key and read the trail they may not.
//
//   - requests:read lets a key list and read every request of the tenant,
//     which among people only administrators may.
//   - requests:write submits requests, as every end user may.
//   - templates:read exports whole templates, and templates:write changes
//     the catalog: both are catalog managers' work.
//   - audit:read reads the company's trail: administrators'.
//   - webhooks:manage is integration managers' work.
var scopeGrantors = map[string]Role{
	ScopeRequestsRead:   RoleAdministrator,
	ScopeRequestsWrite:  RoleEndUser,
	ScopeTemplatesRead:  RoleCatalogManager,
	ScopeTemplatesWrite: RoleCatalogManager,
	ScopeAuditRead:      RoleAdministrator,
	ScopeWebhooksManage: RoleIntegrationManager,
}

// ScopeGrantor is the role a person needs to give a key scope. A scope
// without an entry is an administrator's to give, so a scope added later
// is never grantable by accident.
func ScopeGrantor(scope string) Role {
	if r, ok := scopeGrantors[scope]; ok {
		return r
	}
	return RoleAdministrator
}

// RequireGrantable checks that p may create a key with scopes: p holds the
// grantor role of each (administrators and the system hold every role).
// API keys hold no role beyond end user, so they can grant little; callers
// refuse them outright anyway.
//
// Errors: KindUnauthenticated (no principal), KindForbidden
// (api_key_scope_not_grantable).
func RequireGrantable(p Principal, scopes []string) error {
	if p.TenantID == "" || p.ID == "" {
		return Errorf(KindUnauthenticated, "sign_in_required", "sign in to continue")
	}
	for _, s := range scopes {
		if r := ScopeGrantor(s); !p.Has(r) {
			return Errorf(KindForbidden, "api_key_scope_not_grantable",
				"you cannot give a key the scope %s: it reaches what only the role %s may, and you do not hold it", s, r)
		}
	}
	return nil
}
