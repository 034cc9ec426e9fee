package provision

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/stewardhq/steward/jobs"
)

// Reconcilers (membership, lifecycle) share one shape: a job per tenant, of
// which at most one is live at a time so replicas never work a tenant
// concurrently, and a periodic sweep the elected leader enqueues once per
// interval, which starts one per tenant.

// uniqueWhileLive is the InsertOpts of a per-tenant reconcile job: unique by
// tenant until it finishes.
func uniqueWhileLive() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled}}}
}

// tenantJob is a per-tenant reconcile job's args.
type tenantJob interface {
	river.JobArgs
	JobTenant() string
}

type reconcileWorker[J tenantJob] struct {
	river.WorkerDefaults[J]
	run func(ctx context.Context, tenantID string) error
}

func (w *reconcileWorker[J]) Work(ctx context.Context, job *river.Job[J]) error {
	return w.run(ctx, job.Args.JobTenant())
}

type tenantSweepWorker[S river.JobArgs, J tenantJob] struct {
	river.WorkerDefaults[S]
	tenants func(ctx context.Context) ([]string, error)
	job     func(tenantID string) J
	q       *jobs.Queue
}

func (w *tenantSweepWorker[S, J]) Work(ctx context.Context, _ *river.Job[S]) error {
	ids, err := w.tenants(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := w.q.Insert(ctx, w.job(id), nil); err != nil {
			return err
		}
	}
	return nil
}

// registerReconciler adds a reconciler's worker (run for one tenant) and
// its sweep (args sweep, every interval) to q.
func registerReconciler[S river.JobArgs, J tenantJob](q *jobs.Queue, every time.Duration, sweep S,
	tenants func(context.Context) ([]string, error), job func(tenantID string) J, run func(context.Context, string) error) error {
	jobs.Register[J](q, &reconcileWorker[J]{run: run})
	jobs.Register[S](q, &tenantSweepWorker[S, J]{tenants: tenants, job: job, q: q})
	return q.AddPeriodic(river.PeriodicInterval(every), func() (river.JobArgs, *river.InsertOpts) {
		return sweep, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: every}}
	}, nil)
}
