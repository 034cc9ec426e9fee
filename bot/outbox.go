package bot

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/stewardhq/steward/jobs"
)

// QueueSend is the queue notifications wait in, apart from other work:
// sends wait for Teams' rate limits, and must not hold up provisioning.
const QueueSend = "bot_send"

// QueueSendWorkers bounds concurrent sends per process. A worker sleeps up
// to MaxSleep for its slot: at the documented 50 calls per second per
// tenant, 64 workers keep a tenant's second of budget busy with room for
// the connector's latency.
const QueueSendWorkers = 64

// Queues are the queues and worker counts to give jobs.Config.Queues.
func Queues() map[string]int { return map[string]int{QueueSend: QueueSendWorkers} }

// SendTimeout bounds one run of a send job: at most one conversation
// creation and one send, each after a wait under MaxSleep.
const SendTimeout = time.Minute

// DefaultMaxSleep is how long a worker sleeps for a slot before it
// snoozes the job instead.
const DefaultMaxSleep = time.Second

// SendJob is one notification. Ref names the conversation; when its
// Conversation.ID is empty, the worker first creates the bot's personal
// conversation with UserAADObjectID (Ref.ServiceURL and
// Ref.Conversation.TenantID, the Entra tenant, are then still required).
// With UpdateActivityID the activity replaces that one instead of being
// posted. Key identifies the notification: a job with the same Key is not
// enqueued twice while River keeps the first (24 h after it completed, by
// default), so a retried enqueue never sends twice.
type SendJob struct {
	TenantID         string                `json:"tenant_id"`
	Ref              ConversationReference `json:"ref"`
	UserAADObjectID  string                `json:"user_aad_object_id,omitempty"`
	Activity         json.RawMessage       `json:"activity"`
	UpdateActivityID string                `json:"update_activity_id,omitempty"`
	Key              string                `json:"key" river:"unique"`
	// Track names what the activity is about (e.g. "request:{id}") for
	// OutboxOptions.OnSent, which records where it was posted so that it
	// can be updated later.
	Track string `json:"track,omitempty"`
}

// Kind names the job.
func (SendJob) Kind() string { return "bot_send" }

// JobTenant is the Steward tenant the notification is for.
func (j SendJob) JobTenant() string { return j.TenantID }

// InsertOpts puts sends in QueueSend, unique by Key.
func (SendJob) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueSend, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

func (j SendJob) validate() error {
	switch {
	case j.Key == "":
		return errors.New("bot: outbox: the job has no Key")
	case j.Ref.ServiceURL == "" || j.Ref.Conversation.TenantID == "":
		return errors.New("bot: outbox: Ref needs ServiceURL and Conversation.TenantID")
	case j.Ref.Conversation.ID == "" && j.UserAADObjectID == "":
		return errors.New("bot: outbox: no conversation and no user to open one with")
	case j.Ref.Conversation.ID == "" && j.UpdateActivityID != "":
		return errors.New("bot: outbox: an update needs the conversation of the activity")
	}
	var a Activity
	if err := json.Unmarshal(j.Activity, &a); err != nil {
		return fmt.Errorf("bot: outbox: Activity: %w", err)
	}
	return nil
}

// OutboxOptions configure the outbox worker.
type OutboxOptions struct {
	Logger *slog.Logger
	// OnConversation is told the reference of each personal conversation
	// the worker created, so the caller stores it and later jobs carry it.
	OnConversation func(ctx context.Context, tenantID, userID string, ref ConversationReference) error
	// OnSent is told of each activity posted (not updated) for a job with
	// a Track, with its id; job.Ref is the conversation it went to, one
	// the worker just opened included. Its error is logged, not retried:
	// a retry would post the activity twice.
	OnSent func(ctx context.Context, tenantID string, job SendJob, activityID string) error
	// MaxSleep: a worker whose slot is further away snoozes the job
	// (default 1 s).
	MaxSleep time.Duration
	// MaxBackoff caps the snooze after a transient refusal without
	// Retry-After (default 5 min).
	MaxBackoff time.Duration
}

