package bot

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/stewardhq/steward/cards"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/store"
)

// NotifyJob asks the bot to tell the people an event concerns. It is
// enqueued in the transaction of the change the event announces
// (Notifier.EnqueueTx), so a change that rolls back notifies nobody.
// EventID makes the sends' keys: a retried job never sends twice.
type NotifyJob struct {
	TenantID string                  `json:"tenant_id"`
	EventID  string                  `json:"event_id"`
	Event    governance.WebhookEvent `json:"event"`
	Data     json.RawMessage         `json:"data"`
}

// Kind names the job.
func (NotifyJob) Kind() string { return "bot_notify" }

// JobTenant is the Steward tenant of the event.
func (j NotifyJob) JobTenant() string { return j.TenantID }

// notified are the events the bot tells people about; the others are
// for webhooks only.
var notified = map[governance.WebhookEvent]bool{
	governance.EventRequestCreated: true, governance.EventApprovalReminder: true, governance.EventApprovalEscalated: true,
	governance.EventRequestStageAdvanced: true,
	governance.EventRequestApproved:      true, governance.EventRequestRejected: true, governance.EventRequestCancelled: true,
	governance.EventTeamProvisioned: true, governance.EventTeamProvisioningFailed: true,
	governance.EventTeamExpiring: true, governance.EventMembershipRepaired: true,
}

// NotifyStore is what the Notifier reads (*store.DB).
type NotifyStore interface {
	Tenant(ctx context.Context, tenantID string) (governance.Tenant, error)
	TemplateVersion(ctx context.Context, tenantID, id string, version int) (governance.Template, error)
	Request(ctx context.Context, tenantID, id string) (governance.Request, error)
	CardPosts(ctx context.Context, tenantID, subject string) ([]store.BotCardPost, error)
}

// GroupMembers lists the members of an approval group (graph.Client).
type GroupMembers interface {
	GroupMemberIDs(ctx context.Context, tenantID, groupID string, owners bool) ([]string, error)
}

// NotifierOptions configure a Notifier.
type NotifierOptions struct {
	Store      NotifyStore
	References *References
	Outbox     *Outbox
	Groups     GroupMembers          // expands group approvers (graph.Client)
	Owners     governance.TeamOwners // a team's owners (graph.Client)
	// ServiceURL is where the bot opens a chat with a user it has none
	// with yet, e.g. https://smba.trafficmanager.net/emea/ (Teams gives no
	// service URL before the user's first activity). Empty: such users
	// are not notified.
	ServiceURL string
	// Links make the cards' links to Steward's tabs (AppID, BaseURL); the
	// tenant is set per event.
	Links  cards.Steward
	Logger *slog.Logger
}

// Notifier turns governance events into Teams notifications: approval
// cards to approvers (updated in place once decided), and cards to
// requesters and team owners, sent through the Outbox.
type Notifier struct {
	o   NotifierOptions
	log *slog.Logger
	q   *jobs.Queue
}

// NewNotifier checks o and returns a Notifier; RegisterNotifier makes it
// work.
func NewNotifier(o NotifierOptions) (*Notifier, error) {
	if o.Store == nil || o.References == nil || o.Outbox == nil {
		return nil, errors.New("bot: notifier: Store, References and Outbox are required")
	}
	if o.Links.AppID == "" {
		return nil, errors.New("bot: notifier: Links.AppID is required: the cards link to Steward's tabs")
	}
	if o.ServiceURL != "" {
		if _, err := originOf(o.ServiceURL); err != nil {
			return nil, fmt.Errorf("bot: notifier: ServiceURL: %w", err)
		}
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Notifier{o: o, log: log}, nil
}

// RegisterNotifier registers n's worker on q, the queue EnqueueTx inserts
// into. Call it while wiring, before q starts.
func RegisterNotifier(q *jobs.Queue, n *Notifier) {
	n.q = q
	jobs.Register(q, &notifyWorker{n: n})
}

// EnqueueTx queues the notification of event in tx, the transaction of the
// change it announces; events the bot does not notify queue nothing. Its
// signature is work.EventHook's: install it with Transactor.OnEvent.
func (n *Notifier) EnqueueTx(ctx context.Context, tx *sql.Tx, tenantID string, event governance.WebhookEvent, data any) error {
	if !notified[event] {
		return nil
	}
	if n.q == nil {
		return errors.New("bot: notifier: not registered on a queue (RegisterNotifier)")
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("bot: notifier: %s data: %w", event, err)
	}
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return fmt.Errorf("bot: notifier: event id: %w", err)
	}
	_, err = n.q.InsertTx(ctx, tx, NotifyJob{TenantID: tenantID, EventID: "ev_" + hex.EncodeToString(id[:]), Event: event, Data: raw}, nil)
	if err != nil {
		return fmt.Errorf("bot: notifier: %w", err)
	}
	return nil
}

