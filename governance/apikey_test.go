package governance

import (
	"bytes"
	"crypto/rand"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// apiKeyOracle is the documented format, written apart from the parser.
var apiKeyOracle = regexp.MustCompile(`^stw_[a-z0-9][a-z0-9-]{1,62}_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}$`)

func newTestKey(t *testing.T, tenant string) (string, string) {
	t.Helper()
	key, id, err := NewAPIKey(rand.Reader, tenant)
	if err != nil {
		t.Fatal(err)
	}
	return key, id
}

func TestNewAPIKeyFormat(t *testing.T) {
	seen := map[string]bool{}
	for _, tenant := range []string{"contoso", "a1", strings.Repeat("x", 63), "north-wind-9"} {
		for range 50 {
			key, id := newTestKey(t, tenant)
			if !apiKeyOracle.MatchString(key) || len(key) > APIKeyMaxLen {
				t.Fatalf("key %q does not have the documented format", key)
			}
			if !strings.HasPrefix(key, APIKeyPrefix(tenant, id)+"_") {
				t.Fatalf("key %q does not start with its prefix %q", key, APIKeyPrefix(tenant, id))
			}
			gotTenant, gotID, ok := ParseAPIKey(key)
			if !ok || gotTenant != tenant || gotID != id {
				t.Fatalf("ParseAPIKey(%q) = %q, %q, %t; want %q, %q", key, gotTenant, gotID, ok, tenant, id)
			}
			if seen[key] {
				t.Fatalf("key %q made twice", key)
			}
			seen[key] = true
		}
	}
	if _, _, err := NewAPIKey(rand.Reader, "Bad_Tenant"); !IsKind(err, KindInvalid) {
		t.Fatalf("NewAPIKey with an invalid tenant id: %v", err)
	}
	if _, _, err := NewAPIKey(bytes.NewReader(make([]byte, 20)), "contoso"); err == nil {
		t.Fatal("NewAPIKey with a short random source succeeded")
	}
}

// TestNewAPIKeyIDIsUniform checks that rejection sampling leaves no bias:
// bytes 248..255 would otherwise favour the first 8 characters.
func TestNewAPIKeyIDIsUniform(t *testing.T) {
	counts := map[byte]int{}
	const keys = 4000
	for range keys {
		_, id := newTestKey(t, "contoso")
		for i := range len(id) {
			counts[id[i]]++
		}
	}
	if len(counts) != len(apiKeyIDChars) {
		t.Fatalf("ids use %d distinct characters, want %d", len(counts), len(apiKeyIDChars))
	}
	want := float64(keys*apiKeyIDLen) / float64(len(apiKeyIDChars)) // ~516
	for c, n := range counts {
		if float64(n) < want*0.7 || float64(n) > want*1.3 {
			t.Errorf("character %q drawn %d times, want about %.0f", c, n, want)
		}
	}
}

func TestParseAPIKeyRejects(t *testing.T) {
	key, _ := newTestKey(t, "contoso")
	secret := key[len(key)-43:]
	long := strings.Repeat("y", 63)
	longKey, _ := newTestKey(t, long)
	// A secret whose last character has bits set that 32 bytes cannot have.
	nonCanonical := key[:len(key)-1] + "B"
	tests := []struct{ name, key string }{
		{"empty", ""},
		{"garbage", "hello world"},
		{"bearer prefix", "Bearer " + key},
		{"trailing newline", key + "\n"},
		{"leading space", " " + key},
		{"truncated by one", key[:len(key)-1]},
		{"truncated to prefix", key[:len(key)-44]},
		{"overlong by one", key + "A"},
		{"overlong", longKey + "A"},
		{"way overlong", "stw_" + strings.Repeat("a", 10_000)},
		{"wrong product prefix", "sk_" + key[3:]},
		{"upper-case prefix", "STW_" + key[4:]},
		{"tenant upper case", "stw_Contoso" + key[len("stw_contoso"):]},
		{"tenant one char", "stw_c" + key[len("stw_contoso"):]},
		{"tenant too long", "stw_" + long + "z" + longKey[len("stw_")+63:]},
		{"tenant with underscore", "stw_con_toso" + key[len("stw_contoso"):]},
		{"tenant starts with hyphen", "stw_-contoso" + key[len("stw_contoso"):]},
		{"id too short", "stw_contoso_AbCd123_" + secret},
		{"id too long", "stw_contoso_AbCd12345_" + secret},
		{"id with hyphen", "stw_contoso_AbCd-234_" + secret},
		{"missing separator", "stw_contosoXAbCd1234_" + secret},
		{"secret with padding", key[:len(key)-1] + "="},
		{"secret with standard base64", key[:len(key)-1] + "+"},
		{"secret not canonical", nonCanonical},
		{"non-ASCII", strings.Replace(key, "contoso", "contosö", 1)},
		{"NUL byte", key[:20] + "\x00" + key[21:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tenant, id, ok := ParseAPIKey(tt.key); ok {
				t.Fatalf("ParseAPIKey(%q) accepted it as tenant %q id %q", tt.key, tenant, id)
			}
		})
	}
}

func FuzzParseAPIKey(f *testing.F) {
	f.Add("stw_contoso_AbCd1234_" + strings.Repeat("A", 43))
	f.Add("stw_a1_00000000_" + strings.Repeat("_", 42) + "w")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tenant, id, ok := ParseAPIKey(s)
		if !ok {
			return
		}
		if !apiKeyOracle.MatchString(s) {
			t.Fatalf("ParseAPIKey accepted %q, which is not the documented format", s)
		}
		if !strings.HasPrefix(s, APIKeyPrefix(tenant, id)+"_") || len(s)-len(APIKeyPrefix(tenant, id))-1 != 43 {
			t.Fatalf("ParseAPIKey(%q) = %q, %q: not the key's own segments", s, tenant, id)
		}
	})
}

