package jobs

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/stewardhq/steward/internal/testenv"
)

func TestSQLite(t *testing.T) {
	t.Parallel()
	runSuite(t, openSQLite)
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	runSuite(t, openPostgres)
}

// TestPostgresInsertTxNotifies proves that a job inserted through the
// database/sql client wakes the pgx client's workers at commit (NOTIFY), not
// at the next poll.
func TestPostgresInsertTxNotifies(t *testing.T) {
	t.Parallel()
	e := openPostgres(t)
	cfg := testConfig()
	cfg.FetchPollInterval = time.Minute
	q := e.queue(t, cfg)
	ran := make(chan struct{}, 1)
	Register(q, river.WorkFunc(func(context.Context, *river.Job[taskArgs]) error {
		ran <- struct{}{}
		return nil
	}))
	start(t, q)
	time.Sleep(200 * time.Millisecond) // let the start-up fetch pass
	tx, err := e.db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.InsertTx(t.Context(), tx, taskArgs{Tenant: Tenant{"contoso"}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("the committed job did not run within 5s with a 1 min poll interval")
	}
}

// openSQLite opens a fresh database file the way the store opens its writer:
// one connection, WAL, busy timeout, foreign keys, BEGIN IMMEDIATE.
func openSQLite(t *testing.T) *env {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "steward.db") +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_txlock=immediate"
	writer, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	writer.SetMaxOpenConns(1)
	t.Cleanup(func() { writer.Close() })
	var mode string
	if err := writer.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	return &env{
		db: writer,
		newQueue: func(t *testing.T, cfg Config) *Queue {
			t.Helper()
			q, err := NewSQLite(writer, cfg)
			if err != nil {
				t.Fatal(err)
			}
			return q
		},
	}
}

// openPostgres opens a pool and a database/sql handle on it, as the store
// does, on a fresh schema selected by search_path.
func openPostgres(t *testing.T) *env {
	t.Helper()
	dsn := testenv.PostgresDSN(t)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 6 // the suite runs its subtests in parallel
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	db := stdlib.OpenDBFromPool(pool)
	t.Cleanup(func() { db.Close() })
	return &env{
		db: db,
		newQueue: func(t *testing.T, cfg Config) *Queue {
			t.Helper()
			q, err := NewPostgres(pool, db, cfg)
			if err != nil {
				t.Fatal(err)
			}
			return q
		},
		postMigrate: func(t *testing.T) {
			t.Helper()
			// River names no schema, so its tables must be in the test's
			// schema (first in search_path), not in public.
			var schema, tableSchema string
			err := db.QueryRow(`SELECT current_schema(), n.nspname FROM pg_class c
				JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = 'river_job'::regclass`).Scan(&schema, &tableSchema)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(schema, "t_") || tableSchema != schema {
				t.Fatalf("river_job is in schema %q, current schema %q: want the test's own t_ schema", tableSchema, schema)
			}
		},
	}
}

// TestSQLiteResumesJobsOfADeadProcess: a job a killed process left
// "running" is worked as soon as the next process starts its queue, not
// after River's rescue delay.
func TestSQLiteResumesJobsOfADeadProcess(t *testing.T) {
	t.Parallel()
	e := openSQLite(t)
	q := e.queue(t, testConfig())
	if err := q.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{}, 1)
	Register(q, river.WorkFunc(func(context.Context, *river.Job[taskArgs]) error {
		ran <- struct{}{}
		return nil
	}))
	ref, err := q.Insert(t.Context(), taskArgs{Tenant: Tenant{"contoso"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The dead process had fetched it.
	if _, err := e.db.Exec(`UPDATE river_job SET state = 'running', attempt = 1, attempted_at = CURRENT_TIMESTAMP WHERE id = ?`, ref.ID); err != nil {
		t.Fatal(err)
	}
	start(t, q)
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("the orphaned job did not run within 5 s of start")
	}
}
