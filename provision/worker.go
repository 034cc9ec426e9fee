package provision

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/jobs"
)

// Queues. A provisioning job starts in Queue, where runs wait for the
// tenant's POST /teams budget while holding a worker; once the team is
// being created, or the answer to its creation was lost, the rest (looks
// for the team and, if it was not made, its second try; polls, mail alias,
// members, completion) runs in FollowupQueue, so it never waits behind
// teams still queueing for their creation slot.
const (
	Queue         = "provision"
	FollowupQueue = "provision_followup"
	// QueueWorkers bounds concurrent creations per process: at Microsoft's
	// 10 POST /teams per second, 64 waiting runs are 6.4 s of budget.
	QueueWorkers         = 64
	FollowupQueueWorkers = 32
)

// Queues are the queues and worker counts to give jobs.Config.Queues.
func Queues() map[string]int {
	return map[string]int{Queue: QueueWorkers, FollowupQueue: FollowupQueueWorkers}
}

// RunTimeout bounds one run of a provisioning job. A run makes a handful
// of Graph calls (waits between polls are snoozes, not sleeps); what takes
// time is waiting for the tenant's budget when many teams are created at
// once.
const RunTimeout = 5 * time.Minute

// Followup continues a request's provisioning after its team creation
// started.
type Followup struct {
	TenantID  string `json:"tenant_id"`
	RequestID string `json:"request_id"`
	Attempt   int    `json:"attempt"`
}

// Kind names the job.
func (Followup) Kind() string { return "provision_followup" }

// JobTenant is the tenant the job acts for.
func (f Followup) JobTenant() string { return f.TenantID }

// InsertOpts puts follow-ups in FollowupQueue, one per request attempt.
func (Followup) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: FollowupQueue, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Worker works governance.ProvisionRequest jobs.
type Worker struct {
	river.WorkerDefaults[governance.ProvisionRequest]
	engine *Engine
	queue  *jobs.Queue
}

// FollowupWorker works Followup jobs.
type FollowupWorker struct {
	river.WorkerDefaults[Followup]
	engine *Engine
}

// Register adds both workers to q.
func Register(q *jobs.Queue, e *Engine) {
	jobs.Register(q, &Worker{engine: e, queue: q})
	jobs.Register(q, &FollowupWorker{engine: e})
}

// Timeout is RunTimeout.
func (w *Worker) Timeout(*river.Job[governance.ProvisionRequest]) time.Duration { return RunTimeout }

// Timeout is RunTimeout.
func (w *FollowupWorker) Timeout(*river.Job[Followup]) time.Duration { return RunTimeout }

// Work runs the request's provisioning until the team is being created,
// then hands the rest to a Followup job.
func (w *Worker) Work(ctx context.Context, job *river.Job[governance.ProvisionRequest]) error {
	a := job.Args
	res, err := w.engine.Run(ctx, a.TenantID, a.RequestID, a.Attempt)
	if err != nil {
		return giveUp(ctx, w.engine, a.TenantID, a.RequestID, job.Attempt, job.MaxAttempts, err)
	}
	if res.Done {
		return nil
	}
	if !res.Created {
		return river.JobSnooze(res.Wait)
	}
	// A run whose creation answer was lost also moves on: snoozed here, it
	// would be fetched after every first creation queued before it (River
	// takes the oldest scheduled job first), so its looks and its second
	// try would wait for the whole backlog; the follow-up queue runs them
	// on time, and the second try goes ahead of first tries in the budget.
	// Available at once: a follow-up that starts early waits for the
	// checkpoint's next poll time by snoozing, which is finer-grained than
	// a scheduled insert (River promotes scheduled jobs every 5 s). If this
	// process dies before the job is marked complete, the rerun finds the
	// checkpoint and inserts the same (unique) follow-up.
	_, err = w.queue.Insert(ctx, Followup{TenantID: a.TenantID, RequestID: a.RequestID, Attempt: a.Attempt}, nil)
	return err
}

// Work continues the request's provisioning, snoozing while Teams works.
func (w *FollowupWorker) Work(ctx context.Context, job *river.Job[Followup]) error {
	a := job.Args
	res, err := w.engine.Run(ctx, a.TenantID, a.RequestID, a.Attempt)
	if err != nil {
		return giveUp(ctx, w.engine, a.TenantID, a.RequestID, job.Attempt, job.MaxAttempts, err)
	}
	if !res.Done && res.Wait > 0 {
		return river.JobSnooze(res.Wait)
	}
	return nil
}

// giveUp marks the request failed when the queue is about to discard the
// job, so that a request never stays "provisioning" forever; the error is
// returned for the queue to retry (or discard) as usual.
func giveUp(ctx context.Context, e *Engine, tenantID, requestID string, attempt, maxAttempts int, err error) error {
	if attempt >= maxAttempts {
		reason := fmt.Sprintf("provisioning kept failing after %d tries: %v", attempt, err)
		if ferr := e.Fail(context.WithoutCancel(ctx), tenantID, requestID, reason); ferr != nil {
			return fmt.Errorf("%w (and marking the request failed: %v)", err, ferr)
		}
	}
	return err
}
