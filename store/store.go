// Package store persists Steward's data with database/sql on two engines
// chosen by DSN: SQLite (modernc.org/sqlite, for one node) and PostgreSQL
// (pgx v5, for production, Citus-compatible). The same SQL runs on both.
//
// Tenancy is explicit: every table carries tenant_id, every primary key
// starts with it and every statement filters by it, so a tenant's rows can be
// distributed by tenant_id and a bug in a caller cannot read across tenants.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/stewardhq/steward/governance"
)

// Engine names a database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Options tune Open. The zero value is valid.
type Options struct {
	Logger *slog.Logger
	// Now is the clock stamped into created_at/updated_at; injected so tests
	// pin time. Defaults to time.Now.
	Now func() time.Time
	// MaxReaders bounds SQLite's read pool (default 2×GOMAXPROCS, at least 4)
	// and PostgreSQL's pool (default 4×GOMAXPROCS, at least 8).
	MaxReaders int
}

// DB is an open store. It is safe for concurrent use.
type DB struct {
	engine Engine
	// writer takes every write. On SQLite it is a single connection, so
	// writers queue in Go instead of failing with SQLITE_BUSY; on PostgreSQL
	// writer and reader are the same pool.
	writer *sql.DB
	reader *sql.DB
	pool   *pgxpool.Pool // PostgreSQL only: shared with the job queue
	path   string        // SQLite only: the database file
	now    func() time.Time
	log    *slog.Logger
}

// Open connects to the database named by dsn:
//
//	sqlite:PATH or sqlite://PATH   a SQLite file (created if missing)
//	postgres://... postgresql://... a PostgreSQL database (pgx syntax)
//
// It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	engine, target, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	db := &DB{engine: engine, now: opts.Now, log: opts.Logger}
	switch engine {
	case SQLite:
		err = db.openSQLite(ctx, target, opts)
	case Postgres:
		err = db.openPostgres(ctx, target, opts)
	}
	if err != nil {
		return nil, err
	}
	return db, nil
}

// ParseDSN tells the engine of dsn and the target to hand its driver, or a
// KindInvalid error that says what a valid DSN looks like.
func ParseDSN(dsn string) (Engine, string, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		if _, err := url.Parse(dsn); err != nil {
			return "", "", governance.Errorf(governance.KindInvalid, "database_url_invalid",
				"the PostgreSQL URL does not parse: %v", redactURLError(err))
		}
		return Postgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite://"):
		return sqlitePath(strings.TrimPrefix(dsn, "sqlite://"))
	case strings.HasPrefix(dsn, "sqlite:"):
		return sqlitePath(strings.TrimPrefix(dsn, "sqlite:"))
	}
	// The examples are arguments: they are not words to translate.
	return "", "", governance.Errorf(governance.KindInvalid, "database_url_invalid",
		"unsupported database URL: use %s (e.g. %s) or %s", "sqlite:PATH", sqliteExample, "postgres://USER@HOST:5432/DB")
}

func sqlitePath(p string) (Engine, string, error) {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i] // pragmas are Steward's to choose, not the DSN's
	}
	if p == "" || p == ":memory:" {
		return "", "", governance.Errorf(governance.KindInvalid, "database_url_invalid",
			"a SQLite URL needs a file path, e.g. %s (in-memory databases lose data)", sqliteExample)
	}
	return SQLite, p, nil
}

// sqliteExample is a SQLite DSN to show in messages.
const sqliteExample = "sqlite:steward-data/steward.db"

// redactURLError keeps url errors from echoing a password back into logs.
func redactURLError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return "malformed URL"
}

func (db *DB) openSQLite(ctx context.Context, path string, opts Options) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("store: create database directory: %w", err)
		}
	}
	db.path = path
	// _txlock=immediate takes the write lock at BEGIN, so a transaction that
	// reads then writes cannot fail half-way with SQLITE_BUSY.
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	w, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_txlock=immediate&"+common)
	if err != nil {
		return fmt.Errorf("store: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return unavailable("open sqlite", err)
	}
	// The writer set WAL mode (persistent in the file); readers only read.
	r, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)&"+common)
	if err != nil {
		w.Close()
		return fmt.Errorf("store: open sqlite readers: %w", err)
	}
	n := opts.MaxReaders
	if n <= 0 {
		n = max(4, 2*runtime.GOMAXPROCS(0))
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	db.writer, db.reader = w, r
	return nil
}

func (db *DB) openPostgres(ctx context.Context, dsn string, opts Options) error {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return governance.Errorf(governance.KindInvalid, "database_url_invalid",
			"the PostgreSQL URL is not valid: %s", redactPgxError(err))
	}
	n := opts.MaxReaders
	if n <= 0 {
		n = max(8, 4*runtime.GOMAXPROCS(0))
	}
	cfg.MaxConns = int32(n)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return unavailable("open postgres", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return unavailable("open postgres", err)
	}
	sdb := stdlib.OpenDBFromPool(pool)
	db.pool, db.writer, db.reader = pool, sdb, sdb
	return nil
}

// redactPgxError hides the DSN that pgx parse errors quote, password included.
func redactPgxError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return "malformed connection string"
}

func unavailable(op string, err error) error {
	return governance.Wrap(governance.KindUnavailable, "store_unavailable",
		"The database is not reachable. Check STEWARD_DATABASE_URL and that the database is running.",
		fmt.Errorf("store: %s: %w", op, err))
}

// Engine reports which engine db runs on.
func (db *DB) Engine() Engine { return db.engine }

// Writer is the handle every write goes through (a single connection on
// SQLite). The job queue shares it so jobs and data commit together.
func (db *DB) Writer() *sql.DB { return db.writer }

// Pool is the pgx pool on PostgreSQL, nil on SQLite.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Path is the SQLite database file, "" on PostgreSQL.
func (db *DB) Path() string { return db.path }

// Ping checks that the database answers, for /readyz.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.writer.PingContext(ctx); err != nil {
		return unavailable("ping", err)
	}
	if db.reader != db.writer {
		if err := db.reader.PingContext(ctx); err != nil {
			return unavailable("ping readers", err)
		}
	}
	return nil
}

// Close releases every connection.
func (db *DB) Close() error {
	var errs []error
	if db.reader != nil && db.reader != db.writer {
		errs = append(errs, db.reader.Close())
	}
	if db.writer != nil {
		errs = append(errs, db.writer.Close())
	}
	if db.pool != nil {
		db.pool.Close()
	}
	return errors.Join(errs...)
}
