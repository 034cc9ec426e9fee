package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/vault"
)

// leakNeedle is one form of a secret that must never be found in the
// database: the plaintext itself or an encoding of it.
type leakNeedle struct {
	label string
	value []byte
}

// leakScanner searches bytes taken from the database for secrets and for
// controls: values stored in the clear on purpose, whose presence proves the
// scan read the data the secrets live next to.
type leakScanner struct {
	needles []leakNeedle
}

// addPlaintext registers a plaintext, its random core (what would survive any
// reformatting) and the encodings a careless store might use.
func (s *leakScanner) addPlaintext(label string, plaintext []byte, core string) {
	for _, n := range []leakNeedle{
		{"plaintext", plaintext},
		{"random core", []byte(core)},
		{"hex", []byte(hex.EncodeToString(plaintext))},
		{"HEX", []byte(strings.ToUpper(hex.EncodeToString(plaintext)))},
		// The unpadded forms are prefixes of the padded ones.
		{"base64", []byte(base64.RawStdEncoding.EncodeToString(plaintext))},
		{"base64url", []byte(base64.RawURLEncoding.EncodeToString(plaintext))},
	} {
		s.needles = append(s.needles, leakNeedle{label: label + " (" + n.label + ")", value: n.value})
	}
}

// check fails the test if data, described by where, holds any secret, or
// lacks any control.
func (s *leakScanner) check(t *testing.T, where string, data []byte, controls []leakNeedle) {
	t.Helper()
	var leaks []string
	for _, n := range s.needles {
		if i := bytes.Index(data, n.value); i >= 0 {
			leaks = append(leaks, fmt.Sprintf("%s at byte %d", n.label, i))
		}
	}
	if len(leaks) > 0 {
		t.Errorf("%s (%d bytes) holds %d secrets in readable form:\n  %s", where, len(data), len(leaks), strings.Join(leaks, "\n  "))
	}
	var missing []string
	for _, c := range controls {
		if !bytes.Contains(data, c.value) {
			missing = append(missing, c.label)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%s (%d bytes): the scan does not see what it should, so it proves nothing; missing:\n  %s",
			where, len(data), strings.Join(missing, "\n  "))
	}
}

// dumpFixture is a database populated with distinctive secrets.
type dumpFixture struct {
	secrets []storedSecret // as stored now
	scan    *leakScanner   // every plaintext ever written, overwritten ones included
	canary  string         // a tenant name: stored in the clear on purpose
}

// populateDumpSecrets writes client secrets, webhook signing keys, refresh
// tokens and a long private key for three tenants, across two data keys for
// one of them, and overwrites one secret.
func populateDumpSecrets(t *testing.T, db *store.DB, v *vault.Vault) dumpFixture {
	t.Helper()
	f := dumpFixture{scan: &leakScanner{}, canary: "dump-canary-" + randomHex(t, 16)}
	tenants := []governance.Tenant{
		{ID: "contoso", Name: f.canary},
		{ID: "fabrikam", Name: "Fabrikam"},
		{ID: "northwind", Name: "Northwind Traders"},
	}
	for _, tn := range tenants {
		if _, err := db.CreateTenant(t.Context(), tn); err != nil {
			t.Fatal(err)
		}
	}
	kinds := []struct{ name, prefix string }{
		{"graph/client-secret", "client-secret-"},
		{"webhooks/teams-outgoing.hmac", "webhook-secret-"},
		{"crm/hubspot.refresh_token", "refresh-token-"},
		{"graph/certificate.key", "private-key-"},
	}
	put := func(tenant, name, prefix string) storedSecret {
		n := 16
		if strings.HasPrefix(prefix, "private-key") {
			n = 512 // a long value spans more than one page in places
		}
		core := randomHex(t, n)
		pt := []byte(prefix + core)
		f.scan.addPlaintext(tenant+"/"+name, pt, core)
		return putSecret(t, db, v, tenant, name, pt)
	}
	for _, tn := range tenants {
		for i, k := range kinds {
			if tn.ID == "fabrikam" && i == 2 {
				if _, err := v.RotateDataKey(t.Context(), tn.ID); err != nil {
					t.Fatal(err)
				}
			}
			f.secrets = append(f.secrets, put(tn.ID, k.name, k.prefix))
		}
	}
	// The first value of an overwritten secret must not linger either.
	f.secrets[0] = put(f.secrets[0].tenant, f.secrets[0].name, "client-secret-rotated-")
	return f
}

// controls are what a scan must find: the canary and, for every secret, its
// name (stored in the clear next to its value) and its ciphertext, raw or in
// hex as text dumps render binary columns.
func (f dumpFixture) controls(ciphertextHex bool) []leakNeedle {
	cs := []leakNeedle{{label: "canary tenant name " + f.canary, value: []byte(f.canary)}}
	for _, s := range f.secrets {
		ct := s.ciphertext
		if ciphertextHex {
			ct = []byte(hex.EncodeToString(ct))
		}
		cs = append(cs,
			leakNeedle{label: "name of " + s.tenant + "/" + s.name, value: []byte(s.name)},
			leakNeedle{label: "ciphertext of " + s.tenant + "/" + s.name, value: ct})
	}
	return cs
}

