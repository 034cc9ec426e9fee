package entra

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/stewardhq/steward/m365sim/directory"
)

// testCert is a certificate credential: the key a client signs with and
// the self-signed certificate registered on the app.
type testCert struct {
	key *rsa.PrivateKey
	der []byte
}

func (c testCert) b64() string { return base64.StdEncoding.EncodeToString(c.der) }

func (c testCert) x5t() string {
	s := sha1.Sum(c.der)
	return base64.RawURLEncoding.EncodeToString(s[:])
}

func (c testCert) x5tS256() string {
	s := sha256.Sum256(c.der)
	return base64.RawURLEncoding.EncodeToString(s[:])
}

// RSA key generation dominates these tests' run time, so the keys are
// shared by every test of the package.
var (
	testKeysOnce sync.Once
	testKeys     [3]*rsa.PrivateKey
)

func testKey(t *testing.T, i int) *rsa.PrivateKey {
	t.Helper()
	testKeysOnce.Do(func() {
		for i := range testKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			testKeys[i] = k
		}
	})
	return testKeys[i]
}

func newTestCert(t *testing.T, key *rsa.PrivateKey, notBefore, notAfter time.Time) testCert {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(notBefore.UnixNano()),
		Subject:      pkix.Name{CommonName: "steward-test-client"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{key: key, der: der}
}

// certEnv is a test Entra where appID has a valid and an expired
// certificate in tenant A (and none in tenant B), plus a certificate
// registered nowhere.
type certEnv struct {
	*env
	good, expired, unregistered testCert
}

func newCertEnv(t *testing.T) *certEnv {
	t.Helper()
	v := &certEnv{env: newEnv(t)}
	now := v.clock.Now()
	v.good = newTestCert(t, testKey(t, 0), now.Add(-time.Hour), now.AddDate(1, 0, 0))
	v.unregistered = newTestCert(t, testKey(t, 1), now.Add(-time.Hour), now.AddDate(1, 0, 0))
	v.expired = newTestCert(t, testKey(t, 2), now.AddDate(-1, 0, 0), now.Add(-time.Hour))
	for _, c := range []testCert{v.good, v.expired} {
		if _, err := v.e.dir.AddCertificate(tenantA, appID, c.b64()); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

func (v *certEnv) tokenURL(tenant string) string { return v.base + tokenPath(tenant) }

// assertion signs a client assertion for appID at tenant A with v.good,
// as Microsoft documents it, after applying the header and claims
// overrides (a nil value removes the entry).
func (v *certEnv) assertion(t *testing.T, alg jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	now := v.clock.Now()
	c := jwt.MapClaims{
		"aud": v.tokenURL(tenantA), "iss": appID, "sub": appID, "jti": newJTI(),
		"nbf": now.Unix(), "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
	for k, val := range claims {
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
	}
	if alg == nil {
		alg = jwt.SigningMethodPS256
	}
	if key == nil {
		key = v.good.key
	}
	tok := jwt.NewWithClaims(alg, c)
	tok.Header["x5t#S256"] = v.good.x5tS256()
	for k, val := range header {
		if val == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = val
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var jtiSeq struct {
	sync.Mutex
	n int
}

func newJTI() string {
	jtiSeq.Lock()
	defer jtiSeq.Unlock()
	jtiSeq.n++
	return directory.GUID("test/jti/" + strconv.Itoa(jtiSeq.n))
}

// ccForm is a client credentials request authenticated by assertion, with
// overrides ("" removes a field).
func ccForm(assertion string, kv ...string) url.Values {
	f := url.Values{"grant_type": {"client_credentials"}, "client_id": {appID}, "scope": {"https://graph.microsoft.com/.default"},
		"client_assertion_type": {clientAssertionType}, "client_assertion": {assertion}}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			f.Del(kv[i])
		} else {
			f.Set(kv[i], kv[i+1])
		}
	}
	return f
}

// checkCertToken asserts r carries an access token issued to appID on its
// certificate (azpacr "2").
func (v *certEnv) checkCertToken(t *testing.T, r response) tokenClaims {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	checkTokenHeaders(t, r)
	c, err := v.e.parse(r.json["access_token"].(string), true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Azp != appID || c.Azpacr != "2" {
		t.Errorf("azp %q azpacr %q, want %s and 2", c.Azp, c.Azpacr, appID)
	}
	return c
}

func TestClientAssertionAccepted(t *testing.T) {
	v := newCertEnv(t)
	now := v.clock.Now()
	tests := []struct {
		name   string
		tenant string // of the token URL
		alg    jwt.SigningMethod
		header map[string]any
		claims jwt.MapClaims
	}{
		{name: "PS256 with x5t#S256, as documented", tenant: tenantA},
		{name: "RS256 with the SHA-1 x5t", tenant: tenantA, alg: jwt.SigningMethodRS256,
			header: map[string]any{"x5t#S256": nil, "x5t": v.good.x5t()}},
		{name: "audience names the tenant by domain", tenant: tenantA,
			claims: jwt.MapClaims{"aud": v.tokenURL("contoso.onmicrosoft.com")}},
		{name: "request by domain, audience by tenant id", tenant: "contoso.onmicrosoft.com"},
		{name: "audience is the v1.0 token endpoint", tenant: tenantA,
			claims: jwt.MapClaims{"aud": v.base + "/" + tenantA + "/oauth2/token"}},
		{name: "audience as a one-element array", tenant: tenantA,
			claims: jwt.MapClaims{"aud": []string{v.tokenURL(tenantA)}}},
		{name: "expired less than the clock skew ago", tenant: tenantA,
			claims: jwt.MapClaims{"nbf": now.Add(-14 * time.Minute).Unix(), "exp": now.Add(-4 * time.Minute).Unix()}},
		{name: "valid in less than the clock skew", tenant: tenantA,
			claims: jwt.MapClaims{"nbf": now.Add(4 * time.Minute).Unix(), "exp": now.Add(14 * time.Minute).Unix()}},
		{name: "no nbf", tenant: tenantA, claims: jwt.MapClaims{"nbf": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := v.assertion(t, tt.alg, nil, tt.header, tt.claims)
			c := v.checkCertToken(t, v.post(t, tokenPath(tt.tenant), ccForm(a)))
			if c.Tid != tenantA || c.Aud != graphResource || !slices.Equal(c.Roles, graphRole) || c.Idtyp != "app" {
				t.Errorf("claims %+v", c)
			}
		})
	}
}

func TestClientAssertionRefused(t *testing.T) {
	v := newCertEnv(t)
	now := v.clock.Now()
	tests := []struct {
		name   string
		tenant string
		alg    jwt.SigningMethod
		key    any
		header map[string]any
		claims jwt.MapClaims
		form   []string // request overrides
		status int
		err    string
		code   int
	}{
		{name: "signed with another key", key: v.unregistered.key,
			status: 401, err: "invalid_client", code: 700027},
		{name: "unknown thumbprint", key: v.unregistered.key, header: map[string]any{"x5t#S256": v.unregistered.x5tS256()},
			status: 401, err: "invalid_client", code: 700027},
		{name: "unknown SHA-1 thumbprint", alg: jwt.SigningMethodRS256, key: v.unregistered.key,
			header: map[string]any{"x5t#S256": nil, "x5t": v.unregistered.x5t()}, status: 401, err: "invalid_client", code: 700027},
		{name: "certificate expired", key: v.expired.key, header: map[string]any{"x5t#S256": v.expired.x5tS256()},
			status: 401, err: "invalid_client", code: 700027},
		{name: "no thumbprint", header: map[string]any{"x5t#S256": nil},
			status: 401, err: "invalid_client", code: 50027},
		{name: "expired", claims: jwt.MapClaims{"nbf": now.Add(-16 * time.Minute).Unix(), "exp": now.Add(-6 * time.Minute).Unix()},
			status: 401, err: "invalid_client", code: 700024},
		{name: "not yet valid", claims: jwt.MapClaims{"nbf": now.Add(6 * time.Minute).Unix(), "exp": now.Add(16 * time.Minute).Unix()},
			status: 401, err: "invalid_client", code: 700024},
		{name: "audience of another tenant", claims: jwt.MapClaims{"aud": v.tokenURL(tenantB)},
			status: 401, err: "invalid_client", code: 700023},
		{name: "audience of Microsoft's login, not this one", claims: jwt.MapClaims{"aud": "https://login.microsoftonline.com/" + tenantA + "/oauth2/v2.0/token"},
			status: 401, err: "invalid_client", code: 700023},
		{name: "audience is the issuer, not the token endpoint", claims: jwt.MapClaims{"aud": v.e.issuer(tenantA)},
			status: 401, err: "invalid_client", code: 700023},
		{name: "iss and sub name another app", claims: jwt.MapClaims{"iss": publicID, "sub": publicID},
			status: 401, err: "invalid_client", code: 700021},
		{name: "sub differs from iss", claims: jwt.MapClaims{"sub": publicID},
			status: 401, err: "invalid_client", code: 50048},
		{name: "no jti", claims: jwt.MapClaims{"jti": nil}, status: 401, err: "invalid_client", code: 50027},
		{name: "no exp", claims: jwt.MapClaims{"exp": nil}, status: 401, err: "invalid_client", code: 50027},
		{name: "HS256", alg: jwt.SigningMethodHS256, key: []byte("not a certificate"),
			status: 400, err: "invalid_request", code: 5002730},
		{name: "not a JWT", form: []string{"client_assertion", "not.a.jwt"}, status: 401, err: "invalid_client", code: 50027},
		{name: "grant type given as the assertion type", form: []string{"client_assertion_type", grantJWTBearer},
			status: 400, err: "invalid_request", code: 90011},
		{name: "no assertion type", form: []string{"client_assertion_type", ""}, status: 400, err: "invalid_request", code: 900144},
		{name: "secret and assertion", form: []string{"client_secret", secretA}, status: 400, err: "invalid_request", code: 9002313},
		{name: "tenant B registers no certificate", tenant: tenantB, claims: jwt.MapClaims{"aud": v.tokenURL(tenantB)},
			status: 401, err: "invalid_client", code: 700027},
		{name: "public client", claims: jwt.MapClaims{"iss": publicID, "sub": publicID}, form: []string{"client_id", publicID},
			status: 401, err: "invalid_client", code: 700025},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.tenant == "" {
				tt.tenant = tenantA
			}
			a := v.assertion(t, tt.alg, tt.key, tt.header, tt.claims)
			r := v.post(t, tokenPath(tt.tenant), ccForm(a, tt.form...))
			v.checkAADError(t, r, tt.status, tt.err, tt.code)
			checkTokenHeaders(t, r)
		})
	}
	t.Run("secret over HTTP Basic and assertion", func(t *testing.T) {
		r := v.post(t, tokenPath(tenantA), ccForm(v.assertion(t, nil, nil, nil, nil), "client_id", ""), appID, secretA)
		v.checkAADError(t, r, 400, "invalid_request", 9002313)
	})
}

func TestClientAssertionReplay(t *testing.T) {
	v := newCertEnv(t)
	a := v.assertion(t, nil, nil, nil, jwt.MapClaims{"jti": "once"})
	v.checkCertToken(t, v.post(t, tokenPath(tenantA), ccForm(a)))
	v.checkAADError(t, v.post(t, tokenPath(tenantA), ccForm(a)), 401, "invalid_client", 50027)
	// A replay is refused even when the request asks for something else.
	v.checkAADError(t, v.post(t, tokenPath(tenantA), ccForm(a, "scope", "https://api.botframework.com/.default")), 401, "invalid_client", 50027)
	// A new assertion with the same jti is a replay too: jti names the assertion.
	v.checkAADError(t, v.post(t, tokenPath(tenantA), ccForm(v.assertion(t, nil, nil, nil, jwt.MapClaims{"jti": "once"}))), 401, "invalid_client", 50027)
	v.checkCertToken(t, v.post(t, tokenPath(tenantA), ccForm(v.assertion(t, nil, nil, nil, nil))))

	// Once the assertion is past its expiry (and the skew), its jti is
	// forgotten: the time check refuses it from then on.
	v.clock.Advance(10*time.Minute + clockSkew + time.Second)
	v.checkAADError(t, v.post(t, tokenPath(tenantA), ccForm(a)), 401, "invalid_client", 700024)
	v.checkCertToken(t, v.post(t, tokenPath(tenantA), ccForm(v.assertion(t, nil, nil, nil, nil))))
	v.e.mu.Lock()
	_, remembered := v.e.assertions[appID+"\x00once"]
	v.e.mu.Unlock()
	if remembered {
		t.Error("the jti of an expired assertion is still remembered")
	}
}

// TestClientAssertionOnBehalfOf: the OBO grant takes a certificate
// credential in place of the secret, on the tenant or the common endpoint.
func TestClientAssertionOnBehalfOf(t *testing.T) {
	v := newCertEnv(t)
	obo := func(assertion string) url.Values {
		sso, err := v.e.IssueUserToken(tenantA, aliceID, appID, identURI, []string{"access_as_user"})
		if err != nil {
			t.Fatal(err)
		}
		return url.Values{"grant_type": {grantJWTBearer}, "client_id": {appID}, "requested_token_use": {"on_behalf_of"},
			"assertion": {sso}, "scope": {"https://graph.microsoft.com/User.Read"},
			"client_assertion_type": {clientAssertionType}, "client_assertion": {assertion}}
	}
	for _, tenant := range []string{tenantA, "common"} {
		t.Run(tenant, func(t *testing.T) {
			a := v.assertion(t, nil, nil, nil, jwt.MapClaims{"aud": v.tokenURL(tenant)})
			c := v.checkCertToken(t, v.post(t, tokenPath(tenant), obo(a)))
			if c.Oid != aliceID || c.Scp != "User.Read" || c.Aud != graphResource {
				t.Errorf("claims %+v", c)
			}
		})
	}
	t.Run("signed with another key", func(t *testing.T) {
		a := v.assertion(t, nil, v.unregistered.key, nil, nil)
		v.checkAADError(t, v.post(t, tokenPath(tenantA), obo(a)), 401, "invalid_client", 700027)
	})
	t.Run("audience of the common endpoint on a tenant request", func(t *testing.T) {
		a := v.assertion(t, nil, nil, nil, jwt.MapClaims{"aud": v.tokenURL("common")})
		v.checkAADError(t, v.post(t, tokenPath(tenantA), obo(a)), 401, "invalid_client", 700023)
	})
}
