package store_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/acme/autocert"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/vault"
)

// TestACMECache runs autocert's cache contract on both engines, with the
// entries sealed under a real keyring: what reaches the table is never the
// PEM, and a sealed value moved under another name does not open.
func TestACMECache(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			ctx := t.Context()
			clock := testenv.NewClock()
			db := openForTest(t, eng.DSN(t), clock.Now)
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			kr, err := vault.OpenKeyring(filepath.Join(t.TempDir(), "keyring.json"), true)
			if err != nil {
				t.Fatal(err)
			}
			cache := db.ACMECache(edge.NewACMESealer(kr))
			pem := []byte("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n")
			raw := func(name string) []byte {
				t.Helper()
				var b []byte
				if err := db.Writer().QueryRowContext(ctx, `SELECT data FROM acme_cache WHERE name = $1`, name).Scan(&b); err != nil {
					t.Fatalf("raw %s: %v", name, err)
				}
				return b
			}

			if _, err := cache.Get(ctx, "acme_account+key"); !errors.Is(err, autocert.ErrCacheMiss) {
				t.Fatalf("get of a missing entry: %v, want autocert.ErrCacheMiss", err)
			}
			if err := cache.Put(ctx, "acme_account+key", pem); err != nil {
				t.Fatal(err)
			}
			got, err := cache.Get(ctx, "acme_account+key")
			if err != nil || !bytes.Equal(got, pem) {
				t.Fatalf("round trip: %q, %v", got, err)
			}
			stored := raw("acme_account+key")
			if bytes.Contains(stored, []byte("PRIVATE KEY")) || bytes.Contains(stored, []byte("MHcCAQEEI")) {
				t.Fatal("the table holds the PEM in the clear")
			}

			t.Run("replaced", func(t *testing.T) {
				next := append(bytes.Clone(pem), "renewed"...)
				if err := cache.Put(ctx, "acme_account+key", next); err != nil {
					t.Fatal(err)
				}
				if got, err := cache.Get(ctx, "acme_account+key"); err != nil || !bytes.Equal(got, next) {
					t.Fatalf("after replace: %q, %v", got, err)
				}
			})
			t.Run("resealed after the keyring rotates", func(t *testing.T) {
				if err := cache.Put(ctx, "steward.example.com", []byte("certificate")); err != nil {
					t.Fatal(err)
				}
				newID, err := kr.Rotate()
				if err != nil {
					t.Fatal(err)
				}
				kekOf := func(name string) string { b := raw(name); return string(b[2 : 2+int(b[1])]) }
				if kekOf("steward.example.com") == newID {
					t.Fatal("sealed under the new key before it existed")
				}
				n, err := cache.Reseal(ctx)
				if err != nil || n != 2 {
					t.Fatalf("Reseal = %d, %v; want the 2 entries", n, err)
				}
				for _, name := range []string{"acme_account+key", "steward.example.com"} {
					if k := kekOf(name); k != newID {
						t.Errorf("%s sealed under %s after Reseal, want %s", name, k, newID)
					}
				}
				if got, err := cache.Get(ctx, "steward.example.com"); err != nil || string(got) != "certificate" {
					t.Fatalf("after Reseal: %q, %v", got, err)
				}
			})
			t.Run("moved value does not open", func(t *testing.T) {
				if err := cache.Put(ctx, "steward.example.com", []byte("certificate")); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Writer().ExecContext(ctx, `UPDATE acme_cache SET data = $1 WHERE name = $2`, raw("acme_account+key"), "steward.example.com"); err != nil {
					t.Fatal(err)
				}
				got, err := cache.Get(ctx, "steward.example.com")
				if err == nil || !errors.Is(err, edge.ErrSealedEntry) {
					t.Fatalf("moved entry: %q, %v; want edge.ErrSealedEntry", got, err)
				}
			})
			t.Run("another keyring cannot open it", func(t *testing.T) {
				other, err := vault.OpenKeyring(filepath.Join(t.TempDir(), "keyring.json"), true)
				if err != nil {
					t.Fatal(err)
				}
				if got, err := db.ACMECache(edge.NewACMESealer(other)).Get(ctx, "acme_account+key"); err == nil {
					t.Fatalf("opened with another keyring: %q", got)
				}
			})
			t.Run("delete", func(t *testing.T) {
				if err := cache.Delete(ctx, "acme_account+key"); err != nil {
					t.Fatal(err)
				}
				if _, err := cache.Get(ctx, "acme_account+key"); !errors.Is(err, autocert.ErrCacheMiss) {
					t.Fatalf("after delete: %v, want autocert.ErrCacheMiss", err)
				}
				if err := cache.Delete(ctx, "acme_account+key"); err != nil {
					t.Fatalf("deleting a missing entry: %v", err)
				}
			})
		})
	}
}

var _ store.ACMESealer = (*edge.ACMESealer)(nil)
