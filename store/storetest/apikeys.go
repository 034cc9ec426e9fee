package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
)

// runAPIKeys registers the API keys' conformance subtests.
func runAPIKeys(t *testing.T, migrated func(t *testing.T) (*store.DB, *testenv.Clock)) {
	t.Run("APIKeys", func(t *testing.T) { db, c := migrated(t); testAPIKeys(t, db, c) })
	t.Run("APIKeyTenantIsolation", func(t *testing.T) { db, _ := migrated(t); testAPIKeyIsolation(t, db) })
	t.Run("APIKeyAuthentication", func(t *testing.T) { db, c := migrated(t); testAPIKeyAuth(t, db, c) })
}

// testPepper is the server-side secret the suite hashes keys with.
var testPepper = bytes.Repeat([]byte("pepper!!"), 4)

// mkAPIKey creates a key the way the service will: a fresh plaintext, its
// hash, the record. It returns the record as stored and the plaintext.
func mkAPIKey(t *testing.T, db *store.DB, tenant, name string, expires time.Time, scopes ...string) (governance.APIKey, string) {
	t.Helper()
	plaintext, id, err := governance.NewAPIKey(rand.Reader, tenant)
	must(t, err, "new API key")
	k, err := db.CreateAPIKey(context.Background(), governance.APIKey{
		TenantID: tenant, ID: id, Name: name, Prefix: governance.APIKeyPrefix(tenant, id),
		Scopes: scopes, CreatedBy: "11111111-1111-4111-8111-111111111111", ExpiresAt: expires,
	}, governance.HashAPIKey(testPepper, plaintext))
	must(t, err, "create API key "+name)
	return k, plaintext
}