// TestDumpContainsNoPlaintextSecret stores secrets through the vault and
// searches the database, as files and as dumps, for any of them.
func TestDumpContainsNoPlaintextSecret(t *testing.T) {
	for _, e := range cliEngines() {
		t.Run(e.name, func(t *testing.T) {
			dataDir := t.TempDir()
			keyringFile := filepath.Join(t.TempDir(), "keyring.json")
			dsn := e.dsn(t, dataDir)
			cli := newStewardCLI(dsn, keyringFile, dataDir)
			cli.mustRun(t, "migrate", "up")
			cli.mustRun(t, "keys", "init")
			db, _, v := openSideVault(t, dsn, keyringFile, vault.Options{})
			f := populateDumpSecrets(t, db, v)
			// The scans are only worth something if the secrets read back.
			checkSecretsRead(t, "vault", v, f.secrets)

			switch db.Engine() {
			case store.SQLite:
				checkSQLiteDump(t, db, f)
			case store.Postgres:
				checkPostgresDump(t, dsn, f)
			default:
				t.Fatalf("no dump check for engine %q", db.Engine())
			}
		})
	}
}

// checkSQLiteDump scans the database files byte by byte, while open (recent
// pages live in the write-ahead log) and after a clean close, then every row
// of every table.
func checkSQLiteDump(t *testing.T, db *store.DB, f dumpFixture) {
	path := db.Path()
	scanFiles := func(when string) {
		t.Helper()
		files := readRegularFiles(t, filepath.Dir(path))
		if _, ok := files[filepath.Base(path)]; !ok {
			t.Fatalf("%s: database file %s not found among %v", when, path, slices.Sorted(maps.Keys(files)))
		}
		var all []byte
		for _, name := range slices.Sorted(maps.Keys(files)) {
			f.scan.check(t, when+": file "+name, files[name], nil)
			all = append(all, files[name]...)
		}
		f.scan.check(t, when+": all files", all, f.controls(false))
		t.Logf("%s: scanned %v", when, slices.Sorted(maps.Keys(files)))
	}
	scanFiles("open")
	if err := db.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
	scanFiles("closed")

	dump, rows := sqliteLogicalDump(t, path)
	if rows["secrets"] != len(f.secrets) {
		t.Errorf("the dump has %d rows of secrets, want %d", rows["secrets"], len(f.secrets))
	}
	f.scan.check(t, "logical dump", dump, f.controls(true))
}

// readRegularFiles returns the contents of the regular files in dir: the
// database, its -wal and -shm files.
func readRegularFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

// sqliteLogicalDump renders every row of every table as text, binary values
// both raw and in hex, and counts the rows of each table.
func sqliteLogicalDump(t *testing.T, path string) ([]byte, map[string]int) {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tables := queryStrings(t, conn, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	var dump bytes.Buffer
	rows := map[string]int{}
	for _, table := range tables {
		fmt.Fprintf(&dump, "-- table %s\n", table)
		rows[table] = dumpRows(t, conn, &dump, `SELECT * FROM `+quoteIdent(table))
	}
	for _, want := range []string{"tenants", "data_keys", "secrets"} {
		if !slices.Contains(tables, want) {
			t.Fatalf("table %s not among the dumped tables %v", want, tables)
		}
	}
	return dump.Bytes(), rows
}

// checkPostgresDump dumps the test's schema as JSON rows, and with pg_dump
// when it is installed.
func checkPostgresDump(t *testing.T, dsn string, f dumpFixture) {
	conn, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	schema := queryStrings(t, conn, `SELECT current_schema()`)[0]
	tables := queryStrings(t, conn, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`, schema)
	var dump bytes.Buffer
	rows := map[string]int{}
	for _, table := range tables {
		fmt.Fprintf(&dump, "-- table %s\n", table)
		rows[table] = dumpRows(t, conn, &dump, `SELECT row_to_json(t)::text FROM `+quoteIdent(schema)+`.`+quoteIdent(table)+` AS t`)
	}
	for _, want := range []string{"tenants", "data_keys", "secrets"} {
		if !slices.Contains(tables, want) {
			t.Fatalf("table %s not among the dumped tables %v of schema %s", want, tables, schema)
		}
	}
	if rows["secrets"] != len(f.secrets) {
		t.Errorf("the dump has %d rows of secrets, want %d", rows["secrets"], len(f.secrets))
	}
	f.scan.check(t, "logical dump (row_to_json)", dump.Bytes(), f.controls(true))

	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Log("pg_dump is not on PATH: skipping the pg_dump scan")
		return
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("search_path") // a libpq URI does not take it
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, pgDump, "--schema="+schema, "--no-owner", "--no-privileges", u.String())
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if strings.Contains(stderr.String(), "server version mismatch") {
			t.Logf("pg_dump is older than the server: skipping the pg_dump scan: %s", strings.TrimSpace(stderr.String()))
			return
		}
		t.Fatalf("pg_dump: %v\n%s", err, stderr.String())
	}
	f.scan.check(t, "pg_dump", stdout.Bytes(), f.controls(true))
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func queryStrings(t *testing.T, conn *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := conn.QueryContext(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no rows", query)
	}
	return out
}

// dumpRows writes every value of every row the query returns to w, one row
// a line, and returns the number of rows.
func dumpRows(t *testing.T, conn *sql.DB, w *bytes.Buffer, query string) int {
	t.Helper()
	rows, err := conn.QueryContext(t.Context(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		for i, v := range vals {
			fmt.Fprintf(w, "%s=%s\t", cols[i], renderValue(v))
		}
		w.WriteByte('\n')
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// renderValue turns a column value into text; binary values appear both as
// they are and in hex, the way text dumps show them.
func renderValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return string(x) + " \\x" + hex.EncodeToString(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	default:
		return fmt.Sprint(x)
	}
}