type notifyWorker struct {
	river.WorkerDefaults[NotifyJob]
	n *Notifier
}

// Work notifies one event. Data that cannot make a card fails the same way
// on every try, so the job is cancelled; anything else is retried, and
// the sends already queued are not queued again (their keys).
func (w *notifyWorker) Work(ctx context.Context, job *river.Job[NotifyJob]) error {
	err := w.n.notify(ctx, job.Args)
	var pe permanentError
	if errors.As(err, &pe) || governance.IsKind(err, governance.KindNotFound) {
		w.n.log.Warn("bot: notifier: event not notified", "tenant_id", job.Args.TenantID, "event", job.Args.Event,
			"event_id", job.Args.EventID, "error", err)
		return river.JobCancel(err)
	}
	return err
}

// permanentError is a failure a retry cannot fix (a card the data cannot
// make, a payload that does not decode).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// event is one NotifyJob being worked, with what every send needs.
type event struct {
	NotifyJob
	entraTenant string
	links       cards.Steward
	users       map[string]userRef // lookups made for this event
}

type userRef struct {
	ref         ConversationReference
	teamsUserID string
	locale      string
	ok          bool
}

func (n *Notifier) notify(ctx context.Context, j NotifyJob) error {
	if !notified[j.Event] {
		return nil // acknowledged: nothing to tell anyone
	}
	tenant, err := n.o.Store.Tenant(ctx, j.TenantID)
	if err != nil {
		return fmt.Errorf("bot: notifier: %w", err)
	}
	if tenant.EntraTenantID == "" {
		n.log.Info("bot: notifier: tenant has no Entra directory; not notified", "tenant_id", j.TenantID, "event", j.Event)
		return nil
	}
	ev := &event{NotifyJob: j, entraTenant: tenant.EntraTenantID, links: n.o.Links, users: map[string]userRef{}}
	ev.links.TenantID = tenant.EntraTenantID
	switch j.Event {
	case governance.EventRequestCreated, governance.EventApprovalReminder, governance.EventApprovalEscalated, governance.EventRequestStageAdvanced:
		return withRequest(ev, func(r governance.Request) error { return n.approvalCards(ctx, ev, r) })
	case governance.EventRequestApproved, governance.EventRequestRejected, governance.EventRequestCancelled:
		return withRequest(ev, func(r governance.Request) error { return n.decided(ctx, ev, r) })
	case governance.EventTeamProvisioned:
		return withRequest(ev, func(r governance.Request) error { return n.provisioned(ctx, ev, r) })
	case governance.EventTeamProvisioningFailed:
		return withRequest(ev, func(r governance.Request) error { return n.failed(ctx, ev, r) })
	case governance.EventTeamExpiring:
		var w governance.ExpiryWarning
		if err := json.Unmarshal(j.Data, &w); err != nil {
			return permanentError{fmt.Errorf("bot: notifier: %s data: %w", j.Event, err)}
		}
		return n.expiring(ctx, ev, w)
	case governance.EventMembershipRepaired:
		var d struct {
			Team   governance.ManagedTeam      `json:"team"`
			Repair governance.MembershipRepair `json:"repair"`
		}
		if err := json.Unmarshal(j.Data, &d); err != nil {
			return permanentError{fmt.Errorf("bot: notifier: %s data: %w", j.Event, err)}
		}
		return n.repaired(ctx, ev, d.Team, d.Repair)
	}
	return nil
}

