package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stewardhq/steward/governance"
)

// The methods in this file keep webhook subscriptions and their delivery
// log. Signing secrets are not here: the webhook package keeps them in the
// vault.

const webhookColumns = `tenant_id, subscription_id, url, events, description, enabled, created_by, created_at, updated_at, version`

func scanWebhook(row interface{ Scan(...any) error }) (governance.WebhookSubscription, error) {
	var s governance.WebhookSubscription
	var events string
	err := row.Scan(&s.TenantID, &s.ID, &s.URL, &events, &s.Description, &s.Enabled, &s.CreatedBy, &s.CreatedAt, &s.UpdatedAt, &s.Version)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal([]byte(events), &s.Events); err != nil {
		return s, fmt.Errorf("decode events of webhook %q: %w", s.ID, err)
	}
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	return s, nil
}

func encodeEvents(events []governance.WebhookEvent) (string, error) {
	if events == nil {
		events = []governance.WebhookEvent{}
	}
	b, err := json.Marshal(events)
	return string(b), err
}

// CreateWebhook inserts s with version 1 and returns it as stored. It does not
// validate s: URL rules depend on the deployment (dev mode), so the caller
// validates. Errors: KindConflict (id taken), KindNotFound (no such tenant).
func (db *DB) CreateWebhook(ctx context.Context, s governance.WebhookSubscription) (governance.WebhookSubscription, error) {
	events, err := encodeEvents(s.Events)
	if err != nil {
		return s, fmt.Errorf("store: create webhook: %w", err)
	}
	err = db.InTx(ctx, func(tx *Tx) error {
		s.CreatedAt, s.UpdatedAt, s.Version = tx.Now, tx.Now, 1
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_subscriptions (`+webhookColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			s.TenantID, s.ID, s.URL, events, s.Description, s.Enabled, s.CreatedBy, s.CreatedAt, s.UpdatedAt, s.Version)
		switch {
		case isUniqueViolation(err):
			return conflict("webhook_exists", "tenant %q already has a webhook %q", s.TenantID, s.ID)
		case isForeignKeyViolation(err):
			return notFound("tenant_not_found", "tenant %q does not exist", s.TenantID)
		}
		return classify("create webhook", err)
	})
	return s, err
}

// Webhook returns one subscription of the tenant. Errors: KindNotFound.
func (db *DB) Webhook(ctx context.Context, tenantID, id string) (governance.WebhookSubscription, error) {
	s, err := scanWebhook(db.reader.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhook_subscriptions WHERE tenant_id = $1 AND subscription_id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, notFound("webhook_not_found", "tenant %q has no webhook %q", tenantID, id)
	}
	return s, classify("get webhook", err)
}

// Webhooks lists the tenant's subscriptions, oldest first.
func (db *DB) Webhooks(ctx context.Context, tenantID string) ([]governance.WebhookSubscription, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhook_subscriptions WHERE tenant_id = $1 ORDER BY created_at, subscription_id`, tenantID)
	if err != nil {
		return nil, classify("list webhooks", err)
	}
	return collectWebhooks(rows, "list webhooks")
}

// SubscribersOf lists the tenant's enabled subscriptions that want event
// (listed explicitly or through "*"). The event match happens in Go: events
// are a JSON array, and matching inside it in SQL differs between engines.
func (db *DB) SubscribersOf(ctx context.Context, tenantID string, event governance.WebhookEvent) ([]governance.WebhookSubscription, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhook_subscriptions WHERE tenant_id = $1 AND enabled ORDER BY created_at, subscription_id`, tenantID)
	if err != nil {
		return nil, classify("list webhook subscribers", err)
	}
	all, err := collectWebhooks(rows, "list webhook subscribers")
	return matching(all, event), err
}

// SubscribersOfTx is SubscribersOf inside tx, so that what Emit reads and
// what it writes belong to one transaction (and, on SQLite, to the one writer
// connection tx holds).
func (db *DB) SubscribersOfTx(ctx context.Context, tx *Tx, tenantID string, event governance.WebhookEvent) ([]governance.WebhookSubscription, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhook_subscriptions WHERE tenant_id = $1 AND enabled ORDER BY created_at, subscription_id`, tenantID)
	if err != nil {
		return nil, classify("list webhook subscribers", err)
	}
	all, err := collectWebhooks(rows, "list webhook subscribers")
	return matching(all, event), err
}

func matching(subs []governance.WebhookSubscription, event governance.WebhookEvent) []governance.WebhookSubscription {
	var out []governance.WebhookSubscription
	for _, s := range subs {
		if s.Matches(event) {
			out = append(out, s)
		}
	}
	return out
}

func collectWebhooks(rows *sql.Rows, op string) ([]governance.WebhookSubscription, error) {
	defer rows.Close()
	var out []governance.WebhookSubscription
	for rows.Next() {
		s, err := scanWebhook(rows)
		if err != nil {
			return nil, classify(op, err)
		}
		out = append(out, s)
	}
	return out, classify(op, rows.Err())
}

// UpdateWebhook stores s's url, events, description and enabled flag if the
// stored version is still s.Version, and returns it as stored.
// Errors: KindNotFound, KindConflict (stale version).
func (db *DB) UpdateWebhook(ctx context.Context, s governance.WebhookSubscription) (governance.WebhookSubscription, error) {
	events, err := encodeEvents(s.Events)
	if err != nil {
		return s, fmt.Errorf("store: update webhook: %w", err)
	}
	err = db.InTx(ctx, func(tx *Tx) error {
		row := tx.QueryRowContext(ctx, `UPDATE webhook_subscriptions SET url = $4, events = $5, description = $6, enabled = $7, updated_at = $8, version = version + 1
			WHERE tenant_id = $1 AND subscription_id = $2 AND version = $3 RETURNING `+webhookColumns,
			s.TenantID, s.ID, s.Version, s.URL, events, s.Description, s.Enabled, tx.Now)
		got, err := scanWebhook(row)
		if errors.Is(err, sql.ErrNoRows) {
			return staleOrMissing(ctx, tx, "webhook", `SELECT version FROM webhook_subscriptions WHERE tenant_id = $1 AND subscription_id = $2`, s.TenantID, s.ID)
		}
		if err != nil {
			return classify("update webhook", err)
		}
		s = got
		return nil
	})
	return s, err
}

// DeleteWebhook removes a subscription and, by cascade, its delivery log.
// Errors: KindNotFound.
func (db *DB) DeleteWebhook(ctx context.Context, tenantID, id string) error {
	return db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_subscriptions WHERE tenant_id = $1 AND subscription_id = $2`, tenantID, id)
		if err != nil {
			return classify("delete webhook", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("webhook_not_found", "tenant %q has no webhook %q", tenantID, id)
		}
		return nil
	})
}

const deliveryColumns = `tenant_id, delivery_id, subscription_id, event, message_id, payload, attempt, status, response_code, error, duration_ms, next_attempt_at, created_at, updated_at`

func scanDelivery(row interface{ Scan(...any) error }) (governance.WebhookDelivery, error) {
	var d governance.WebhookDelivery
	var ms int64
	var next sql.NullTime
	err := row.Scan(&d.TenantID, &d.ID, &d.SubscriptionID, &d.Event, &d.MessageID, &d.Payload, &d.Attempt, &d.Status,
		&d.ResponseCode, &d.Error, &ms, &next, &d.CreatedAt, &d.UpdatedAt)
	d.Duration = time.Duration(ms) * time.Millisecond
	if next.Valid {
		d.NextAttemptAt = next.Time.UTC()
	}
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return d, err
}

func nullTime(t time.Time) sql.NullTime {
	return sql.NullTime{Time: t.UTC(), Valid: !t.IsZero()}
}

// CreateDelivery inserts a delivery in its own transaction.
// Errors: as CreateDeliveryTx.
func (db *DB) CreateDelivery(ctx context.Context, d governance.WebhookDelivery) (governance.WebhookDelivery, error) {
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		d, err = db.CreateDeliveryTx(ctx, tx, d)
		return err
	})
	return d, err
}

// CreateDeliveryTx inserts a delivery inside tx, so that it exists only if
// the change that caused the event commits. Errors: KindConflict (id taken),
// KindNotFound (no such tenant or subscription).
func (db *DB) CreateDeliveryTx(ctx context.Context, tx *Tx, d governance.WebhookDelivery) (governance.WebhookDelivery, error) {
	d.CreatedAt, d.UpdatedAt = tx.Now, tx.Now
	if d.Payload == nil {
		d.Payload = []byte{}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (`+deliveryColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		d.TenantID, d.ID, d.SubscriptionID, string(d.Event), d.MessageID, d.Payload, d.Attempt, d.Status,
		d.ResponseCode, d.Error, d.Duration.Milliseconds(), nullTime(d.NextAttemptAt), d.CreatedAt, d.UpdatedAt)
	switch {
	case isUniqueViolation(err):
		return d, conflict("webhook_delivery_exists", "tenant %q already has a webhook delivery %q", d.TenantID, d.ID)
	case isForeignKeyViolation(err):
		return d, notFound("webhook_not_found", "tenant %q has no webhook %q", d.TenantID, d.SubscriptionID)
	}
	return d, classify("create webhook delivery", err)
}

