package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

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

// CreateWebhook inserts s with version 1 in its own transaction.
// Errors: as CreateWebhookTx.
func (db *DB) CreateWebhook(ctx context.Context, s governance.WebhookSubscription) (governance.WebhookSubscription, error) {
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		s, err = db.CreateWebhookTx(ctx, tx, s)
		return err
	})
	return s, err
}

// CreateWebhookTx inserts s with version 1 inside tx (with its audit row,
// say) and returns it as stored. It does not validate s: URL rules depend
// on the deployment (dev mode), so the caller validates.
// Errors: KindConflict (id taken), KindNotFound (no such tenant).
func (db *DB) CreateWebhookTx(ctx context.Context, tx *Tx, s governance.WebhookSubscription) (governance.WebhookSubscription, error) {
	events, err := encodeEvents(s.Events)
	if err != nil {
		return s, fmt.Errorf("store: create webhook: %w", err)
	}
	s.CreatedAt, s.UpdatedAt, s.Version = tx.Now, tx.Now, 1
	_, err = tx.ExecContext(ctx, `INSERT INTO webhook_subscriptions (`+webhookColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		s.TenantID, s.ID, s.URL, events, s.Description, s.Enabled, s.CreatedBy, s.CreatedAt, s.UpdatedAt, s.Version)
	switch {
	case isUniqueViolation(err):
		return s, conflict("webhook_exists", "tenant %q already has a webhook %q", s.TenantID, s.ID)
	case isForeignKeyViolation(err):
		return s, notFound("tenant_not_found", "tenant %q does not exist", s.TenantID)
	}
	return s, classify("create webhook", err)
}

// Webhook returns one subscription of the tenant. Errors: KindNotFound.
func (db *DB) Webhook(ctx context.Context, tenantID, id string) (governance.WebhookSubscription, error) {
	return webhookRow(db.reader.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhook_subscriptions WHERE tenant_id = $1 AND subscription_id = $2`, tenantID, id), tenantID, id)
}

// WebhookTx is Webhook inside tx, so that what a change reads (its audit
// row's before state) is what it changes. Errors: KindNotFound.
func (db *DB) WebhookTx(ctx context.Context, tx *Tx, tenantID, id string) (governance.WebhookSubscription, error) {
	return webhookRow(tx.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhook_subscriptions WHERE tenant_id = $1 AND subscription_id = $2`, tenantID, id), tenantID, id)
}

func webhookRow(row *sql.Row, tenantID, id string) (governance.WebhookSubscription, error) {
	s, err := scanWebhook(row)
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
// stored version is still s.Version, in its own transaction.
// Errors: as UpdateWebhookTx.
func (db *DB) UpdateWebhook(ctx context.Context, s governance.WebhookSubscription) (governance.WebhookSubscription, error) {
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		s, err = db.UpdateWebhookTx(ctx, tx, s)
		return err
	})
	return s, err
}

// UpdateWebhookTx is UpdateWebhook inside tx; it returns the subscription
// as stored. Errors: KindNotFound, KindConflict (stale version).
func (db *DB) UpdateWebhookTx(ctx context.Context, tx *Tx, s governance.WebhookSubscription) (governance.WebhookSubscription, error) {
	events, err := encodeEvents(s.Events)
	if err != nil {
		return s, fmt.Errorf("store: update webhook: %w", err)
	}
	row := tx.QueryRowContext(ctx, `UPDATE webhook_subscriptions SET url = $4, events = $5, description = $6, enabled = $7, updated_at = $8, version = version + 1
		WHERE tenant_id = $1 AND subscription_id = $2 AND version = $3 RETURNING `+webhookColumns,
		s.TenantID, s.ID, s.Version, s.URL, events, s.Description, s.Enabled, tx.Now)
	got, err := scanWebhook(row)
	if errors.Is(err, sql.ErrNoRows) {
		return s, staleOrMissing(ctx, tx, "webhook", `SELECT version FROM webhook_subscriptions WHERE tenant_id = $1 AND subscription_id = $2`, s.TenantID, s.ID)
	}
	if err != nil {
		return s, classify("update webhook", err)
	}
	return got, nil
}

// DeleteWebhook removes a subscription and, by cascade, its delivery log,
// in its own transaction. Errors: KindNotFound.
func (db *DB) DeleteWebhook(ctx context.Context, tenantID, id string) error {
	return db.InTx(ctx, func(tx *Tx) error { return db.DeleteWebhookTx(ctx, tx, tenantID, id) })
}

// DeleteWebhookTx is DeleteWebhook inside tx. Errors: KindNotFound.
func (db *DB) DeleteWebhookTx(ctx context.Context, tx *Tx, tenantID, id string) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM webhook_subscriptions WHERE tenant_id = $1 AND subscription_id = $2`, tenantID, id)
	if err != nil {
		return classify("delete webhook", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("webhook_not_found", "tenant %q has no webhook %q", tenantID, id)
	}
	return nil
}
