package store

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one versioned schema change and whether it is applied here.
type Migration struct {
	Version   int
	Name      string
	Checksum  string
	Applied   bool
	AppliedAt time.Time
}

type migration struct {
	version int
	name    string
	sql     string // engine-neutral, with {{TYPE}} tokens and optional "-- engine:" sections
}

// Engine-specific spellings of the few types the engines disagree on.
var typeTokens = map[Engine]*strings.Replacer{
	SQLite:   strings.NewReplacer("{{BYTES}}", "BLOB", "{{TIMESTAMP}}", "TIMESTAMP", "{{BOOL}}", "BOOLEAN"),
	Postgres: strings.NewReplacer("{{BYTES}}", "BYTEA", "{{TIMESTAMP}}", "TIMESTAMPTZ", "{{BOOL}}", "BOOLEAN"),
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, path := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration file %s: name must be NNNN_description.sql", path)
		}
		body, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("store: two migrations have version %d", out[i].version)
		}
	}
	return out, nil
}

// engineMarker starts a section of a migration file that only one engine
// runs: "-- engine: sqlite", "-- engine: postgres", or "-- engine: all" to
// return to SQL both run. Sections exist for what the engines cannot say
// the same way (trigger syntax); tables and indexes stay engine-neutral.
// A marker is a whole line of its own, never inside a function body.
var engineMarker = regexp.MustCompile(`^--\s*engine:\s*(\S*)\s*$`)

// engineSQL keeps the parts of a migration file that engine runs. Marker
// lines become blank lines, so error positions keep their line numbers.
func engineSQL(src string, engine Engine) (string, error) {
	lines := strings.Split(src, "\n")
	keep := true
	for i, line := range lines {
		m := engineMarker.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil {
			if !keep {
				lines[i] = ""
			}
			continue
		}
		switch Engine(m[1]) {
		case SQLite, Postgres:
			keep = Engine(m[1]) == engine
		case "all":
			keep = true
		default:
			return "", fmt.Errorf("line %d: unknown engine %q in %q: use sqlite, postgres or all", i+1, m[1], line)
		}
		lines[i] = ""
	}
	return strings.Join(lines, "\n"), nil
}

func (m migration) checksum() string {
	sum := sha256.Sum256([]byte(m.sql))
	return hex.EncodeToString(sum[:8])
}

// schema_migrations is the only table without tenant_id: it describes the
// schema, not any tenant's data.
const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    BIGINT PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at %s NOT NULL
)`

// Migrate applies every embedded migration not yet applied, each in its own
// transaction together with its bookkeeping row. It is idempotent and safe
// to run from several replicas at once: PostgreSQL serialises them with an
// advisory lock, SQLite with its single writer. A migration that was edited
// after it was applied is reported, never re-run.
func (db *DB) Migrate(ctx context.Context) (applied []Migration, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	ts := "TIMESTAMP"
	if db.engine == Postgres {
		ts = "TIMESTAMPTZ"
	}
	if _, err := db.writer.ExecContext(ctx, fmt.Sprintf(createMigrationsTable, ts)); err != nil {
		if !isUniqueViolation(err) { // two replicas racing CREATE IF NOT EXISTS on PostgreSQL
			return nil, classify("create schema_migrations", err)
		}
	}
	for _, m := range ms {
		var did bool
		err := db.InTx(ctx, func(tx *Tx) error {
			if db.engine == Postgres {
				// Held until commit: replicas migrate one at a time.
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7461636) `); err != nil {
					return err
				}
			}
			var sum string
			err := tx.QueryRowContext(ctx, `SELECT checksum FROM schema_migrations WHERE version = $1`, m.version).Scan(&sum)
			if err == nil {
				if sum != m.checksum() {
					return fmt.Errorf("store: migration %04d_%s was changed after it was applied (checksum %s, applied %s): add a new migration instead", m.version, m.name, m.checksum(), sum)
				}
				return nil
			}
			body, err := engineSQL(m.sql, db.engine)
			if err != nil {
				return fmt.Errorf("store: migration %04d_%s: %w", m.version, m.name, err)
			}
			if _, err := tx.ExecContext(ctx, typeTokens[db.engine].Replace(body)); err != nil {
				return fmt.Errorf("store: migration %04d_%s: %w", m.version, m.name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)`,
				m.version, m.name, m.checksum(), tx.Now); err != nil {
				return err
			}
			did = true
			return nil
		})
		if err != nil {
			return applied, classify("migrate", err)
		}
		if did {
			applied = append(applied, Migration{Version: m.version, Name: m.name, Checksum: m.checksum(), Applied: true, AppliedAt: db.now().UTC()})
			db.log.Info("migration applied", "version", m.version, "name", m.name)
		}
	}
	return applied, nil
}

// MigrationStatus lists every embedded migration and whether it is applied.
func (db *DB) MigrationStatus(ctx context.Context) ([]Migration, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	applied := map[int]Migration{}
	rows, err := db.reader.QueryContext(ctx, `SELECT version, checksum, applied_at FROM schema_migrations`)
	if err != nil {
		if !isMissingTable(err) {
			return nil, classify("migration status", err)
		}
	} else {
		defer rows.Close()
		for rows.Next() {
			var m Migration
			if err := rows.Scan(&m.Version, &m.Checksum, &m.AppliedAt); err != nil {
				return nil, classify("migration status", err)
			}
			m.AppliedAt = m.AppliedAt.UTC()
			applied[m.Version] = m
		}
		if err := rows.Err(); err != nil {
			return nil, classify("migration status", err)
		}
	}
	out := make([]Migration, 0, len(ms))
	for _, m := range ms {
		st := Migration{Version: m.version, Name: m.name, Checksum: m.checksum()}
		if a, ok := applied[m.version]; ok {
			st.Applied, st.AppliedAt = true, a.AppliedAt
		}
		out = append(out, st)
	}
	return out, nil
}

func isMissingTable(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "no such table") || strings.Contains(msg, "does not exist")
}
