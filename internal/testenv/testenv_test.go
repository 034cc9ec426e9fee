package testenv

import (
	"context"
	"database/sql"
	"testing"
)

func TestPostgresDSNIsolatesSchemas(t *testing.T) {
	dsn := PostgresDSN(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var path string
	if err := db.QueryRowContext(context.Background(), "SHOW search_path").Scan(&path); err != nil {
		t.Fatal(err)
	}
	if path == "" || path[:2] != "t_" {
		t.Fatalf("search_path = %q, want the test's own schema", path)
	}
	if _, err := db.Exec("CREATE TABLE probe (id int)"); err != nil {
		t.Fatal(err)
	}
	var schema string
	if err := db.QueryRow("SELECT table_schema FROM information_schema.tables WHERE table_name = 'probe'").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if schema != path {
		t.Fatalf("table created in %q, want %q", schema, path)
	}
}
