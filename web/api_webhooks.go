package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/stewardhq/steward/governance"
)

// WebhookManager manages a tenant's outgoing webhooks
// (*webhook.Dispatcher). It checks the principal itself.
type WebhookManager interface {
	Subscriptions(ctx context.Context, p governance.Principal) ([]governance.WebhookSubscription, error)
	Subscription(ctx context.Context, p governance.Principal, id string) (governance.WebhookSubscription, error)
	Subscribe(ctx context.Context, p governance.Principal, sub governance.WebhookSubscription) (governance.WebhookSubscription, string, error)
	Update(ctx context.Context, p governance.Principal, id string, change governance.WebhookChange) (governance.WebhookSubscription, error)
	Unsubscribe(ctx context.Context, p governance.Principal, id string) error
	Deliveries(ctx context.Context, p governance.Principal, id string, page governance.Page) (governance.WebhookDeliveryPage, error)
	Resend(ctx context.Context, p governance.Principal, id, deliveryID string) (governance.WebhookDelivery, error)
}

// Webhook is an endpoint that receives the events it subscribed to, signed
// per Standard Webhooks. Its signing secret is shown once, on creation.
type Webhook struct {
	ID          string                    `json:"id"`
	URL         string                    `json:"url"`
	Events      []governance.WebhookEvent `json:"events"`
	Enabled     bool                      `json:"enabled"`
	Description string                    `json:"description"`
	CreatedBy   string                    `json:"createdBy"`
	CreatedAt   time.Time                 `json:"createdAt"`
	UpdatedAt   time.Time                 `json:"updatedAt"`
	Version     int64                     `json:"version"`
}

// CreatedWebhook is a new webhook with its signing secret (whsec_...):
// store it in the receiver now, it is never shown again.
type CreatedWebhook struct {
	ID          string                    `json:"id"`
	URL         string                    `json:"url"`
	Events      []governance.WebhookEvent `json:"events"`
	Enabled     bool                      `json:"enabled"`
	Description string                    `json:"description"`
	CreatedBy   string                    `json:"createdBy"`
	CreatedAt   time.Time                 `json:"createdAt"`
	UpdatedAt   time.Time                 `json:"updatedAt"`
	Version     int64                     `json:"version"`
	Secret      string                    `json:"secret"`
}

// WebhookList is the tenant's webhooks, oldest first.
type WebhookList struct {
	Items []Webhook `json:"items"`
}

// CreateWebhookBody subscribes an endpoint. Enabled defaults to true.
type CreateWebhookBody struct {
	URL         string                    `json:"url"`
	Events      []governance.WebhookEvent `json:"events"`
	Enabled     *bool                     `json:"enabled,omitempty"`
	Description string                    `json:"description,omitempty"`
}

// UpdateWebhookBody changes the fields it names; Version is the version
// edited, so a newer change is not silently undone.
type UpdateWebhookBody struct {
	Version     *int64                    `json:"version"`
	URL         *string                   `json:"url,omitempty"`
	Events      []governance.WebhookEvent `json:"events,omitempty"`
	Enabled     *bool                     `json:"enabled,omitempty"`
	Description *string                   `json:"description,omitempty"`
}

// WebhookDelivery is one event sent (or to be sent) to a webhook.
// ResponseCode is null when no answer came; Payload is the exact JSON body
// signed and sent.
type WebhookDelivery struct {
	ID            string                  `json:"id"`
	Event         governance.WebhookEvent `json:"event"`
	MessageID     string                  `json:"messageId"`
	Status        string                  `json:"status"`
	Attempt       int                     `json:"attempt"`
	ResponseCode  *int                    `json:"responseCode"`
	Error         string                  `json:"error,omitempty"`
	DurationMs    int64                   `json:"durationMs"`
	NextAttemptAt *time.Time              `json:"nextAttemptAt"`
	CreatedAt     time.Time               `json:"createdAt"`
	UpdatedAt     time.Time               `json:"updatedAt"`
	Payload       json.RawMessage         `json:"payload"`
}