func withRequest(ev *event, fn func(r governance.Request) error) error {
	var r governance.Request
	if err := json.Unmarshal(ev.Data, &r); err != nil || r.ID == "" {
		return permanentError{fmt.Errorf("bot: notifier: %s data is not a request: %v", ev.Event, err)}
	}
	return fn(r)
}

// user looks up (once per event) how to reach an Entra user.
func (n *Notifier) user(ctx context.Context, ev *event, userID string) (userRef, error) {
	if u, ok := ev.users[userID]; ok {
		return u, nil
	}
	var u userRef
	var err error
	u.ref, u.teamsUserID, u.locale, u.ok, err = n.o.References.UserReference(ctx, ev.TenantID, userID)
	if err != nil {
		return userRef{}, fmt.Errorf("bot: notifier: %w", err)
	}
	ev.users[userID] = u
	return u, nil
}

// sendTo queues card for an Entra user, in their chat with the bot (opened
// first when there is none). what distinguishes the sends of one event to
// one person; track, when set, records where the card was posted.
func (n *Notifier) sendTo(ctx context.Context, ev *event, userID, what, track string, card func(locale string) cards.Card) error {
	u, err := n.user(ctx, ev, userID)
	if err != nil {
		return err
	}
	job := SendJob{TenantID: ev.TenantID, Key: ev.EventID + ":" + what + ":" + userID, Track: track, Ref: u.ref}
	if !u.ok {
		if n.o.ServiceURL == "" {
			n.log.Info("bot: notifier: no chat with the user and no ServiceURL to open one", "tenant_id", ev.TenantID,
				"event", ev.Event, "user_id", userID)
			return nil
		}
		job.Ref = ConversationReference{ChannelID: ChannelTeams, ServiceURL: n.o.ServiceURL}
		job.UserAADObjectID = userID
	}
	if job.Ref.Conversation.TenantID == "" {
		job.Ref.Conversation.TenantID = ev.entraTenant
	}
	if job.Activity, err = cardActivity(card(localeOr(u.locale))); err != nil {
		return err
	}
	return n.enqueue(ctx, job)
}

func (n *Notifier) enqueue(ctx context.Context, job SendJob) error {
	if _, err := n.o.Outbox.Enqueue(ctx, job); err != nil {
		return fmt.Errorf("bot: notifier: %w", err)
	}
	return nil
}

func localeOr(locale string) string {
	if locale == "" {
		return "en"
	}
	return locale
}

// cardActivity is a message carrying c.
func cardActivity(c cards.Card) (json.RawMessage, error) {
	content, err := c.JSON()
	if err != nil {
		return nil, permanentError{fmt.Errorf("bot: notifier: card: %w", err)}
	}
	data, err := json.Marshal(Activity{Type: TypeMessage,
		Attachments: []Attachment{{ContentType: ContentTypeAdaptiveCard, Content: content}}})
	if err != nil {
		return nil, fmt.Errorf("bot: notifier: %w", err)
	}
	return data, nil
}

// CardPostSaver records where cards were posted (*store.DB).
type CardPostSaver interface {
	SaveCardPost(ctx context.Context, p store.BotCardPost) error
}

// RecordSentCards is the OutboxOptions.OnSent that records each tracked
// card in db, so that the Notifier updates it in place once the request
// is decided.
func RecordSentCards(db CardPostSaver) func(ctx context.Context, tenantID string, job SendJob, activityID string) error {
	return func(ctx context.Context, tenantID string, job SendJob, activityID string) error {
		ref, err := json.Marshal(job.Ref)
		if err != nil {
			return fmt.Errorf("bot: record card: %w", err)
		}
		return db.SaveCardPost(ctx, store.BotCardPost{TenantID: tenantID, Subject: job.Track,
			ConversationID: job.Ref.Conversation.ID, ActivityID: activityID, Reference: string(ref)})
	}
}
