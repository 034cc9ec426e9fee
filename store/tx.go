package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/stewardhq/steward/governance"
)

// Tx is one write transaction with one clock reading: every row it stamps
// gets the same Now, and tests pin it through Options.Now.
type Tx struct {
	*sql.Tx
	Now time.Time
}

// InTx runs fn in a write transaction, committing when fn returns nil and
// rolling back otherwise. The job queue can insert jobs into tx.Tx so that
// data and the jobs it triggers commit together.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqltx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return classify("begin", err)
	}
	tx := &Tx{Tx: sqltx, Now: db.now().UTC().Truncate(time.Microsecond)}
	if err := fn(tx); err != nil {
		_ = sqltx.Rollback()
		return err
	}
	if err := sqltx.Commit(); err != nil {
		return classify("commit", err)
	}
	return nil
}

// isUniqueViolation reports a primary-key or unique-index violation on
// either engine.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		code := sqErr.Code()
		return code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || code == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	}
	return false
}

// isForeignKeyViolation reports a row that names a parent that does not exist.
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	var sqErr *sqlite.Error
	if errors.As(err, &sqErr) {
		return sqErr.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// classify turns driver errors into kinds: connection trouble is
// Unavailable, everything else stays internal (and is logged, not shown).
func classify(op string, err error) error {
	if err == nil {
		return nil
	}
	var ge *governance.Error
	if errors.As(err, &ge) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) && isConnError(err) {
		return unavailable(op, err)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

func isConnError(err error) bool {
	if errors.Is(err, sql.ErrConnDone) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection refused", "broken pipe", "connection reset", "closed pool", "database is closed", "failed to connect"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func notFound(code, format string, args ...any) error {
	return governance.Errorf(governance.KindNotFound, code, format, args...)
}

func conflict(code, format string, args ...any) error {
	return governance.Errorf(governance.KindConflict, code, format, args...)
}
