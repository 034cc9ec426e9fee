package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/vault"
)

// cliEngine is one database engine the command tests run against.
type cliEngine struct {
	name string
	// dsn returns the database URL of a fresh, empty database; dir is the
	// test's data directory, where SQLite keeps its file.
	dsn func(t *testing.T, dir string) string
}

func cliEngines() []cliEngine {
	return []cliEngine{
		{name: "sqlite", dsn: func(_ *testing.T, dir string) string { return "sqlite:" + filepath.Join(dir, "steward.db") }},
		{name: "postgres", dsn: func(t *testing.T, _ string) string { return testenv.PostgresDSN(t) }},
	}
}

// stewardCLI runs steward commands in-process, through run(), with an
// environment of its own: never the test process's.
type stewardCLI struct {
	env map[string]string
}

// newStewardCLI configures production-mode commands (keys, migrate) for one
// database and keyring. Dev mode and a loopback listen address only satisfy
// the serve checks that every command's configuration goes through.
func newStewardCLI(dsn, keyringFile, dataDir string) *stewardCLI {
	return &stewardCLI{env: map[string]string{
		"STEWARD_DATABASE_URL": dsn,
		"STEWARD_KEYRING_FILE": keyringFile,
		"STEWARD_DATA_DIR":     dataDir,
		"STEWARD_DEV_MODE":     "true",
		"STEWARD_LISTEN":       "127.0.0.1:0",
	}}
}

// with returns a copy of c with one variable changed.
func (c *stewardCLI) with(key, value string) *stewardCLI {
	env := make(map[string]string, len(c.env)+1)
	for k, v := range c.env {
		env[k] = v
	}
	env[key] = value
	return &stewardCLI{env: env}
}

func (c *stewardCLI) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return c.env[k] }
	err = run(ctx, append([]string{"steward"}, args...), getenv, &out, &errOut)
	return out.String(), errOut.String(), err
}

