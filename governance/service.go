package governance

import (
	"context"
	"encoding/json"
	"time"
)

// Work is what a service can do inside one transaction. The implementation
// (wired in cmd from the store, the job queue and the webhook dispatcher)
// commits every call made through it together, or none: a request's state,
// its audit row, its webhook deliveries and its provisioning job never
// disagree.
type Work interface {
	Now() time.Time
	Template(ctx context.Context, tenantID, id string) (Template, error)
	TemplateVersion(ctx context.Context, tenantID, id string, version int) (Template, error)
	// CreateTemplate stores version 1; SaveTemplate stores t.Version+1 if
	// t.Version is still the latest (KindConflict otherwise).
	CreateTemplate(ctx context.Context, t Template) (Template, error)
	SaveTemplate(ctx context.Context, t Template) (Template, error)
	AssignRole(ctx context.Context, a RoleAssignment) error
	UnassignRole(ctx context.Context, tenantID string, role Role, subjectType, subjectID string) error
	RoleAssignments(ctx context.Context, tenantID string) ([]RoleAssignment, error)
	Request(ctx context.Context, tenantID, id string) (Request, error)
	// PendingRequestIDs lists the tenant's pending requests, oldest stage
	// first, at most limit.
	PendingRequestIDs(ctx context.Context, tenantID string, limit int) ([]string, error)
	CreateRequest(ctx context.Context, r Request, pendingFor []string) (Request, error)
	SaveRequest(ctx context.Context, r Request, pendingFor []string) (Request, error)
	// RequestsNamed returns the tenant's live requests (and completed ones)
	// whose display name folds to folded (FoldForMatch).
	RequestsNamed(ctx context.Context, tenantID, folded string) ([]Request, error)
	Audit(ctx context.Context, e AuditEvent) error
	Emit(ctx context.Context, tenantID string, event WebhookEvent, data any) error
	// EnqueueProvisioning schedules the durable job that creates the team.
	EnqueueProvisioning(ctx context.Context, tenantID, requestID string, attempt int) error
	// AddManagedTeam records a team the reconcilers keep compliant
	// (KindConflict if it is recorded already).
	AddManagedTeam(ctx context.Context, t ManagedTeam) error
	// ManagedTeam reads a managed team inside the transaction
	// (KindNotFound if the tenant has no such team).
	ManagedTeam(ctx context.Context, tenantID, teamID string) (ManagedTeam, error)
	// SaveManagedTeam stores t's lifecycle if t.Version is still the
	// stored version, and returns it at the next version (KindConflict
	// otherwise).
	SaveManagedTeam(ctx context.Context, t ManagedTeam) (ManagedTeam, error)
}

// Transactor runs fn in one transaction, committing if it returns nil.
type Transactor interface {
	InTx(ctx context.Context, fn func(w Work) error) error
}

// Directory answers the questions a request needs about people and names
// (Microsoft Graph in production, the simulator in dev).
type Directory interface {
	// IsGuest reports whether a user is a guest account, and its home domain.
	IsGuest(ctx context.Context, tenantID, userID string) (guest bool, domain string, err error)
	// MailNicknameTaken reports whether a group already uses nick.
	MailNicknameTaken(ctx context.Context, tenantID, nick string) (bool, error)
}

// RequestService is the team-request workflow: submit, decide, cancel,
// comment. Every method checks the principal's role and tenant itself.
type RequestService struct {
	tx  Transactor
	dir Directory
	ids func() string
}

// NewRequestService wires the workflow. ids generates request ids.
func NewRequestService(tx Transactor, dir Directory, ids func() string) *RequestService {
	return &RequestService{tx: tx, dir: dir, ids: ids}
}

// requestAudit builds an audit event for a request change by p. The Work
// implementation adds the correlation id of the HTTP request or job.
func requestAudit(p Principal, action string, before, after *Request) AuditEvent {
	e := AuditEvent{
		TenantID: p.TenantID, Action: action, SubjectType: "request",
		Actor: AuditActor{Type: string(p.Kind), ID: p.ID, Name: p.Name},
	}
	if after != nil {
		e.SubjectID = after.ID
		e.After, _ = json.Marshal(after)
	}
	if before != nil {
		e.SubjectID = before.ID
		e.Before, _ = json.Marshal(before)
	}
	return e
}
