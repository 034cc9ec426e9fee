package webhook

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/store"
)

// The methods in this file are the integration manager's: they manage a
// tenant's subscriptions and their delivery logs. Each checks the principal
// itself, acts within the principal's tenant only, and records every change
// in the audit trail in the transaction that makes it.

// requireManager admits integration managers (administrators hold every
// role) and API keys with webhooks:manage, which is how an integration
// such as Zapier subscribes its own endpoint (REST hooks).
func requireManager(p governance.Principal) error {
	return governance.RequireScope(p, governance.ScopeWebhooksManage, governance.RoleIntegrationManager)
}

// Subscriptions lists the subscriptions of p's tenant, oldest first.
//
// Errors: KindUnauthenticated, KindForbidden (role_required,
// scope_required); otherwise what the store returned.
func (d *Dispatcher) Subscriptions(ctx context.Context, p governance.Principal) ([]governance.WebhookSubscription, error) {
	if err := requireManager(p); err != nil {
		return nil, err
	}
	subs, err := d.db.Webhooks(ctx, p.TenantID)
	if err != nil {
		return nil, fmt.Errorf("webhook: list: %w", err)
	}
	out := []governance.WebhookSubscription{}
	for _, s := range subs {
		if s.TenantID == p.TenantID { // the store filters; this keeps a fault from leaking
			out = append(out, s)
		}
	}
	return out, nil
}

// Subscription returns one subscription of p's tenant.
//
// Errors: KindUnauthenticated, KindForbidden, KindNotFound (webhook_not_found,
// also for another tenant's).
func (d *Dispatcher) Subscription(ctx context.Context, p governance.Principal, id string) (governance.WebhookSubscription, error) {
	if err := requireManager(p); err != nil {
		return governance.WebhookSubscription{}, err
	}
	s, err := d.db.Webhook(ctx, p.TenantID, id)
	if err != nil {
		return governance.WebhookSubscription{}, fmt.Errorf("webhook: get: %w", err)
	}
	return s, nil
}

// Subscribe creates a subscription in p's tenant and returns it with its
// signing secret. The secret is returned this once and stored only sealed in
// the vault: show it to the user now, it cannot be read back.
//
// Errors: KindUnauthenticated, KindForbidden (needs integration_manager, or
// webhooks:manage for an API key), KindInvalid (sub.Validate); otherwise
// what the vault or store returned.
func (d *Dispatcher) Subscribe(ctx context.Context, p governance.Principal, sub governance.WebhookSubscription) (governance.WebhookSubscription, string, error) {
	if err := requireManager(p); err != nil {
		return governance.WebhookSubscription{}, "", err
	}
	id, err := randomID("wh_")
	if err != nil {
		return governance.WebhookSubscription{}, "", err
	}
	sub.TenantID, sub.ID, sub.CreatedBy = p.TenantID, id, p.ID
	if err := sub.Validate(d.opts.DevMode); err != nil {
		return governance.WebhookSubscription{}, "", err
	}
	secret, err := NewSecret()
	if err != nil {
		return governance.WebhookSubscription{}, "", err
	}
	// Secret first: a subscription row without its secret could never be
	// delivered, while a secret without its row is only an orphan we remove.
	if err := d.vault.PutSecret(ctx, sub.TenantID, SecretName(sub.ID), []byte(secret)); err != nil {
		return governance.WebhookSubscription{}, "", fmt.Errorf("webhook: subscribe: %w", err)
	}
	var created governance.WebhookSubscription
	err = d.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if created, err = d.db.CreateWebhookTx(ctx, tx, sub); err != nil {
			return err
		}
		return d.audit(ctx, tx, subscriptionAudit(p, "webhook.created", nil, &created))
	})
	if err != nil {
		_ = d.vault.DeleteSecret(context.WithoutCancel(ctx), sub.TenantID, SecretName(sub.ID))
		return governance.WebhookSubscription{}, "", fmt.Errorf("webhook: subscribe: %w", err)
	}
	return created, secret, nil
}

