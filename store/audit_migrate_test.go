package store

import (
	"strings"
	"testing"
)

// TestEngineSQL covers the "-- engine:" sections of migration files, which
// the audit trail's triggers need (the engines spell triggers differently).
func TestEngineSQL(t *testing.T) {
	src := strings.Join([]string{
		"CREATE TABLE t (x INT);",
		"-- engine: sqlite",
		"CREATE TRIGGER lite;",
		"--engine:postgres",
		"CREATE FUNCTION pg() AS $$ x; $$;",
		"-- engine: all",
		"CREATE INDEX both;",
	}, "\n")
	for _, tc := range []struct {
		engine Engine
		want   []string
		not    []string
	}{
		{SQLite, []string{"CREATE TABLE t", "CREATE TRIGGER lite", "CREATE INDEX both"}, []string{"pg()", "engine:"}},
		{Postgres, []string{"CREATE TABLE t", "CREATE FUNCTION pg() AS $$ x; $$;", "CREATE INDEX both"}, []string{"lite", "engine:"}},
	} {
		t.Run(string(tc.engine), func(t *testing.T) {
			got, err := engineSQL(src, tc.engine)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in:\n%s", w, got)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("unexpected %q in:\n%s", n, got)
				}
			}
			if strings.Count(got, "\n") != strings.Count(src, "\n") {
				t.Errorf("line count changed: error positions would not match the file")
			}
		})
	}
	if got, err := engineSQL("CREATE TABLE t (x INT);\n-- a comment about engines\n", SQLite); err != nil || !strings.Contains(got, "a comment") {
		t.Fatalf("file without sections: %q, %v", got, err)
	}
	if _, err := engineSQL("-- engine: mysql\nSELECT 1;", SQLite); err == nil || !strings.Contains(err.Error(), `unknown engine "mysql"`) {
		t.Fatalf("unknown engine: err = %v", err)
	}
}

// TestEmbeddedMigrationsSplitForEveryEngine keeps every shipped migration
// valid for both engines: a typo in a section marker fails here, not at
// deploy time.
func TestEmbeddedMigrationsSplitForEveryEngine(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		for _, e := range []Engine{SQLite, Postgres} {
			got, err := engineSQL(m.sql, e)
			if err != nil {
				t.Errorf("%04d_%s on %s: %v", m.version, m.name, e, err)
			}
			if strings.Contains(got, "$$") != (e == Postgres && strings.Contains(m.sql, "$$")) {
				t.Errorf("%04d_%s on %s: PostgreSQL function bodies leak into or go missing from the SQL", m.version, m.name, e)
			}
		}
	}
}
