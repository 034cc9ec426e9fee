package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stewardhq/steward/governance"
)

// The audit trail is append-only: this file has AppendAudit and reads, and
// no update or delete. The migration's triggers refuse UPDATE and DELETE from
// anyone else; rows go only with their tenant (ON DELETE CASCADE).

const auditColumns = `tenant_id, seq, event_id, at, actor_type, actor_id, actor_name, action, subject_type, subject_id, before_json, after_json, request_id, prev_hash, hash`

func scanAudit(row interface{ Scan(...any) error }) (governance.AuditEvent, error) {
	var e governance.AuditEvent
	var before, after sql.NullString
	err := row.Scan(&e.TenantID, &e.Seq, &e.ID, &e.At, &e.Actor.Type, &e.Actor.ID, &e.Actor.Name, &e.Action,
		&e.SubjectType, &e.SubjectID, &before, &after, &e.RequestID, &e.PrevHash, &e.Hash)
	e.At = e.At.UTC()
	if before.Valid {
		e.Before = json.RawMessage(before.String)
	}
	if after.Valid {
		e.After = json.RawMessage(after.String)
	}
	return e, err
}

// AppendAudit appends e to its tenant's trail inside the caller's
// transaction, so a state change and its audit event commit together or not
// at all. It sets Seq (the tenant's last + 1), PrevHash (the last event's
// Hash, or the genesis), At (tx.Now), a random ID and Hash, stores Before and
// After in canonical form, and returns the event as stored.
//
// On PostgreSQL it takes a per-tenant advisory lock held until the
// transaction ends, so concurrent appends queue instead of forking the chain;
// call it as the transaction's last write to keep that lock short and its
// order after every row lock the transaction takes. SQLite has one writer.
//
// Errors: KindInvalid (e.Validate), KindNotFound (no such tenant),
// KindConflict with code audit_append_conflict (another append took the
// same Seq: roll back and run the whole transaction again; RecordAudit does).
func (db *DB) AppendAudit(ctx context.Context, tx *Tx, e governance.AuditEvent) (governance.AuditEvent, error) {
	if err := e.Validate(); err != nil {
		return governance.AuditEvent{}, err
	}
	var err error
	if e.Before, err = canonicalOrNil(e.Before); err != nil {
		return governance.AuditEvent{}, err
	}
	if e.After, err = canonicalOrNil(e.After); err != nil {
		return governance.AuditEvent{}, err
	}
	if db.engine == Postgres {
		// A two-key lock (namespace "AUDT" = 1096107092, tenant hash) lives
		// apart from the one-key migration lock; a hash collision between
		// tenants only makes them queue. Selecting it through tenants keeps
		// the tenant filter and tells a missing tenant apart before anything
		// is written.
		var locked bool
		err := tx.QueryRowContext(ctx, `SELECT pg_advisory_xact_lock(1096107092, hashtext(tenant_id)) IS NOT NULL FROM tenants WHERE tenant_id = $1`, e.TenantID).Scan(&locked)
		if errors.Is(err, sql.ErrNoRows) {
			return governance.AuditEvent{}, notFound("tenant_not_found", "tenant %q does not exist", e.TenantID)
		}
		if err != nil {
			return governance.AuditEvent{}, classify("append audit: lock", err)
		}
	}
	var last int64
	var prev []byte
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_events WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1`, e.TenantID).Scan(&last, &prev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		last, prev = 0, governance.AuditGenesis(e.TenantID)
	case err != nil:
		return governance.AuditEvent{}, classify("append audit: read head", err)
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return governance.AuditEvent{}, fmt.Errorf("store: append audit: event id: %w", err)
	}
	e.Seq, e.PrevHash, e.At, e.ID = last+1, prev, tx.Now, hex.EncodeToString(id[:])
	e.Hash = e.ComputeHash()
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_events (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		e.TenantID, e.Seq, e.ID, e.At, e.Actor.Type, e.Actor.ID, e.Actor.Name, e.Action, e.SubjectType, e.SubjectID,
		nullJSON(e.Before), nullJSON(e.After), e.RequestID, e.PrevHash, e.Hash)
	switch {
	case isUniqueViolation(err):
		return governance.AuditEvent{}, governance.Wrap(governance.KindConflict, "audit_append_conflict",
			"another audit event was recorded at the same time: try again", err)
	case isForeignKeyViolation(err):
		return governance.AuditEvent{}, notFound("tenant_not_found", "tenant %q does not exist", e.TenantID)
	case err != nil:
		return governance.AuditEvent{}, classify("append audit", err)
	}
	return e, nil
}

// auditAttempts bounds RecordAudit's retries. With the advisory lock a
// conflict needs an unusual race (or a random id collision), so a few
// attempts are plenty.
const auditAttempts = 5

// RecordAudit appends e in a transaction of its own, for events that go with
// no other write (a sign-in, an export). It runs the transaction again when
// another append took the same Seq. Errors: as AppendAudit.
func (db *DB) RecordAudit(ctx context.Context, e governance.AuditEvent) (governance.AuditEvent, error) {
	var out governance.AuditEvent
	var err error
	for range auditAttempts {
		err = db.InTx(ctx, func(tx *Tx) error {
			var err error
			out, err = db.AppendAudit(ctx, tx, e)
			return err
		})
		var ge *governance.Error
		if !errors.As(err, &ge) || ge.Code != "audit_append_conflict" {
			return out, err
		}
		if ctx.Err() != nil {
			return governance.AuditEvent{}, ctx.Err()
		}
	}
	return governance.AuditEvent{}, err
}

// Bounds for an open-ended time filter. On SQLite the at column is text in
// the driver's time format ("2026-11-22 09:30:00.123456 +0000 UTC"), which
// orders like time only when every value is UTC: rows are stamped in UTC,
// and bounds are converted to UTC and are always real instants. The
// conformance suite checks whole-second, fractional and other-zone bounds.
var (
	auditMinTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	auditMaxTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// AuditEvents lists a tenant's events that match f, in Seq order. Page with
// f.AfterSeq = the last Seq returned. Errors: KindInvalid (f.Validate).
func (db *DB) AuditEvents(ctx context.Context, tenantID string, f governance.AuditFilter) ([]governance.AuditEvent, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	since, until := auditMinTime, auditMaxTime
	if !f.Since.IsZero() {
		since = f.Since.UTC()
	}
	if !f.Until.IsZero() {
		until = f.Until.UTC()
	}
	exact, prefix := f.ActionPrefix()
	// One constant statement: an empty parameter switches its filter off.
	// PostgreSQL plans unnamed statements with the values bound, so unused
	// filters cost nothing and the matching index is chosen.
	rows, err := db.reader.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_events WHERE tenant_id = $1 AND seq > $2
		AND ($3 = '' OR actor_id = $3)
		AND ($4 = '' OR action = $4)
		AND ($5 = '' OR substr(action, 1, $6) = $5)
		AND ($7 = '' OR subject_type = $7)
		AND ($8 = '' OR subject_id = $8)
		AND at >= $9 AND at < $10
		ORDER BY seq LIMIT $11`,
		tenantID, f.AfterSeq, f.ActorID, exact, prefix, len(prefix), f.SubjectType, f.SubjectID, since, until, f.EffectiveLimit())
	if err != nil {
		return nil, classify("list audit events", err)
	}
	return collectAudit(rows, "list audit events")
}

