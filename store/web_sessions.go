package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stewardhq/steward/governance"
)

// CreateWebSession stores s. Errors: KindInvalid (missing fields),
// KindNotFound (no such tenant).
func (db *DB) CreateWebSession(ctx context.Context, s governance.WebSession) error {
	if s.TenantID == "" || len(s.IDHash) != 64 || s.UserID == "" || len(s.Claims) == 0 || s.CSRF == "" ||
		!s.ExpiresAt.After(s.CreatedAt) || s.IdleUntil.IsZero() {
		return governance.Errorf(governance.KindInvalid, "web_session_invalid",
			"a web session needs a tenant, a 64-hex id hash, a user, claims, a CSRF token and an expiry after its creation")
	}
	_, err := db.writer.ExecContext(ctx, `INSERT INTO web_sessions (tenant_id, id_hash, user_id, claims, csrf, locale, created_at, idle_until, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		s.TenantID, s.IDHash, s.UserID, string(s.Claims), s.CSRF, s.Locale, s.CreatedAt.UTC(), s.IdleUntil.UTC(), s.ExpiresAt.UTC())
	if isForeignKeyViolation(err) {
		return notFound("tenant_not_found", "tenant %q does not exist", s.TenantID)
	}
	return classify("create web session", err)
}

// WebSession returns the session of tenantID with idHash, live or not (the
// caller judges it at its own clock). Errors: KindNotFound.
func (db *DB) WebSession(ctx context.Context, tenantID, idHash string) (governance.WebSession, error) {
	s := governance.WebSession{TenantID: tenantID, IDHash: idHash}
	var claims string
	err := db.reader.QueryRowContext(ctx, `SELECT user_id, claims, csrf, locale, created_at, idle_until, expires_at FROM web_sessions
WHERE tenant_id = $1 AND id_hash = $2`, tenantID, idHash).
		Scan(&s.UserID, &claims, &s.CSRF, &s.Locale, &s.CreatedAt, &s.IdleUntil, &s.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return governance.WebSession{}, notFound("web_session_not_found", "no such session")
	}
	if err != nil {
		return governance.WebSession{}, classify("get web session", err)
	}
	s.Claims = []byte(claims)
	s.CreatedAt, s.IdleUntil, s.ExpiresAt = s.CreatedAt.UTC(), s.IdleUntil.UTC(), s.ExpiresAt.UTC()
	return s, nil
}

// TouchWebSession moves the idle deadline of a session and records its
// locale. The caller keeps idleUntil at or before the session's expiry.
func (db *DB) TouchWebSession(ctx context.Context, tenantID, idHash string, idleUntil time.Time, locale string) error {
	_, err := db.writer.ExecContext(ctx, `UPDATE web_sessions SET idle_until = $3, locale = $4
WHERE tenant_id = $1 AND id_hash = $2`, tenantID, idHash, idleUntil.UTC(), locale)
	return classify("touch web session", err)
}

// DeleteWebSession ends a session (signing out). Ending one that is gone
// is not an error.
func (db *DB) DeleteWebSession(ctx context.Context, tenantID, idHash string) error {
	_, err := db.writer.ExecContext(ctx, `DELETE FROM web_sessions WHERE tenant_id = $1 AND id_hash = $2`, tenantID, idHash)
	return classify("delete web session", err)
}

// DeleteExpiredWebSessions removes tenantID's sessions that ended before
// now (the hourly maintenance sweep) and says how many.
func (db *DB) DeleteExpiredWebSessions(ctx context.Context, tenantID string, now time.Time) (int64, error) {
	res, err := db.writer.ExecContext(ctx, `DELETE FROM web_sessions WHERE tenant_id = $1 AND (expires_at < $2 OR idle_until < $2)`, tenantID, now.UTC())
	if err != nil {
		return 0, classify("delete expired web sessions", err)
	}
	return res.RowsAffected()
}