func testAPIKeys(t *testing.T, db *store.DB, clock *testenv.Clock) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	now := clock.Now().UTC().Truncate(time.Microsecond)
	expires := now.Add(90 * 24 * time.Hour)
	zap, zapKey := mkAPIKey(t, db, "contoso", "Zapier", expires, governance.ScopeRequestsRead, governance.ScopeRequestsWrite)
	if zap.Version != 1 || !zap.CreatedAt.Equal(now) || !zap.ExpiresAt.Equal(expires) || !zap.LastUsedAt.IsZero() || !zap.RevokedAt.IsZero() {
		t.Fatalf("created = %+v, want version 1 stamped with the injected clock %v", zap, now)
	}
	got, err := db.APIKey(ctx, "contoso", zap.ID)
	must(t, err, "get")
	if !apiKeyEqual(got, zap) {
		t.Fatalf("get = %+v, want %+v", got, zap)
	}
	got, hash, err := db.APIKeyForAuth(ctx, "contoso", zap.ID)
	must(t, err, "get for auth")
	if !apiKeyEqual(got, zap) || !bytes.Equal(hash, governance.HashAPIKey(testPepper, zapKey)) {
		t.Fatalf("for auth = %+v, hash %x", got, hash)
	}

	// Refusals.
	valid := governance.APIKey{TenantID: "contoso", ID: zap.ID, Name: "Again", Prefix: zap.Prefix, Scopes: []string{governance.ScopeAuditRead}, CreatedBy: "cli"}
	_, err = db.CreateAPIKey(ctx, valid, hash)
	mustKind(t, err, governance.KindConflict, "duplicate key id")
	missing := valid
	missing.TenantID, missing.Prefix = "nobody", governance.APIKeyPrefix("nobody", valid.ID)
	_, err = db.CreateAPIKey(ctx, missing, hash)
	mustKind(t, err, governance.KindNotFound, "key for a missing tenant")
	badScope := valid
	badScope.ID, badScope.Prefix, badScope.Scopes = "Other123", governance.APIKeyPrefix("contoso", "Other123"), []string{"everything"}
	_, err = db.CreateAPIKey(ctx, badScope, hash)
	mustKind(t, err, governance.KindInvalid, "unknown scope")
	past := valid
	past.ID, past.Prefix, past.ExpiresAt = "Other123", governance.APIKeyPrefix("contoso", "Other123"), now
	_, err = db.CreateAPIKey(ctx, past, hash)
	mustKind(t, err, governance.KindInvalid, "expiry not in the future")
	past.ExpiresAt = time.Time{}
	if _, err := db.CreateAPIKey(ctx, past, hash[:16]); err == nil {
		t.Fatal("a key with a 16-byte hash was stored")
	}
	_, err = db.APIKey(ctx, "contoso", "Missing1")
	mustKind(t, err, governance.KindNotFound, "missing key")

	clock.Advance(time.Minute)
	pa, _ := mkAPIKey(t, db, "contoso", "Power Automate", time.Time{}, governance.ScopeTemplatesRead)
	if !pa.ExpiresAt.IsZero() {
		t.Fatalf("a key without expiry expires at %v", pa.ExpiresAt)
	}
	list, err := db.APIKeys(ctx, "contoso")
	must(t, err, "list")
	if len(list) != 2 || !apiKeyEqual(list[0], zap) || !apiKeyEqual(list[1], pa) {
		t.Fatalf("list = %+v, want Zapier then Power Automate", list)
	}
	// A listing carries no hash and no secret, in any encoding.
	dump := fmt.Sprintf("%+v %#v", list, list)
	secret := zapKey[len(zapKey)-43:]
	for label, needle := range map[string]string{
		"secret": secret, "hash hex": hex.EncodeToString(hash), "hash base64": base64.StdEncoding.EncodeToString(hash),
		"hash bytes": fmt.Sprint(hash), "hash go syntax": fmt.Sprintf("%#v", hash),
	} {
		if strings.Contains(dump, needle) {
			t.Fatalf("the listing contains the key's %s", label)
		}
	}

	// A use stamps last_used_at and leaves the version alone.
	usedAt := now.Add(2 * time.Minute)
	must(t, db.TouchAPIKey(ctx, "contoso", zap.ID, usedAt), "touch")
	got, _ = db.APIKey(ctx, "contoso", zap.ID)
	if !got.LastUsedAt.Equal(usedAt) || got.Version != 1 {
		t.Fatalf("after touch = %+v, want last used %v at version 1", got, usedAt)
	}
	mustKind(t, db.TouchAPIKey(ctx, "contoso", "Missing1", usedAt), governance.KindNotFound, "touch a missing key")

	revokedAt := now.Add(3 * time.Minute)
	must(t, db.RevokeAPIKey(ctx, "contoso", zap.ID, revokedAt), "revoke")
	got, _ = db.APIKey(ctx, "contoso", zap.ID)
	if !got.RevokedAt.Equal(revokedAt) || got.Version != 2 {
		t.Fatalf("after revoke = %+v, want revoked at %v, version 2", got, revokedAt)
	}
	must(t, db.RevokeAPIKey(ctx, "contoso", zap.ID, revokedAt.Add(time.Hour)), "revoke again")
	got, _ = db.APIKey(ctx, "contoso", zap.ID)
	if !got.RevokedAt.Equal(revokedAt) || got.Version != 2 {
		t.Fatalf("after a second revoke = %+v, want the first revocation kept", got)
	}
	mustKind(t, db.RevokeAPIKey(ctx, "contoso", "Missing1", revokedAt), governance.KindNotFound, "revoke a missing key")
	clock.Advance(time.Minute)
	must(t, db.RevokeAPIKey(ctx, "contoso", pa.ID, time.Time{}), "revoke at the store's clock")
	got, _ = db.APIKey(ctx, "contoso", pa.ID)
	if !got.RevokedAt.Equal(clock.Now().UTC().Truncate(time.Microsecond)) {
		t.Fatalf("revoked at %v, want the injected clock %v", got.RevokedAt, clock.Now())
	}

	must(t, db.DeleteAPIKey(ctx, "contoso", zap.ID), "delete")
	mustKind(t, db.DeleteAPIKey(ctx, "contoso", zap.ID), governance.KindNotFound, "delete twice")
	_, _, err = db.APIKeyForAuth(ctx, "contoso", zap.ID)
	mustKind(t, err, governance.KindNotFound, "deleted key")

	// Keys go with their tenant.
	must(t, db.DeleteTenant(ctx, "contoso"), "delete tenant")
	mkTenant(t, db, "contoso")
	if list, _ := db.APIKeys(ctx, "contoso"); len(list) != 0 {
		t.Fatalf("API keys survived their tenant: %+v", list)
	}
}

func apiKeyEqual(a, b governance.APIKey) bool {
	return a.TenantID == b.TenantID && a.ID == b.ID && a.Name == b.Name && a.Prefix == b.Prefix &&
		slices.Equal(a.Scopes, b.Scopes) && a.CreatedBy == b.CreatedBy && a.CreatedAt.Equal(b.CreatedAt) &&
		a.LastUsedAt.Equal(b.LastUsedAt) && a.ExpiresAt.Equal(b.ExpiresAt) && a.RevokedAt.Equal(b.RevokedAt) && a.Version == b.Version
}