// Update applies change to a subscription of p's tenant, if change.Version
// is still its version, and returns it as stored. The URL and events are
// validated as on Subscribe; the signing secret does not change.
//
// Errors: KindUnauthenticated, KindForbidden, KindInvalid
// (webhook_change_empty, sub.Validate), KindNotFound, KindConflict
// (webhook_version_conflict).
func (d *Dispatcher) Update(ctx context.Context, p governance.Principal, id string, change governance.WebhookChange) (governance.WebhookSubscription, error) {
	if err := requireManager(p); err != nil {
		return governance.WebhookSubscription{}, err
	}
	if change.Empty() {
		return governance.WebhookSubscription{}, governance.Errorf(governance.KindInvalid, "webhook_change_empty",
			"say what to change: url, events, enabled or description")
	}
	var out governance.WebhookSubscription
	err := d.db.InTx(ctx, func(tx *store.Tx) error {
		before, err := d.db.WebhookTx(ctx, tx, p.TenantID, id)
		if err != nil {
			return err
		}
		if before.Version != change.Version {
			return governance.Errorf(governance.KindConflict, "webhook_version_conflict",
				"webhook %q is at version %d but you edited version %d: reload it and apply your change again", id, before.Version, change.Version)
		}
		next := change.Apply(before)
		if err := next.Validate(d.opts.DevMode); err != nil {
			return err
		}
		if out, err = d.db.UpdateWebhookTx(ctx, tx, next); err != nil {
			return err
		}
		return d.audit(ctx, tx, subscriptionAudit(p, "webhook.updated", &before, &out))
	})
	if err != nil {
		return governance.WebhookSubscription{}, fmt.Errorf("webhook: update: %w", err)
	}
	return out, nil
}

// Unsubscribe deletes a subscription of p's tenant, its delivery log and its
// secret. Errors: KindUnauthenticated, KindForbidden, KindNotFound.
func (d *Dispatcher) Unsubscribe(ctx context.Context, p governance.Principal, subscriptionID string) error {
	if err := requireManager(p); err != nil {
		return err
	}
	err := d.db.InTx(ctx, func(tx *store.Tx) error {
		before, err := d.db.WebhookTx(ctx, tx, p.TenantID, subscriptionID)
		if err != nil {
			return err
		}
		if err := d.db.DeleteWebhookTx(ctx, tx, p.TenantID, subscriptionID); err != nil {
			return err
		}
		return d.audit(ctx, tx, subscriptionAudit(p, "webhook.deleted", &before, nil))
	})
	if err != nil {
		return fmt.Errorf("webhook: unsubscribe: %w", err)
	}
	// After the commit: a secret without its row is an orphan, while a row
	// without its secret would fail every delivery.
	if err := d.vault.DeleteSecret(ctx, p.TenantID, SecretName(subscriptionID)); err != nil && !governance.IsKind(err, governance.KindNotFound) {
		return fmt.Errorf("webhook: unsubscribe: delete secret: %w", err)
	}
	return nil
}

// Deliveries returns one page of a subscription's delivery log, newest
// first (page.Limit 0 means governance.DeliveryPageDefault).
//
// Errors: KindUnauthenticated, KindForbidden, KindInvalid
// (page_limit_invalid, page_cursor_invalid), KindNotFound (the subscription
// is not p's tenant's).
func (d *Dispatcher) Deliveries(ctx context.Context, p governance.Principal, subscriptionID string, page governance.Page) (governance.WebhookDeliveryPage, error) {
	if err := requireManager(p); err != nil {
		return governance.WebhookDeliveryPage{}, err
	}
	limit, err := page.Size(governance.DeliveryPageDefault, governance.DeliveryPageMax)
	if err != nil {
		return governance.WebhookDeliveryPage{}, err
	}
	// An empty log and a subscription that is not there must not look alike.
	if _, err := d.db.Webhook(ctx, p.TenantID, subscriptionID); err != nil {
		return governance.WebhookDeliveryPage{}, fmt.Errorf("webhook: deliveries: %w", err)
	}
	// One row more than asked says whether another page follows.
	rows, err := d.db.DeliveryPage(ctx, p.TenantID, subscriptionID, limit+1, page.Before, page.BeforeID)
	if err != nil {
		return governance.WebhookDeliveryPage{}, fmt.Errorf("webhook: deliveries: %w", err)
	}
	out := governance.WebhookDeliveryPage{Items: []governance.WebhookDelivery{}}
	for _, r := range rows {
		if r.TenantID == p.TenantID && r.SubscriptionID == subscriptionID && len(out.Items) < limit {
			out.Items = append(out.Items, r)
		}
	}
	if len(rows) > limit && len(out.Items) > 0 {
		last := out.Items[len(out.Items)-1]
		out.Next = &governance.Cursor{Before: last.CreatedAt, BeforeID: last.ID}
	}
	return out, nil
}

