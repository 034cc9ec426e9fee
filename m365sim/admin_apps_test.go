package m365sim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestAdminRegistersCertificate: a certificate uploaded over the admin API
// lets the app obtain a token with a client assertion instead of a secret.
func TestAdminRegistersCertificate(t *testing.T) {
	srv := listen(t)
	contoso := srv.Snapshot().Tenants[0]
	appID := contoso.Apps[0].AppID
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "steward"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	path := srv.BaseURL() + "/admin/apps/" + appID + "/certificates"

	status, body := call(t, "POST", path, map[string]string{"tenantId": contoso.Domain, "certificate": certPEM}, "")
	if status != http.StatusCreated || body["tenantId"] != contoso.ID || body["x5t#S256"] == nil || len(body["thumbprint"].(string)) != 40 {
		t.Fatalf("register: %d %v", status, body)
	}

	tok := jwt.NewWithClaims(jwt.SigningMethodPS256, jwt.MapClaims{
		"aud": srv.LoginURL() + "/" + contoso.ID + "/oauth2/v2.0/token", "iss": appID, "sub": appID,
		"jti": "admin-test", "nbf": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix(),
	})
	tok.Header["x5t#S256"] = body["x5t#S256"]
	assertion, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.PostForm(srv.LoginURL()+"/"+contoso.ID+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {appID}, "scope": {"https://graph.microsoft.com/.default"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&got)
	if resp.StatusCode != 200 {
		t.Fatalf("token with the registered certificate: %d %v", resp.StatusCode, got)
	}
	c, err := srv.Entra.Verify(got["access_token"].(string), "https://graph.microsoft.com")
	if err != nil || c.AppID != appID || !c.Has("Team.Create") {
		t.Fatalf("token claims %+v, %v", c, err)
	}

	for _, tt := range []struct {
		name, path string
		body       map[string]string
		status     int
		code       string
	}{
		{"registered twice", path, map[string]string{"tenantId": contoso.ID, "certificate": certPEM}, 409, "Conflict"},
		{"not a certificate", path, map[string]string{"tenantId": contoso.ID, "certificate": "bm90IGEgY2VydA=="}, 400, "BadArgument"},
		{"no tenant", path, map[string]string{"certificate": certPEM}, 400, "BadArgument"},
		{"unknown tenant", path, map[string]string{"tenantId": "nowhere.onmicrosoft.com", "certificate": certPEM}, 404, "NotFound"},
		{"unknown app", srv.BaseURL() + "/admin/apps/00000000-0000-0000-0000-000000000000/certificates",
			map[string]string{"tenantId": contoso.ID, "certificate": certPEM}, 404, "NotFound"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, "POST", tt.path, tt.body, "")
			if status != tt.status || body["error"].(map[string]any)["code"] != tt.code {
				t.Fatalf("%d %v", status, body)
			}
		})
	}
}
