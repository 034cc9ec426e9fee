package work

import (
	"context"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/store"
)

// Reader is the read side of the store for governance.ReadService: plain
// reads from the reader pool, outside any transaction.
type Reader struct{ db *store.DB }

var (
	_ governance.RequestReader  = (*Reader)(nil)
	_ governance.TemplateReader = (*Reader)(nil)
	_ governance.AuditReader    = (*Reader)(nil)
)

// NewReader reads from db.
func NewReader(db *store.DB) *Reader { return &Reader{db: db} }

// Request implements governance.RequestReader.
func (r *Reader) Request(ctx context.Context, tenantID, id string) (governance.Request, error) {
	return r.db.Request(ctx, tenantID, id)
}

// Requests implements governance.RequestReader.
func (r *Reader) Requests(ctx context.Context, tenantID string, q governance.RequestQuery) ([]governance.Request, error) {
	return r.db.Requests(ctx, tenantID, store.RequestQuery{
		RequesterID: q.RequesterID, States: q.States, PendingFor: q.PendingFor,
		Limit: q.Limit, Before: q.Before, BeforeID: q.BeforeID,
	})
}

// Template implements governance.TemplateReader.
func (r *Reader) Template(ctx context.Context, tenantID, id string) (governance.Template, error) {
	return r.db.Template(ctx, tenantID, id)
}

// TemplateVersion implements governance.TemplateReader.
func (r *Reader) TemplateVersion(ctx context.Context, tenantID, id string, version int) (governance.Template, error) {
	return r.db.TemplateVersion(ctx, tenantID, id, version)
}

// Templates implements governance.TemplateReader.
func (r *Reader) Templates(ctx context.Context, tenantID string, includeRetired bool) ([]governance.Template, error) {
	return r.db.Templates(ctx, tenantID, includeRetired)
}

// AuditEvents implements governance.AuditReader.
func (r *Reader) AuditEvents(ctx context.Context, tenantID string, f governance.AuditFilter) ([]governance.AuditEvent, error) {
	return r.db.AuditEvents(ctx, tenantID, f)
}
