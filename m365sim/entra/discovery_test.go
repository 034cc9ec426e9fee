package entra

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
)

func TestDiscovery(t *testing.T) {
	v := newEnv(t)
	tests := []struct {
		name, tenant, wantIssuer, wantPathTenant string
		wantRegion                               any
	}{
		{"tenant id", tenantA, v.base + "/" + tenantA + "/v2.0", tenantA, "NA"},
		{"tenant domain names the tenant by id", "contoso.onmicrosoft.com", v.base + "/" + tenantA + "/v2.0", tenantA, "NA"},
		{"common", "common", v.base + "/{tenantid}/v2.0", "common", nil},
		{"organizations", "organizations", v.base + "/{tenantid}/v2.0", "organizations", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := v.get(t, "/"+tt.tenant+"/v2.0/.well-known/openid-configuration")
			if r.status != 200 || r.header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Fatalf("status %d, Content-Type %q: %s", r.status, r.header.Get("Content-Type"), r.body)
			}
			j := r.json
			base := v.base + "/" + tt.wantPathTenant
			want := map[string]any{
				"issuer":                 tt.wantIssuer,
				"authorization_endpoint": base + "/oauth2/v2.0/authorize",
				"token_endpoint":         base + "/oauth2/v2.0/token",
				"jwks_uri":               base + "/discovery/v2.0/keys",
				"end_session_endpoint":   base + "/oauth2/v2.0/logout",
				"tenant_region_scope":    tt.wantRegion,
				"cloud_instance_name":    "microsoftonline.com",
			}
			for k, w := range want {
				if j[k] != w {
					t.Errorf("%s = %v, want %v", k, j[k], w)
				}
			}
			lists := map[string][]string{
				"id_token_signing_alg_values_supported": {"RS256"},
				"response_types_supported":              {"code"},
				"subject_types_supported":               {"pairwise"},
				"scopes_supported":                      {"openid", "profile", "email", "offline_access"},
				"token_endpoint_auth_methods_supported": {"client_secret_post", "private_key_jwt", "client_secret_basic"},
				"code_challenge_methods_supported":      {"S256"},
			}
			for k, w := range lists {
				if got := jsonString(j[k]); got != jsonString(w) {
					t.Errorf("%s = %s, want %s", k, got, jsonString(w))
				}
			}
			if c, _ := j["claims_supported"].([]any); len(c) < 10 {
				t.Errorf("claims_supported = %v", j["claims_supported"])
			}
		})
	}
	t.Run("unknown tenant", func(t *testing.T) {
		r := v.get(t, "/nowhere.onmicrosoft.com/v2.0/.well-known/openid-configuration")
		v.checkAADError(t, r, 400, "invalid_tenant", 90002)
		if d := r.json["error_description"].(string); !strings.Contains(d, "Tenant 'nowhere.onmicrosoft.com' not found") {
			t.Errorf("description %q", d)
		}
	})
}

func TestJWKS(t *testing.T) {
	v := newEnv(t)
	for _, tc := range []struct{ tenant, issuer string }{
		{tenantA, v.base + "/" + tenantA + "/v2.0"},
		{"fabrikam.onmicrosoft.com", v.base + "/" + tenantB + "/v2.0"},
		{"common", v.base + "/{tenantid}/v2.0"},
	} {
		t.Run(tc.tenant, func(t *testing.T) {
			r := v.get(t, "/"+tc.tenant+"/discovery/v2.0/keys")
			if r.status != 200 || r.header.Get("Content-Type") != "application/json; charset=utf-8" {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			keys := r.json["keys"].([]any)
			if len(keys) != 1 {
				t.Fatalf("keys = %d", len(keys))
			}
			k := keys[0].(map[string]any)
			for f, w := range map[string]any{"kty": "RSA", "use": "sig", "e": "AQAB", "issuer": tc.issuer} {
				if k[f] != w {
					t.Errorf("%s = %v, want %v", f, k[f], w)
				}
			}
			x5c := k["x5c"].([]any)
			der, err := base64.StdEncoding.DecodeString(x5c[0].(string))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha1.Sum(der)
			if x5t := base64.RawURLEncoding.EncodeToString(sum[:]); k["x5t"] != x5t || k["kid"] != x5t {
				t.Errorf("x5t %v kid %v, want SHA-1 of the certificate %s", k["x5t"], k["kid"], x5t)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := base64.RawURLEncoding.DecodeString(k["n"].(string))
			pub, ok := cert.PublicKey.(*rsa.PublicKey)
			if !ok || new(big.Int).SetBytes(n).Cmp(pub.N) != 0 || pub.E != 65537 || pub.N.Cmp(v.e.signer().priv.N) != 0 {
				t.Error("n, the certificate and the signing key disagree")
			}
			if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
				t.Errorf("certificate is not self-signed: %v", err)
			}
		})
	}
	t.Run("unknown tenant", func(t *testing.T) {
		v.checkAADError(t, v.get(t, "/nowhere/discovery/v2.0/keys"), 400, "invalid_tenant", 90002)
	})
}