// WebhookDeliveryPage is one page of a delivery log, newest first; next,
// when not null, continues it.
type WebhookDeliveryPage struct {
	Items []WebhookDelivery  `json:"items"`
	Next  *governance.Cursor `json:"next"`
}

func webhookView(s governance.WebhookSubscription) Webhook {
	events := s.Events
	if events == nil {
		events = []governance.WebhookEvent{}
	}
	return Webhook{ID: s.ID, URL: s.URL, Events: events, Enabled: s.Enabled, Description: s.Description,
		CreatedBy: s.CreatedBy, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Version: s.Version}
}

func deliveryView(d governance.WebhookDelivery) WebhookDelivery {
	v := WebhookDelivery{ID: d.ID, Event: d.Event, MessageID: d.MessageID, Status: d.Status, Attempt: d.Attempt, Error: d.Error,
		DurationMs: d.Duration.Milliseconds(), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Payload: json.RawMessage("null")}
	if d.ResponseCode != 0 {
		code := d.ResponseCode
		v.ResponseCode = &code
	}
	if !d.NextAttemptAt.IsZero() {
		next := d.NextAttemptAt
		v.NextAttemptAt = &next
	}
	if json.Valid(d.Payload) {
		v.Payload = json.RawMessage(d.Payload)
	}
	return v
}

func webhookLocation(id string) string { return apiPrefix + "/webhooks/" + url.PathEscape(id) }

func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	subs, err := a.Webhooks.Subscriptions(r.Context(), p)
	if err != nil {
		return err
	}
	out := WebhookList{Items: make([]Webhook, 0, len(subs))}
	for _, s := range subs {
		out.Items = append(out.Items, webhookView(s))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	var in CreateWebhookBody
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	enabled := in.Enabled == nil || *in.Enabled
	s, secret, err := a.Webhooks.Subscribe(r.Context(), p, governance.WebhookSubscription{URL: in.URL, Events: in.Events, Enabled: enabled, Description: in.Description})
	if err != nil {
		return err
	}
	v := webhookView(s)
	w.Header().Set("Location", webhookLocation(s.ID))
	writeJSON(w, http.StatusCreated, CreatedWebhook{ID: v.ID, URL: v.URL, Events: v.Events, Enabled: v.Enabled, Description: v.Description,
		CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt, Version: v.Version, Secret: secret})
	return nil
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	s, err := a.Webhooks.Subscription(r.Context(), p, r.PathValue("webhookId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookView(s))
	return nil
}

func (a *API) updateWebhook(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	var in UpdateWebhookBody
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Version == nil {
		return governance.Errorf(governance.KindInvalid, "webhook_version_required", "send the version of the webhook you edited, as version")
	}
	s, err := a.Webhooks.Update(r.Context(), p, r.PathValue("webhookId"), governance.WebhookChange{Version: *in.Version, URL: in.URL,
		Events: in.Events, Enabled: in.Enabled, Description: in.Description})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookView(s))
	return nil
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	if err := a.Webhooks.Unsubscribe(r.Context(), p, r.PathValue("webhookId")); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listDeliveries(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	page, err := pageParams(r, governance.DeliveryPageMax)
	if err != nil {
		return err
	}
	log, err := a.Webhooks.Deliveries(r.Context(), p, r.PathValue("webhookId"), page)
	if err != nil {
		return err
	}
	out := WebhookDeliveryPage{Items: make([]WebhookDelivery, 0, len(log.Items)), Next: log.Next}
	for _, d := range log.Items {
		out.Items = append(out.Items, deliveryView(d))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// redeliverWebhook queues a delivery again: 202, since sending happens
// later, in the delivery worker.
func (a *API) redeliverWebhook(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	d, err := a.Webhooks.Resend(r.Context(), p, r.PathValue("webhookId"), r.PathValue("deliveryId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, deliveryView(d))
	return nil
}
