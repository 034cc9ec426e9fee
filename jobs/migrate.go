package jobs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/rivermigrate"
)

// MigrationStatus is one of River's schema migrations and whether the
// database has it.
type MigrationStatus struct {
	Version int
	Name    string
	Applied bool
}

// Migrate applies River's own migrations (its tables are not the store's and
// are versioned separately). It is idempotent, and on PostgreSQL concurrent
// callers, such as replicas starting together, take turns.
func (q *Queue) Migrate(ctx context.Context) error {
	unlock, err := q.lock(ctx)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	defer unlock()
	res, err := q.migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	for _, v := range res.Versions {
		q.logger.InfoContext(ctx, "jobs: applied river migration", "version", v.Version, "name", v.Name, "duration", v.Duration)
	}
	return nil
}

// MigrationStatus lists every River migration this build knows, oldest
// first, marking those the database has applied.
func (q *Queue) MigrationStatus(ctx context.Context) ([]MigrationStatus, error) {
	applied, err := q.migrator.ExistingVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("jobs: migration status: %w", err)
	}
	done := make(map[int]bool, len(applied))
	for _, m := range applied {
		done[m.Version] = true
	}
	all := q.migrator.AllVersions()
	out := make([]MigrationStatus, 0, len(all))
	for _, m := range all {
		out = append(out, MigrationStatus{Version: m.Version, Name: m.Name, Applied: done[m.Version]})
	}
	return out, nil
}

// advisoryLock holds a session advisory lock on one pooled connection while
// River migrates on others, because rivermigrate itself takes no lock. The key
// is derived from the schema so that databases shared by several Steward
// installations (or parallel tests) only serialize within one schema.
func advisoryLock(ctx context.Context, pool *pgxpool.Pool) (func(), error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire lock connection: %w", err)
	}
	const key = `hashtextextended('steward.jobs.migrate.' || current_schema(), 0)`
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock("+key+")"); err != nil {
		conn.Release()
		return nil, fmt.Errorf("take migration lock: %w", err)
	}
	return func() {
		// Unlock even if the caller's context has ended; if that fails the
		// connection is closed, which releases the lock too.
		ctx := context.WithoutCancel(ctx)
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock("+key+")"); err != nil {
			_ = conn.Conn().Close(ctx)
		}
		conn.Release()
	}, nil
}
