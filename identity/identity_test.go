package identity

import (
	"context"
	"encoding/base64"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
)

type nopAPIKeys struct{}

func (nopAPIKeys) AuthenticateAPIKey(context.Context, []byte, string, time.Time) (governance.Principal, error) {
	return governance.Principal{}, governance.ErrAPIKeyInvalid()
}

// TestNewRefusesIncompleteOptions: a misconfiguration is reported at
// start, with what to fix, instead of failing every request later.
func TestNewRefusesIncompleteOptions(t *testing.T) {
	ok := Options{
		LoginURL:   "https://login.microsoftonline.com",
		Audiences:  []string{fakeAppID},
		HTTPClient: &http.Client{},
		Tenants:    tenantMap{},
	}
	if _, err := New(ok); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	tests := []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"relative login URL", func(o *Options) { o.LoginURL = "login.microsoftonline.com" }, "LoginURL"},
		{"login URL with query", func(o *Options) { o.LoginURL = "https://login.microsoftonline.com/?x=1" }, "LoginURL"},
		{"no audiences", func(o *Options) { o.Audiences = nil }, "Audiences"},
		{"empty audience", func(o *Options) { o.Audiences = []string{" "} }, "Audiences"},
		{"no HTTP client", func(o *Options) { o.HTTPClient = nil }, "HTTPClient"},
		{"no tenants", func(o *Options) { o.Tenants = nil }, "Tenants"},
		{"API keys without pepper", func(o *Options) { o.APIKeys = nopAPIKeys{} }, "Pepper"},
		{"negative skew", func(o *Options) { o.Skew = -1 }, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.edit(&o)
			if _, err := New(o); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %s", err, tt.want)
			}
		})
	}
}

// TestBearerSchemeIsCaseInsensitive (RFC 6750 via RFC 7235).
func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	e := newFakeEnv(t, nil)
	r := bearerRequest("")
	r.Header.Set("Authorization", "bearer "+e.idp.sign(t, fakeContoso, "contoso-kid", e.idp.claims(e.clock.Now())))
	if _, err := e.auth.Authenticate(t.Context(), r); err != nil {
		t.Fatal(err)
	}
}

type downTenants struct{}

func (downTenants) TenantByEntraID(context.Context, string) (governance.Tenant, error) {
	return governance.Tenant{}, governance.Errorf(governance.KindUnavailable, "store_unavailable", "the database is unavailable")
}

// TestStoreDownIsNotUnauthenticated: a tenant lookup that fails for
// Steward's own reasons must not tell the user to sign in again.
func TestStoreDownIsNotUnauthenticated(t *testing.T) {
	e := newFakeEnv(t, nil)
	e.auth.tenants = downTenants{}
	_, err := e.auth.Authenticate(t.Context(), bearerRequest(e.idp.sign(t, fakeContoso, "contoso-kid", e.idp.claims(e.clock.Now()))))
	if governance.KindOf(err) != governance.KindUnavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
	if n := e.count.total.Load(); n != 0 {
		t.Fatalf("%d requests to the identity provider", n)
	}
}

// TestRSAPublicKeyDecoding: JWKs that would give weak or nonsensical keys
// are refused.
func TestRSAPublicKeyDecoding(t *testing.T) {
	k := fakeKeys(t)[0]
	n := base64.RawURLEncoding.EncodeToString(k.N.Bytes())
	short := base64.RawURLEncoding.EncodeToString(k.N.Bytes()[:128])
	e := func(v int64) string { return base64.RawURLEncoding.EncodeToString(big.NewInt(v).Bytes()) }
	if pub, err := RSAPublicKey(n, e(65537)); err != nil || pub.N.Cmp(k.N) != 0 || pub.E != 65537 {
		t.Fatalf("valid key: %v %v", pub, err)
	}
	for name, c := range map[string][2]string{
		"1024-bit modulus": {short, e(65537)},
		"even exponent":    {n, e(65536)},
		"exponent 1":       {n, e(1)},
		"huge exponent":    {n, base64.RawURLEncoding.EncodeToString([]byte{1, 0, 0, 0, 1})},
		"bad base64":       {"!!", e(65537)},
		"empty exponent":   {n, ""},
	} {
		if _, err := RSAPublicKey(c[0], c[1]); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