// OutboxStats count what the workers did.
type OutboxStats struct {
	Sent, Created        int64 // activities sent or updated; conversations created
	Throttled, Transient int64 // 429s; all transient refusals (429s included)
	Deferred             int64 // snoozes to wait for a slot
	GaveUp               int64 // permanent refusals
}

// Outbox enqueues notifications; its worker sends them within the limits.
type Outbox struct {
	q     *jobs.Queue
	stats *outboxCounters
}

type outboxCounters struct {
	sent, created, throttled, transient, deferred, gaveUp atomic.Int64
}

// RegisterOutbox registers the send worker on q (give the queue
// Queues()) and returns the Outbox to enqueue with.
func RegisterOutbox(q *jobs.Queue, c *Connector, o OutboxOptions) *Outbox {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxSleep <= 0 {
		o.MaxSleep = DefaultMaxSleep
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	stats := &outboxCounters{}
	jobs.Register(q, &sendWorker{c: c, o: o, stats: stats})
	return &Outbox{q: q, stats: stats}
}

// Enqueue queues a notification. ref.Duplicate reports that a job with the
// same Key exists, so nothing was queued.
func (o *Outbox) Enqueue(ctx context.Context, job SendJob) (jobs.JobRef, error) {
	if err := job.validate(); err != nil {
		return jobs.JobRef{}, err
	}
	ref, err := o.q.Insert(ctx, job, nil)
	if err != nil {
		return jobs.JobRef{}, fmt.Errorf("bot: outbox: %w", err)
	}
	return ref, nil
}

// EnqueueTx queues a notification in tx, a store transaction: it is sent
// if and only if tx commits, with the change it announces.
func (o *Outbox) EnqueueTx(ctx context.Context, tx *sql.Tx, job SendJob) (jobs.JobRef, error) {
	if err := job.validate(); err != nil {
		return jobs.JobRef{}, err
	}
	ref, err := o.q.InsertTx(ctx, tx, job, nil)
	if err != nil {
		return jobs.JobRef{}, fmt.Errorf("bot: outbox: %w", err)
	}
	return ref, nil
}

// Stats returns the workers' counters.
func (o *Outbox) Stats() OutboxStats {
	s := o.stats
	return OutboxStats{Sent: s.sent.Load(), Created: s.created.Load(), Throttled: s.throttled.Load(),
		Transient: s.transient.Load(), Deferred: s.deferred.Load(), GaveUp: s.gaveUp.Load()}
}

type sendWorker struct {
	river.WorkerDefaults[SendJob]
	c     *Connector
	o     OutboxOptions
	stats *outboxCounters
}

// Timeout is SendTimeout.
func (w *sendWorker) Timeout(*river.Job[SendJob]) time.Duration { return SendTimeout }

// Work sends one notification: it takes a slot from the limiter (sleeping
// for a near one, snoozing for a far one), makes one call, and snoozes on a
// transient refusal, so that throttling never uses up the job's attempts.
func (w *sendWorker) Work(ctx context.Context, job *river.Job[SendJob]) error {
	a := job.Args
	var act Activity
	if err := json.Unmarshal(a.Activity, &act); err != nil {
		return river.JobCancel(fmt.Errorf("bot: outbox: Activity: %w", err))
	}
	ref := a.Ref
	if ref.Conversation.ID == "" {
		cl, err := w.c.createCall(ref.ServiceURL, ref.Conversation.TenantID, a.UserAADObjectID)
		if err != nil {
			return w.outcome(job, err)
		}
		res, err := w.call(ctx, cl)
		if err != nil {
			return w.outcome(job, err)
		}
		w.stats.created.Add(1)
		// A snooze after this point opens the conversation again on the
		// next run; Teams answers with the same one.
		ref = w.c.personalRef(ref.ServiceURL, ref.Conversation.TenantID, a.UserAADObjectID, res)
		if w.o.OnConversation != nil {
			if err := w.o.OnConversation(ctx, a.TenantID, a.UserAADObjectID, ref); err != nil {
				return fmt.Errorf("bot: outbox: store the new conversation: %w", err)
			}
		}
	}
	var cl call
	var err error
	if a.UpdateActivityID != "" {
		cl, err = w.c.updateCall(ref, a.UpdateActivityID, act)
	} else {
		cl, err = w.c.sendCall(ref, "", act)
	}
	var res resourceResponse
	if err == nil {
		res, err = w.call(ctx, cl)
	}
	if err != nil {
		return w.outcome(job, err)
	}
	w.stats.sent.Add(1)
	if w.o.OnSent != nil && a.Track != "" && a.UpdateActivityID == "" && res.ID != "" {
		sent := a
		sent.Ref = ref
		if err := w.o.OnSent(ctx, a.TenantID, sent, res.ID); err != nil {
			w.o.Logger.Error("bot: outbox: could not record a sent activity; it will not be updated", "tenant_id", a.TenantID,
				"track", a.Track, "conversation_id", ref.Conversation.ID, "job_id", job.ID, "error", err)
		}
	}
	return nil
}

// errDeferred carries the snooze a far slot asks for.
type errDeferred struct{ wait time.Duration }

func (e errDeferred) Error() string { return fmt.Sprintf("bot: outbox: next slot in %s", e.wait) }

// call makes cl once in a slot within MaxSleep.
func (w *sendWorker) call(ctx context.Context, cl call) (resourceResponse, error) {
	// The token first: a fetch between the reservation and the call would
	// delay the call past its slot.
	if _, err := w.c.tokens.token(ctx); err != nil {
		return resourceResponse{}, err
	}
	wait, ok := w.c.limiter.ReserveWithin(cl.key, w.c.now(), w.o.MaxSleep)
	if !ok {
		return resourceResponse{}, errDeferred{wait}
	}
	if err := sleep(ctx, wait); err != nil {
		return resourceResponse{}, err
	}
	return w.c.once(ctx, cl)
}

// outcome turns a run's error into what River should do with the job.
func (w *sendWorker) outcome(job *river.Job[SendJob], err error) error {
	if err == nil {
		return nil
	}
	a := job.Args
	var d errDeferred
	if errors.As(err, &d) {
		w.stats.deferred.Add(1)
		return river.JobSnooze(max(d.wait, time.Millisecond))
	}
	log := w.o.Logger.With("tenant_id", a.TenantID, "conversation_id", a.Ref.Conversation.ID, "job_key", a.Key, "job_id", job.ID)
	var ce *ConnectorError
	switch {
	case errors.As(err, &ce) && ce.Transient():
		w.stats.transient.Add(1)
		if ce.Status == 429 {
			w.stats.throttled.Add(1)
		}
		wait := ce.RetryAfter
		if wait <= 0 {
			// Snoozes count as attempts too, so this backs off faster
			// than the refusals alone would; MaxBackoff bounds it.
			wait = Backoff(time.Second, w.o.MaxBackoff, min(job.Attempt-1, 16))
		}
		log.Info("bot: outbox: connector refused for now; snoozing", "status", ce.Status, "code", ce.Code, "wait", wait)
		return river.JobSnooze(wait)
	case errors.As(err, &ce), errors.Is(err, ErrServiceURLRefused):
		w.stats.gaveUp.Add(1)
		status, code := 0, ""
		if ce != nil {
			status, code = ce.Status, ce.Code
		}
		// Neither the activity nor the token: the ids, status and code
		// are what an operator needs.
		log.Warn("bot: outbox: giving up on notification", "status", status, "code", code, "refused_service_url", errors.Is(err, ErrServiceURLRefused))
		return river.JobCancel(err)
	}
	return err
}
