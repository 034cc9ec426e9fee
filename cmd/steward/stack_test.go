package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stewardhq/steward/internal/testenv"
)

// TestDevOnPostgresAndRedis runs the whole program on the production stack:
// PostgreSQL for the store and the job queue (River's pgx driver) and Redis
// for the cache, and checks that /readyz sees both.
func TestDevOnPostgresAndRedis(t *testing.T) {
	dsn := strings.Replace(testenv.PostgresDSN(t), "postgres@", "postgres:not-a-real-password@", 1)
	redis := testenv.RedisAddr(t)
	dir := t.TempDir()
	env := map[string]string{
		"STEWARD_DATABASE_URL": dsn,
		"STEWARD_REDIS_URL":    "redis://" + redis + "/0",
		"STEWARD_DATA_DIR":     filepath.Join(dir, "data"),
		"STEWARD_SIMULATOR":    "false",
		"STEWARD_APP_ID":       "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21",
	}
	base, stop := startRun(t, env, "dev", "--listen", "127.0.0.1:0")
	code, body := getJSON(t, base+"/readyz")
	if code != 200 || body["status"] != "ready" {
		t.Fatalf("readyz = %d %v", code, body)
	}
	if out := stdoutOf(t, base); !strings.Contains(out, "postgres://") || strings.Contains(out, "simulator:") || strings.Contains(out, "not-a-real-password") {
		t.Fatalf("dev output does not reflect the stack:\n%s", out)
	}
	if err := stop(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}
