package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/store"
)

var apiKeyLineRe = regexp.MustCompile(`^stw_([a-z0-9-]+)_([A-Za-z0-9]{8})_[A-Za-z0-9_-]{43}$`)

// createAPIKey runs `steward apikeys create` and returns the key it printed
// and its id.
func createAPIKey(t *testing.T, cli *stewardCLI, args ...string) (key, id string) {
	t.Helper()
	stdout, stderr, err := cli.run(t, append([]string{"apikeys", "create"}, args...)...)
	if err != nil {
		t.Fatalf("apikeys create: %v\nstderr:\n%s", err, stderr)
	}
	key = strings.TrimSuffix(stdout, "\n")
	m := apiKeyLineRe.FindStringSubmatch(key)
	if m == nil {
		t.Fatalf("apikeys create printed %q on stdout, want the key alone", stdout)
	}
	if !strings.Contains(stderr, "only time the key is shown") || !strings.Contains(stderr, "created API key "+m[2]) {
		t.Fatalf("apikeys create did not say what it made and warn that the key is shown once:\n%s", stderr)
	}
	if strings.Contains(stderr, key[len(key)-43:]) {
		t.Fatal("apikeys create printed the secret on stderr too")
	}
	return key, m[2]
}

// TestAPIKeysLifecycle drives `steward apikeys` like an operator: create,
// use, list, revoke, on both engines, then searches the database for the key.
func TestAPIKeysLifecycle(t *testing.T) {
	for _, e := range cliEngines() {
		t.Run(e.name, func(t *testing.T) {
			dataDir := t.TempDir()
			keyringFile := filepath.Join(t.TempDir(), "keys", "keyring.json")
			dsn := e.dsn(t, dataDir)
			cli := newStewardCLI(dsn, keyringFile, dataDir)
			cli.mustRun(t, "migrate", "up")
			db, err := store.Open(t.Context(), dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			createTenants(t, db, "contoso", "fabrikam")
			testAPIKeysLifecycle(t, cli, db, filepath.Join(filepath.Dir(keyringFile), "api-key-pepper"))
		})
	}
}

func testAPIKeysLifecycle(t *testing.T, cli *stewardCLI, db *store.DB, pepperPath string) {
	ctx := t.Context()
	if _, err := os.Stat(pepperPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pepper exists before the first key: %v", err)
	}
	before := time.Now()
	key, id := createAPIKey(t, cli, "--tenant", "contoso", "--name", "Zapier: new requests", "--scopes", "requests:read, requests:write", "--expires", "90d")
	if !strings.HasPrefix(key, "stw_contoso_"+id+"_") {
		t.Fatalf("key %q does not name its tenant and id", key)
	}

	// The first key made the pepper: 32 bytes, owner-only.
	fi, err := os.Stat(pepperPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Size() != governance.APIKeyPepperSize {
		t.Fatalf("pepper %s: mode %04o, %d bytes; want 0600, 32 bytes", pepperPath, fi.Mode().Perm(), fi.Size())
	}
	pepper, err := os.ReadFile(pepperPath)
	if err != nil {
		t.Fatal(err)
	}

	// The key authenticates as an API-key principal of its tenant.
	p, err := db.AuthenticateAPIKey(ctx, pepper, key, time.Now())
	if err != nil {
		t.Fatalf("authenticate the new key: %v", err)
	}
	if p.Kind != governance.PrincipalAPIKey || p.TenantID != "contoso" || p.ID != id || p.Name != "Zapier: new requests" ||
		!slices.Equal(p.Scopes, []string{governance.ScopeRequestsRead, governance.ScopeRequestsWrite}) {
		t.Fatalf("principal = %+v", p)
	}
	stored, err := db.APIKey(ctx, "contoso", id)
	if err != nil {
		t.Fatal(err)
	}
	if want := before.Add(90 * 24 * time.Hour); stored.ExpiresAt.Before(want.Add(-time.Second)) || stored.ExpiresAt.After(time.Now().Add(90*24*time.Hour)) {
		t.Fatalf("expires at %v, want 90 days from now (%v)", stored.ExpiresAt, want)
	}
	// Not the day after it expires, nor as another tenant's key.
	_, err = db.AuthenticateAPIKey(ctx, pepper, key, stored.ExpiresAt.Add(time.Hour*24))
	if code, _ := governance.Public(err); code != "api_key_expired" {
		t.Fatalf("after expiry: %v, want api_key_expired", err)
	}
	if _, err := db.AuthenticateAPIKey(ctx, pepper, "stw_fabrikam"+key[len("stw_contoso"):], time.Now()); !governance.IsKind(err, governance.KindUnauthenticated) {
		t.Fatalf("contoso's key as fabrikam's: %v", err)
	}

	// A second key, another tenant, no expiry; the pepper stays the same.
	fabKey, fabID := createAPIKey(t, cli, "--tenant", "fabrikam", "--name", "Power Automate", "--scopes", "audit:read")
	if again, _ := os.ReadFile(pepperPath); !bytes.Equal(again, pepper) {
		t.Fatal("a second create replaced the pepper: every existing key would stop working")
	}
	if _, err := db.AuthenticateAPIKey(ctx, pepper, fabKey, time.Now().Add(20*365*24*time.Hour)); err != nil {
		t.Fatalf("a key without expiry, in 20 years: %v", err)
	}

	// list shows the prefix and state, never the secret.
	out := cli.mustRun(t, "apikeys", "list", "--tenant", "contoso")
	if !strings.Contains(out, "stw_contoso_"+id) || !strings.Contains(out, "Zapier: new requests") || !strings.Contains(out, "requests:read,requests:write") ||
		!regexp.MustCompile(`(?m)^`+id+`\s.*\sactive\s`).MatchString(out) || !strings.Contains(out, "1 API keys") {
		t.Fatalf("apikeys list printed:\n%s", out)
	}
	if strings.Contains(out, key) || strings.Contains(out, key[len(key)-43:]) || strings.Contains(out, fabID) {
		t.Fatalf("apikeys list shows a secret or another tenant's key:\n%s", out)
	}

	// revoke: the key stops working at once; revoking again changes nothing.
	out = cli.mustRun(t, "apikeys", "revoke", "--tenant", "contoso", "--id", id)
	if !strings.Contains(out, "revoked API key "+id) {
		t.Fatalf("apikeys revoke printed:\n%s", out)
	}
	_, err = db.AuthenticateAPIKey(ctx, pepper, key, time.Now())
	if code, _ := governance.Public(err); code != "api_key_revoked" {
		t.Fatalf("revoked key: %v, want api_key_revoked", err)
	}
	if _, err := db.AuthenticateAPIKey(ctx, pepper, fabKey, time.Now()); err != nil {
		t.Fatalf("fabrikam's key after contoso's was revoked: %v", err)
	}
	if out := cli.mustRun(t, "apikeys", "revoke", "--tenant", "contoso", "--id", id); !strings.Contains(out, "already revoked") {
		t.Fatalf("second revoke printed:\n%s", out)
	}
	if out := cli.mustRun(t, "apikeys", "list", "--tenant", "contoso"); !regexp.MustCompile(`(?m)^` + id + `\s.*\srevoked\s`).MatchString(out) {
		t.Fatalf("list after revoke:\n%s", out)
	}
	// fabrikam cannot revoke contoso's key by its id.
	if _, _, err := cli.run(t, "apikeys", "revoke", "--tenant", "fabrikam", "--id", id); !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("fabrikam revokes contoso's key: %v", err)
	}

	// The audit trail records both changes, without the secret.
	events, err := db.AuditChain(ctx, "contoso", 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
		// The CLI acts as the system, through the same KeyManager as the API.
		if e.Actor != (governance.AuditActor{Type: governance.AuditActorSystem, ID: "steward-cli", Name: "steward apikeys"}) {
			t.Fatalf("audit event %s names actor %+v", e.Action, e.Actor)
		}
		if bytes.Contains(e.Before, []byte(key[len(key)-43:])) || bytes.Contains(e.After, []byte(key[len(key)-43:])) {
			t.Fatalf("audit event %s holds the secret", e.Action)
		}
	}
	if !slices.Equal(actions, []string{"api_key.created", "api_key.revoked"}) {
		t.Fatalf("audit actions = %v", actions)
	}

	t.Run("refusals", func(t *testing.T) { testAPIKeysRefusals(t, cli, db, pepperPath) })
	t.Run("no plaintext in the database", func(t *testing.T) {
		checkAPIKeysNotStored(t, db, map[string]string{"contoso key": key, "fabrikam key": fabKey}, []string{"stw_contoso_" + id, "stw_fabrikam_" + fabID})
	})
}

// checkAPIKeysNotStored searches the database for the keys: on SQLite the
// files byte by byte, on both engines every row of the tables that name
// keys. The prefixes are the controls: stored in the clear on purpose.
func checkAPIKeysNotStored(t *testing.T, db *store.DB, keys map[string]string, prefixes []string) {
	scan := &leakScanner{}
	for label, k := range keys {
		scan.addPlaintext(label, []byte(k), k[len(k)-43:])
	}
	var controls []leakNeedle
	for _, p := range prefixes {
		controls = append(controls, leakNeedle{label: "prefix " + p, value: []byte(p)})
	}
	var rows bytes.Buffer
	conn := db.Writer()
	dumpRows(t, conn, &rows, `SELECT * FROM api_keys`)
	dumpRows(t, conn, &rows, `SELECT * FROM audit_events`)
	scan.check(t, "api_keys and audit_events rows", rows.Bytes(), controls)
	if db.Engine() != store.SQLite {
		return
	}
	path := db.Path()
	files := readRegularFiles(t, filepath.Dir(path))
	var all []byte
	for name, b := range files {
		scan.check(t, "file "+name, b, nil)
		all = append(all, b...)
	}
	scan.check(t, "all database files", all, controls)
	dump, _ := sqliteLogicalDump(t, path)
	scan.check(t, "logical dump", dump, controls)
}

// testAPIKeysRefusals runs `steward apikeys` the wrong ways: each fails
// saying what to fix, prints nothing on stdout and makes no key.
func testAPIKeysRefusals(t *testing.T, cli *stewardCLI, db *store.DB, pepperPath string) {
	pepper, err := os.ReadFile(pepperPath)
	if err != nil {
		t.Fatal(err)
	}
	loose := filepath.Join(t.TempDir(), "keyring.json")
	if err := os.WriteFile(filepath.Join(filepath.Dir(loose), "api-key-pepper"), pepper, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(filepath.Dir(loose), "api-key-pepper"), 0o644); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(t.TempDir(), "keyring.json")
	if err := os.WriteFile(filepath.Join(filepath.Dir(short), "api-key-pepper"), pepper[:16], 0o600); err != nil {
		t.Fatal(err)
	}
	countKeys := func() int {
		n := 0
		for _, tenant := range []string{"contoso", "fabrikam"} {
			keys, err := db.APIKeys(t.Context(), tenant)
			if err != nil {
				t.Fatal(err)
			}
			n += len(keys)
		}
		return n
	}
	keysBefore := countKeys()
	usage := func(want ...string) func(t *testing.T, err error, stderr string) {
		return func(t *testing.T, err error, stderr string) {
			t.Helper()
			if !errors.Is(err, errUsage) {
				t.Errorf("err %v, want the usage error", err)
			}
			for _, w := range want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
		}
	}
	failsWith := func(want ...string) func(t *testing.T, err error, stderr string) {
		return func(t *testing.T, err error, _ string) {
			t.Helper()
			for _, w := range want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err %v; want one saying %q", err, w)
				}
			}
		}
	}
	create := []string{"apikeys", "create", "--tenant", "contoso", "--name", "x", "--scopes", "audit:read"}
	tests := []struct {
		name  string
		cli   *stewardCLI
		args  []string
		check func(t *testing.T, err error, stderr string)
	}{
		{"no verb", cli, []string{"apikeys"}, usage("say what to do", "revoke --tenant ID --id KEYID")},
		{"unknown verb", cli, []string{"apikeys", "rotate"}, usage("say what to do")},
		{"create without scopes", cli, []string{"apikeys", "create", "--tenant", "contoso", "--name", "x"}, usage("--scopes")},
		{"create without tenant", cli, []string{"apikeys", "create", "--name", "x", "--scopes", "audit:read"}, usage("--tenant ID")},
		{"unknown scope", cli, []string{"apikeys", "create", "--tenant", "contoso", "--name", "x", "--scopes", "audit:read,admin"}, usage(`unknown scope "admin"`)},
		{"scope twice", cli, []string{"apikeys", "create", "--tenant", "contoso", "--name", "x", "--scopes", "audit:read,audit:read"}, usage("twice")},
		{"zero days", cli, append(slices.Clone(create), "--expires", "0d"), usage("--expires", "90d")},
		{"not a lifetime", cli, append(slices.Clone(create), "--expires", "soon"), usage("--expires", "never expires")},
		{"negative duration", cli, append(slices.Clone(create), "--expires", "-1h"), usage("--expires")},
		{"create with --id", cli, append(slices.Clone(create), "--id", "AbCd1234"), usage("--id: revoke only")},
		{"list with --scopes", cli, []string{"apikeys", "list", "--tenant", "contoso", "--scopes", "audit:read"}, usage("--scopes: create only")},
		{"revoke without id", cli, []string{"apikeys", "revoke", "--tenant", "contoso"}, usage("--id KEYID")},
		{"revoke a malformed id", cli, []string{"apikeys", "revoke", "--tenant", "contoso", "--id", "x'; DROP"}, usage("--id KEYID")},
		{"extra argument", cli, []string{"apikeys", "list", "--tenant", "contoso", "now"}, usage(`unexpected arguments after "list": now`)},
		{"unknown tenant", cli, []string{"apikeys", "create", "--tenant", "nobody", "--name", "x", "--scopes", "audit:read"}, func(t *testing.T, err error, _ string) {
			if !governance.IsKind(err, governance.KindNotFound) || !strings.Contains(err.Error(), `tenant "nobody" does not exist`) {
				t.Errorf("err %v; want not found naming the tenant", err)
			}
		}},
		{"revoke an unknown key", cli, []string{"apikeys", "revoke", "--tenant", "contoso", "--id", "Zz9Zz9Zz"}, func(t *testing.T, err error, _ string) {
			if !governance.IsKind(err, governance.KindNotFound) {
				t.Errorf("err %v; want not found", err)
			}
		}},
		{"world-readable pepper", cli.with("STEWARD_KEYRING_FILE", loose), create, failsWith("mode 0644", "chmod 600 "+filepath.Join(filepath.Dir(loose), "api-key-pepper"))},
		{"pepper of the wrong size", cli.with("STEWARD_KEYRING_FILE", short), create, failsWith("holds 16 bytes, want 32")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := tt.cli.run(t, tt.args...)
			tt.check(t, err, stderr)
			if stdout != "" {
				t.Errorf("a failed command printed to stdout: %q", stdout)
			}
		})
	}
	if n := countKeys(); n != keysBefore {
		t.Fatalf("the refused commands left %d keys, want %d", n, keysBefore)
	}
	if got, _ := os.ReadFile(pepperPath); !bytes.Equal(got, pepper) {
		t.Fatal("a refused command changed the pepper")
	}
}

// TestAPIKeyPepperCreatedOnce: commands racing to make the pepper agree on
// one, which is private, whole, and leaves no temporary file behind.
func TestAPIKeyPepperCreatedOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	path := filepath.Join(dir, "api-key-pepper")
	if _, err := loadAPIKeyPepper(path, false); err == nil || !strings.Contains(err.Error(), "steward apikeys create") {
		t.Fatalf("missing pepper without create: %v; want an error pointing at `steward apikeys create`", err)
	}
	const n = 8
	got := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], errs[i] = loadAPIKeyPepper(path, true) }()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("creator %d: %v", i, errs[i])
		}
		if len(got[i]) != governance.APIKeyPepperSize || !bytes.Equal(got[i], got[0]) {
			t.Fatalf("creator %d got pepper %x, creator 0 %x", i, got[i], got[0])
		}
	}
	onDisk, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(onDisk, got[0]) {
		t.Fatalf("pepper on disk %x, %v; want %x", onDisk, err, got[0])
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("the key directory holds %v, want the pepper alone", entries)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Fatalf("%s: %v, %v; want mode %04o", p, fi.Mode(), err, want)
		}
	}
}
