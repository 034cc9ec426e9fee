package vault

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
)

func TestSealOpenRoundTrip(t *testing.T) {
	tv := newTestVault(t, Options{})
	tests := []struct {
		name      string
		tenant    string
		secret    string
		plaintext []byte
	}{
		{"short", "contoso", "graph/client-secret", []byte("s3cr3t-value")},
		{"empty", "contoso", "empty", []byte{}},
		{"binary", "fabrikam", "webhook/stripe", []byte{0, 1, 2, 255, 0, 254}},
		{"max size", "fabrikam", "crm/hubspot.refresh_token", bytes.Repeat([]byte("x"), MaxSecretSize)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := mustSeal(t, tv.Vault, tt.tenant, tt.secret, tt.plaintext)
			if got := mustOpen(t, tv.Vault, tt.tenant, tt.secret, ct); !bytes.Equal(got, tt.plaintext) {
				t.Fatalf("Open = %q, want %q", got, tt.plaintext)
			}
			// Another process (empty cache) opens it too.
			if got := mustOpen(t, tv.fresh(), tt.tenant, tt.secret, ct); !bytes.Equal(got, tt.plaintext) {
				t.Fatal("a fresh vault opened something else")
			}
			if ct[0] != 0x01 {
				t.Errorf("format byte = %#x", ct[0])
			}
			id := dekIDOf(t, ct)
			if !strings.HasPrefix(id, "dek-") || len(id) != 4+16 {
				t.Errorf("DEK id %q, want dek-<16 hex>", id)
			}
		})
	}
	ct1 := mustSeal(t, tv.Vault, "contoso", "a", []byte("same"))
	ct2 := mustSeal(t, tv.Vault, "contoso", "a", []byte("same"))
	if bytes.Equal(ct1, ct2) {
		t.Error("two seals of one plaintext are identical: the nonce is not random")
	}
}

func TestOpenRejectsMovedCiphertext(t *testing.T) {
	tv := newTestVault(t, Options{})
	ct := mustSeal(t, tv.Vault, "contoso", "graph/client-secret", []byte("hunter2"))
	// fabrikam has a data key of its own, so lookups do not merely miss.
	mustSeal(t, tv.Vault, "fabrikam", "graph/client-secret", []byte("other"))
	// Give fabrikam a copy of contoso's DEK record, as a confused store
	// migration might: the AAD still refuses the ciphertext.
	dk, err := tv.store.DataKey(context.Background(), "contoso", dekIDOf(t, ct))
	if err != nil {
		t.Fatal(err)
	}
	dk.TenantID, dk.Active = "northwind", false
	if err := tv.store.CreateDataKey(context.Background(), dk); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, tenant, secret string
	}{
		{"another tenant", "fabrikam", "graph/client-secret"},
		{"another tenant with the same DEK record", "northwind", "graph/client-secret"},
		{"another name", "contoso", "graph/client-secret2"},
		{"name prefix", "contoso", "graph/client"},
		{"tenant/name boundary shift", "contoso\x00graph", "client-secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tv.Open(context.Background(), tt.tenant, tt.secret, ct)
			if err == nil {
				t.Fatal("Open succeeded")
			}
			if k := governance.KindOf(err); k != governance.KindInvalid {
				t.Errorf("kind = %v, want invalid (%v)", k, err)
			}
		})
	}
}

