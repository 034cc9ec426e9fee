package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCRMCommand: records imported from a CSV file are searchable, bad
// rows are listed with their line, and missing arguments are usage errors.
func TestCRMCommand(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"STEWARD_DEV_MODE": "true", "STEWARD_DATA_DIR": dir, "STEWARD_DATABASE_URL": "sqlite:" + filepath.Join(dir, "s.db")}
	steward := func(args ...string) (string, string, error) {
		var out, errOut strings.Builder
		err := run(context.Background(), append([]string{"steward"}, args...), envFrom(env), &out, &errOut)
		return out.String(), errOut.String(), err
	}
	for _, args := range [][]string{{"migrate", "up"}, {"tenants", "add", "--id", "contoso", "--name", "Contoso", "--entra-tenant-id", "11111111-1111-4111-8111-111111111111"}} {
		if _, stderr, err := steward(args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr)
		}
	}
	file := filepath.Join(dir, "accounts.csv")
	if err := os.WriteFile(file, []byte("id,name,industry,city\nA1,Fabrikam Énergie,Energy,Lyon\nA2,Northwind Traders,Retail,Seattle\nA3,,Retail,Paris\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := steward("crm", "import", "--tenant", "contoso", "--kind", "account", "--file", file)
	if err != nil || !strings.Contains(out, "2 created, 0 updated, 0 unchanged, 1 rejected") || !strings.Contains(out, "line 4") {
		t.Fatalf("import: %v\n%s%s", err, out, stderr)
	}
	out, stderr, err = steward("crm", "search", "--tenant", "contoso", "--query", "energie")
	if err != nil || !strings.Contains(out, "A1\tFabrikam Énergie") || !strings.Contains(out, "1 found") {
		t.Fatalf("search: %v\n%s%s", err, out, stderr)
	}
	for _, bad := range [][]string{
		{"crm", "import", "--tenant", "contoso", "--file", file},
		{"crm", "search", "--tenant", "contoso"},
		{"crm", "export"},
	} {
		if _, _, err := steward(bad...); err != errUsage {
			t.Errorf("%v: %v, want a usage error", bad, err)
		}
	}
	if _, _, err := steward("crm", "search", "--tenant", "nobody", "--query", "x"); err == nil || !strings.Contains(err.Error(), "nobody") {
		t.Errorf("unknown tenant: %v", err)
	}
}
