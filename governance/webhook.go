package governance

import (
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
)

// WebhookEvent names an event a tenant can subscribe an endpoint to. The
// names are part of Steward's public contract: integrators match on them, so
// they are never renamed, only added.
type WebhookEvent string

// The events Steward emits.
const (
	EventRequestCreated         WebhookEvent = "request.created"
	EventRequestApproved        WebhookEvent = "request.approved"
	EventRequestRejected        WebhookEvent = "request.rejected"
	EventRequestCancelled       WebhookEvent = "request.cancelled"
	EventRequestStageAdvanced   WebhookEvent = "request.stage_advanced"
	EventApprovalReminder       WebhookEvent = "request.approval_reminder"
	EventApprovalEscalated      WebhookEvent = "request.approval_escalated"
	EventTeamProvisioned        WebhookEvent = "team.provisioned"
	EventTeamProvisioningFailed WebhookEvent = "team.provisioning_failed"
	EventTeamArchived           WebhookEvent = "team.archived"
	EventTeamRenewed            WebhookEvent = "team.renewed"
	EventTeamExpiring           WebhookEvent = "team.expiring"
	EventTeamDeleted            WebhookEvent = "team.deleted"
	EventTeamInactive           WebhookEvent = "team.inactive"
	EventMembershipRepaired     WebhookEvent = "membership.repaired"
	EventTemplateUpdated        WebhookEvent = "template.updated"
	EventTeamTemplateApplied    WebhookEvent = "team.template_applied"

	// EventAll subscribes an endpoint to every event, including those added
	// later.
	EventAll WebhookEvent = "*"
)

// WebhookEvents lists every concrete event, for the admin center's picker and
// for validation.
var WebhookEvents = []WebhookEvent{
	EventRequestCreated, EventRequestApproved, EventRequestRejected, EventRequestCancelled,
	EventApprovalReminder, EventApprovalEscalated, EventTeamProvisioned, EventTeamProvisioningFailed, EventTeamArchived, EventTeamRenewed,
	EventTeamExpiring, EventMembershipRepaired, EventTemplateUpdated, EventTeamDeleted, EventTeamInactive,
	EventTeamTemplateApplied, EventRequestStageAdvanced,
}

// Valid reports whether e is a known concrete event (not "*").
func (e WebhookEvent) Valid() bool { return slices.Contains(WebhookEvents, e) }

// MaxWebhookURLLength bounds an endpoint URL; longer ones are more likely a
// mistake or an attack than an endpoint.
const MaxWebhookURLLength = 2048

// WebhookSubscription is an endpoint of a tenant that receives the events it
// subscribed to. Its signing secret is not here: it lives only in the vault.
type WebhookSubscription struct {
	TenantID string
	ID       string
	URL      string
	// Events are the subscribed events, or exactly ["*"] for all.
	Events      []WebhookEvent
	Description string
	Enabled     bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CreatedBy   string
	// Version is the optimistic-concurrency version the store checks on update.
	Version int64
}

// Matches reports whether s wants event.
func (s WebhookSubscription) Matches(event WebhookEvent) bool {
	return s.Enabled && (slices.Contains(s.Events, EventAll) || slices.Contains(s.Events, event))
}

// Validate checks what can be checked without the network: the events and
// the endpoint URL (see ValidateWebhookURL). Resolution of the host, which
// refuses private addresses, happens again at every delivery, because DNS can
// change after the subscription is saved. Errors: KindInvalid.
func (s WebhookSubscription) Validate(devMode bool) error {
	if s.TenantID == "" || s.ID == "" {
		return Errorf(KindInvalid, "webhook_invalid", "a webhook needs a tenant and an id")
	}
	if len(s.Events) == 0 {
		return Errorf(KindInvalid, "webhook_events_required", "choose at least one event, or \"*\" for all events")
	}
	seen := map[WebhookEvent]bool{}
	for _, e := range s.Events {
		switch {
		case e == EventAll && len(s.Events) > 1:
			return Errorf(KindInvalid, "webhook_event_invalid", "\"*\" already means every event: do not list other events with it")
		case e != EventAll && !e.Valid():
			return Errorf(KindInvalid, "webhook_event_unknown", "unknown event %q: use one of %s, or \"*\"", e, eventNames())
		case seen[e]:
			return Errorf(KindInvalid, "webhook_event_invalid", "event %q is listed twice", e)
		}
		seen[e] = true
	}
	if len(s.Description) > 500 {
		return Errorf(KindInvalid, "webhook_description_too_long", "the description is %d characters; the limit is 500", len(s.Description))
	}
	return ValidateWebhookURL(s.URL, devMode)
}

func eventNames() string {
	names := make([]string, len(WebhookEvents))
	for i, e := range WebhookEvents {
		names[i] = string(e)
	}
	return strings.Join(names, ", ")
}

// ValidateWebhookURL checks an endpoint URL without resolving it: absolute,
// https (http only when devMode is true and the host is loopback, for the
// local simulator), no user info (credentials in URLs end up in logs), no
// fragment (never sent), at most MaxWebhookURLLength bytes. An IP-literal
// host that is not public is refused here already. Errors: KindInvalid.
func ValidateWebhookURL(raw string, devMode bool) error {
	invalid := func(format string, args ...any) error {
		return Errorf(KindInvalid, "webhook_url_invalid", "webhook URL: "+format, args...)
	}
	if raw == "" {
		return invalid("enter the https:// URL of your endpoint")
	}
	if len(raw) > MaxWebhookURLLength {
		return invalid("it is %d characters long; the limit is %d", len(raw), MaxWebhookURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return invalid("it does not parse; use a URL like https://hooks.example.com/steward")
	}
	if !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return invalid("use an absolute URL like https://hooks.example.com/steward")
	}
	if u.User != nil {
		return invalid("remove the user name and password; authenticate the request with its signature instead")
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return invalid("remove the #fragment; it is never sent to the server")
	}
	host := u.Hostname()
	if host == "" {
		return invalid("it has no host name")
	}
	loopback := isLoopbackHost(host)
	switch u.Scheme {
	case "https":
	case "http":
		if !devMode || !loopback {
			return invalid("use https://; plain http is allowed only for a loopback endpoint in dev mode")
		}
	default:
		return invalid("the scheme %q is not supported; use https://", u.Scheme)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		if loopback && devMode {
			return nil
		}
		if !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() {
			return invalid("%s is not a public address; webhooks are delivered only to public endpoints", host)
		}
	} else if loopback && !devMode {
		return invalid("%s is this machine; webhooks are delivered only to public endpoints", host)
	}
	return nil
}

// isLoopbackHost reports localhost names and loopback IP literals.
func isLoopbackHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryRetrying  = "retrying"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// WebhookDelivery is one event sent (or to be sent) to one subscription: a
// row of the delivery log. Attempt counts the attempts made so far.
type WebhookDelivery struct {
	TenantID       string
	ID             string
	SubscriptionID string
	Event          WebhookEvent
	// MessageID is the webhook-id header: the same on every attempt, so a
	// receiver can drop duplicates.
	MessageID string
	// Payload is the exact JSON body sent, signed as is.
	Payload       []byte
	Attempt       int
	Status        string
	ResponseCode  int
	Error         string
	Duration      time.Duration
	NextAttemptAt time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}
