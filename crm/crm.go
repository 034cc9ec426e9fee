// Package crm is how Steward searches CRM records (accounts, opportunities,
// contacts) for the Teams messaging extension. Connector is the one method
// the bot calls, within Teams' 5 s deadline; Builtin implements it over
// records a tenant imported from CSV or JSON into the store, searched in
// an in-memory Index so a search never scans rows in SQL. Salesforce,
// Dynamics and HubSpot adapters implement the same interface.
//
// Tenancy is explicit: every call takes the tenant id, the store filters
// every statement by it and the index keeps one snapshot per tenant.
package crm

import (
	"context"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/stewardhq/steward/governance"
)

// Kind is the kind of a CRM record.
type Kind string

const (
	KindAccount     Kind = "account"
	KindOpportunity Kind = "opportunity"
	KindContact     Kind = "contact"
)

// Kinds lists every kind, in the order results of equal rank come in.
var Kinds = []Kind{KindAccount, KindOpportunity, KindContact}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool { return slices.Contains(Kinds, k) }

// Record is one CRM record as a search returns it.
type Record struct {
	TenantID string
	Kind     Kind
	ID       string // the CRM's own id, unique per tenant and kind
	Title    string
	Subtitle string
	Fields   []Field // in the order to show them
	URL      string  // http or https, or empty
	// UpdatedAt is when Steward last saw the record change.
	UpdatedAt time.Time
}

// Field is one named value of a record.
type Field struct {
	Name  string
	Value string
}

// Query is what a user searches for.
type Query struct {
	Kind  Kind   // empty: every kind
	Text  string // words to match by prefix; empty: the most recently changed records
	Limit int    // 0 means DefaultLimit; more than MaxLimit means MaxLimit
}

const (
	DefaultLimit = 25
	MaxLimit     = 50
	// MaxQueryRunes bounds the text of a query: a messaging extension
	// search box holds a few words, never a document.
	MaxQueryRunes = 200
)

// Connector searches one CRM. Implementations answer within the caller's
// context deadline and never return another tenant's records.
type Connector interface {
	// Search returns the tenant's records matching q, best first.
	// Errors: KindInvalid (crm_query_kind_unknown, crm_query_limit_invalid,
	// crm_query_too_long), KindUnavailable when the CRM cannot be reached.
	Search(ctx context.Context, tenantID string, q Query) ([]Record, error)
}

// normalize checks q and fills in its defaults.
func (q Query) normalize() (Query, error) {
	if q.Kind != "" && !q.Kind.Valid() {
		return q, governance.Errorf(governance.KindInvalid, "crm_query_kind_unknown",
			"unknown record kind %q: use account, opportunity or contact", string(q.Kind))
	}
	switch {
	case q.Limit < 0:
		return q, governance.Errorf(governance.KindInvalid, "crm_query_limit_invalid",
			"the limit must be between 1 and %d", MaxLimit)
	case q.Limit == 0:
		q.Limit = DefaultLimit
	case q.Limit > MaxLimit:
		q.Limit = MaxLimit
	}
	if utf8.RuneCountInString(q.Text) > MaxQueryRunes {
		return q, governance.Errorf(governance.KindInvalid, "crm_query_too_long",
			"the search text is longer than %d characters", MaxQueryRunes)
	}
	return q, nil
}
