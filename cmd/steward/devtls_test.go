package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stewardhq/steward/edge"
)

// TestDevTLSCRL runs `steward dev` with dev_tls over a data directory an
// older Steward left (a leaf without CRL distribution point): the served
// leaf names the CRL on the listener, GET there returns a CRL the dev CA
// signed that revokes the old leaf, and a run on another port gets a leaf
// naming that port, from the same CA.
func TestDevTLSCRL(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	tlsDir := filepath.Join(dataDir, "tls")
	d, err := edge.EnsureDevCA(tlsDir, "https://127.0.0.1:1/dev-ca.crl", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	caPEM := readFile(t, d.CAFile)
	ca := pemCert(t, caPEM)
	old := writeLeafWithoutCRLDP(t, d, ca, filepath.Join(tlsDir, "dev-ca-key.pem"))
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	ports := []string{freePort(t), freePort(t)}
	for ports[1] == ports[0] {
		ports[1] = freePort(t)
	}
	for i, port := range ports {
		env := map[string]string{"STEWARD_LISTEN": "127.0.0.1:" + port, "STEWARD_DATA_DIR": dataDir, "STEWARD_DEV_TLS": "true"}
		base, stop := startRun(t, env, "dev")
		resp, err := client.Get(base + "/healthz")
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		resp.Body.Close()
		leaf := resp.TLS.PeerCertificates[0]
		want := "https://127.0.0.1:" + port + devCRLPath
		if !slices.Equal(leaf.CRLDistributionPoints, []string{want}) {
			t.Fatalf("run %d: the leaf names CRL %q, want %q", i, leaf.CRLDistributionPoints, want)
		}
		if leaf.SerialNumber.Cmp(old.SerialNumber) == 0 {
			t.Fatalf("run %d: the older leaf without CRL distribution point is still served", i)
		}

		resp, err = client.Get(want)
		if err != nil {
			t.Fatalf("run %d: GET %s: %v", i, want, err)
		}
		der, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != edge.DevCRLContentType {
			t.Fatalf("run %d: GET %s: %d %q", i, want, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatalf("run %d: the CRL does not parse: %v", i, err)
		}
		if err := crl.CheckSignatureFrom(ca); err != nil {
			t.Fatalf("run %d: the CRL's signature does not check against the dev CA: %v", i, err)
		}
		if !slices.ContainsFunc(crl.RevokedCertificateEntries, func(e x509.RevocationListEntry) bool { return e.SerialNumber.Cmp(old.SerialNumber) == 0 }) {
			t.Fatalf("run %d: the replaced older leaf is not revoked", i)
		}
		if !crl.NextUpdate.After(time.Now().Add(24 * time.Hour)) {
			t.Fatalf("run %d: the CRL's next update %v is close", i, crl.NextUpdate)
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if string(readFile(t, d.CAFile)) != string(caPEM) {
			t.Fatalf("run %d changed the CA", i)
		}
	}
}

func TestDevCRLURL(t *testing.T) {
	tests := []struct {
		name    string
		addr    net.Addr
		want    string
		wantErr bool
	}{
		{"IPv4 loopback", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "https://127.0.0.1:8080/dev-ca.crl", false},
		{"IPv6 loopback", &net.TCPAddr{IP: net.IPv6loopback, Port: 8443}, "https://[::1]:8443/dev-ca.crl", false},
		{"unspecified", &net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "", true},
		{"no port", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, "", true},
		{"not TCP", &net.UnixAddr{Name: "/tmp/s", Net: "unix"}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := devCRLURL(tc.addr)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("devCRLURL = %q, %v; want %q (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func pemCert(t *testing.T, b []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatal("no PEM certificate")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// writeLeafWithoutCRLDP replaces the dev leaf with one as Steward made it
// before the CRL: same CA, no CRL distribution point.
func writeLeafWithoutCRLDP(t *testing.T, d edge.DevCert, ca *x509.Certificate, caKeyFile string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(readFile(t, caKeyFile))
	if block == nil {
		t.Fatal("no CA key")
	}
	caKey, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(300 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	if err := os.WriteFile(d.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(d.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return leaf
}
