package vault

import (
	"bytes"
	"context"
	"github.com/stewardhq/steward/internal/testenv"
	"strings"
	"testing"

	"github.com/stewardhq/steward/governance"
)

type sealedRecord struct {
	tenant, name string
	plaintext    []byte
	ciphertext   []byte
}

// seedTenants stores secrets for several tenants, some of them across two
// data keys, and returns what was stored.
func seedTenants(t *testing.T, tv *testVault) ([]string, []sealedRecord) {
	t.Helper()
	ctx := context.Background()
	tenants := []string{"contoso", "fabrikam", "northwind"}
	var recs []sealedRecord
	put := func(tenant, name string) {
		pt := []byte("value of " + tenant + "/" + name)
		if err := tv.PutSecret(ctx, tenant, name, pt); err != nil {
			t.Fatal(err)
		}
		s, err := tv.store.Secret(ctx, tenant, name)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, sealedRecord{tenant, name, pt, s.Ciphertext})
	}
	for _, tenant := range tenants {
		put(tenant, "graph/client-secret")
	}
	for _, tenant := range tenants[:2] {
		if _, err := tv.RotateDataKey(ctx, tenant); err != nil {
			t.Fatal(err)
		}
		put(tenant, "crm/token")
	}
	return tenants, recs
}

func TestRotateKEK(t *testing.T) {
	tv := newTestVault(t, Options{})
	ctx := context.Background()
	tenants, recs := seedTenants(t, tv)
	oldKEK, _ := tv.keyring.ActiveKEKID(ctx)

	// Nothing to do before the KEK changes.
	rep, err := tv.RotateKEK(ctx, tenants)
	if err != nil || rep != (RotateReport{Tenants: 3, DataKeys: 5, Rewrapped: 0}) {
		t.Fatalf("RotateKEK before Rotate = %+v, %v", rep, err)
	}

	newKEK, err := tv.keyring.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	// Listing a tenant twice, or one without keys, changes nothing.
	rep, err = tv.RotateKEK(ctx, append(tenants, "contoso", "empty-tenant"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (RotateReport{Tenants: 4, DataKeys: 5, Rewrapped: 5}); rep != want {
		t.Fatalf("report = %+v, want %+v", rep, want)
	}
	for _, tenant := range tenants {
		keys, _ := tv.store.DataKeys(ctx, tenant)
		for _, k := range keys {
			if k.KEKID != newKEK || k.Version != 2 {
				t.Errorf("%s/%s: KEK %s version %d, want %s version 2", tenant, k.ID, k.KEKID, k.Version, newKEK)
			}
		}
	}

	rep, err = tv.RotateKEK(ctx, tenants)
	if err != nil || rep.Rewrapped != 0 || rep.DataKeys != 5 {
		t.Fatalf("second run = %+v, %v; want 0 re-wrapped", rep, err)
	}

	// A fresh vault (empty cache) proves the re-wrapped keys themselves work.
	for _, v := range []*Vault{tv.Vault, tv.fresh()} {
		for _, r := range recs {
			s, err := tv.store.Secret(ctx, r.tenant, r.name)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(s.Ciphertext, r.ciphertext) {
				t.Errorf("%s/%s: ciphertext changed by the KEK rotation", r.tenant, r.name)
			}
			got, err := v.Secret(ctx, r.tenant, r.name)
			if err != nil || !bytes.Equal(got, r.plaintext) {
				t.Errorf("%s/%s after rotation: %q, %v", r.tenant, r.name, got, err)
			}
		}
	}
	if ids := tv.keyring.KEKIDs(); len(ids) != 2 || ids[0] != oldKEK {
		t.Errorf("keyring holds %v, want the old KEK kept", ids)
	}
}

func TestRotateKEKRetriesOnConflict(t *testing.T) {
	tv := newTestVault(t, Options{})
	ctx := context.Background()
	tenants, _ := seedTenants(t, tv)
	if _, err := tv.keyring.Rotate(); err != nil {
		t.Fatal(err)
	}
	tv.store.bumpBeforeRewrap = 2
	rep, err := tv.RotateKEK(ctx, tenants)
	if err != nil || rep.Rewrapped != 5 {
		t.Fatalf("report %+v, %v; want all 5 re-wrapped after retries", rep, err)
	}
}

func TestRotateKEKGivesUpOnEndlessConflict(t *testing.T) {
	tv := newTestVault(t, Options{})
	ctx := context.Background()
	mustSeal(t, tv.Vault, "contoso", "a", []byte("v"))
	if _, err := tv.keyring.Rotate(); err != nil {
		t.Fatal(err)
	}
	tv.store.bumpBeforeRewrap = 1000
	rep, err := tv.RotateKEK(ctx, []string{"contoso"})
	if err == nil || rep.Rewrapped != 0 {
		t.Fatalf("report %+v, %v; want an error", rep, err)
	}
}

// lyingKEK wraps with one key and claims another: RotateKEK must notice
// before it overwrites the only copy of a data key.
type lyingKEK struct{ KEKProvider }

func (l lyingKEK) Wrap(ctx context.Context, dek []byte) (string, []byte, error) {
	other := bytes.Clone(dek)
	other[0] ^= 1
	return l.KEKProvider.Wrap(ctx, other)
}

func TestRotateKEKVerifiesBeforeOverwriting(t *testing.T) {
	tv := newTestVault(t, Options{})
	ctx := context.Background()
	ct := mustSeal(t, tv.Vault, "contoso", "a", []byte("v"))
	if _, err := tv.keyring.Rotate(); err != nil {
		t.Fatal(err)
	}
	bad := New(tv.store, tv.store, lyingKEK{tv.keyring}, Options{})
	if _, err := bad.RotateKEK(ctx, []string{"contoso"}); err == nil {
		t.Fatal("RotateKEK accepted a wrapping that does not round-trip")
	}
	if tv.store.rewraps != 0 {
		t.Fatal("the data key was overwritten")
	}
	mustOpen(t, tv.fresh(), "contoso", "a", ct)
}

func TestRotateDataKey(t *testing.T) {
	tv := newTestVault(t, Options{})
	ctx := context.Background()
	oldCT := mustSeal(t, tv.Vault, "contoso", "a", []byte("old"))
	oldID := dekIDOf(t, oldCT)

	newID, err := tv.RotateDataKey(ctx, "contoso")
	if err != nil {
		t.Fatal(err)
	}
	if newID == oldID {
		t.Fatal("RotateDataKey returned the old id")
	}
	newCT := mustSeal(t, tv.Vault, "contoso", "b", []byte("new"))
	if got := dekIDOf(t, newCT); got != newID {
		t.Fatalf("new seal used %s, want %s", got, newID)
	}
	for _, v := range []*Vault{tv.Vault, tv.fresh()} {
		if got := mustOpen(t, v, "contoso", "a", oldCT); string(got) != "old" {
			t.Errorf("old secret = %q", got)
		}
		if got := mustOpen(t, v, "contoso", "b", newCT); string(got) != "new" {
			t.Errorf("new secret = %q", got)
		}
	}
	keys, _ := tv.store.DataKeys(ctx, "contoso")
	var active []string
	for _, k := range keys {
		if k.Active {
			active = append(active, k.ID)
		}
	}
	if len(keys) != 2 || len(active) != 1 || active[0] != newID {
		t.Fatalf("keys %d, active %v; want 2 keys with only %s active", len(keys), active, newID)
	}
	if _, err := tv.RotateDataKey(ctx, ""); !governance.IsKind(err, governance.KindInvalid) {
		t.Fatalf("RotateDataKey(\"\") = %v, want invalid", err)
	}
}

func TestRotateKEKReportsStoreErrors(t *testing.T) {
	tv := newTestVault(t, Options{})
	ctx := context.Background()
	mustSeal(t, tv.Vault, "contoso", "a", []byte("v"))
	if _, err := tv.keyring.Rotate(); err != nil {
		t.Fatal(err)
	}
	// A data key wrapped by a KEK the keyring does not have: reported, and
	// the tenant's other keys are still re-wrapped.
	if err := tv.store.CreateDataKey(ctx, governance.DataKey{
		TenantID: "contoso", ID: "dek-orphan", KEKID: "kek-gone", Wrapped: make([]byte, 60),
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := tv.RotateKEK(ctx, []string{"contoso"})
	if err == nil {
		t.Fatal("want an error for the orphan key")
	}
	if rep.Rewrapped != 1 || rep.DataKeys != 2 {
		t.Errorf("report %+v, want 1 of 2 re-wrapped", rep)
	}
	if msg := err.Error(); !strings.Contains(msg, "dek-orphan") || !strings.HasPrefix(msg, "vault: rotate kek: ") {
		t.Errorf("error %q does not name the key", msg)
	}
}

// TestKeysRotateCommandFlow plays `steward keys rotate` against a running
// server: two processes, each with its own Keyring on the same file.
func TestKeysRotateCommandFlow(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	clock := testenv.NewClock()
	serverKeys := newTestKeyring(t)
	server := New(store, store, serverKeys, Options{Now: clock.Now})
	if err := server.PutSecret(ctx, "contoso", "graph/client-secret", []byte("v")); err != nil {
		t.Fatal(err)
	}

	cliKeys, err := OpenKeyring(serverKeys.Path(), false)
	if err != nil {
		t.Fatal(err)
	}
	newKEK, err := cliKeys.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	cli := New(store, store, cliKeys, Options{})
	if rep, err := cli.RotateKEK(ctx, []string{"contoso"}); err != nil || rep.Rewrapped != 1 {
		t.Fatalf("RotateKEK = %+v, %v", rep, err)
	}

	// Once its cached data key expires, the server unwraps the re-wrapped key
	// with a KEK it has never loaded: it must re-read the file, not fail.
	clock.Advance(DefaultDEKCacheTTL)
	if got, err := server.Secret(ctx, "contoso", "graph/client-secret"); err != nil || string(got) != "v" {
		t.Fatalf("server Secret after rotation = %q, %v", got, err)
	}
	// And data keys it creates from now on use the new KEK.
	if err := server.PutSecret(ctx, "fabrikam", "a", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if dk, _ := store.ActiveDataKey(ctx, "fabrikam"); dk.KEKID != newKEK {
		t.Errorf("new data key wrapped by %s, want %s", dk.KEKID, newKEK)
	}
}