func TestOpenRejectsDamagedCiphertext(t *testing.T) {
	tv := newTestVault(t, Options{})
	ctx := context.Background()
	pt := []byte("refresh-token-value")
	ct := mustSeal(t, tv.Vault, "contoso", "crm/token", pt)

	t.Run("any flipped bit", func(t *testing.T) {
		for i := range ct {
			for _, mask := range []byte{0x01, 0x80} {
				bad := bytes.Clone(ct)
				bad[i] ^= mask
				if got, err := tv.Open(ctx, "contoso", "crm/token", bad); err == nil {
					t.Fatalf("byte %d ^ %#x: Open succeeded with %q", i, mask, got)
				}
			}
		}
	})
	t.Run("any truncation", func(t *testing.T) {
		for n := range len(ct) {
			if _, err := tv.Open(ctx, "contoso", "crm/token", ct[:n]); err == nil {
				t.Fatalf("Open of the first %d bytes succeeded", n)
			} else if governance.KindOf(err) != governance.KindInvalid {
				t.Fatalf("truncated to %d: kind %v, want invalid: %v", n, governance.KindOf(err), err)
			}
		}
	})
	t.Run("appended byte", func(t *testing.T) {
		if _, err := tv.Open(ctx, "contoso", "crm/token", append(bytes.Clone(ct), 0)); err == nil {
			t.Fatal("Open succeeded")
		}
	})
	t.Run("unknown format version", func(t *testing.T) {
		for _, v := range []byte{0x00, 0x02, 0x7f, 0xff} {
			bad := bytes.Clone(ct)
			bad[0] = v
			_, err := tv.Open(ctx, "contoso", "crm/token", bad)
			var ge *governance.Error
			if !errors.As(err, &ge) || ge.Kind != governance.KindInvalid || ge.Code != "ciphertext_format_unsupported" {
				t.Fatalf("version %#x: err = %v, want ciphertext_format_unsupported", v, err)
			}
		}
	})
	t.Run("unknown data key", func(t *testing.T) {
		bad := ciphertext{dekID: "dek-0000000000000000", nonce: make([]byte, 12), sealed: make([]byte, 32)}.marshal()
		_, err := tv.Open(ctx, "contoso", "crm/token", bad)
		if governance.KindOf(err) != governance.KindInvalid {
			t.Fatalf("err = %v, want invalid", err)
		}
	})
	t.Run("garbage", func(t *testing.T) {
		for _, b := range [][]byte{nil, {1}, {1, 0}, {1, 255}, {1, 3, 'a', 'b', 'c'}, bytes.Repeat([]byte{1}, 300)} {
			if _, err := tv.Open(ctx, "contoso", "crm/token", b); err == nil {
				t.Fatalf("Open(%x) succeeded", b)
			}
		}
	})
}

