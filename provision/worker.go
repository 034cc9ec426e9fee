package provision

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/stewardhq/steward/governance"
)

// RunTimeout bounds one run of a provisioning job. A run makes a handful
// of Graph calls (waits between polls are snoozes, not sleeps); what takes
// time is waiting for the tenant's budget when many teams are created at
// once.
const RunTimeout = 5 * time.Minute

// Worker is the job queue's worker for governance.ProvisionRequest.
type Worker struct {
	river.WorkerDefaults[governance.ProvisionRequest]
	engine *Engine
}

// NewWorker wraps e; register it with jobs.Register.
func NewWorker(e *Engine) *Worker { return &Worker{engine: e} }

// Timeout is RunTimeout.
func (w *Worker) Timeout(*river.Job[governance.ProvisionRequest]) time.Duration { return RunTimeout }

// Work runs the request's provisioning as far as it goes now, then snoozes
// the job while Teams works. Transient errors are retried by the queue
// with backoff; when the queue is about to give up, the request is marked
// failed so that it never stays "provisioning" forever.
func (w *Worker) Work(ctx context.Context, job *river.Job[governance.ProvisionRequest]) error {
	a := job.Args
	res, err := w.engine.Run(ctx, a.TenantID, a.RequestID, a.Attempt)
	if err != nil {
		if job.Attempt >= job.MaxAttempts {
			reason := fmt.Sprintf("provisioning kept failing after %d tries: %v", job.Attempt, err)
			if ferr := w.engine.Fail(context.WithoutCancel(ctx), a.TenantID, a.RequestID, reason); ferr != nil {
				return fmt.Errorf("%w (and marking the request failed: %v)", err, ferr)
			}
		}
		return err
	}
	if !res.Done && res.Wait > 0 {
		return river.JobSnooze(res.Wait)
	}
	return nil
}
