package store

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

var createTable = regexp.MustCompile(`(?i)\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)"?`)

// TestEveryTableIsDeclared fails when a migration creates a table the data
// inventory does not declare (the trust center would not publish it), or
// when a declaration names a table no migration creates.
func TestEveryTableIsDeclared(t *testing.T) {
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	created := map[string]string{}
	for _, m := range ms {
		for _, match := range createTable.FindAllStringSubmatch(m.sql, -1) {
			created[strings.ToLower(match[1])] = m.name
		}
	}
	if len(created) < 19 {
		t.Fatalf("found only %d tables in the migrations: the pattern is broken", len(created))
	}
	declared := map[string]bool{}
	for _, d := range DataDeclarations() {
		switch {
		case declared[d.Table]:
			t.Errorf("table %s is declared twice", d.Table)
		case created[d.Table] == "":
			t.Errorf("table %s is declared but no migration creates it", d.Table)
		case d.Category == "" || d.Holds == "" || d.Protection == "" || d.Retention == "":
			t.Errorf("table %s: every field of its declaration must say something: %+v", d.Table, d)
		case !slices.Contains(dataCategories(), d.Category):
			t.Errorf("table %s: unknown category %q", d.Table, d.Category)
		}
		declared[d.Table] = true
	}
	for table, migration := range created {
		if !declared[table] {
			t.Errorf("migration %s creates table %s, which store/inventory.go does not declare: add its category, what it holds, its protection and retention", migration, table)
		}
	}
}

func TestCreateTablePattern(t *testing.T) {
	for sql, want := range map[string]string{
		"CREATE TABLE tenants (":               "tenants",
		"create table if not exists \"Foo\" (": "foo",
		"CREATE   TABLE\n  bar(":               "bar",
	} {
		m := createTable.FindStringSubmatch(sql)
		if m == nil || strings.ToLower(m[1]) != want {
			t.Errorf("%q: %v, want %s", sql, m, want)
		}
	}
}

func dataCategories() []string {
	return []string{DataTenants, DataCredentials, DataAudit, DataWebhooks, DataAPIKeys, DataTemplates, DataRequests,
		DataRoles, DataManagedTeams, DataCRM, DataBot, DataSessions, DataProvisionings}
}
