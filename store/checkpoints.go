package store

import (
	"context"
	"database/sql"
	"errors"
)

// Checkpoint returns the provisioning checkpoint of a request.
// Errors: KindNotFound when provisioning never saved one.
func (db *DB) Checkpoint(ctx context.Context, tenantID, requestID string) ([]byte, error) {
	var doc string
	err := db.reader.QueryRowContext(ctx, `SELECT doc FROM provision_checkpoints WHERE tenant_id = $1 AND request_id = $2`,
		tenantID, requestID).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("checkpoint_not_found", "request %q has no provisioning checkpoint", requestID)
	}
	if err != nil {
		return nil, classify("get checkpoint", err)
	}
	return []byte(doc), nil
}

// SaveCheckpoint stores (or replaces) a request's provisioning checkpoint.
// It commits before returning: a checkpoint is the promise a rerun relies
// on. Errors: KindNotFound (no such request).
func (db *DB) SaveCheckpoint(ctx context.Context, tenantID, requestID string, doc []byte) error {
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO provision_checkpoints (tenant_id, request_id, doc, updated_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (tenant_id, request_id) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at`,
			tenantID, requestID, string(doc), tx.Now)
		if isForeignKeyViolation(err) {
			return notFound("request_not_found", "request %q does not exist", requestID)
		}
		return classify("save checkpoint", err)
	})
}
