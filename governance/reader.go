package governance

import (
	"context"
	"time"
)

// RequestReader reads a tenant's requests outside any transaction, for the
// read side of the API. Errors: KindNotFound (request_not_found),
// KindInvalid (a query out of range).
type RequestReader interface {
	Request(ctx context.Context, tenantID, id string) (Request, error)
	Requests(ctx context.Context, tenantID string, q RequestQuery) ([]Request, error)
}

// TemplateReader reads a tenant's catalog. Template returns the latest
// version; TemplateVersion one version, retired or not. Errors: KindNotFound.
type TemplateReader interface {
	Template(ctx context.Context, tenantID, id string) (Template, error)
	TemplateVersion(ctx context.Context, tenantID, id string, version int) (Template, error)
	Templates(ctx context.Context, tenantID string, includeRetired bool) ([]Template, error)
}

// RequestQuery selects a tenant's requests, newest update first. Empty
// fields do not filter; set fields combine with AND.
type RequestQuery struct {
	RequesterID string
	States      []RequestState
	// PendingFor matches pending requests waiting for any of these
	// principal or group ids.
	PendingFor []string
	// Limit is the page size (the store bounds it).
	Limit int
	// Before and BeforeID continue a listing after the row with that
	// UpdatedAt and ID (keyset paging).
	Before   time.Time
	BeforeID string
}
