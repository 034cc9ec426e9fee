package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// crossTenant lists the only statements allowed to run without a tenant_id
// filter, each with the reason.
var crossTenant = map[string]string{
	"SELECT tenant_id FROM tenants ORDER BY tenant_id":                                            "TenantIDs: operator tasks visit tenants one by one",
	"SELECT checksum FROM schema_migrations WHERE version = $1":                                   "schema bookkeeping, no tenant data",
	"INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)": "schema bookkeeping",
	"SELECT version, checksum, applied_at FROM schema_migrations":                                 "schema bookkeeping",
	"SELECT pg_advisory_xact_lock(7461636)":                                                       "migration lock",
	"PRAGMA optimize":                                                                             "SQLite upkeep of the whole file, no rows",
	"PRAGMA wal_checkpoint(TRUNCATE)":                                                             "SQLite upkeep of the whole file, no rows",
	"SELECT tenant_id, name, entra_tenant_id, created_at, updated_at, version FROM tenants WHERE entra_tenant_id = $1": "resolves the tenant of a signed-in user; the result is the tenant id",
	"SELECT data FROM acme_cache WHERE name = $1": "the installation's ACME cache (acme_hosts): TLS certificates belong to no tenant",
	"INSERT INTO acme_cache (name, data, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at": "the installation's ACME cache, no tenant data",
	"DELETE FROM acme_cache WHERE name = $1":                        "the installation's ACME cache, no tenant data",
	"SELECT name, data FROM acme_cache ORDER BY name":               "the installation's ACME cache, resealed by steward keys rotate: no tenant data",
	"UPDATE acme_cache SET data = $1 WHERE name = $2 AND data = $3": "the installation's ACME cache, resealed by steward keys rotate: no tenant data",
}

var (
	tenantWhere = regexp.MustCompile(`(?i)\bWHERE\s+tenant_id\s*=\s*\$\d`)
	insertCols  = regexp.MustCompile(`(?i)^INSERT\s+INTO\s+\w+\s*\(\s*tenant_id\b`)
	space       = regexp.MustCompile(`\s+`)
)

// TestEveryStatementFiltersByTenant reads this package's source and checks
// every SQL statement passed to the database: reads, updates and deletes
// filter by tenant_id first, inserts write tenant_id first.
func TestEveryStatementFiltersByTenant(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{}
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if s, ok := evalString(vs.Values[i], consts); ok {
							consts[n.Name] = s
						}
					}
				}
			}
		}
	}
	checked := 0
	unused := map[string]bool{}
	for q := range crossTenant {
		unused[q] = true
	}
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := call.Fun.(type) {
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			case *ast.Ident:
				name = fn.Name
			}
			arg, ok := queryArg[name]
			if !ok || len(call.Args) <= arg {
				return true
			}
			q, ok := evalString(call.Args[arg], consts)
			if !ok {
				pos := fset.Position(call.Pos())
				// Allowed: whole migration files, and helpers whose callers are checked here.
				if !strings.Contains(pos.Filename, "migrate.go") && !isForwarded(call.Args[arg]) {
					t.Errorf("%s: SQL that is not a constant expression cannot be checked", pos)
				}
				return true
			}
			q = strings.TrimSpace(space.ReplaceAllString(q, " "))
			checked++
			if _, ok := crossTenant[q]; ok {
				delete(unused, q)
				return true
			}
			upper := strings.ToUpper(q)
			switch {
			case strings.HasPrefix(upper, "CREATE "):
			case strings.HasPrefix(upper, "INSERT "):
				if !insertCols.MatchString(q) {
					t.Errorf("%s: INSERT does not write tenant_id first: %s", fset.Position(call.Pos()), q)
				}
			default:
				if !tenantWhere.MatchString(q) {
					t.Errorf("%s: statement does not filter by tenant_id: %s", fset.Position(call.Pos()), q)
				}
			}
			return true
		})
	}
	for q := range unused {
		t.Errorf("allowlisted statement no longer exists, remove it: %s", q)
	}
	if checked < 15 {
		t.Fatalf("checked only %d statements: the scanner has stopped finding them", checked)
	}
}

// queryArg names the calls that take SQL and the position of the SQL.
var queryArg = map[string]int{
	"ExecContext": 1, "QueryContext": 1, "QueryRowContext": 1,
	"staleOrMissing": 3,
}

// isForwarded reports SQL that a helper received as its "query" parameter:
// the helper's call sites are checked instead.
func isForwarded(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "query"
}

func evalString(e ast.Expr, consts map[string]string) (string, bool) {
	switch v := e.(type) {
	case *ast.BasicLit:
		if v.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(v.Value)
		return s, err == nil
	case *ast.Ident:
		s, ok := consts[v.Name]
		return s, ok
	case *ast.BinaryExpr:
		if v.Op != token.ADD {
			return "", false
		}
		l, ok1 := evalString(v.X, consts)
		r, ok2 := evalString(v.Y, consts)
		return l + r, ok1 && ok2
	case *ast.ParenExpr:
		return evalString(v.X, consts)
	}
	return "", false
}
