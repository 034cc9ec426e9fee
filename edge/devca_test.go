package edge

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

const testCRLURL = "https://127.0.0.1:8080/dev-ca.crl"

func TestEnsureDevCA(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	now := time.Now()
	d, err := EnsureDevCA(dir, testCRLURL, now)
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
	if dp := parsePEMCert(t, d.CertFile).CRLDistributionPoints; !slices.Equal(dp, []string{testCRLURL}) {
		t.Fatalf("leaf CRL distribution points %q, want %q", dp, testCRLURL)
	}
	if crl := parseCRL(t, mustRead(t, d.CRLFile), ca); len(crl.RevokedCertificateEntries) != 0 || !crl.NextUpdate.Equal(now.Add(devCRLLifetime).UTC().Truncate(time.Second)) {
		t.Fatalf("first CRL: %d entries, next update %v", len(crl.RevokedCertificateEntries), crl.NextUpdate)
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
	again, err := EnsureDevCA(dir, testCRLURL, now.Add(time.Hour))
	if err != nil || again.Created || string(mustRead(t, again.CertFile)) != string(leaf) {
		t.Fatalf("second run: %v created %v", err, again.Created)
	}
	// Near the leaf's expiry, a new leaf from the same CA.
	caPEM := mustRead(t, d.CAFile)
	renewed, err := EnsureDevCA(dir, testCRLURL, now.Add(devLeafLifetime-devLeafRenewal+time.Hour))
	if err != nil || !renewed.Created || string(mustRead(t, renewed.CertFile)) == string(leaf) || string(mustRead(t, renewed.CAFile)) != string(caPEM) {
		t.Fatalf("renewal: %v created %v", err, renewed.Created)
	}
	if err := parsePEMCert(t, renewed.CertFile).CheckSignatureFrom(ca); err != nil {
		t.Fatalf("renewed leaf not signed by the kept CA: %v", err)
	}
	// A damaged CA is reported, not silently replaced.
	writeTestFile(t, d.CAFile, []byte("garbage"))
	if _, err := EnsureDevCA(dir, testCRLURL, now); err == nil {
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

func parseCRL(t *testing.T, der []byte, ca *x509.Certificate) *x509.RevocationList {
	t.Helper()
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("CRL does not parse: %v", err)
	}
	if err := crl.CheckSignatureFrom(ca); err != nil {
		t.Fatalf("CRL signature does not check against the dev CA: %v", err)
	}
	return crl
}

func revokedSerials(crl *x509.RevocationList) []string {
	var out []string
	for _, e := range crl.RevokedCertificateEntries {
		if e.ReasonCode != crlReasonSuperseded {
			out = append(out, "reason "+e.SerialNumber.String())
			continue
		}
		out = append(out, e.SerialNumber.String())
	}
	return out
}

// TestDevCALeafFollowsCRLURL: a leaf naming another CRL URL (another port)
// or none (made by an older Steward) is replaced by one from the same CA,
// and the replaced leaf is revoked in the next CRL.
func TestDevCALeafFollowsCRLURL(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	now := time.Now()
	d, err := EnsureDevCA(dir, testCRLURL, now)
	if err != nil {
		t.Fatal(err)
	}
	caPEM := mustRead(t, d.CAFile)
	ca := parsePEMCert(t, d.CAFile)
	first := parsePEMCert(t, d.CertFile)
	firstCRL := parseCRL(t, mustRead(t, d.CRLFile), ca)

	const moved = "https://127.0.0.1:9090/dev-ca.crl"
	again, err := EnsureDevCA(dir, moved, now.Add(time.Minute))
	if err != nil || !again.Created {
		t.Fatalf("new port: %v created %v", err, again.Created)
	}
	second := parsePEMCert(t, d.CertFile)
	if !slices.Equal(second.CRLDistributionPoints, []string{moved}) || second.SerialNumber.Cmp(first.SerialNumber) == 0 {
		t.Fatalf("after the port change the leaf names %q", second.CRLDistributionPoints)
	}
	if err := second.CheckSignatureFrom(ca); err != nil || string(mustRead(t, d.CAFile)) != string(caPEM) {
		t.Fatalf("the CA changed with the port: %v", err)
	}
	crl := parseCRL(t, mustRead(t, d.CRLFile), ca)
	if got := revokedSerials(crl); !slices.Equal(got, []string{first.SerialNumber.String()}) {
		t.Fatalf("revoked %v, want the replaced leaf %s (superseded)", got, first.SerialNumber)
	}
	if crl.Number.Cmp(firstCRL.Number) <= 0 {
		t.Fatalf("CRL number %v after %v: it must grow", crl.Number, firstCRL.Number)
	}

	// A leaf an older Steward made: same CA, no CRL distribution point.
	caKey := mustECKey(t, filepath.Join(dir, "dev-ca-key.pem"))
	old := writeLeafWithoutCRL(t, d.CertFile, d.KeyFile, ca, caKey, now)
	upgraded, err := EnsureDevCA(dir, moved, now.Add(2*time.Minute))
	if err != nil || !upgraded.Created {
		t.Fatalf("older leaf: %v created %v", err, upgraded.Created)
	}
	if dp := parsePEMCert(t, d.CertFile).CRLDistributionPoints; !slices.Equal(dp, []string{moved}) {
		t.Fatalf("the older leaf was kept: CRL distribution points %q", dp)
	}
	crl = parseCRL(t, mustRead(t, d.CRLFile), ca)
	if got := revokedSerials(crl); !slices.Equal(got, []string{first.SerialNumber.String(), old.SerialNumber.String()}) {
		t.Fatalf("revoked %v, want both replaced leaves", got)
	}
	// Once a revoked leaf must have expired, its entry goes.
	later := now.Add(devLeafLifetime + time.Hour)
	if _, _, err := DevCRL(dir, later); err != nil {
		t.Fatal(err)
	}
	if got := revokedSerials(parseCRL(t, mustRead(t, d.CRLFile), ca)); len(got) != 0 {
		t.Fatalf("entries of long-expired leaves kept: %v", got)
	}

	for _, bad := range []string{"", "/dev-ca.crl", "ftp://127.0.0.1/dev-ca.crl", "https:///dev-ca.crl", "127.0.0.1:8080"} {
		if _, err := EnsureDevCA(dir, bad, now); err == nil {
			t.Errorf("CRL URL %q accepted", bad)
		}
	}
}

// TestDevCRL: the CRL is kept while fresh, remade when stale, damaged or
// signed by another CA, and served DER with its media type.
func TestDevCRL(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	now := time.Now()
	d, err := EnsureDevCA(dir, testCRLURL, now)
	if err != nil {
		t.Fatal(err)
	}
	ca := parsePEMCert(t, d.CAFile)
	made := mustRead(t, d.CRLFile)

	der, refresh, err := DevCRL(dir, now.Add(time.Hour))
	if err != nil || string(der) != string(made) || !refresh.Equal(now.Add(devCRLLifetime-devCRLRenewal).UTC().Truncate(time.Second)) {
		t.Fatalf("fresh CRL not reused: %v, refresh %v", err, refresh)
	}
	stale := now.Add(devCRLLifetime - devCRLRenewal + time.Minute)
	der, _, err = DevCRL(dir, stale)
	if err != nil || string(der) == string(made) {
		t.Fatalf("stale CRL reused: %v", err)
	}
	crl := parseCRL(t, der, ca)
	if !crl.NextUpdate.After(stale.Add(devCRLLifetime-time.Minute)) || crl.Number.Cmp(big.NewInt(2)) != 0 {
		t.Fatalf("remade CRL: next update %v number %v", crl.NextUpdate, crl.Number)
	}

	writeTestFile(t, d.CRLFile, []byte("garbage"))
	if der, _, err = DevCRL(dir, now); err != nil {
		t.Fatalf("a damaged CRL is not remade: %v", err)
	}
	parseCRL(t, der, ca)
	// A CRL of another CA (say, a CA file restored from elsewhere) is remade.
	other := filepath.Join(t.TempDir(), "other")
	od, err := EnsureDevCA(other, testCRLURL, now)
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, d.CRLFile, mustRead(t, od.CRLFile))
	if der, _, err = DevCRL(dir, now); err != nil {
		t.Fatal(err)
	}
	parseCRL(t, der, ca)

	h := DevCRLHandler(dir, func() time.Time { return now }, slog.New(slog.DiscardHandler))
	tests := []struct {
		name, method string
		wantStatus   int
		wantCRL      bool
	}{
		{"GET", http.MethodGet, 200, true},
		{"HEAD", http.MethodHead, 200, false},
		{"POST refused", http.MethodPost, 405, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, "/dev-ca.crl", nil))
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d", rec.Code, tc.wantStatus)
			}
			if tc.wantCRL {
				if ct := rec.Header().Get("Content-Type"); ct != DevCRLContentType {
					t.Fatalf("Content-Type %q", ct)
				}
				parseCRL(t, rec.Body.Bytes(), ca)
			}
		})
	}
	t.Run("no CA", func(t *testing.T) {
		rec := httptest.NewRecorder()
		DevCRLHandler(t.TempDir(), time.Now, slog.New(slog.DiscardHandler)).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dev-ca.crl", nil))
		if rec.Code != http.StatusInternalServerError {
			t.Fatalf("status %d without a CA, want 500", rec.Code)
		}
	})
}

func mustECKey(t *testing.T, path string) *ecdsa.PrivateKey {
	t.Helper()
	block, _ := pem.Decode(mustRead(t, path))
	if block == nil {
		t.Fatalf("%s holds no PEM key", path)
	}
	k, err := x509.ParseECPrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// writeLeafWithoutCRL writes a loopback leaf as Steward made it before the
// CRL: no distribution point.
func writeLeafWithoutCRL(t *testing.T, certFile, keyFile string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(devLeafLifetime),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := writePair(certFile, keyFile, der, key); err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}
