package governance

import (
	"slices"
	"strings"
)

// Role is what a principal may do in Steward. Roles are enforced in the
// service layer: a handler that forgot to check cannot grant anything.
type Role string

const (
	// RoleEndUser browses the catalog, requests teams and follows their
	// own requests. Everyone signed in to a registered tenant has it.
	RoleEndUser Role = "end_user"
	// RoleApprover decides requests assigned to them.
	RoleApprover Role = "approver"
	// RoleCatalogManager creates, versions and retires templates and their
	// policies.
	RoleCatalogManager Role = "catalog_manager"
	// RoleIntegrationManager manages webhooks, API keys and CRM connections.
	RoleIntegrationManager Role = "integration_manager"
	// RoleAdministrator can do everything in its tenant, including assigning
	// roles and reading the whole audit trail.
	RoleAdministrator Role = "administrator"
)

// Roles lists every role, least to most privileged.
var Roles = []Role{RoleEndUser, RoleApprover, RoleCatalogManager, RoleIntegrationManager, RoleAdministrator}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// AdminEntraRoles are the Microsoft Entra directory roles that make a user a
// Steward administrator of their tenant.
var AdminEntraRoles = []string{"Global Administrator", "Teams Administrator"}

// Well-known template ids of those Entra roles (the ids Entra puts in the
// wids claim), so a token maps to administrator without a directory lookup.
const (
	EntraGlobalAdministratorID = "62e90394-69f5-4237-9190-012177145e10"
	EntraTeamsAdministratorID  = "69091246-20e8-4a56-aa4d-066075b2a7a8"
)

// PrincipalKind says who is acting.
type PrincipalKind string

const (
	PrincipalUser   PrincipalKind = "user"    // a person signed in through Entra ID
	PrincipalAPIKey PrincipalKind = "api_key" // an integration using a tenant API key
	PrincipalSystem PrincipalKind = "system"  // Steward itself (jobs, reconcilers)
)

// Principal is the authenticated actor of a request, resolved by the
// identity layer and carried in the context. Every service method takes one
// and checks it.
type Principal struct {
	Kind     PrincipalKind
	TenantID string
	// ID is the Entra object id (oid) of a user, the key id of an API key,
	// or the job name for the system.
	ID    string
	Name  string
	UPN   string
	Roles []Role
	// Groups are the Entra group ids the user belongs to (template audience,
	// approver groups, role assignments to groups).
	Groups []string
	// Attributes are the user's directory attributes by naming-policy token
	// (Department, Company, Office, CountryOrRegion, ...).
	Attributes map[string]string
	// Scopes limit an API key to part of the API (e.g. "requests:read").
	Scopes []string
}

// Has reports whether p holds role r. Administrators hold every role; every
// user and API key is at least an end user.
func (p Principal) Has(r Role) bool {
	if p.Kind == PrincipalSystem || slices.Contains(p.Roles, RoleAdministrator) {
		return true
	}
	return r == RoleEndUser || slices.Contains(p.Roles, r)
}

// InGroup reports membership of an Entra group.
func (p Principal) InGroup(groupID string) bool {
	return slices.ContainsFunc(p.Groups, func(g string) bool { return strings.EqualFold(g, groupID) })
}

// Require returns a KindForbidden error unless p holds one of roles, or a
// KindUnauthenticated error for the zero principal.
func (p Principal) Require(roles ...Role) error {
	if p.TenantID == "" || p.ID == "" {
		return Errorf(KindUnauthenticated, "sign_in_required", "sign in to continue")
	}
	for _, r := range roles {
		if p.Has(r) {
			return nil
		}
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return Errorf(KindForbidden, "role_required", "this needs the role %s; ask an administrator of your organisation", strings.Join(names, " or "))
}

// RoleAssignment grants a role to a user or to every member of an Entra
// group, within one tenant.
type RoleAssignment struct {
	TenantID    string
	Role        Role
	SubjectType string // "user" or "group"
	SubjectID   string // Entra object id
	AssignedBy  string
}

// Validate checks an assignment before it is stored.
func (a RoleAssignment) Validate() error {
	switch {
	case !a.Role.Valid():
		return Errorf(KindInvalid, "role_invalid", "unknown role %q: use one of end_user, approver, catalog_manager, integration_manager, administrator", a.Role)
	case a.Role == RoleEndUser:
		return Errorf(KindInvalid, "role_implicit", "everyone is an end user; there is nothing to assign")
	case a.SubjectType != "user" && a.SubjectType != "group":
		return Errorf(KindInvalid, "role_subject_invalid", "a role is assigned to a \"user\" or a \"group\"")
	case !guidPattern.MatchString(a.SubjectID):
		return Errorf(KindInvalid, "role_subject_invalid", "the subject must be an Entra object id (a GUID)")
	}
	return nil
}

// EffectiveRoles computes a user's roles from their Entra directory roles
// (wids claim or role names), their groups and the tenant's assignments.
func EffectiveRoles(userID string, entraRoles, groups []string, assignments []RoleAssignment) []Role {
	set := map[Role]bool{RoleEndUser: true}
	for _, r := range entraRoles {
		if slices.Contains(AdminEntraRoles, r) || r == EntraGlobalAdministratorID || r == EntraTeamsAdministratorID {
			set[RoleAdministrator] = true
		}
	}
	for _, a := range assignments {
		if (a.SubjectType == "user" && strings.EqualFold(a.SubjectID, userID)) ||
			(a.SubjectType == "group" && slices.ContainsFunc(groups, func(g string) bool { return strings.EqualFold(g, a.SubjectID) })) {
			set[a.Role] = true
		}
	}
	var out []Role
	for _, r := range Roles {
		if set[r] {
			out = append(out, r)
		}
	}
	return out
}