func FuzzOpen(f *testing.F) {
	tv := newTestVault(f, Options{})
	valid, err := tv.Seal(context.Background(), "contoso", "fuzz", []byte("plaintext"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add([]byte{})
	f.Add([]byte{1, 20})
	f.Add(append([]byte{1, 255}, make([]byte, 300)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		pt, err := tv.Open(context.Background(), "contoso", "fuzz", b)
		if err == nil && !bytes.Equal(b, valid) {
			t.Fatalf("Open accepted a forged ciphertext: %q", pt)
		}
	})
}

func TestCiphertextHidesPlaintextAndKeys(t *testing.T) {
	tv := newTestVault(t, Options{})
	ctx := context.Background()
	plaintext := []byte("xoxb-very-recognisable-token-value-0123456789")
	if err := tv.PutSecret(ctx, "contoso", "bot/token", plaintext); err != nil {
		t.Fatal(err)
	}
	stored, err := tv.store.Secret(ctx, "contoso", "bot/token")
	if err != nil {
		t.Fatal(err)
	}
	for _, frag := range [][]byte{plaintext, plaintext[:8], plaintext[len(plaintext)-8:]} {
		if bytes.Contains(stored.Ciphertext, frag) {
			t.Fatalf("stored ciphertext contains plaintext fragment %q", frag)
		}
	}

	// The stored DEK is wrapped: it never equals the key that seals.
	dk, err := tv.store.ActiveDataKey(ctx, "contoso")
	if err != nil {
		t.Fatal(err)
	}
	dek, err := tv.keyring.Unwrap(ctx, dk.KEKID, dk.Wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if len(dek) != 32 {
		t.Fatalf("DEK is %d bytes", len(dek))
	}
	if bytes.Equal(dk.Wrapped, dek) || bytes.Contains(dk.Wrapped, dek[:8]) || bytes.Contains(stored.Ciphertext, dek[:8]) {
		t.Fatal("the plaintext DEK appears in stored data")
	}
	if dk.Version != 1 || !dk.Active || dk.KEKID == "" || dk.CreatedAt.IsZero() {
		t.Errorf("stored DEK record %+v", dk)
	}
	for _, val := range []any{tv.Vault, dk} {
		if out := fmt.Sprintf("%v %+v %#v", val, val, val); bytes.Contains([]byte(out), dek) || strings.Contains(out, fmt.Sprint(dek)) {
			t.Errorf("fmt of %T reveals the DEK", val)
		}
	}
}

func TestConcurrentFirstSealCreatesOneDataKey(t *testing.T) {
	tv := newTestVault(t, Options{})
	ctx := context.Background()
	const n = 20
	cts := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			cts[i], errs[i] = tv.Seal(ctx, "contoso", fmt.Sprintf("s%d", i), []byte("v"))
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("seal %d: %v", i, err)
		}
	}
	keys, _ := tv.store.DataKeys(ctx, "contoso")
	if len(keys) != 1 {
		t.Fatalf("%d data keys created, want 1", len(keys))
	}
	if got := tv.kek.wraps.Load(); got != 1 {
		t.Errorf("%d wraps, want 1", got)
	}
	for i, ct := range cts {
		if id := dekIDOf(t, ct); id != keys[0].ID {
			t.Errorf("seal %d used %s, want %s", i, id, keys[0].ID)
		}
	}
}

func TestDataKeyCacheExpires(t *testing.T) {
	const ttl = time.Minute
	tv := newTestVault(t, Options{DEKCacheTTL: ttl})
	ct := mustSeal(t, tv.Vault, "contoso", "a", []byte("v"))

	steps := []struct {
		name        string
		advance     time.Duration
		wantUnwraps int64 // total so far
	}{
		{"the key created by Seal is cached", 0, 0},
		{"still cached just before the TTL", ttl - time.Second, 0},
		{"unwrapped again at the TTL", time.Second, 1},
		{"cached again", 10 * time.Second, 1},
		{"expired again", ttl, 2},
	}
	for _, st := range steps {
		tv.clock.Advance(st.advance)
		mustOpen(t, tv.Vault, "contoso", "a", ct)
		mustSeal(t, tv.Vault, "contoso", "b", []byte("v"))
		if got := tv.kek.unwraps.Load(); got != st.wantUnwraps {
			t.Fatalf("%s: %d unwraps, want %d", st.name, got, st.wantUnwraps)
		}
	}
}

func TestDataKeyCacheIsBoundedAndCanBeDisabled(t *testing.T) {
	t.Run("bounded", func(t *testing.T) {
		tv := newTestVault(t, Options{DEKCacheSize: 2})
		for i := range 5 {
			mustSeal(t, tv.Vault, fmt.Sprintf("tenant-%d", i), "a", []byte("v"))
		}
		if n := tv.cache.len(); n != 2 {
			t.Fatalf("cache holds %d keys, want 2", n)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		tv := newTestVault(t, Options{DEKCacheTTL: -1})
		ct := mustSeal(t, tv.Vault, "contoso", "a", []byte("v"))
		for range 3 {
			mustOpen(t, tv.Vault, "contoso", "a", ct)
		}
		// Seal made the key itself; every Open unwraps it.
		if got := tv.kek.unwraps.Load(); got != 3 {
			t.Fatalf("%d unwraps, want 3", got)
		}
	})
}

func TestSecrets(t *testing.T) {
	tv := newTestVault(t, Options{})
	ctx := context.Background()

	if err := tv.PutSecret(ctx, "contoso", "graph/client-secret", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := tv.PutSecret(ctx, "contoso", "graph/client-secret", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if err := tv.PutSecret(ctx, "contoso", "stripe.webhook_secret", []byte("whsec")); err != nil {
		t.Fatal(err)
	}
	got, err := tv.Secret(ctx, "contoso", "graph/client-secret")
	if err != nil || string(got) != "v2" {
		t.Fatalf("Secret = %q, %v; want v2", got, err)
	}
	stored, _ := tv.store.Secret(ctx, "contoso", "graph/client-secret")
	if stored.Version != 2 || stored.UpdatedAt.IsZero() {
		t.Errorf("stored record %+v", stored)
	}
	names, err := tv.SecretNames(ctx, "contoso")
	if err != nil || strings.Join(names, ",") != "graph/client-secret,stripe.webhook_secret" {
		t.Fatalf("SecretNames = %v, %v", names, err)
	}
	if names, _ := tv.SecretNames(ctx, "fabrikam"); len(names) != 0 {
		t.Fatalf("another tenant sees %v", names)
	}
	if _, err := tv.Secret(ctx, "fabrikam", "graph/client-secret"); !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("another tenant's Secret: %v, want not found", err)
	}
	if err := tv.DeleteSecret(ctx, "contoso", "graph/client-secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := tv.Secret(ctx, "contoso", "graph/client-secret"); !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("Secret after delete: %v, want not found", err)
	}
	if err := tv.DeleteSecret(ctx, "contoso", "graph/client-secret"); !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("second delete: %v, want not found", err)
	}
}

func TestSecretValidation(t *testing.T) {
	tv := newTestVault(t, Options{})
	ctx := context.Background()
	tests := []struct {
		name      string
		tenant    string
		secret    string
		size      int
		wantCode  string // "" = accepted
		wantInMsg string
	}{
		{"simple", "contoso", "a", 1, "", ""},
		{"path-like", "contoso", "crm/salesforce/refresh_token.v2", 10, "", ""},
		{"128 chars", "contoso", strings.Repeat("a", 128), 10, "", ""},
		{"64 KiB", "contoso", "big", MaxSecretSize, "", ""},
		{"empty name", "contoso", "", 1, "secret_name_invalid", "lowercase"},
		{"uppercase", "contoso", "Graph", 1, "secret_name_invalid", "lowercase"},
		{"leading dash", "contoso", "-x", 1, "secret_name_invalid", "starting with a letter or digit"},
		{"leading slash", "contoso", "/x", 1, "secret_name_invalid", ""},
		{"space", "contoso", "a b", 1, "secret_name_invalid", ""},
		{"NUL", "contoso", "a\x00b", 1, "secret_name_invalid", ""},
		{"129 chars", "contoso", strings.Repeat("a", 129), 1, "secret_name_invalid", "128"},
		{"64 KiB + 1", "contoso", "big", MaxSecretSize + 1, "secret_too_large", "64 KiB"},
		{"empty tenant", "", "a", 1, "tenant_id_invalid", ""},
		{"tenant with NUL", "a\x00b", "a", 1, "tenant_id_invalid", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tv.PutSecret(ctx, tt.tenant, tt.secret, bytes.Repeat([]byte{'x'}, tt.size))
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("PutSecret: %v", err)
				}
				return
			}
			var ge *governance.Error
			if !errors.As(err, &ge) || ge.Kind != governance.KindInvalid || ge.Code != tt.wantCode {
				t.Fatalf("err = %v, want invalid %s", err, tt.wantCode)
			}
			if !strings.Contains(ge.Message, tt.wantInMsg) {
				t.Errorf("message %q does not contain %q", ge.Message, tt.wantInMsg)
			}
			if !strings.HasPrefix(err.Error(), "vault: ") {
				t.Errorf("error %q lacks the vault: prefix", err)
			}
		})
	}
	names, _ := tv.SecretNames(ctx, "contoso")
	if len(names) != 4 {
		t.Errorf("stored %v, want only the 4 accepted secrets", names)
	}
}

