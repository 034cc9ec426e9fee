package jobs

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/stewardhq/steward/governance"
)

// TenantJob is implemented by the args of every job that acts on one tenant's
// data. Embed Tenant rather than implementing it by hand, so the tenant id is
// always encoded as "tenant_id".
type TenantJob interface {
	JobTenant() string
}

// SystemJob is implemented by the args of jobs that deliberately belong to no
// tenant, such as a periodic sweep that enqueues one TenantJob per tenant.
// Embed System to implement it.
type SystemJob interface {
	JobSystem()
}

// Tenant is embedded in the args of tenant-scoped jobs. Its field is promoted
// into the args JSON as "tenant_id", which is where Steward finds the tenant
// of a job: River's tables have no tenant column.
type Tenant struct {
	TenantID string `json:"tenant_id"`
}

// JobTenant implements TenantJob.
func (t Tenant) JobTenant() string { return t.TenantID }

// System is embedded in the args of jobs that span tenants. It adds nothing to
// the args JSON; it only declares, at registration, that the missing tenant is
// intended.
type System struct{}

// JobSystem implements SystemJob.
func (System) JobSystem() {}

// declaredTenancy reports an error unless args declares its tenancy.
func declaredTenancy(args river.JobArgs) error {
	switch args.(type) {
	case TenantJob, SystemJob:
		return nil
	}
	return fmt.Errorf("job args %T (kind %q) declare no tenancy: embed jobs.Tenant (tenant-scoped job) or jobs.System (cross-tenant job)", args, args.Kind())
}

// checkTenant rejects a tenant-scoped job without a tenant id. It is the one
// check every insert path (Insert, InsertTx, periodic enqueues) goes through.
func checkTenant(args river.JobArgs) error {
	if err := declaredTenancy(args); err != nil {
		return err
	}
	if tj, ok := args.(TenantJob); ok && tj.JobTenant() == "" {
		return governance.Errorf(governance.KindInvalid, "job_tenant_missing",
			"job %q has no tenant id: set TenantID before enqueueing it", args.Kind())
	}
	return nil
}

// tenancyMiddleware enforces checkTenant inside River, so that jobs inserted
// by River itself (the periodic enqueuer) obey the same rule as ours.
type tenancyMiddleware struct {
	river.MiddlewareDefaults
}

func (m *tenancyMiddleware) InsertMany(ctx context.Context, many []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	for _, p := range many {
		if err := checkTenant(p.Args); err != nil {
			return nil, err
		}
	}
	return doInner(ctx)
}

var _ rivertype.JobInsertMiddleware = (*tenancyMiddleware)(nil)