// Redeliver sends a delivery of tenantID again, with a fresh budget of
// attempts, keeping its message id so the receiver can tell it is the same
// message. The system may redeliver in any tenant; everyone else in their
// own.
//
// Errors: KindUnauthenticated, KindForbidden, KindNotFound (also for another
// tenant's delivery), KindConflict (the delivery is still being attempted).
func (d *Dispatcher) Redeliver(ctx context.Context, p governance.Principal, tenantID, deliveryID string) error {
	if err := requireManager(p); err != nil {
		return err
	}
	if p.Kind != governance.PrincipalSystem && p.TenantID != tenantID {
		// Another tenant's delivery does not exist, as far as p can tell.
		return governance.Errorf(governance.KindNotFound, "webhook_delivery_not_found", "tenant %q has no webhook delivery %q", tenantID, deliveryID)
	}
	_, err := d.redeliver(ctx, p, tenantID, "", deliveryID)
	return err
}

// Resend is Redeliver for the admin center's "resend" button: the delivery
// must be one of subscriptionID's, in p's tenant. It returns the delivery
// as queued.
//
// Errors: as Redeliver; KindNotFound (webhook_delivery_not_found) for a
// delivery of another subscription.
func (d *Dispatcher) Resend(ctx context.Context, p governance.Principal, subscriptionID, deliveryID string) (governance.WebhookDelivery, error) {
	if err := requireManager(p); err != nil {
		return governance.WebhookDelivery{}, err
	}
	return d.redeliver(ctx, p, p.TenantID, subscriptionID, deliveryID)
}

// redeliver restarts a delivery (of subscriptionID, when set), queues its
// job and audits it, in one transaction.
func (d *Dispatcher) redeliver(ctx context.Context, p governance.Principal, tenantID, subscriptionID, deliveryID string) (governance.WebhookDelivery, error) {
	var out governance.WebhookDelivery
	err := d.db.InTx(ctx, func(tx *store.Tx) error {
		if subscriptionID != "" {
			del, err := d.db.DeliveryTx(ctx, tx, tenantID, deliveryID)
			if err != nil {
				return err
			}
			if del.SubscriptionID != subscriptionID {
				return governance.Errorf(governance.KindNotFound, "webhook_delivery_not_found", "webhook %q has no delivery %q", subscriptionID, deliveryID)
			}
		}
		// A conditional update: of two concurrent redeliveries one wins, so
		// the message is not queued twice.
		var err error
		if out, err = d.db.RestartDeliveryTx(ctx, tx, tenantID, deliveryID); err != nil {
			return err
		}
		if _, err := d.q.InsertTx(ctx, tx.Tx, deliveryArgs{Tenant: jobs.Tenant{TenantID: tenantID}, DeliveryID: deliveryID},
			&river.InsertOpts{MaxAttempts: d.opts.MaxAttempts}); err != nil {
			return err
		}
		e := deliveryAudit(p, out)
		e.TenantID = tenantID
		return d.audit(ctx, tx, e)
	})
	if err != nil {
		return governance.WebhookDelivery{}, fmt.Errorf("webhook: redeliver: %w", err)
	}
	return out, nil
}
