package edge

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestEnsureDevCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	now := time.Now()
	d, err := EnsureDevCA(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Created {
		t.Fatal("first run reports no new files")
	}
	for _, f := range []string{d.KeyFile, filepath.Join(dir, "dev-ca-key.pem")} {
		st, err := os.Stat(f)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v mode %v, want 0600", f, err, st.Mode().Perm())
		}
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(mustRead(t, d.CAFile)) {
		t.Fatal("CA file holds no certificate")
	}
	ca := parsePEMCert(t, d.CAFile)
	if !ca.IsCA || ca.PublicKeyAlgorithm != x509.ECDSA {
		t.Fatalf("CA: IsCA %v, key %v", ca.IsCA, ca.PublicKeyAlgorithm)
	}

	// A browser trusting the CA accepts the server on every loopback name.
	certs := mustCertFiles(t, d.CertFile, d.KeyFile, CertFilesOptions{})
	addr := startTLSServer(t, certs)
	for _, name := range []string{"localhost", "127.0.0.1"} {
		st, err := handshake(addr, &tls.Config{RootCAs: pool, ServerName: name})
		if err != nil || st.Version != tls.VersionTLS13 {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := handshake(addr, &tls.Config{RootCAs: pool, ServerName: "steward.example.com"}); err == nil {
		t.Fatal("the dev certificate verifies for a non-loopback name")
	}

	// A second run reuses everything.
	leaf := mustRead(t, d.CertFile)
	again, err := EnsureDevCA(dir, now.Add(time.Hour))
	if err != nil || again.Created || string(mustRead(t, again.CertFile)) != string(leaf) {
		t.Fatalf("second run: %v created %v", err, again.Created)
	}
	// Near the leaf's expiry, a new leaf from the same CA.
	caPEM := mustRead(t, d.CAFile)
	renewed, err := EnsureDevCA(dir, now.Add(devLeafLifetime-devLeafRenewal+time.Hour))
	if err != nil || !renewed.Created || string(mustRead(t, renewed.CertFile)) == string(leaf) || string(mustRead(t, renewed.CAFile)) != string(caPEM) {
		t.Fatalf("renewal: %v created %v", err, renewed.Created)
	}
	if err := parsePEMCert(t, renewed.CertFile).CheckSignatureFrom(ca); err != nil {
		t.Fatalf("renewed leaf not signed by the kept CA: %v", err)
	}
	// A damaged CA is reported, not silently replaced.
	writeTestFile(t, d.CAFile, []byte("garbage"))
	if _, err := EnsureDevCA(dir, now); err == nil {
		t.Fatal("a damaged CA was accepted")
	}
}

func parsePEMCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(mustRead(t, path))
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("%s holds no PEM certificate", path)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
