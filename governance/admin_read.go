package governance

import "context"

// AuditReader reads a tenant's audit trail (the store's reader pool).
type AuditReader interface {
	AuditEvents(ctx context.Context, tenantID string, f AuditFilter) ([]AuditEvent, error)
}

// AuditService answers the two views of the audit trail: the whole
// company's, for administrators and integrations allowed to read it, and a
// person's own, which everyone may read. Events come in Seq order, one page
// (f.Limit) at a time; pass the last Seq as f.AfterSeq for the next.
type AuditService struct {
	r AuditReader
}

// NewAuditService wires the audit views.
func NewAuditService(r AuditReader) *AuditService { return &AuditService{r: r} }

// Company returns the tenant's events matching f, for administrators and
// API keys with audit:read.
//
// Errors: KindUnauthenticated, KindForbidden (role_required,
// scope_required), KindInvalid (audit_filter_invalid).
func (s *AuditService) Company(ctx context.Context, p Principal, f AuditFilter) ([]AuditEvent, error) {
	if err := RequireScope(p, ScopeAuditRead, RoleAdministrator); err != nil {
		return nil, err
	}
	return s.read(ctx, p, f)
}

// Mine returns the events p caused: f.ActorID is always p.ID, so the view
// can never reach someone else's actions. Every signed-in user may read
// their own; an API key needs audit:read (a key without it reads no trail
// at all) and then sees what it did itself.
//
// Errors: KindUnauthenticated, KindForbidden (scope_required), KindInvalid
// (audit_filter_invalid).
func (s *AuditService) Mine(ctx context.Context, p Principal, f AuditFilter) ([]AuditEvent, error) {
	if err := RequireScope(p, ScopeAuditRead, RoleEndUser); err != nil {
		return nil, err
	}
	f.ActorID = p.ID
	return s.read(ctx, p, f)
}

func (s *AuditService) read(ctx context.Context, p Principal, f AuditFilter) ([]AuditEvent, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	events, err := s.r.AuditEvents(ctx, p.TenantID, f)
	if err != nil {
		return nil, err
	}
	// The reader filters by tenant; this keeps a faulty one from leaking.
	out := events[:0]
	for _, e := range events {
		if e.TenantID == p.TenantID && (f.ActorID == "" || e.Actor.ID == f.ActorID) {
			out = append(out, e)
		}
	}
	return out, nil
}