// mustRun runs a command that must succeed and returns its stdout.
func (c *stewardCLI) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, err := c.run(t, args...)
	if err != nil {
		t.Fatalf("steward %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout
}

// openSideVault opens what another Steward process would hold: its own
// store handle and its own keyring instance over the same file.
func openSideVault(t *testing.T, dsn, keyringFile string, opts vault.Options) (*store.DB, *vault.Keyring, *vault.Vault) {
	t.Helper()
	db, err := store.Open(t.Context(), dsn, store.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	kr, err := vault.OpenKeyring(keyringFile, false)
	if err != nil {
		t.Fatalf("open keyring: %v", err)
	}
	return db, kr, vault.New(db, db, kr, opts)
}

// storedSecret is one secret a test wrote and what it must read back as.
type storedSecret struct {
	tenant, name string
	plaintext    []byte
	ciphertext   []byte // as stored, read back after the write
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func createTenants(t *testing.T, db *store.DB, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, err := db.CreateTenant(t.Context(), governance.Tenant{ID: id, Name: "Tenant " + id}); err != nil {
			t.Fatalf("create tenant %s: %v", id, err)
		}
	}
}

// putSecret stores a secret through v and returns it with the ciphertext
// the store now holds.
func putSecret(t *testing.T, db *store.DB, v *vault.Vault, tenant, name string, plaintext []byte) storedSecret {
	t.Helper()
	if err := v.PutSecret(t.Context(), tenant, name, plaintext); err != nil {
		t.Fatalf("put %s/%s: %v", tenant, name, err)
	}
	s, err := db.Secret(t.Context(), tenant, name)
	if err != nil {
		t.Fatalf("read back %s/%s: %v", tenant, name, err)
	}
	return storedSecret{tenant: tenant, name: name, plaintext: plaintext, ciphertext: s.Ciphertext}
}

// ciphertextDEKID reads the data key id a vault ciphertext names. Format
// version 1: a version byte, the id's length, the id, then nonce and sealed
// data (see vault/format.go).
func ciphertextDEKID(t *testing.T, ct []byte) string {
	t.Helper()
	if len(ct) < 2 || ct[0] != 0x01 || len(ct) < 2+int(ct[1]) {
		t.Fatalf("not a version-1 vault ciphertext: % x", ct[:min(len(ct), 16)])
	}
	return string(ct[2 : 2+int(ct[1])])
}

// checkSecretsRead reads every secret through v and compares it with what
// was written.
func checkSecretsRead(t *testing.T, who string, v *vault.Vault, secrets []storedSecret) {
	t.Helper()
	bad := 0
	for _, s := range secrets {
		got, err := v.Secret(t.Context(), s.tenant, s.name)
		if err != nil || !bytes.Equal(got, s.plaintext) {
			if bad++; bad <= 5 {
				t.Errorf("%s: %s/%s = %q, %v; want %q", who, s.tenant, s.name, got, err, s.plaintext)
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d of %d secrets did not read back", who, bad, len(secrets))
	}
}

// liveReader plays a running server during a rotation: it keeps reading
// random secrets through its vaults and remembers every failure.
type liveReader struct {
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	reads    atomic.Int64

	mu    sync.Mutex
	fails []string
	nfail int
}

func startLiveReader(t *testing.T, vaults []*vault.Vault, secrets []storedSecret) *liveReader {
	t.Helper()
	r := &liveReader{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		// Not t.Context(): a cancelled context would itself be a failure.
		ctx := context.Background()
		for i := 0; ; i++ {
			select {
			case <-r.stop:
				return
			default:
			}
			s := secrets[mathrand.IntN(len(secrets))]
			got, err := vaults[i%len(vaults)].Secret(ctx, s.tenant, s.name)
			switch {
			case err != nil:
				r.fail(fmt.Sprintf("read %d, %s/%s: %v", i, s.tenant, s.name, err))
			case !bytes.Equal(got, s.plaintext):
				r.fail(fmt.Sprintf("read %d, %s/%s: got %q, want %q", i, s.tenant, s.name, got, s.plaintext))
			}
			r.reads.Add(1)
		}
	}()
	t.Cleanup(r.halt)
	return r
}

func (r *liveReader) fail(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nfail++
	if len(r.fails) < 10 {
		r.fails = append(r.fails, msg)
	}
}

// halt stops the reader and waits for its goroutine to end.
func (r *liveReader) halt() {
	r.stopOnce.Do(func() { close(r.stop) })
	<-r.done
}

// waitReads polls until the reader has done at least n reads.
func (r *liveReader) waitReads(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.reads.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the running server did only %d reads in 10s, want %d", r.reads.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// kekStatus is one line of `steward keys status`.
type kekStatus struct {
	id, state string
	dataKeys  int
}

func parseKeyStatus(t *testing.T, out string) (keks []kekStatus, tenants int) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "KEY-ENCRYPTION KEY") {
		t.Fatalf("keys status printed:\n%s", out)
	}
	if _, err := fmt.Sscanf(strings.TrimSpace(lines[len(lines)-1]), "%d tenants", &tenants); err != nil {
		t.Fatalf("keys status: last line %q is not the tenant count", lines[len(lines)-1])
	}
	for _, line := range lines[1 : len(lines)-1] {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			t.Fatalf("keys status: unexpected line %q in:\n%s", line, out)
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			t.Fatalf("keys status: line %q: count is not a number", line)
		}
		keks = append(keks, kekStatus{id: f[0], state: f[1], dataKeys: n})
	}
	return keks, tenants
}

var (
	createdKEKRe = regexp.MustCompile(`(?m)^created keyring .* with key-encryption key (\S+) \(mode 0600`)
	newKEKRe     = regexp.MustCompile(`(?m)^new key-encryption key (\S+) is active$`)
	rewrappedRe  = regexp.MustCompile(`(?m)^re-wrapped (\d+) of (\d+) data keys across (\d+) tenants; secrets were not re-encrypted$`)
	newDEKRe     = regexp.MustCompile(`(?m)^tenant (\S+): new data key (\S+) seals new secrets`)
)

// rotateKEK runs `steward keys rotate` and returns the new KEK id and the
// three numbers it reports.
func rotateKEK(t *testing.T, cli *stewardCLI) (kekID string, rewrapped, dataKeys, tenants int) {
	t.Helper()
	out := cli.mustRun(t, "keys", "rotate")
	m := newKEKRe.FindStringSubmatch(out)
	n := rewrappedRe.FindStringSubmatch(out)
	if m == nil || n == nil {
		t.Fatalf("keys rotate printed:\n%s", out)
	}
	rewrapped, _ = strconv.Atoi(n[1])
	dataKeys, _ = strconv.Atoi(n[2])
	tenants, _ = strconv.Atoi(n[3])
	return m[1], rewrapped, dataKeys, tenants
}

// checkAllWrappedBy asserts that every data key of the tenants is wrapped by
// kekID and returns how many there are.
func checkAllWrappedBy(t *testing.T, db *store.DB, tenants []string, kekID string) int {
	t.Helper()
	n := 0
	for _, tenant := range tenants {
		keys, err := db.DataKeys(t.Context(), tenant)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			n++
			if k.KEKID != kekID {
				t.Errorf("tenant %s data key %s is wrapped by %s, want the active KEK %s", tenant, k.ID, k.KEKID, kekID)
			}
		}
	}
	return n
}

// TestKeysRotateOnPopulatedDatabase rotates keys with `steward keys` on a
// database full of secrets while a running server keeps reading them, then
// reads every secret back.
func TestKeysRotateOnPopulatedDatabase(t *testing.T) {
	for _, e := range cliEngines() {
		t.Run(e.name, func(t *testing.T) {
			dataDir := t.TempDir()
			keyringFile := filepath.Join(t.TempDir(), "keys", "keyring.json")
			dsn := e.dsn(t, dataDir)
			cli := newStewardCLI(dsn, keyringFile, dataDir)
			cli.mustRun(t, "migrate", "up")
			testKeysRotate(t, cli, dsn, keyringFile)
		})
	}
}

func testKeysRotate(t *testing.T, cli *stewardCLI, dsn, keyringFile string) {
	ctx := t.Context()

	// A production keyring exists only once `keys init` made it.
	if _, _, err := cli.run(t, "keys", "status"); err == nil || !strings.Contains(err.Error(), "steward keys init") {
		t.Fatalf("keys status without a keyring: %v; want an error pointing at `steward keys init`", err)
	}
	out := cli.mustRun(t, "keys", "init")
	m := createdKEKRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("keys init printed:\n%s", out)
	}
	firstKEK := m[1]
	fi, err := os.Stat(keyringFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("keyring mode %04o, want 0600", fi.Mode().Perm())
	}
	before, _ := os.ReadFile(keyringFile)
	if out := cli.mustRun(t, "keys", "init"); !strings.Contains(out, "already exists; nothing to do") {
		t.Fatalf("second keys init printed:\n%s", out)
	}
	if after, _ := os.ReadFile(keyringFile); !bytes.Equal(before, after) {
		t.Fatal("a second keys init changed the keyring")
	}

	keks, tenantCount := parseKeyStatus(t, cli.mustRun(t, "keys", "status"))
	if want := []kekStatus{{firstKEK, "active", 0}}; !slices.Equal(keks, want) || tenantCount != 0 {
		t.Fatalf("keys status before any tenant = %v, %d tenants; want %v, 0 tenants", keks, tenantCount, want)
	}

	// Populate: 5 tenants × 20 secrets; tenant-1's secrets span two data keys.
	db, _, writer := openSideVault(t, dsn, keyringFile, vault.Options{})
	tenants := []string{"tenant-1", "tenant-2", "tenant-3", "tenant-4", "tenant-5"}
	createTenants(t, db, tenants...)
	var secrets []storedSecret
	for ti, tenant := range tenants {
		for i := range 20 {
			if ti == 0 && i == 10 {
				if _, err := writer.RotateDataKey(ctx, tenant); err != nil {
					t.Fatal(err)
				}
			}
			pt := []byte(fmt.Sprintf("steward-keys-test %s #%02d %s", tenant, i, randomHex(t, 40)))
			secrets = append(secrets, putSecret(t, db, writer, tenant, fmt.Sprintf("graph/secret-%02d", i), pt))
		}
	}
	const totalDataKeys = 6 // one per tenant, two for tenant-1
	if n := checkAllWrappedBy(t, db, tenants, firstKEK); n != totalDataKeys {
		t.Fatalf("%d data keys after populating, want %d", n, totalDataKeys)
	}
	if a, b := ciphertextDEKID(t, secrets[0].ciphertext), ciphertextDEKID(t, secrets[10].ciphertext); a == b {
		t.Fatalf("tenant-1's secrets all use data key %s; the test needs a retired data key", a)
	}

	// The running server: its own store handle and keyring instance, one
	// vault with the production data-key cache and one that unwraps on every
	// read, so re-wrapped keys are read while the rotation runs.
	serverDB, serverKeyring, serverVault := openSideVault(t, dsn, keyringFile, vault.Options{})
	uncached := vault.New(serverDB, serverDB, serverKeyring, vault.Options{DEKCacheTTL: -1})
	reader := startLiveReader(t, []*vault.Vault{serverVault, uncached}, secrets)
	reader.waitReads(t, 50)

	readsBefore := reader.reads.Load()
	secondKEK, rewrapped, dataKeys, tenantsSeen := rotateKEK(t, cli)
	t.Logf("the running server read %d secrets while `keys rotate` ran", reader.reads.Load()-readsBefore)
	if secondKEK == firstKEK || rewrapped != totalDataKeys || dataKeys != totalDataKeys || tenantsSeen != len(tenants) {
		t.Fatalf("first rotate: KEK %s (was %s), re-wrapped %d of %d across %d tenants; want all %d across %d",
			secondKEK, firstKEK, rewrapped, dataKeys, tenantsSeen, totalDataKeys, len(tenants))
	}
	checkAllWrappedBy(t, db, tenants, secondKEK)
	reader.waitReads(t, reader.reads.Load()+50)

	// Every rotation re-wraps all that is not on the new active key: here all.
	thirdKEK, rewrapped, dataKeys, tenantsSeen := rotateKEK(t, cli)
	if thirdKEK == secondKEK || thirdKEK == firstKEK || rewrapped != totalDataKeys || dataKeys != totalDataKeys || tenantsSeen != len(tenants) {
		t.Fatalf("second rotate: KEK %s, re-wrapped %d of %d across %d tenants; want a new KEK and all %d across %d",
			thirdKEK, rewrapped, dataKeys, tenantsSeen, totalDataKeys, len(tenants))
	}
	checkAllWrappedBy(t, db, tenants, thirdKEK)
	reader.waitReads(t, reader.reads.Load()+50)

	// rotate-data-key while the server still reads.
	out = cli.mustRun(t, "keys", "rotate-data-key", "--tenant", "tenant-3")
	m = newDEKRe.FindStringSubmatch(out)
	if m == nil || m[1] != "tenant-3" {
		t.Fatalf("keys rotate-data-key printed:\n%s", out)
	}
	newDEK := m[2]
	reader.waitReads(t, reader.reads.Load()+50)
	reader.halt()
	reader.mu.Lock()
	if reader.nfail > 0 {
		t.Errorf("the running server failed %d of %d reads during the rotations, first ones:\n%s",
			reader.nfail, reader.reads.Load(), strings.Join(reader.fails, "\n"))
	}
	reader.mu.Unlock()
	t.Logf("the running server read %d secrets during the rotations", reader.reads.Load())

	// The keyring keeps every KEK, the newest active, still private.
	fresh, err := vault.OpenKeyring(keyringFile, false)
	if err != nil {
		t.Fatal(err)
	}
	if ids := fresh.KEKIDs(); !slices.Equal(ids, []string{firstKEK, secondKEK, thirdKEK}) {
		t.Errorf("keyring holds %v, want %v", ids, []string{firstKEK, secondKEK, thirdKEK})
	}
	if active, _ := fresh.ActiveKEKID(ctx); active != thirdKEK {
		t.Errorf("active KEK %s, want %s", active, thirdKEK)
	}
	if fi, err := os.Stat(keyringFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("keyring after rotation: %v, %v; want mode 0600", fi.Mode(), err)
	}

	// Secrets were not re-encrypted: their bytes are untouched.
	for _, s := range secrets {
		got, err := db.Secret(ctx, s.tenant, s.name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Ciphertext, s.ciphertext) {
			t.Errorf("%s/%s: the rotation changed the ciphertext", s.tenant, s.name)
		}
	}
	// Every secret reads back through a fresh process and the running one.
	_, _, freshVault := openSideVault(t, dsn, keyringFile, vault.Options{})
	checkSecretsRead(t, "fresh vault", freshVault, secrets)
	checkSecretsRead(t, "running server", serverVault, secrets)
	checkSecretsRead(t, "running server without cache", uncached, secrets)

	// The new data key is tenant-3's only active one, wrapped by the active
	// KEK, and seals new secrets, also those the running server writes.
	keys, err := db.DataKeys(ctx, "tenant-3")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("tenant-3 has %d data keys after rotate-data-key, want 2", len(keys))
	}
	for _, k := range keys {
		if k.Active != (k.ID == newDEK) || k.KEKID != thirdKEK {
			t.Errorf("tenant-3 data key %s: active %t, KEK %s; want only %s active, all wrapped by %s", k.ID, k.Active, k.KEKID, newDEK, thirdKEK)
		}
	}
	for i, v := range []*vault.Vault{freshVault, serverVault} {
		s := putSecret(t, db, v, "tenant-3", fmt.Sprintf("graph/after-rotation-%d", i), []byte("new "+randomHex(t, 16)))
		if got := ciphertextDEKID(t, s.ciphertext); got != newDEK {
			t.Errorf("a secret written after rotate-data-key uses data key %s, want %s", got, newDEK)
		}
		secrets = append(secrets, s)
	}
	for _, s := range secrets {
		if s.tenant == "tenant-3" && !strings.HasPrefix(s.name, "graph/after-rotation-") {
			if got := ciphertextDEKID(t, s.ciphertext); got == newDEK {
				t.Errorf("%s/%s was written before rotate-data-key but names the new key", s.tenant, s.name)
			}
		}
	}
	checkSecretsRead(t, "fresh vault after rotate-data-key", freshVault, secrets)

	// A tenant the running server starts after the rotation gets a data key
	// wrapped by the KEK the rotation made active.
	createTenants(t, db, "tenant-6")
	secrets = append(secrets, putSecret(t, db, serverVault, "tenant-6", "graph/client-secret", []byte("late "+randomHex(t, 16))))
	allTenants := append(slices.Clone(tenants), "tenant-6")
	if n := checkAllWrappedBy(t, db, allTenants, thirdKEK); n != totalDataKeys+2 {
		t.Errorf("%d data keys, want %d", n, totalDataKeys+2)
	}

	keks, tenantCount = parseKeyStatus(t, cli.mustRun(t, "keys", "status"))
	want := []kekStatus{{firstKEK, "retired", 0}, {secondKEK, "retired", 0}, {thirdKEK, "active", totalDataKeys + 2}}
	if !slices.Equal(keks, want) || tenantCount != len(allTenants) {
		t.Errorf("keys status = %v, %d tenants; want %v, %d tenants", keks, tenantCount, want, len(allTenants))
	}

	t.Run("refusals", func(t *testing.T) { testKeysRefusals(t, cli, db, keyringFile) })
	checkSecretsRead(t, "fresh vault after the refused commands", freshVault, secrets)
}