func TestSecretThatDoesNotOpenIsInternal(t *testing.T) {
	tv := newTestVault(t, Options{})
	ctx := context.Background()
	if err := tv.PutSecret(ctx, "contoso", "a", []byte("v")); err != nil {
		t.Fatal(err)
	}
	s, _ := tv.store.Secret(ctx, "contoso", "a")
	s.Ciphertext[len(s.Ciphertext)-1] ^= 1
	if _, err := tv.store.PutSecret(ctx, s); err != nil {
		t.Fatal(err)
	}
	_, err := tv.Secret(ctx, "contoso", "a")
	var ge *governance.Error
	if !errors.As(err, &ge) || ge.Kind != governance.KindInternal || ge.Code != "secret_undecryptable" {
		t.Fatalf("err = %v, want internal secret_undecryptable", err)
	}
}

// failingReader stands in for a broken random source.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestSealFailsCleanlyWithoutRandomness(t *testing.T) {
	tv := newTestVault(t, Options{Rand: failingReader{}})
	_, err := tv.Seal(context.Background(), "contoso", "a", []byte("v"))
	if err == nil || !strings.Contains(err.Error(), "entropy exhausted") {
		t.Fatalf("err = %v", err)
	}
	if keys, _ := tv.store.DataKeys(context.Background(), "contoso"); len(keys) != 0 {
		t.Fatalf("a data key was stored: %v", keys)
	}
}

// racingStore lets another process create the tenant's first data key just
// before this one does, as two replicas starting together would.
type racingStore struct {
	*memStore
	other *Vault
}

func (r racingStore) CreateDataKey(ctx context.Context, k governance.DataKey) error {
	if _, err := r.other.Seal(ctx, k.TenantID, "other-process", []byte("x")); err != nil {
		return err
	}
	return governance.Errorf(governance.KindConflict, "data_key_conflict", "an active data key appeared")
}

func TestFirstSealUsesKeyCreatedByAnotherProcess(t *testing.T) {
	tv := newTestVault(t, Options{})
	ctx := context.Background()
	other := tv.fresh()
	v := New(racingStore{tv.store, other}, tv.store, tv.keyring, Options{})
	ct := mustSeal(t, v, "contoso", "a", []byte("v"))
	keys, _ := tv.store.DataKeys(ctx, "contoso")
	if len(keys) != 1 || dekIDOf(t, ct) != keys[0].ID {
		t.Fatalf("keys %v, ciphertext uses %s; want the other process's single key", keys, dekIDOf(t, ct))
	}
	mustOpen(t, other, "contoso", "a", ct)
}

func TestKeyedMutexHonoursContext(t *testing.T) {
	var km keyedMutex
	unlock, err := km.lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := km.lock(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock = %v, want deadline exceeded", err)
	}
	other, err := km.lock(context.Background(), "other-key")
	if err != nil {
		t.Fatal(err)
	}
	other()
	unlock()
	unlock() // idempotent
	again, err := km.lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	again()
	if n := len(km.locks); n != 0 {
		t.Errorf("%d lock entries left, want 0", n)
	}
}
