package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stewardhq/steward/governance"
)

// The methods in this file keep the delivery log: one row per event sent
// (or to be sent) to one subscription. Deleting a subscription deletes its
// log by cascade.

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
	return delivery(ctx, db.reader, tenantID, id)
}

// DeliveryTx is Delivery inside tx (see TemplateVersionTx).
func (db *DB) DeliveryTx(ctx context.Context, tx *Tx, tenantID, id string) (governance.WebhookDelivery, error) {
	return delivery(ctx, tx, tenantID, id)
}

func delivery(ctx context.Context, q querier, tenantID, id string) (governance.WebhookDelivery, error) {
	d, err := scanDelivery(q.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE tenant_id = $1 AND delivery_id = $2`, tenantID, id))
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
// when before is zero). It pages by time alone; DeliveryPage continues
// exactly where a page ended.
func (db *DB) Deliveries(ctx context.Context, tenantID, subscriptionID string, limit int, before time.Time) ([]governance.WebhookDelivery, error) {
	return db.DeliveryPage(ctx, tenantID, subscriptionID, limit, before, "")
}

// DeliveryPage lists the delivery log of one subscription, newest first: at
// most limit rows (1 to 500; 50 when limit <= 0) after the cursor
// (before, beforeID), the CreatedAt and ID of the previous page's last row.
// Rows of one transaction share a CreatedAt, so the id breaks ties; an
// empty beforeID continues by time alone (rows created at before are
// skipped), a zero before starts from the newest.
func (db *DB) DeliveryPage(ctx context.Context, tenantID, subscriptionID string, limit int, before time.Time, beforeID string) ([]governance.WebhookDelivery, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	var rows *sql.Rows
	var err error
	switch {
	case before.IsZero():
		rows, err = db.reader.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE tenant_id = $1 AND subscription_id = $2
			ORDER BY created_at DESC, delivery_id DESC LIMIT $3`, tenantID, subscriptionID, limit)
	case beforeID == "":
		rows, err = db.reader.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE tenant_id = $1 AND subscription_id = $2 AND created_at < $3
			ORDER BY created_at DESC, delivery_id DESC LIMIT $4`, tenantID, subscriptionID, before.UTC(), limit)
	default:
		rows, err = db.reader.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE tenant_id = $1 AND subscription_id = $2
			AND (created_at < $3 OR (created_at = $3 AND delivery_id < $4))
			ORDER BY created_at DESC, delivery_id DESC LIMIT $5`, tenantID, subscriptionID, before.UTC(), beforeID, limit)
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

// RestartDeliveryTx sets a delivery that has succeeded or failed back to
// pending, due at tx.Now, with no error, inside tx, and returns it. The
// state is checked by the update itself, so of two concurrent restarts one
// wins and the other gets the conflict: a message is never queued twice.
// Errors: KindNotFound, KindConflict (webhook_delivery_in_progress: it is
// pending or retrying).
func (db *DB) RestartDeliveryTx(ctx context.Context, tx *Tx, tenantID, id string) (governance.WebhookDelivery, error) {
	row := tx.QueryRowContext(ctx, `UPDATE webhook_deliveries SET status = $3, error = '', next_attempt_at = $4, updated_at = $4
		WHERE tenant_id = $1 AND delivery_id = $2 AND status IN ($5, $6) RETURNING `+deliveryColumns,
		tenantID, id, governance.DeliveryPending, tx.Now, governance.DeliverySucceeded, governance.DeliveryFailed)
	d, err := scanDelivery(row)
	if errors.Is(err, sql.ErrNoRows) {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM webhook_deliveries WHERE tenant_id = $1 AND delivery_id = $2`, tenantID, id).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return d, notFound("webhook_delivery_not_found", "tenant %q has no webhook delivery %q", tenantID, id)
		}
		if err != nil {
			return d, classify("restart webhook delivery", err)
		}
		return d, conflict("webhook_delivery_in_progress", "this delivery is still being attempted; wait until it has succeeded or failed")
	}
	return d, classify("restart webhook delivery", err)
}
