package directory

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

func selfSigned(t *testing.T, key crypto.Signer, cn string) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestCertificates(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der := selfSigned(t, rsaKey, "one")
	other := selfSigned(t, rsaKey, "two")
	b64 := base64.StdEncoding.EncodeToString(der)
	pemCert := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	ecCert := base64.StdEncoding.EncodeToString(selfSigned(t, ecKey, "ec"))

	// A fixture may give PEM; the directory keeps base64 DER.
	f, err := ReadFixture(strings.NewReader(`{"tenants": [{"id": "t1", "domain": "t1.example", "users": [], "groups": [],
		"apps": [{"appId": "a1", "displayName": "A", "secrets": [], "certificates": [` + jsonString(pemCert) + `],
		"appRoles": [], "scopes": [], "redirectUris": []}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	d := New(nil)
	if err := d.Load(f); err != nil {
		t.Fatal(err)
	}
	a, _ := d.App("t1", "a1")
	if len(a.Certificates) != 1 || a.Certificates[0] != b64 {
		t.Fatalf("certificates = %q", a.Certificates)
	}
	a.Certificates[0] = "changed"
	if a2, _ := d.App("t1", "a1"); a2.Certificates[0] != b64 {
		t.Fatal("App returned the directory's own slice")
	}

	c, err := d.AddCertificate("t1", "a1", base64.StdEncoding.EncodeToString(other))
	if err != nil || c.Subject.CommonName != "two" {
		t.Fatalf("add: %v %v", c, err)
	}
	a, _ = d.App("t1", "a1")
	if certs, err := a.ParseCertificates(); err != nil || len(certs) != 2 {
		t.Fatalf("parsed %d certificates, %v", len(certs), err)
	}

	for _, tt := range []struct {
		name, tid, app, cert string
		want                 error
	}{
		{"same certificate again, as PEM", "t1", "a1", pemCert, ErrConflict},
		{"not base64", "t1", "a1", "not a certificate!", ErrInvalid},
		{"base64 but not a certificate", "t1", "a1", "bm90IGEgY2VydA==", ErrInvalid},
		{"a private key in PEM", "t1", "a1", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", ErrInvalid},
		{"ECDSA key", "t1", "a1", ecCert, ErrInvalid},
		{"unknown app", "t1", "nope", b64, ErrNotFound},
		{"unknown tenant", "nope", "a1", b64, ErrNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := d.AddCertificate(tt.tid, tt.app, tt.cert); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	if err := d.AddApp("t1", App{AppID: "a2", Certificates: []string{b64, pemCert}}); !errors.Is(err, ErrConflict) {
		t.Fatalf("an app listing a certificate twice: %v", err)
	}
	if err := d.AddApp("t1", App{AppID: "a3", Certificates: []string{ecCert}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an app with an ECDSA certificate: %v", err)
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
