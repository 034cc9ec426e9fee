package webhook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/riverqueue/river"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/vault"
)

// Defaults for Options.
const (
	DefaultMaxAttempts = 8
	DefaultTimeout     = 10 * time.Second
)

// maxResponseBody is how much of a receiver's answer is read (and thrown
// away) so the connection can be reused; nothing of it is stored.
const maxResponseBody = 64 << 10

// Options tune a Dispatcher. The zero value is production-ready.
type Options struct {
	// Now stamps payloads and signatures. Default time.Now.
	Now func() time.Time
	// DevMode allows http:// endpoints on loopback, for the simulator. With
	// a nil client it also lets the guarded transport reach loopback.
	DevMode bool
	// MaxAttempts bounds the attempts of one delivery (default 8); after the
	// last one the delivery is failed.
	MaxAttempts int
	// Timeout bounds one attempt, from dial to the end of the response
	// (default 10 s).
	Timeout time.Duration
	// Logger receives one line per attempt; nil discards them.
	Logger *slog.Logger
}

// Dispatcher manages subscriptions and sends their events. Build it with
// New while wiring, before the queue starts: New registers the delivery
// worker.
type Dispatcher struct {
	db     *store.DB
	q      *jobs.Queue
	vault  *vault.Vault
	client *http.Client
	opts   Options
	log    *slog.Logger
}

// New returns a Dispatcher and registers its delivery job on q. client must
// refuse private addresses and not follow redirects; nil means
// edge.Guard{AllowLoopback: opts.DevMode}.Client(opts.Timeout), which does.
// It panics, like jobs.Register, when called after q started.
func New(db *store.DB, q *jobs.Queue, v *vault.Vault, client *http.Client, opts Options) *Dispatcher {
	if db == nil || q == nil || v == nil {
		panic("webhook: New needs a store, a queue and a vault")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if client == nil {
		client = edge.Guard{AllowLoopback: opts.DevMode}.Client(opts.Timeout)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{db: db, q: q, vault: v, client: client, opts: opts, log: log}
	jobs.Register(q, &deliveryWorker{d: d})
	return d
}

// SecretName is the vault name of a subscription's signing secret.
func SecretName(subscriptionID string) string { return "webhooks/" + subscriptionID }

func randomID(prefix string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook: random id: %w", err)
	}
	return prefix + hex.EncodeToString(b), nil
}

// withoutURL describes a transport error without its URL: webhook URLs
// are often capability URLs (a key in the path or query), and the delivery
// log is shown to administrators.
func withoutURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

// payload is the Standard Webhooks payload shape.
type payload struct {
	Type      governance.WebhookEvent `json:"type"`
	Timestamp string                  `json:"timestamp"`
	Data      any                     `json:"data"`
}

// Emit records event for every subscriber of the tenant and enqueues their
// deliveries, all inside tx: if the caller's change rolls back, no delivery
// exists and nothing is sent. data is encoded as the payload's "data".
//
// Errors: KindInvalid (unknown event, data that does not encode); otherwise
// what the store or queue returned.
func (d *Dispatcher) Emit(ctx context.Context, tx *store.Tx, tenantID string, event governance.WebhookEvent, data any) error {
	if !event.Valid() {
		return governance.Errorf(governance.KindInvalid, "webhook_event_unknown", "unknown webhook event %q", event)
	}
	subs, err := d.db.SubscribersOfTx(ctx, tx, tenantID, event)
	if err != nil || len(subs) == 0 {
		return err
	}
	body, err := json.Marshal(payload{Type: event, Timestamp: tx.Now.UTC().Format(time.RFC3339Nano), Data: data})
	if err != nil {
		return governance.Wrap(governance.KindInvalid, "webhook_payload_invalid", "the event data cannot be encoded as JSON", err)
	}
	for _, s := range subs {
		deliveryID, err := randomID("dl_")
		if err != nil {
			return err
		}
		msgID, err := randomID("msg_")
		if err != nil {
			return err
		}
		_, err = d.db.CreateDeliveryTx(ctx, tx, governance.WebhookDelivery{
			TenantID: tenantID, ID: deliveryID, SubscriptionID: s.ID, Event: event, MessageID: msgID,
			Payload: body, Status: governance.DeliveryPending, NextAttemptAt: tx.Now,
		})
		if err != nil {
			return fmt.Errorf("webhook: emit %s: %w", event, err)
		}
		if _, err := d.q.InsertTx(ctx, tx.Tx, deliveryArgs{Tenant: jobs.Tenant{TenantID: tenantID}, DeliveryID: deliveryID},
			&river.InsertOpts{MaxAttempts: d.opts.MaxAttempts}); err != nil {
			return fmt.Errorf("webhook: emit %s: %w", event, err)
		}
	}
	return nil
}

// deliveryArgs is the job that makes one attempt at one delivery.
type deliveryArgs struct {
	jobs.Tenant
	DeliveryID string `json:"delivery_id"`
}

// Kind implements river.JobArgs.
func (deliveryArgs) Kind() string { return "webhook_delivery" }

type deliveryWorker struct {
	river.WorkerDefaults[deliveryArgs]
	d *Dispatcher
}

// Timeout leaves the attempt's own timeout room to expire first, so a slow
// endpoint is recorded as such rather than as a cancelled job.
func (w *deliveryWorker) Timeout(*river.Job[deliveryArgs]) time.Duration {
	return w.d.opts.Timeout + 30*time.Second
}

// outcome is what one attempt came to.
type outcome struct {
	status   string // governance.Delivery*
	code     int
	err      string
	duration time.Duration
}

// Work makes one attempt. River retries on a returned error with its
// backoff; river.JobCancel stops a delivery that can never succeed.
func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[deliveryArgs]) error {
	d := w.d
	tenantID := job.Args.TenantID
	del, err := d.db.Delivery(ctx, tenantID, job.Args.DeliveryID)
	if governance.IsKind(err, governance.KindNotFound) {
		return river.JobCancel(err) // its subscription or tenant was deleted
	}
	if err != nil {
		return err
	}
	if del.Status == governance.DeliverySucceeded {
		return nil // at-least-once: an earlier run got through
	}
	sub, err := d.db.Webhook(ctx, tenantID, del.SubscriptionID)
	if governance.IsKind(err, governance.KindNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	del.Attempt++
	var out outcome
	switch {
	case !sub.Enabled:
		out = outcome{status: governance.DeliveryFailed, err: "the webhook is disabled"}
	default:
		out = w.attempt(ctx, sub, del)
	}
	if out.status == governance.DeliveryRetrying && job.Attempt >= job.MaxAttempts {
		out.status = governance.DeliveryFailed
		out.err = fmt.Sprintf("gave up after %d attempts: %s", job.Attempt, out.err)
	}
	del.Status, del.ResponseCode, del.Error, del.Duration = out.status, out.code, out.err, out.duration
	del.NextAttemptAt = time.Time{} // River picks the retry time, with jitter
	// Record the outcome even if the job's context ended: the attempt happened.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := d.db.UpdateDelivery(rctx, del); err != nil {
		return fmt.Errorf("webhook: record delivery %s: %w", del.ID, err)
	}
	d.log.LogAttrs(ctx, slog.LevelInfo, "webhook delivery attempt",
		slog.String("tenant_id", tenantID), slog.String("delivery_id", del.ID),
		slog.String("subscription_id", sub.ID), slog.String("event", string(del.Event)),
		slog.Int("attempt", del.Attempt), slog.String("status", out.status), slog.Int("response_code", out.code),
		slog.Duration("duration", out.duration))
	switch out.status {
	case governance.DeliverySucceeded:
		return nil
	case governance.DeliveryRetrying:
		return errors.New("webhook: delivery " + del.ID + ": " + out.err)
	default:
		return river.JobCancel(errors.New("webhook: delivery " + del.ID + ": " + out.err))
	}
}