// Delivery returns one delivery of the tenant. Errors: KindNotFound.
func (db *DB) Delivery(ctx context.Context, tenantID, id string) (governance.WebhookDelivery, error) {
	d, err := scanDelivery(db.reader.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE tenant_id = $1 AND delivery_id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, notFound("webhook_delivery_not_found", "tenant %q has no webhook delivery %q", tenantID, id)
	}
	return d, classify("get webhook delivery", err)
}

// UpdateDelivery records the outcome of an attempt in its own transaction.
// Errors: as UpdateDeliveryTx.
func (db *DB) UpdateDelivery(ctx context.Context, d governance.WebhookDelivery) (governance.WebhookDelivery, error) {
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		d, err = db.UpdateDeliveryTx(ctx, tx, d)
		return err
	})
	return d, err
}

// UpdateDeliveryTx records the outcome of an attempt inside tx: attempt,
// status, response code, error, duration and next attempt. A delivery is
// only ever worked by one job at a time, so it is not versioned.
// Errors: KindNotFound.
func (db *DB) UpdateDeliveryTx(ctx context.Context, tx *Tx, d governance.WebhookDelivery) (governance.WebhookDelivery, error) {
	d.UpdatedAt = tx.Now
	res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET attempt = $3, status = $4, response_code = $5, error = $6, duration_ms = $7, next_attempt_at = $8, updated_at = $9
		WHERE tenant_id = $1 AND delivery_id = $2`,
		d.TenantID, d.ID, d.Attempt, d.Status, d.ResponseCode, d.Error, d.Duration.Milliseconds(), nullTime(d.NextAttemptAt), d.UpdatedAt)
	if err != nil {
		return d, classify("update webhook delivery", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return d, notFound("webhook_delivery_not_found", "tenant %q has no webhook delivery %q", d.TenantID, d.ID)
	}
	return d, nil
}

// Deliveries lists the delivery log of one subscription, newest first: at
// most limit rows (1 to 500; 50 when limit <= 0) created before before (all
// when before is zero). The next page passes the last row's CreatedAt.
func (db *DB) Deliveries(ctx context.Context, tenantID, subscriptionID string, limit int, before time.Time) ([]governance.WebhookDelivery, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	var rows *sql.Rows
	var err error
	if before.IsZero() {
		rows, err = db.reader.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE tenant_id = $1 AND subscription_id = $2
			ORDER BY created_at DESC, delivery_id DESC LIMIT $3`, tenantID, subscriptionID, limit)
	} else {
		rows, err = db.reader.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE tenant_id = $1 AND subscription_id = $2 AND created_at < $3
			ORDER BY created_at DESC, delivery_id DESC LIMIT $4`, tenantID, subscriptionID, before.UTC(), limit)
	}
	if err != nil {
		return nil, classify("list webhook deliveries", err)
	}
	defer rows.Close()
	var out []governance.WebhookDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, classify("list webhook deliveries", err)
		}
		out = append(out, d)
	}
	return out, classify("list webhook deliveries", rows.Err())
}