// testAPIKeyIsolation proves that naming another tenant's key by its id
// never reads, changes or deletes it, and that its key does not
// authenticate as another tenant.
func testAPIKeyIsolation(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "alpha")
	mkTenant(t, db, "bravo")
	a, aKey := mkAPIKey(t, db, "alpha", "Alpha's Zapier", time.Time{}, governance.ScopeRequestsRead)

	_, err := db.APIKey(ctx, "bravo", a.ID)
	mustKind(t, err, governance.KindNotFound, "bravo reads alpha's key")
	_, _, err = db.APIKeyForAuth(ctx, "bravo", a.ID)
	mustKind(t, err, governance.KindNotFound, "bravo reads alpha's key for auth")
	mustKind(t, db.RevokeAPIKey(ctx, "bravo", a.ID, time.Time{}), governance.KindNotFound, "bravo revokes alpha's key")
	mustKind(t, db.TouchAPIKey(ctx, "bravo", a.ID, time.Now()), governance.KindNotFound, "bravo touches alpha's key")
	mustKind(t, db.DeleteAPIKey(ctx, "bravo", a.ID), governance.KindNotFound, "bravo deletes alpha's key")
	if list, err := db.APIKeys(ctx, "bravo"); err != nil || len(list) != 0 {
		t.Fatalf("bravo lists %+v, %v", list, err)
	}
	// Alpha's key presented with bravo's tenant segment.
	tampered := "stw_bravo" + aKey[len("stw_alpha"):]
	_, err = db.AuthenticateAPIKey(ctx, testPepper, tampered, time.Now())
	mustKind(t, err, governance.KindUnauthenticated, "alpha's key as bravo's")

	// Bravo may hold a key with the same id, even made from the same secret:
	// it is bravo's own, and neither key opens the other tenant.
	bravoKey := tampered
	_, err = db.CreateAPIKey(ctx, governance.APIKey{TenantID: "bravo", ID: a.ID, Name: "Bravo's", Prefix: governance.APIKeyPrefix("bravo", a.ID),
		Scopes: []string{governance.ScopeAuditRead}, CreatedBy: "cli"}, governance.HashAPIKey(testPepper, bravoKey))
	must(t, err, "bravo key with the same id")
	for _, c := range []struct{ key, tenant, scope string }{{aKey, "alpha", governance.ScopeRequestsRead}, {bravoKey, "bravo", governance.ScopeAuditRead}} {
		p, err := db.AuthenticateAPIKey(ctx, testPepper, c.key, time.Now())
		must(t, err, "authenticate "+c.tenant)
		if p.TenantID != c.tenant || !slices.Equal(p.Scopes, []string{c.scope}) {
			t.Fatalf("%s's key authenticates as %+v", c.tenant, p)
		}
	}
	// Bravo revoking its key of the same id leaves alpha's alone.
	must(t, db.RevokeAPIKey(ctx, "bravo", a.ID, time.Time{}), "bravo revokes its own key")
	got, err := db.APIKey(ctx, "alpha", a.ID)
	must(t, err, "alpha's key after")
	if !apiKeyEqual(got, a) {
		t.Fatalf("alpha's key changed: %+v, was %+v", got, a)
	}
	if _, err := db.AuthenticateAPIKey(ctx, testPepper, aKey, time.Now()); err != nil {
		t.Fatalf("alpha's key after bravo revoked its own: %v", err)
	}
	must(t, db.DeleteTenant(ctx, "bravo"), "delete bravo")
	if _, err := db.AuthenticateAPIKey(ctx, testPepper, aKey, time.Now()); err != nil {
		t.Fatalf("alpha's key after deleting bravo: %v", err)
	}
	_, err = db.AuthenticateAPIKey(ctx, testPepper, bravoKey, time.Now())
	mustKind(t, err, governance.KindUnauthenticated, "a deleted tenant's key")
}

