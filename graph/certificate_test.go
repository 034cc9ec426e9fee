package graph_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/m365sim"
)

func selfSigned(t *testing.T) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "steward-test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return append(out, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)
}

// TestCertificateCredential authenticates with a client assertion signed by
// a certificate registered on the app, as Microsoft recommends for
// production, and is refused with an unregistered one.
func TestCertificateCredential(t *testing.T) {
	e := newSim(t, m365sim.Options{}, graph.Options{})
	sec := e.creds["contoso"]
	registered := selfSigned(t)
	if _, err := e.sim.Dir.AddCertificate(sec.EntraTenantID, sec.ClientID, string(registered)); err != nil {
		t.Fatal(err)
	}
	cert, key, err := graph.ParseCertificatePEM(registered)
	if err != nil {
		t.Fatal(err)
	}
	other, okey, err := graph.ParseCertificatePEM(selfSigned(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cred graph.Credential
		ok   bool
	}{
		{"registered certificate", graph.Credential{EntraTenantID: sec.EntraTenantID, ClientID: sec.ClientID, Certificate: cert, Key: key}, true},
		{"unregistered certificate", graph.Credential{EntraTenantID: sec.EntraTenantID, ClientID: sec.ClientID, Certificate: other, Key: okey}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := graph.New(graph.Options{LoginURL: e.sim.LoginURL(), GraphURL: e.sim.GraphURL(), HTTPClient: &http.Client{},
				Credentials: simCreds{"contoso": tc.cred}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.User(context.Background(), "contoso", adele)
			if tc.ok && err != nil {
				t.Fatal(err)
			}
			if !tc.ok && err == nil {
				t.Fatal("an unregistered certificate got a token")
			}
		})
	}
	// A key that is not the certificate's is refused before any call.
	bad := graph.Credential{EntraTenantID: sec.EntraTenantID, ClientID: sec.ClientID, Certificate: cert, Key: okey}
	if err := bad.Validate(); err == nil {
		t.Fatal("mismatched key accepted")
	}
}
