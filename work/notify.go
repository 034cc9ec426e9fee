package work

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/stewardhq/steward/governance"
)

// EventHook is told of every governance event emitted in a unit of work,
// inside its transaction: what it enqueues in tx (the bot's notification
// job) commits with the change the event announces, or not at all. work
// cannot import the surfaces that notify (bot), so they install a hook.
type EventHook func(ctx context.Context, tx *sql.Tx, tenantID string, event governance.WebhookEvent, data any) error

// OnEvent installs h after the hooks installed before it. Call it while
// wiring, before any unit of work runs: the hooks are read without a lock.
func (t *Transactor) OnEvent(h EventHook) {
	if h != nil {
		t.events = append(t.events, h)
	}
}

// emitted runs the event hooks; an error rolls the unit of work back.
func (t *Transactor) emitted(ctx context.Context, tx *sql.Tx, tenantID string, event governance.WebhookEvent, data any) error {
	for _, h := range t.events {
		if err := h(ctx, tx, tenantID, event, data); err != nil {
			return fmt.Errorf("work: event %s: %w", event, err)
		}
	}
	return nil
}