// AuditChain returns up to limit (1 to 1000) of a tenant's events from
// fromSeq on, in Seq order and unfiltered: what verification reads, batch by
// batch. Errors: KindInvalid (limit out of range).
func (db *DB) AuditChain(ctx context.Context, tenantID string, fromSeq int64, limit int) ([]governance.AuditEvent, error) {
	if limit < 1 || limit > governance.AuditMaxLimit {
		return nil, governance.Errorf(governance.KindInvalid, "audit_filter_invalid", "limit %d is out of range: use 1 to %d", limit, governance.AuditMaxLimit)
	}
	rows, err := db.reader.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_events WHERE tenant_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3`,
		tenantID, fromSeq, limit)
	if err != nil {
		return nil, classify("read audit chain", err)
	}
	return collectAudit(rows, "read audit chain")
}

func collectAudit(rows *sql.Rows, op string) ([]governance.AuditEvent, error) {
	defer rows.Close()
	var out []governance.AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, classify(op, err)
		}
		out = append(out, e)
	}
	return out, classify(op, rows.Err())
}

func canonicalOrNil(raw json.RawMessage) (json.RawMessage, error) {
	if raw == nil {
		return nil, nil
	}
	c, err := governance.AuditCanonicalJSON(raw)
	if err != nil {
		return nil, governance.Wrap(governance.KindInvalid, "audit_json_invalid", "the audit event's state is not valid JSON", err)
	}
	return c, nil
}

// nullJSON stores absent state as NULL and JSON as text.
func nullJSON(raw json.RawMessage) sql.NullString {
	if raw == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: string(raw), Valid: true}
}
