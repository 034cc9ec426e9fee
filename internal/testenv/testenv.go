// Package testenv gives tests the addresses of the real services they need
// (PostgreSQL, Redis). Locally a missing service skips the test with a clear
// message; in CI (CI=true) it fails it, so a green CI run always means the
// PostgreSQL and Redis suites ran.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// CI reports whether the tests run in CI, where skipping is not allowed.
func CI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}

func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if CI() {
		t.Fatalf("CI=true and a required service is unavailable: "+format, args...)
	}
	t.Skipf("skipping: "+format, args...)
}

// PostgresDSN returns a DSN for a fresh, empty schema in the PostgreSQL
// database named by STEWARD_TEST_POSTGRES_DSN. The schema is dropped when the
// test ends, so tests never see each other's rows.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("STEWARD_TEST_POSTGRES_DSN")
	if base == "" {
		unavailable(t, "STEWARD_TEST_POSTGRES_DSN is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("testenv: open postgres: %v", err)
	}
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		unavailable(t, "PostgreSQL at STEWARD_TEST_POSTGRES_DSN is not reachable: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("testenv: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	return WithSearchPath(t, base, schema)
}

// WithSearchPath returns dsn with its search_path set to schema.
func WithSearchPath(t testing.TB, dsn, schema string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("testenv: STEWARD_TEST_POSTGRES_DSN must be a postgres:// URL, got %q", dsn)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// RedisAddr returns STEWARD_TEST_REDIS_ADDR (host:port). Tests that use it
// must confine their keys to a prefix of their own and delete them.
func RedisAddr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("STEWARD_TEST_REDIS_ADDR")
	if addr == "" {
		unavailable(t, "STEWARD_TEST_REDIS_ADDR is not set (e.g. 127.0.0.1:6379)")
	}
	return addr
}

// Engine is a store engine a test runs on: its name (for t.Run) and a
// fresh database of it.
type Engine struct {
	Name string
	DSN  func(t *testing.T) string
}

// Engines are SQLite (a file in the test's temporary directory) and
// PostgreSQL (a schema of its own; skipped locally without
// STEWARD_TEST_POSTGRES_DSN, a failure in CI).
func Engines() []Engine {
	return []Engine{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "steward.db") }},
		{"postgres", func(t *testing.T) string { return PostgresDSN(t) }},
	}
}
