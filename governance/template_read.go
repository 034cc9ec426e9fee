package governance

import "context"

// ManagedTemplate returns the latest version of a template whole (every
// policy, the audience, the spec), retired or not: the catalog manager's
// view. The catalog (Template) shows end users a summary of what they may
// request; this shows what a catalog manager edits. API keys need
// templates:read, as for Export.
//
// Errors: KindUnauthenticated, KindForbidden (role_required,
// scope_required), KindNotFound (template_not_found).
func (s *ReadService) ManagedTemplate(ctx context.Context, p Principal, id string) (Template, error) {
	if err := RequireScope(p, ScopeTemplatesRead, RoleCatalogManager); err != nil {
		return Template{}, err
	}
	t, err := s.templates.Template(ctx, p.TenantID, id)
	if IsKind(err, KindNotFound) || (err == nil && t.TenantID != p.TenantID) {
		return Template{}, templateNotFound(id)
	}
	return t, err
}

// TemplateVersion returns one stored version of a template whole. A request
// keeps the version it was made from, so whoever decides it reads the
// policies it is under, not today's. Catalog managers (administrators
// included) and API keys with templates:read read every version; a person
// named as an approver in a version (in a stage or as an escalation
// approver, directly or through a group) reads that version. To anyone
// else it does not exist.
//
// Errors: KindUnauthenticated, KindForbidden (scope_required), KindInvalid
// (template_version_invalid), KindNotFound (template_version_not_found).
func (s *ReadService) TemplateVersion(ctx context.Context, p Principal, id string, version int) (Template, error) {
	if err := RequireScope(p, ScopeTemplatesRead, RoleEndUser); err != nil {
		return Template{}, err
	}
	if version < 1 {
		return Template{}, Errorf(KindInvalid, "template_version_invalid", "a template version is a whole number from 1")
	}
	notFound := Errorf(KindNotFound, "template_version_not_found", "template %q has no version %d that you may see", id, version)
	t, err := s.templates.TemplateVersion(ctx, p.TenantID, id, version)
	if IsKind(err, KindNotFound) {
		return Template{}, notFound
	}
	if err != nil {
		return Template{}, err
	}
	if t.TenantID != p.TenantID {
		return Template{}, notFound
	}
	if p.Kind == PrincipalAPIKey || p.Has(RoleCatalogManager) || (p.Kind == PrincipalUser && approverIn(p, t.Policies.Approval)) {
		return t, nil
	}
	return Template{}, notFound
}

// approverIn reports whether a policy names p as an approver of any stage
// or as an escalation approver.
func approverIn(p Principal, pol ApprovalPolicy) bool {
	for _, st := range pol.Stages {
		if len(st.matching(p)) > 0 {
			return true
		}
	}
	return len(matchingRefs(pol.EscalateTo, p)) > 0
}