// testKeysRefusals runs `steward keys` the wrong ways on a populated
// database and checks each fails with a message that says what to fix, and
// changes nothing.
func testKeysRefusals(t *testing.T, cli *stewardCLI, db *store.DB, keyringFile string) {
	// A copy of the real keyring, readable by anyone.
	loose := filepath.Join(t.TempDir(), "keyring.json")
	data, err := os.ReadFile(keyringFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(loose, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(loose, 0o644); err != nil { // explicit: WriteFile's mode is subject to the umask
		t.Fatal(err)
	}
	kekIDsBefore := func() []string {
		kr, err := vault.OpenKeyring(keyringFile, false)
		if err != nil {
			t.Fatal(err)
		}
		return kr.KEKIDs()
	}()
	keysBefore, err := db.DataKeys(t.Context(), "tenant-2")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		cli   *stewardCLI
		args  []string
		check func(t *testing.T, err error, stderr string)
	}{
		{"no verb", cli, []string{"keys"}, func(t *testing.T, err error, stderr string) {
			if !errors.Is(err, errUsage) || !strings.Contains(stderr, "rotate-data-key --tenant ID") {
				t.Errorf("err %v, stderr %q; want the usage error with the verbs listed", err, stderr)
			}
		}},
		{"unknown verb", cli, []string{"keys", "shred"}, func(t *testing.T, err error, stderr string) {
			if !errors.Is(err, errUsage) || !strings.Contains(stderr, "say what to do") {
				t.Errorf("err %v, stderr %q; want the usage error", err, stderr)
			}
		}},
		{"extra argument", cli, []string{"keys", "status", "now"}, func(t *testing.T, err error, stderr string) {
			if !errors.Is(err, errUsage) || !strings.Contains(stderr, `unexpected arguments after "status": now`) {
				t.Errorf("err %v, stderr %q; want the usage error naming the argument", err, stderr)
			}
		}},
		{"rotate-data-key without tenant", cli, []string{"keys", "rotate-data-key"}, func(t *testing.T, err error, stderr string) {
			if !errors.Is(err, errUsage) || !strings.Contains(stderr, "--tenant ID") {
				t.Errorf("err %v, stderr %q; want the usage error asking for --tenant", err, stderr)
			}
		}},
		{"rotate-data-key of an unknown tenant", cli, []string{"keys", "--tenant", "no-such-tenant", "rotate-data-key"}, func(t *testing.T, err error, _ string) {
			if !governance.IsKind(err, governance.KindNotFound) || !strings.Contains(err.Error(), `tenant "no-such-tenant" does not exist`) {
				t.Errorf("err %v; want not found naming the tenant", err)
			}
		}},
		{"rotate with a world-readable keyring", cli.with("STEWARD_KEYRING_FILE", loose), []string{"keys", "rotate"}, func(t *testing.T, err error, _ string) {
			if err == nil || !strings.Contains(err.Error(), "mode 0644") || !strings.Contains(err.Error(), "chmod 600 "+loose) {
				t.Errorf("err %v; want a refusal naming the mode and the chmod that fixes it", err)
			}
		}},
		{"status without a keyring", cli.with("STEWARD_KEYRING_FILE", filepath.Join(t.TempDir(), "missing.json")), []string{"keys", "status"}, func(t *testing.T, err error, _ string) {
			if err == nil || !strings.Contains(err.Error(), "steward keys init") {
				t.Errorf("err %v; want one pointing at `steward keys init`", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, err := tt.cli.run(t, tt.args...)
			tt.check(t, err, stderr)
			if stdout != "" && err != nil {
				t.Errorf("a failed command printed to stdout: %q", stdout)
			}
		})
	}

	// Nothing changed: not the keyrings, not the data keys.
	if got, _ := os.ReadFile(loose); !bytes.Equal(got, data) {
		t.Error("the refused rotation changed the world-readable keyring")
	}
	if got, _ := os.ReadFile(keyringFile); !bytes.Equal(got, data) {
		t.Error("a refused command changed the keyring")
	}
	kr, err := vault.OpenKeyring(keyringFile, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := kr.KEKIDs(); !slices.Equal(got, kekIDsBefore) {
		t.Errorf("KEKs %v after the refused commands, want %v", got, kekIDsBefore)
	}
	keysAfter, err := db.DataKeys(t.Context(), "tenant-2")
	if err != nil {
		t.Fatal(err)
	}
	if len(keysAfter) != len(keysBefore) || keysAfter[0].Version != keysBefore[0].Version {
		t.Errorf("tenant-2's data keys changed: %d (v%d) before, %d (v%d) after",
			len(keysBefore), keysBefore[0].Version, len(keysAfter), keysAfter[0].Version)
	}
}
