package store

import "context"

// Maintain runs the engine's routine upkeep. On SQLite it refreshes the
// query planner's statistics (PRAGMA optimize, which SQLite recommends
// running periodically on long-lived connections) and checkpoints the WAL so
// it does not grow without bound under steady reads. PostgreSQL does the
// equivalent itself (autovacuum, autoanalyze), so there it only checks the
// connection.
func (db *DB) Maintain(ctx context.Context) error {
	if db.engine != SQLite {
		return db.Ping(ctx)
	}
	if _, err := db.writer.ExecContext(ctx, `PRAGMA optimize`); err != nil {
		return classify("optimize", err)
	}
	if _, err := db.writer.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return classify("wal checkpoint", err)
	}
	return nil
}
