package crm

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
)

// engines runs test on a fresh, migrated SQLite database and, when
// STEWARD_TEST_POSTGRES_DSN is set (always in CI), on PostgreSQL; each
// has the tenants contoso and fabrikam.
func engines(t *testing.T, test func(t *testing.T, db *store.DB, clock *testenv.Clock)) {
	t.Helper()
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			clock := testenv.NewClock()
			test(t, openDB(t, eng.DSN(t), clock), clock)
		})
	}
}

// sqliteDB is a fresh, migrated SQLite database with the tenants contoso
// and fabrikam, for the tests whose subject is not the engine.
func sqliteDB(t *testing.T) (*store.DB, *testenv.Clock) {
	t.Helper()
	clock := testenv.NewClock()
	return openDB(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), clock), clock
}

func openDB(t *testing.T, dsn string, clock *testenv.Clock) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, store.Options{Now: clock.Now})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	for _, id := range []string{"contoso", "fabrikam"} {
		if _, err := db.CreateTenant(t.Context(), governance.Tenant{ID: id, Name: id}); err != nil {
			t.Fatalf("create tenant %s: %v", id, err)
		}
	}
	return db
}

func mustImport(t *testing.T, b *Builtin, tenantID string, kind Kind, format, data string) ImportResult {
	t.Helper()
	res, err := b.Import(t.Context(), tenantID, kind, format, strings.NewReader(data))
	if err != nil {
		t.Fatalf("import %s %s into %s: %v", format, kind, tenantID, err)
	}
	return res
}

func mustSearch(t *testing.T, c Connector, tenantID string, q Query) []Record {
	t.Helper()
	recs, err := c.Search(t.Context(), tenantID, q)
	if err != nil {
		t.Fatalf("search %s %+v: %v", tenantID, q, err)
	}
	return recs
}

// ids lists the records as kind/id, in order.
func ids(recs []Record) string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Kind)+"/"+r.ID)
	}
	return strings.Join(out, " ")
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ge *governance.Error
	if err == nil || !errors.As(err, &ge) || ge.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}
