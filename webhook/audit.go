package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/telemetry"
)

// subscriptionState is a subscription as the audit trail records it. The
// signing secret is never here (it is not in the subscription either). The
// URL is reduced to its origin: the path and query of a webhook URL are
// often a capability (Zapier's and Power Automate's are), and the trail is
// readable by API keys with audit:read, which may not manage webhooks. The
// hash of the whole URL still shows that, and when, it changed.
type subscriptionState struct {
	ID          string                    `json:"id"`
	URLOrigin   string                    `json:"urlOrigin"`
	URLSHA256   string                    `json:"urlSha256"`
	Events      []governance.WebhookEvent `json:"events"`
	Enabled     bool                      `json:"enabled"`
	Description string                    `json:"description,omitempty"`
	CreatedBy   string                    `json:"createdBy"`
	Version     int64                     `json:"version"`
}

// urlOrigin is scheme://host[:port] of raw, or "" when it does not parse.
func urlOrigin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func stateOf(s governance.WebhookSubscription) json.RawMessage {
	sum := sha256.Sum256([]byte(s.URL))
	b, _ := json.Marshal(subscriptionState{ID: s.ID, URLOrigin: urlOrigin(s.URL), URLSHA256: hex.EncodeToString(sum[:]),
		Events: s.Events, Enabled: s.Enabled, Description: s.Description, CreatedBy: s.CreatedBy, Version: s.Version})
	return b
}

func actorOf(p governance.Principal) governance.AuditActor {
	return governance.AuditActor{Type: string(p.Kind), ID: p.ID, Name: p.Name}
}

// subscriptionAudit is the audit event of a change by p: before is nil for
// a creation, after for a deletion.
func subscriptionAudit(p governance.Principal, action string, before, after *governance.WebhookSubscription) governance.AuditEvent {
	e := governance.AuditEvent{TenantID: p.TenantID, Actor: actorOf(p), Action: action, SubjectType: "webhook"}
	if before != nil {
		e.SubjectID, e.Before = before.ID, stateOf(*before)
	}
	if after != nil {
		e.SubjectID, e.After = after.ID, stateOf(*after)
	}
	return e
}

// deliveryState is a delivery as the audit trail records a redelivery: not
// its payload, which the trail of the change that caused it already holds.
type deliveryState struct {
	ID             string                  `json:"id"`
	SubscriptionID string                  `json:"subscriptionId"`
	Event          governance.WebhookEvent `json:"event"`
	MessageID      string                  `json:"messageId"`
	Status         string                  `json:"status"`
	Attempt        int                     `json:"attempt"`
}

func deliveryAudit(p governance.Principal, d governance.WebhookDelivery) governance.AuditEvent {
	b, _ := json.Marshal(deliveryState{ID: d.ID, SubscriptionID: d.SubscriptionID, Event: d.Event, MessageID: d.MessageID, Status: d.Status, Attempt: d.Attempt})
	return governance.AuditEvent{TenantID: d.TenantID, Actor: actorOf(p), Action: "webhook.redelivered", SubjectType: "webhook_delivery",
		SubjectID: d.ID, After: b}
}

// audit appends e inside tx, correlated with the HTTP request that caused it.
func (d *Dispatcher) audit(ctx context.Context, tx *store.Tx, e governance.AuditEvent) error {
	if e.RequestID == "" {
		e.RequestID = telemetry.RequestID(ctx)
	}
	_, err := d.db.AppendAudit(ctx, tx, e)
	return err
}