// testAPIKeyAuth presents keys every wrong way. Everything short of a
// matching hash gets the one api_key_invalid answer.
func testAPIKeyAuth(t *testing.T, db *store.DB, clock *testenv.Clock) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	mkTenant(t, db, "fabrikam")
	now := clock.Now()
	good, goodKey := mkAPIKey(t, db, "contoso", "Zapier", now.Add(time.Hour), governance.ScopeRequestsRead, governance.ScopeTemplatesRead)
	revoked, revokedKey := mkAPIKey(t, db, "contoso", "Old", time.Time{}, governance.ScopeAuditRead)
	must(t, db.RevokeAPIKey(ctx, "contoso", revoked.ID, time.Time{}), "revoke")
	_, fabKey := mkAPIKey(t, db, "fabrikam", "Fabrikam", time.Time{}, governance.ScopeAuditRead)

	p, err := db.AuthenticateAPIKey(ctx, testPepper, goodKey, now)
	must(t, err, "authenticate")
	want := governance.Principal{Kind: governance.PrincipalAPIKey, TenantID: "contoso", ID: good.ID, Name: "Zapier",
		Scopes: []string{governance.ScopeRequestsRead, governance.ScopeTemplatesRead}}
	if fmt.Sprintf("%#v", p) != fmt.Sprintf("%#v", want) {
		t.Fatalf("principal = %+v, want %+v", p, want)
	}
	if !governance.ScopeAllowed(p, governance.ScopeRequestsRead) || governance.ScopeAllowed(p, governance.ScopeRequestsWrite) {
		t.Fatalf("principal scopes wrong: %v", p.Scopes)
	}

	secretAt := len(goodKey) - 43
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'Q' // keeps the last character's padding bits zero
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	otherSecret, _, _ := governance.NewAPIKey(rand.Reader, "contoso")
	otherPepper := bytes.Repeat([]byte{1}, governance.APIKeyPepperSize)
	tests := []struct {
		name   string
		key    string
		pepper []byte
		now    time.Time
		code   string
	}{
		{"wrong secret, valid id", goodKey[:secretAt] + otherSecret[len(otherSecret)-43:], testPepper, now, "api_key_invalid"},
		{"one secret character changed", flip(goodKey, secretAt+10), testPepper, now, "api_key_invalid"},
		{"last secret character changed", flip(goodKey, len(goodKey)-1), testPepper, now, "api_key_invalid"},
		{"unknown id", goodKey[:secretAt-9] + "Zz9Zz9Zz_" + goodKey[secretAt:], testPepper, now, "api_key_invalid"},
		{"another tenant's id segment", "stw_fabrikam" + goodKey[len("stw_contoso"):], testPepper, now, "api_key_invalid"},
		{"unknown tenant", "stw_nobody" + goodKey[len("stw_contoso"):], testPepper, now, "api_key_invalid"},
		{"fabrikam's key with contoso's tenant", "stw_contoso" + fabKey[len("stw_fabrikam"):], testPepper, now, "api_key_invalid"},
		{"other pepper", goodKey, otherPepper, now, "api_key_invalid"},
		{"truncated", goodKey[:len(goodKey)-1], testPepper, now, "api_key_invalid"},
		{"prefix only", good.Prefix, testPepper, now, "api_key_invalid"},
		{"overlong", goodKey + "A", testPepper, now, "api_key_invalid"},
		{"huge", strings.Repeat(goodKey, 1000), testPepper, now, "api_key_invalid"},
		{"garbage", "not-a-key", testPepper, now, "api_key_invalid"},
		{"empty", "", testPepper, now, "api_key_invalid"},
		{"with Bearer", "Bearer " + goodKey, testPepper, now, "api_key_invalid"},
		{"SQL in the id", "stw_contoso_' OR 1=1_" + goodKey[secretAt:], testPepper, now, "api_key_invalid"},
		{"revoked, right secret", revokedKey, testPepper, now, "api_key_revoked"},
		{"revoked, wrong secret", revokedKey[:len(revokedKey)-43] + goodKey[secretAt:], testPepper, now, "api_key_invalid"},
		{"expired, right secret", goodKey, testPepper, now.Add(time.Hour), "api_key_expired"},
		{"expired, wrong secret", flip(goodKey, secretAt), testPepper, now.Add(time.Hour), "api_key_invalid"},
		{"a nanosecond before expiry", goodKey, testPepper, good.ExpiresAt.Add(-time.Nanosecond), ""},
	}
	invalidCode, invalidMsg := governance.Public(governance.ErrAPIKeyInvalid())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := db.AuthenticateAPIKey(ctx, tt.pepper, tt.key, tt.now)
			if tt.code == "" {
				if err != nil || p.ID != good.ID {
					t.Fatalf("got %+v, %v; want the key's principal", p, err)
				}
				return
			}
			mustKind(t, err, governance.KindUnauthenticated, tt.name)
			code, msg := governance.Public(err)
			if code != tt.code {
				t.Fatalf("code %q, want %q (%v)", code, tt.code, err)
			}
			if code == invalidCode && (msg != invalidMsg || err.Error() != governance.ErrAPIKeyInvalid().Error()) {
				t.Fatalf("an invalid key says %q (%v): every invalid key must get the same answer", msg, err)
			}
			if p.ID != "" || p.TenantID != "" || len(p.Scopes) != 0 {
				t.Fatalf("a refused key returned principal %+v", p)
			}
		})
	}

	// A misconfigured server fails as an internal error, not as the client's.
	_, err = db.AuthenticateAPIKey(ctx, testPepper[:16], goodKey, now)
	if err == nil || governance.KindOf(err) != governance.KindInternal {
		t.Fatalf("short pepper: %v, want an internal error", err)
	}
	_, err = db.AuthenticateAPIKey(ctx, nil, goodKey, now)
	if err == nil || governance.KindOf(err) != governance.KindInternal {
		t.Fatalf("no pepper: %v, want an internal error", err)
	}
}