func TestHashAPIKey(t *testing.T) {
	pepper := bytes.Repeat([]byte{7}, APIKeyPepperSize)
	key, _ := newTestKey(t, "contoso")
	h := HashAPIKey(pepper, key)
	if len(h) != 32 || !bytes.Equal(h, HashAPIKey(pepper, key)) {
		t.Fatalf("hash %x is not a stable 32-byte value", h)
	}
	if !VerifyAPIKeyHash(pepper, key, h) {
		t.Fatal("a key does not verify against its own hash")
	}
	other := bytes.Repeat([]byte{8}, APIKeyPepperSize)
	tampered := "stw_fabrikam" + key[len("stw_contoso"):]
	// Change the secret's last character, whatever it was (a fixed suffix
	// would equal the original key once in 4096 runs).
	last := byte('A')
	if key[len(key)-1] == 'A' {
		last = 'B'
	}
	changed := key[:len(key)-1] + string(last)
	for name, ok := range map[string]bool{
		"another pepper":         VerifyAPIKeyHash(other, key, h),
		"another key":            VerifyAPIKeyHash(pepper, changed, h),
		"another tenant segment": VerifyAPIKeyHash(pepper, tampered, h),
		"empty stored hash":      VerifyAPIKeyHash(pepper, key, nil),
		"truncated stored hash":  VerifyAPIKeyHash(pepper, key, h[:16]),
	} {
		if ok {
			t.Errorf("%s verifies", name)
		}
	}
	if bytes.Contains(h, []byte(key[len(key)-43:])) {
		t.Fatal("the hash contains the secret")
	}
}

func TestValidateScopes(t *testing.T) {
	if err := ValidateScopes(Scopes); err != nil {
		t.Fatalf("all scopes: %v", err)
	}
	for name, scopes := range map[string][]string{
		"none":      nil,
		"unknown":   {"requests:read", "admin"},
		"duplicate": {"audit:read", "audit:read"},
		"case":      {"Requests:Read"},
	} {
		if err := ValidateScopes(scopes); !IsKind(err, KindInvalid) {
			t.Errorf("%s: %v, want KindInvalid", name, err)
		}
	}
}

