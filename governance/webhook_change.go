package governance

// WebhookChange is an edit of a subscription by an integration manager:
// a nil field keeps its value. Version is the version the editor read; a
// newer stored one makes the edit a conflict rather than silently undoing
// someone else's change.
type WebhookChange struct {
	Version     int64
	URL         *string
	Events      []WebhookEvent // nil: unchanged
	Enabled     *bool
	Description *string
}

// Empty reports whether c changes nothing.
func (c WebhookChange) Empty() bool {
	return c.URL == nil && c.Events == nil && c.Enabled == nil && c.Description == nil
}

// Apply returns s with c's fields set; the tenant, id, creator and
// timestamps are not c's to change. Validate the result.
func (c WebhookChange) Apply(s WebhookSubscription) WebhookSubscription {
	if c.URL != nil {
		s.URL = *c.URL
	}
	if c.Events != nil {
		s.Events = append([]WebhookEvent(nil), c.Events...)
	}
	if c.Enabled != nil {
		s.Enabled = *c.Enabled
	}
	if c.Description != nil {
		s.Description = *c.Description
	}
	s.Version = c.Version
	return s
}

// Page bounds of a subscription's delivery log.
const (
	DeliveryPageDefault = 50
	DeliveryPageMax     = 100
)

// WebhookDeliveryPage is one page of a delivery log, newest first; Next is
// nil on the last page.
type WebhookDeliveryPage struct {
	Items []WebhookDelivery
	Next  *Cursor
}
