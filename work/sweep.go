package work

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/store"
)

// ApprovalSweepArgs is the periodic job that sends approval reminders and
// escalations. It visits every tenant; each request is its own transaction.
type ApprovalSweepArgs struct{ jobs.System }

// Kind names the job in the queue.
func (ApprovalSweepArgs) Kind() string { return "approval_sweep" }

// ApprovalSweepInterval is how often the sweep runs: reminders and
// escalations are counted in hours, so a quarter of an hour is prompt enough.
const ApprovalSweepInterval = 15 * time.Minute

type approvalSweepWorker struct {
	river.WorkerDefaults[ApprovalSweepArgs]
	db  *store.DB
	svc *governance.RequestService
}

// Work sweeps every tenant and reports the tenants that failed; River
// retries the job, and the sweep skips what was already sent.
func (w *approvalSweepWorker) Work(ctx context.Context, _ *river.Job[ApprovalSweepArgs]) error {
	tenants, err := w.db.TenantIDs(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range tenants {
		if _, err := w.svc.SweepApprovals(ctx, t); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t, err))
		}
	}
	return errors.Join(errs...)
}

// RegisterApprovalSweep adds the sweep's worker and schedule to q; the
// elected leader enqueues it, unique per interval across replicas.
func RegisterApprovalSweep(q *jobs.Queue, db *store.DB, svc *governance.RequestService) error {
	jobs.Register(q, &approvalSweepWorker{db: db, svc: svc})
	return q.AddPeriodic(river.PeriodicInterval(ApprovalSweepInterval), func() (river.JobArgs, *river.InsertOpts) {
		return ApprovalSweepArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: ApprovalSweepInterval}}
	}, &river.PeriodicJobOpts{ID: "approval_sweep", RunOnStart: true})
}