func TestAPIKeyUsable(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	code := func(err error) string {
		if err == nil {
			return ""
		}
		c, _ := Public(err)
		if !IsKind(err, KindUnauthenticated) {
			t.Fatalf("%v is not KindUnauthenticated", err)
		}
		return c
	}
	tests := []struct {
		name string
		key  APIKey
		want string
	}{
		{"fresh, no expiry", APIKey{}, ""},
		{"expires later", APIKey{ExpiresAt: now.Add(time.Second)}, ""},
		{"expires now", APIKey{ExpiresAt: now}, "api_key_expired"},
		{"expired", APIKey{ExpiresAt: now.Add(-time.Hour)}, "api_key_expired"},
		{"revoked", APIKey{RevokedAt: now.Add(-time.Hour)}, "api_key_revoked"},
		{"revoked and expired", APIKey{RevokedAt: now.Add(-time.Hour), ExpiresAt: now.Add(-time.Hour)}, "api_key_revoked"},
	}
	for _, tt := range tests {
		if got := code(tt.key.Usable(now)); got != tt.want {
			t.Errorf("%s: code %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestAPIKeyValidate(t *testing.T) {
	good := APIKey{TenantID: "contoso", ID: "AbCd1234", Prefix: "stw_contoso_AbCd1234", Name: "Zapier", CreatedBy: "cli", Scopes: []string{ScopeRequestsRead}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*APIKey){
		"tenant":     func(k *APIKey) { k.TenantID = "Contoso" },
		"id":         func(k *APIKey) { k.ID = "short" },
		"prefix":     func(k *APIKey) { k.Prefix = "stw_fabrikam_AbCd1234" },
		"name":       func(k *APIKey) { k.Name = "  " },
		"long name":  func(k *APIKey) { k.Name = strings.Repeat("n", 101) },
		"created by": func(k *APIKey) { k.CreatedBy = "" },
		"scopes":     func(k *APIKey) { k.Scopes = nil },
	} {
		k := good
		mod(&k)
		if err := k.Validate(); !IsKind(err, KindInvalid) {
			t.Errorf("%s: %v, want KindInvalid", name, err)
		}
	}
}

func TestAPIKeyPrincipalAndScopes(t *testing.T) {
	k := APIKey{TenantID: "contoso", ID: "AbCd1234", Name: "Zapier", Scopes: []string{ScopeRequestsRead, ScopeAuditRead}}
	p := k.Principal()
	if p.Kind != PrincipalAPIKey || p.TenantID != "contoso" || p.ID != "AbCd1234" || len(p.Roles) != 0 {
		t.Fatalf("principal = %+v", p)
	}
	p.Scopes[0] = "changed"
	if k.Scopes[0] != ScopeRequestsRead {
		t.Fatal("the principal shares the key's scope slice")
	}
	p = k.Principal()
	admin := Principal{Kind: PrincipalUser, TenantID: "contoso", ID: "u", Roles: []Role{RoleAdministrator}}
	endUser := Principal{Kind: PrincipalUser, TenantID: "contoso", ID: "u"}
	system := Principal{Kind: PrincipalSystem, TenantID: "contoso", ID: "job"}
	tests := []struct {
		name  string
		p     Principal
		scope string
		roles []Role
		allow bool
		kind  Kind
	}{
		{"key with the scope", p, ScopeRequestsRead, []Role{RoleEndUser}, true, 0},
		{"key without the scope", p, ScopeRequestsWrite, []Role{RoleEndUser}, false, KindForbidden},
		{"write does not imply read", Principal{Kind: PrincipalAPIKey, TenantID: "c", ID: "k", Scopes: []string{ScopeTemplatesWrite}}, ScopeTemplatesRead, []Role{RoleEndUser}, false, KindForbidden},
		{"key needs no role", p, ScopeAuditRead, []Role{RoleAdministrator}, true, 0},
		{"admin user", admin, ScopeAuditRead, []Role{RoleAdministrator}, true, 0},
		{"end user lacks the role", endUser, ScopeAuditRead, []Role{RoleAdministrator}, true, KindForbidden},
		{"system", system, ScopeWebhooksManage, []Role{RoleIntegrationManager}, true, 0},
		{"zero principal", Principal{}, ScopeRequestsRead, []Role{RoleEndUser}, false, KindUnauthenticated},
		{"key without tenant", Principal{Kind: PrincipalAPIKey, ID: "k", Scopes: []string{ScopeRequestsRead}}, ScopeRequestsRead, nil, true, KindUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ScopeAllowed(tt.p, tt.scope); got != tt.allow {
				t.Errorf("ScopeAllowed = %t, want %t", got, tt.allow)
			}
			err := RequireScope(tt.p, tt.scope, tt.roles...)
			if tt.kind == 0 && err != nil || tt.kind != 0 && !IsKind(err, tt.kind) {
				t.Errorf("RequireScope = %v, want kind %v", err, tt.kind)
			}
		})
	}
}

// TestAPIKeyHoldsNoSecret: the stored record type has no field a hash or
// secret could travel in, so listings cannot leak one.
func TestAPIKeyHoldsNoSecret(t *testing.T) {
	typ := reflect.TypeFor[APIKey]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Type == reflect.TypeFor[[]byte]() || strings.Contains(strings.ToLower(f.Name), "hash") || strings.Contains(strings.ToLower(f.Name), "secret") {
			t.Errorf("APIKey.%s could carry a secret", f.Name)
		}
	}
}
