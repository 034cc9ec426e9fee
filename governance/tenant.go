package governance

import (
	"regexp"
	"strings"
	"time"
)

// Tenant is one customer organisation: one Microsoft Entra tenant using
// Steward. Its ID is Steward's own, and every row in every table carries it.
type Tenant struct {
	ID            string
	Name          string
	EntraTenantID string // Microsoft Entra directory (tenant) id, a GUID
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Version increases by one on every update; an update naming a stale
	// version fails with KindConflict (optimistic concurrency).
	Version int64
}

var (
	tenantIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)
	guidPattern     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// Validate reports the first thing wrong with t as a KindInvalid error.
func (t Tenant) Validate() error {
	if !tenantIDPattern.MatchString(t.ID) {
		return Errorf(KindInvalid, "tenant_id_invalid",
			"tenant id %q is invalid: use 2 to 63 lowercase letters, digits or hyphens, starting with a letter or digit", t.ID)
	}
	if strings.TrimSpace(t.Name) == "" || len(t.Name) > 256 {
		return Errorf(KindInvalid, "tenant_name_invalid", "tenant name must be 1 to 256 characters")
	}
	if t.EntraTenantID != "" && !guidPattern.MatchString(t.EntraTenantID) {
		return Errorf(KindInvalid, "entra_tenant_id_invalid",
			"Entra tenant id %q is invalid: expected a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47", t.EntraTenantID)
	}
	return nil
}

var (
	fieldIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	domainPattern  = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)
)