// attempt signs and posts one delivery.
func (w *deliveryWorker) attempt(ctx context.Context, sub governance.WebhookSubscription, del governance.WebhookDelivery) outcome {
	d := w.d
	// Re-validated at every attempt: rules may have tightened since the
	// subscription was saved.
	if err := governance.ValidateWebhookURL(sub.URL, d.opts.DevMode); err != nil {
		_, msg := governance.Public(err)
		return outcome{status: governance.DeliveryFailed, err: msg}
	}
	secret, err := d.vault.Secret(ctx, sub.TenantID, SecretName(sub.ID))
	if err != nil {
		if governance.IsKind(err, governance.KindNotFound) {
			return outcome{status: governance.DeliveryFailed, err: "the webhook has no signing secret"}
		}
		return outcome{status: governance.DeliveryRetrying, err: "the signing secret could not be read"}
	}
	headers, err := Sign(string(secret), del.MessageID, d.opts.Now(), del.Payload)
	if err != nil {
		return outcome{status: governance.DeliveryFailed, err: "the signing secret is unusable"}
	}
	actx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, sub.URL, bytes.NewReader(del.Payload))
	if err != nil {
		return outcome{status: governance.DeliveryFailed, err: "the webhook URL cannot be requested"}
	}
	req.Header = headers
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Steward-Webhooks/1")
	start := time.Now()
	resp, err := d.client.Do(req)
	if err != nil {
		out := outcome{status: governance.DeliveryRetrying, err: "request failed: " + withoutURL(err), duration: time.Since(start)}
		var ge *governance.Error
		if errors.As(err, &ge) && ge.Code == "egress_refused" {
			// Not a network hiccup: the endpoint resolves to an address we
			// will never connect to.
			out.status, out.err = governance.DeliveryFailed, "refused to connect: "+ge.Message
		}
		return out
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBody))
	resp.Body.Close()
	out := outcome{code: resp.StatusCode, duration: time.Since(start)}
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		out.status = governance.DeliverySucceeded
	case c >= 300 && c < 400:
		// Redirects are never followed (the target was not checked);
		// retrying would get the same answer.
		out.status, out.err = governance.DeliveryFailed, fmt.Sprintf("the endpoint answered %d (redirect); redirects are not followed: configure the final URL", c)
	case c >= 400 && c < 500 && c != 408 && c != 409 && c != 425 && c != 429:
		out.status, out.err = governance.DeliveryFailed, fmt.Sprintf("the endpoint answered %d; not retried", c)
	default:
		out.status, out.err = governance.DeliveryRetrying, fmt.Sprintf("the endpoint answered %d", c)
	}
	return out
}
