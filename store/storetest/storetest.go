// Package storetest is the conformance suite every store engine passes. The
// engine tests call Run with a function that opens a fresh, empty database.
package storetest

import (
	"bytes"
	"context"
	"fmt"
	"github.com/stewardhq/steward/internal/testenv"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/store"
)

// Opener opens a fresh, empty (unmigrated) database whose clock is now.
type Opener func(t *testing.T, now func() time.Time) *store.DB

// Run runs the whole suite against the engine open returns.
func Run(t *testing.T, open Opener) {
	migrated := func(t *testing.T) (*store.DB, *testenv.Clock) {
		t.Helper()
		c := testenv.NewClock()
		db := open(t, c.Now)
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		return db, c
	}
	t.Run("MigrationsAreIdempotent", func(t *testing.T) { testMigrations(t, open) })
	t.Run("Tenants", func(t *testing.T) { db, c := migrated(t); testTenants(t, db, c) })
	t.Run("TenantIsolation", func(t *testing.T) { db, _ := migrated(t); testIsolation(t, db) })
	t.Run("OptimisticVersioning", func(t *testing.T) { db, _ := migrated(t); testVersioning(t, db) })
	t.Run("ConcurrentWritersLoseNoUpdate", func(t *testing.T) { db, _ := migrated(t); testConcurrentWriters(t, db) })
	t.Run("DataKeys", func(t *testing.T) { db, c := migrated(t); testDataKeys(t, db, c) })
	t.Run("Secrets", func(t *testing.T) { db, _ := migrated(t); testSecrets(t, db) })
	t.Run("DeleteTenantCascades", func(t *testing.T) { db, _ := migrated(t); testCascade(t, db) })
	runAudit(t, migrated)
	runAPIKeys(t, migrated)
	runWebhooks(t, migrated)
	runCatalog(t, migrated)
	runCheckpoints(t, migrated)
	runManagedTeams(t, migrated)
}

func mustKind(t *testing.T, err error, k governance.Kind, what string) {
	t.Helper()
	if got := governance.KindOf(err); err == nil || got != k {
		t.Fatalf("%s: got error %v (kind %v), want kind %v", what, err, governance.KindOf(err), k)
	}
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func mkTenant(t *testing.T, db *store.DB, id string) governance.Tenant {
	t.Helper()
	tn, err := db.CreateTenant(context.Background(), governance.Tenant{ID: id, Name: "Tenant " + id})
	must(t, err, "create tenant "+id)
	return tn
}

func testMigrations(t *testing.T, open Opener) {
	ctx := context.Background()
	db := open(t, time.Now)
	before, err := db.MigrationStatus(ctx)
	must(t, err, "status before migrate")
	if len(before) == 0 {
		t.Fatal("no embedded migrations")
	}
	for _, m := range before {
		if m.Applied {
			t.Fatalf("migration %d reported applied on an empty database", m.Version)
		}
	}
	first, err := db.Migrate(ctx)
	must(t, err, "first migrate")
	if len(first) != len(before) {
		t.Fatalf("first migrate applied %d of %d migrations", len(first), len(before))
	}
	second, err := db.Migrate(ctx)
	must(t, err, "second migrate")
	if len(second) != 0 {
		t.Fatalf("second migrate applied %d migrations, want 0", len(second))
	}
	// Several replicas starting at once must not fail or double-apply.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); _, err := db.Migrate(ctx); errs <- err }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err, "concurrent migrate")
	}
	after, err := db.MigrationStatus(ctx)
	must(t, err, "status after migrate")
	for _, m := range after {
		if !m.Applied || m.AppliedAt.IsZero() || m.Checksum == "" {
			t.Fatalf("migration %+v not recorded as applied", m)
		}
	}
}

