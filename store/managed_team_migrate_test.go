package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stewardhq/steward/internal/testenv"
)

// TestLifecycleMigrationSchedulesExistingTeams: teams recorded before
// migration 0008 are due at once after it, so the reconciler's first
// cycle gives them their template's lifecycle.
func TestLifecycleMigrationSchedulesExistingTeams(t *testing.T) {
	for _, eng := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "steward.db") }},
		{"postgres", func(t *testing.T) string { return testenv.PostgresDSN(t) }},
	} {
		t.Run(eng.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := Open(ctx, eng.dsn(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			ms, err := loadMigrations()
			if err != nil {
				t.Fatal(err)
			}
			ts := map[Engine]string{SQLite: "TIMESTAMP", Postgres: "TIMESTAMPTZ"}[db.engine]
			if _, err := db.writer.ExecContext(ctx, fmt.Sprintf(createMigrationsTable, ts)); err != nil {
				t.Fatal(err)
			}
			// The schema as it was before 0008, recorded as applied.
			for _, m := range ms {
				if m.version >= 8 {
					break
				}
				body, err := engineSQL(m.sql, db.engine)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.writer.ExecContext(ctx, typeTokens[db.engine].Replace(body)); err != nil {
					t.Fatalf("migration %d: %v", m.version, err)
				}
				if _, err := db.writer.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)`,
					m.version, m.name, m.checksum(), time.Now().UTC()); err != nil {
					t.Fatal(err)
				}
			}
			created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			if _, err := db.writer.ExecContext(ctx, `INSERT INTO tenants (tenant_id, name, entra_tenant_id, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $4, 1)`,
				"contoso", "Contoso", "", created); err != nil {
				t.Fatal(err)
			}
			if _, err := db.writer.ExecContext(ctx, `INSERT INTO managed_teams (tenant_id, team_id, request_id, template_id, template_version, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
				"contoso", "old-team", "req-1", "project", 1, created); err != nil {
				t.Fatal(err)
			}
			applied, err := db.Migrate(ctx)
			if err != nil || len(applied) != len(ms)-7 || applied[0].Version != 8 {
				t.Fatalf("migrate: %+v, %v", applied, err)
			}
			exp, err := db.ExpiryDue(ctx, "contoso", created, 10)
			if err != nil || len(exp) != 1 || !exp[0].Lifecycle.ExpiryDueAt.Equal(created) || !exp[0].Lifecycle.ExpiresAt.IsZero() || exp[0].Version != 1 {
				t.Fatalf("expiry due: %+v, %v", exp, err)
			}
			act, err := db.ActivityDue(ctx, "contoso", created, 10)
			if err != nil || len(act) != 1 || !act[0].Lifecycle.ActivityDueAt.Equal(created) {
				t.Fatalf("activity due: %+v, %v", act, err)
			}
		})
	}
}
