// Package work implements governance.Transactor: one store transaction in
// which a service's domain writes, audit rows, webhook deliveries and jobs
// commit together, or none of them.
package work

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/telemetry"
	"github.com/stewardhq/steward/webhook"
)

// Transactor runs governance work in store transactions.
type Transactor struct {
	db    *store.DB
	queue *jobs.Queue
	hooks *webhook.Dispatcher
	// events are the hooks OnEvent installed (bot notifications).
	events []EventHook
}

var _ governance.Transactor = (*Transactor)(nil)

// New binds the store, the job queue and the webhook dispatcher.
func New(db *store.DB, q *jobs.Queue, hooks *webhook.Dispatcher) *Transactor {
	return &Transactor{db: db, queue: q, hooks: hooks}
}

// InTx implements governance.Transactor.
func (t *Transactor) InTx(ctx context.Context, fn func(w governance.Work) error) error {
	return t.db.InTx(ctx, func(tx *store.Tx) error { return fn(unit{t: t, tx: tx}) })
}

// unit is one transaction's view of the world.
type unit struct {
	t  *Transactor
	tx *store.Tx
}

func (u unit) Now() time.Time { return u.tx.Now }

func (u unit) Template(ctx context.Context, tenantID, id string) (governance.Template, error) {
	return u.t.db.TemplateTx(ctx, u.tx, tenantID, id)
}

// TemplateVersion reads outside the transaction: versions are immutable.
func (u unit) TemplateVersion(ctx context.Context, tenantID, id string, version int) (governance.Template, error) {
	return u.t.db.TemplateVersionTx(ctx, u.tx, tenantID, id, version)
}

func (u unit) CreateTemplate(ctx context.Context, t governance.Template) (governance.Template, error) {
	return u.t.db.CreateTemplate(ctx, u.tx, t)
}

func (u unit) SaveTemplate(ctx context.Context, t governance.Template) (governance.Template, error) {
	return u.t.db.SaveTemplate(ctx, u.tx, t)
}

func (u unit) AssignRole(ctx context.Context, a governance.RoleAssignment) error {
	return u.t.db.AssignRole(ctx, u.tx, a)
}

func (u unit) UnassignRole(ctx context.Context, tenantID string, role governance.Role, subjectType, subjectID string) error {
	return u.t.db.UnassignRole(ctx, u.tx, tenantID, role, subjectType, subjectID)
}

// RoleAssignments reads committed assignments: a role change is its own
// transaction, so nothing uncommitted is missed.
func (u unit) RoleAssignments(ctx context.Context, tenantID string) ([]governance.RoleAssignment, error) {
	return u.t.db.RoleAssignmentsTx(ctx, u.tx, tenantID)
}

func (u unit) Request(ctx context.Context, tenantID, id string) (governance.Request, error) {
	return u.t.db.RequestTx(ctx, u.tx, tenantID, id)
}

// PendingRequestIDs pages through the store's keyset (at most
// store.RequestPageMax rows a query) until it has limit ids or none are left.
func (u unit) PendingRequestIDs(ctx context.Context, tenantID string, limit int) ([]string, error) {
	q := store.RequestQuery{States: []governance.RequestState{governance.StatePending}}
	var ids []string
	for len(ids) < limit {
		q.Limit = min(store.RequestPageMax, limit-len(ids))
		rs, err := u.t.db.RequestsTx(ctx, u.tx, tenantID, q)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		if len(rs) < q.Limit {
			break
		}
		last := rs[len(rs)-1]
		q.Before, q.BeforeID = last.UpdatedAt, last.ID
	}
	return ids, nil
}

func (u unit) CreateRequest(ctx context.Context, r governance.Request, pendingFor []string) (governance.Request, error) {
	return u.t.db.CreateRequest(ctx, u.tx, r, pendingFor)
}

func (u unit) SaveRequest(ctx context.Context, r governance.Request, pendingFor []string) (governance.Request, error) {
	return u.t.db.SaveRequest(ctx, u.tx, r, pendingFor)
}

func (u unit) RequestsNamed(ctx context.Context, tenantID, folded string) ([]governance.Request, error) {
	return u.t.db.RequestsNamedTx(ctx, u.tx, tenantID, folded)
}

// Audit appends to the tenant's chain, correlated with the HTTP request or
// job that caused it.
func (u unit) Audit(ctx context.Context, e governance.AuditEvent) error {
	if e.RequestID == "" {
		e.RequestID = telemetry.RequestID(ctx)
	}
	_, err := u.t.db.AppendAudit(ctx, u.tx, e)
	return err
}

// Emit records the event's webhook deliveries and runs the event hooks,
// all in the unit's transaction.
func (u unit) Emit(ctx context.Context, tenantID string, event governance.WebhookEvent, data any) error {
	if err := u.t.hooks.Emit(ctx, u.tx, tenantID, event, data); err != nil {
		return err
	}
	return u.t.emitted(ctx, u.tx.Tx, tenantID, event, data)
}

// ProvisionQueue is the queue provisioning jobs start in (provision.Queue:
// work cannot import the workflow package, so the name is repeated, and a
// test in provision checks they agree).
const ProvisionQueue = "provision"

// EnqueueProvisioning inserts the provisioning job in the same transaction:
// a request is approved if and only if its team will be provisioned. Unique
// by args, so a retried approval never queues a second team.
func (u unit) EnqueueProvisioning(ctx context.Context, tenantID, requestID string, attempt int) error {
	_, err := u.t.queue.InsertTx(ctx, u.tx.Tx, governance.ProvisionRequest{TenantID: tenantID, RequestID: requestID, Attempt: attempt},
		&river.InsertOpts{Queue: ProvisionQueue, UniqueOpts: river.UniqueOpts{ByArgs: true}})
	return err
}

func (u unit) AddManagedTeam(ctx context.Context, t governance.ManagedTeam) error {
	return u.t.db.CreateManagedTeamTx(ctx, u.tx, t)
}

func (u unit) ManagedTeam(ctx context.Context, tenantID, teamID string) (governance.ManagedTeam, error) {
	return u.t.db.ManagedTeamTx(ctx, u.tx, tenantID, teamID)
}

func (u unit) SaveManagedTeam(ctx context.Context, t governance.ManagedTeam) (governance.ManagedTeam, error) {
	return u.t.db.SaveManagedTeamTx(ctx, u.tx, t)
}