func testTenants(t *testing.T, db *store.DB, clock *testenv.Clock) {
	ctx := context.Background()
	created, err := db.CreateTenant(ctx, governance.Tenant{ID: "contoso", Name: "Contoso", EntraTenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47"})
	must(t, err, "create")
	if created.Version != 1 || !created.CreatedAt.Equal(clock.Now().Truncate(time.Microsecond)) {
		t.Fatalf("created = %+v, want version 1 stamped with the injected clock %v", created, clock.Now())
	}
	got, err := db.Tenant(ctx, "contoso")
	must(t, err, "get")
	if got != created {
		t.Fatalf("get = %+v, want %+v", got, created)
	}
	byEntra, err := db.TenantByEntraID(ctx, "72f988bf-86f1-41af-91ab-2d7cd011db47")
	must(t, err, "get by entra id")
	if byEntra.ID != "contoso" {
		t.Fatalf("by entra id = %q", byEntra.ID)
	}
	_, err = db.CreateTenant(ctx, governance.Tenant{ID: "contoso", Name: "Again"})
	mustKind(t, err, governance.KindConflict, "duplicate id")
	_, err = db.CreateTenant(ctx, governance.Tenant{ID: "other", Name: "Other", EntraTenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47"})
	mustKind(t, err, governance.KindConflict, "duplicate Entra id")
	_, err = db.CreateTenant(ctx, governance.Tenant{ID: "Bad Id", Name: "x"})
	mustKind(t, err, governance.KindInvalid, "invalid id")
	_, err = db.Tenant(ctx, "nobody")
	mustKind(t, err, governance.KindNotFound, "missing tenant")
	_, err = db.TenantByEntraID(ctx, "")
	mustKind(t, err, governance.KindNotFound, "empty Entra id")

	clock.Advance(time.Hour)
	created.Name = "Contoso Ltd"
	updated, err := db.UpdateTenant(ctx, created)
	must(t, err, "update")
	if updated.Version != 2 || updated.Name != "Contoso Ltd" || !updated.UpdatedAt.After(updated.CreatedAt) || !updated.CreatedAt.Equal(created.CreatedAt) {
		t.Fatalf("updated = %+v", updated)
	}
	reread, err := db.Tenant(ctx, "contoso")
	must(t, err, "reread")
	if reread != updated {
		t.Fatalf("reread = %+v, want %+v", reread, updated)
	}
	mkTenant(t, db, "fabrikam")
	ids, err := db.TenantIDs(ctx)
	must(t, err, "ids")
	if fmt.Sprint(ids) != "[contoso fabrikam]" {
		t.Fatalf("ids = %v", ids)
	}
	must(t, db.DeleteTenant(ctx, "fabrikam"), "delete")
	mustKind(t, db.DeleteTenant(ctx, "fabrikam"), governance.KindNotFound, "delete twice")
	_, err = db.UpdateTenant(ctx, governance.Tenant{ID: "fabrikam", Name: "x", Version: 1})
	mustKind(t, err, governance.KindNotFound, "update deleted")
}

// testIsolation proves that naming another tenant's row by its id never
// reads, changes or deletes it.
func testIsolation(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "alpha")
	mkTenant(t, db, "bravo")
	must(t, db.CreateDataKey(ctx, governance.DataKey{TenantID: "alpha", ID: "dek-1", KEKID: "kek-a", Wrapped: []byte("wrapped-alpha"), Active: true}), "alpha key")
	_, err := db.PutSecret(ctx, governance.SealedSecret{TenantID: "alpha", Name: "graph/client-secret", Ciphertext: []byte("alpha-ciphertext")})
	must(t, err, "alpha secret")
	alphaKey, _ := db.DataKey(ctx, "alpha", "dek-1")
	alphaSecret, _ := db.Secret(ctx, "alpha", "graph/client-secret")

	_, err = db.DataKey(ctx, "bravo", "dek-1")
	mustKind(t, err, governance.KindNotFound, "bravo reads alpha's data key")
	_, err = db.ActiveDataKey(ctx, "bravo")
	mustKind(t, err, governance.KindNotFound, "bravo's active key")
	keys, err := db.DataKeys(ctx, "bravo")
	must(t, err, "bravo lists keys")
	if len(keys) != 0 {
		t.Fatalf("bravo lists %d data keys, want 0", len(keys))
	}
	mustKind(t, db.RewrapDataKey(ctx, "bravo", "dek-1", "kek-evil", []byte("x"), alphaKey.Version), governance.KindNotFound, "bravo rewraps alpha's key")
	_, err = db.Secret(ctx, "bravo", "graph/client-secret")
	mustKind(t, err, governance.KindNotFound, "bravo reads alpha's secret")
	_, err = db.PutSecret(ctx, governance.SealedSecret{TenantID: "bravo", Name: "graph/client-secret", Ciphertext: []byte("evil"), Version: alphaSecret.Version})
	mustKind(t, err, governance.KindNotFound, "bravo updates alpha's secret by version")
	mustKind(t, db.DeleteSecret(ctx, "bravo", "graph/client-secret"), governance.KindNotFound, "bravo deletes alpha's secret")
	names, err := db.SecretNames(ctx, "bravo")
	must(t, err, "bravo lists secrets")
	if len(names) != 0 {
		t.Fatalf("bravo sees secrets %v", names)
	}
	// Bravo may have rows with the same ids; they are its own.
	must(t, db.CreateDataKey(ctx, governance.DataKey{TenantID: "bravo", ID: "dek-1", KEKID: "kek-b", Wrapped: []byte("wrapped-bravo"), Active: true}), "bravo key with same id")
	_, err = db.PutSecret(ctx, governance.SealedSecret{TenantID: "bravo", Name: "graph/client-secret", Ciphertext: []byte("bravo-ciphertext")})
	must(t, err, "bravo secret with same name")

	// Alpha's rows are exactly as they were.
	k, err := db.DataKey(ctx, "alpha", "dek-1")
	must(t, err, "alpha key after")
	if !bytes.Equal(k.Wrapped, alphaKey.Wrapped) || k.KEKID != "kek-a" || !k.Active || k.Version != alphaKey.Version {
		t.Fatalf("alpha's data key changed: %+v", k)
	}
	s, err := db.Secret(ctx, "alpha", "graph/client-secret")
	must(t, err, "alpha secret after")
	if !bytes.Equal(s.Ciphertext, []byte("alpha-ciphertext")) || s.Version != alphaSecret.Version {
		t.Fatalf("alpha's secret changed: %+v", s)
	}
	// Deleting bravo leaves alpha whole.
	must(t, db.DeleteTenant(ctx, "bravo"), "delete bravo")
	if _, err := db.Secret(ctx, "alpha", "graph/client-secret"); err != nil {
		t.Fatalf("alpha's secret gone after deleting bravo: %v", err)
	}
}

func testVersioning(t *testing.T, db *store.DB) {
	ctx := context.Background()
	v1 := mkTenant(t, db, "contoso")
	a, b := v1, v1
	a.Name, b.Name = "Writer A", "Writer B"
	_, errA := db.UpdateTenant(ctx, a)
	_, errB := db.UpdateTenant(ctx, b)
	must(t, errA, "first writer")
	mustKind(t, errB, governance.KindConflict, "second writer with the same version")
	got, _ := db.Tenant(ctx, "contoso")
	if got.Name != "Writer A" || got.Version != 2 {
		t.Fatalf("after race: %+v", got)
	}
	s, err := db.PutSecret(ctx, governance.SealedSecret{TenantID: "contoso", Name: "n", Ciphertext: []byte("1")})
	must(t, err, "put")
	_, err = db.PutSecret(ctx, governance.SealedSecret{TenantID: "contoso", Name: "n", Ciphertext: []byte("2"), Version: s.Version + 5})
	mustKind(t, err, governance.KindConflict, "put with a future version")
	_, err = db.PutSecret(ctx, governance.SealedSecret{TenantID: "contoso", Name: "absent", Ciphertext: []byte("2"), Version: 1})
	mustKind(t, err, governance.KindNotFound, "versioned put of a missing secret")
}

// testConcurrentWriters runs read-modify-write increments from many
// goroutines; with optimistic versioning and retry none may be lost.
func testConcurrentWriters(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	_, err := db.PutSecret(ctx, governance.SealedSecret{TenantID: "contoso", Name: "counter", Ciphertext: []byte("0")})
	must(t, err, "seed")
	const writers, each = 8, 25
	var conflicts atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; {
				cur, err := db.Secret(ctx, "contoso", "counter")
				if err != nil {
					errs <- err
					return
				}
				n, _ := strconv.Atoi(string(cur.Ciphertext))
				cur.Ciphertext = []byte(strconv.Itoa(n + 1))
				_, err = db.PutSecret(ctx, cur)
				if governance.IsKind(err, governance.KindConflict) {
					conflicts.Add(1)
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				i++
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err, "writer")
	}
	final, err := db.Secret(ctx, "contoso", "counter")
	must(t, err, "final read")
	if string(final.Ciphertext) != strconv.Itoa(writers*each) || final.Version != writers*each+1 {
		t.Fatalf("counter = %s at version %d, want %d at version %d (lost updates)", final.Ciphertext, final.Version, writers*each, writers*each+1)
	}
	t.Logf("%d increments, %d optimistic conflicts retried", writers*each, conflicts.Load())
}

func testDataKeys(t *testing.T, db *store.DB, clock *testenv.Clock) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	mustKind(t, db.CreateDataKey(ctx, governance.DataKey{TenantID: "nobody", ID: "k", KEKID: "kek", Wrapped: []byte{1}, Active: true}), governance.KindNotFound, "key for a missing tenant")
	must(t, db.CreateDataKey(ctx, governance.DataKey{TenantID: "contoso", ID: "dek-1", KEKID: "kek-1", Wrapped: []byte{1, 2, 3}, Active: true}), "first key")
	clock.Advance(time.Minute)
	must(t, db.CreateDataKey(ctx, governance.DataKey{TenantID: "contoso", ID: "dek-2", KEKID: "kek-1", Wrapped: []byte{4, 5, 6}, Active: true}), "second key")
	mustKind(t, db.CreateDataKey(ctx, governance.DataKey{TenantID: "contoso", ID: "dek-2", KEKID: "kek-1", Wrapped: []byte{7}}), governance.KindConflict, "duplicate key id")
	active, err := db.ActiveDataKey(ctx, "contoso")
	must(t, err, "active")
	if active.ID != "dek-2" {
		t.Fatalf("active key = %s, want the newest", active.ID)
	}
	keys, err := db.DataKeys(ctx, "contoso")
	must(t, err, "list")
	if len(keys) != 2 || keys[0].ID != "dek-1" || keys[0].Active || !keys[1].Active {
		t.Fatalf("keys = %+v", keys)
	}
	old := keys[0]
	must(t, db.RewrapDataKey(ctx, "contoso", "dek-1", "kek-2", []byte{9, 9}, old.Version), "rewrap")
	mustKind(t, db.RewrapDataKey(ctx, "contoso", "dek-1", "kek-3", []byte{8}, old.Version), governance.KindConflict, "rewrap with a stale version")
	mustKind(t, db.RewrapDataKey(ctx, "contoso", "dek-9", "kek-3", []byte{8}, 1), governance.KindNotFound, "rewrap a missing key")
	got, err := db.DataKey(ctx, "contoso", "dek-1")
	must(t, err, "get rewrapped")
	if got.KEKID != "kek-2" || !bytes.Equal(got.Wrapped, []byte{9, 9}) || got.Version != old.Version+1 || got.Active {
		t.Fatalf("rewrapped = %+v", got)
	}
	// Concurrent activations still leave exactly one active key.
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = db.CreateDataKey(ctx, governance.DataKey{TenantID: "contoso", ID: fmt.Sprintf("dek-c%d", i), KEKID: "kek-2", Wrapped: []byte{byte(i)}, Active: true})
		}()
	}
	wg.Wait()
	keys, _ = db.DataKeys(ctx, "contoso")
	n := 0
	for _, k := range keys {
		if k.Active {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d active data keys after concurrent activations, want 1", n)
	}
}

func testSecrets(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	_, err := db.PutSecret(ctx, governance.SealedSecret{TenantID: "nobody", Name: "x", Ciphertext: []byte{1}})
	mustKind(t, err, governance.KindNotFound, "secret for a missing tenant")
	s, err := db.PutSecret(ctx, governance.SealedSecret{TenantID: "contoso", Name: "b", Ciphertext: []byte{0, 1, 2, 255}})
	must(t, err, "put b")
	if s.Version != 1 {
		t.Fatalf("version = %d", s.Version)
	}
	s2, err := db.PutSecret(ctx, governance.SealedSecret{TenantID: "contoso", Name: "b", Ciphertext: []byte{7}})
	must(t, err, "overwrite b")
	if s2.Version != 2 {
		t.Fatalf("overwrite version = %d, want 2", s2.Version)
	}
	_, err = db.PutSecret(ctx, governance.SealedSecret{TenantID: "contoso", Name: "a", Ciphertext: []byte{8}})
	must(t, err, "put a")
	got, err := db.Secret(ctx, "contoso", "b")
	must(t, err, "get b")
	if !bytes.Equal(got.Ciphertext, []byte{7}) {
		t.Fatalf("b = %v", got.Ciphertext)
	}
	names, err := db.SecretNames(ctx, "contoso")
	must(t, err, "names")
	if fmt.Sprint(names) != "[a b]" {
		t.Fatalf("names = %v", names)
	}
	must(t, db.DeleteSecret(ctx, "contoso", "a"), "delete a")
	_, err = db.Secret(ctx, "contoso", "a")
	mustKind(t, err, governance.KindNotFound, "deleted secret")
}

func testCascade(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	must(t, db.CreateDataKey(ctx, governance.DataKey{TenantID: "contoso", ID: "k", KEKID: "kek", Wrapped: []byte{1}, Active: true}), "key")
	_, err := db.PutSecret(ctx, governance.SealedSecret{TenantID: "contoso", Name: "s", Ciphertext: []byte{1}})
	must(t, err, "secret")
	must(t, db.DeleteTenant(ctx, "contoso"), "delete tenant")
	mkTenant(t, db, "contoso") // a new tenant reusing the id starts empty
	if keys, _ := db.DataKeys(ctx, "contoso"); len(keys) != 0 {
		t.Fatalf("data keys survived their tenant: %+v", keys)
	}
	if _, err := db.Secret(ctx, "contoso", "s"); governance.KindOf(err) != governance.KindNotFound {
		t.Fatalf("secret survived its tenant: %v", err)
	}
}
