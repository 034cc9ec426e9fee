package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/store/storetest"
)

func TestSQLiteConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) *store.DB {
		return openForTest(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), now)
	})
}

func TestPostgresConformance(t *testing.T) {
	testenv.PostgresDSN(t) // skip (locally) or fail (CI) before any subtest
	storetest.Run(t, func(t *testing.T, now func() time.Time) *store.DB {
		return openForTest(t, testenv.PostgresDSN(t), now)
	})
}

func openForTest(t *testing.T, dsn string, now func() time.Time) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn, store.Options{Now: now})
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
