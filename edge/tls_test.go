package edge

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testPair writes a self-signed certificate for 127.0.0.1 with an ECDSA
// P-256 or RSA-2048 key and returns its files and a pool trusting it.
func testPair(t *testing.T, dir, name string, rsaKey bool) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	var (
		signer crypto.Signer
		err    error
	)
	if rsaKey {
		signer, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(signer)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	writeTestFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	writeTestFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}))
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func writeTestFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// startTLSServer serves "ok" with ServerTLSConfig on 127.0.0.1:0 over a
// real listener, as cmd/steward does.
func startTLSServer(t *testing.T, certs CertSource) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{
		Handler:   http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }),
		TLSConfig: ServerTLSConfig(certs), ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: slog.NewLogLogger(slog.DiscardHandler, slog.LevelError),
	}
	done := make(chan error, 1)
	go func() { done <- hs.ServeTLS(ln, "", "") }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

func mustCertFiles(t *testing.T, certFile, keyFile string, opts CertFilesOptions) *CertFiles {
	t.Helper()
	c, err := NewCertFiles(certFile, keyFile, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func handshake(addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	return conn.ConnectionState(), nil
}

func TestServerTLSConfigIsThePublishedPolicy(t *testing.T) {
	cfg := ServerTLSConfig(&CertFiles{})
	if cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion %x", cfg.MinVersion)
	}
	if got, want := cfg.CipherSuites, TLS12CipherSuites(); !equalSlices(got, want) {
		t.Errorf("suites %v, want %v", got, want)
	}
	if got, want := cfg.CurvePreferences, TLSCurves(); !equalSlices(got, want) {
		t.Errorf("curves %v, want %v", got, want)
	}
	if !equalSlices(cfg.NextProtos, []string{"h2", "http/1.1"}) || cfg.GetCertificate == nil || len(cfg.Certificates) != 0 {
		t.Errorf("ALPN %v, GetCertificate set %v, static certificates %d", cfg.NextProtos, cfg.GetCertificate != nil, len(cfg.Certificates))
	}
}

func equalSlices[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTLSHandshakes runs real handshakes against the policy: the versions,
// suites and curves it refuses, and what a default client gets.
func TestTLSHandshakes(t *testing.T) {
	dir := t.TempDir()
	ecCert, ecKey, ecPool := testPair(t, dir, "ecdsa", false)
	rsaCert, rsaKey, rsaPool := testPair(t, dir, "rsa", true)
	ecAddr := startTLSServer(t, mustCertFiles(t, ecCert, ecKey, CertFilesOptions{}))
	rsaAddr := startTLSServer(t, mustCertFiles(t, rsaCert, rsaKey, CertFilesOptions{}))

	t.Run("default client gets TLS 1.3 and HTTP/2", func(t *testing.T) {
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: ecPool}}}
		resp, err := client.Get("https://" + ecAddr + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.TLS.Version != tls.VersionTLS13 || resp.ProtoMajor != 2 || resp.TLS.NegotiatedProtocol != "h2" {
			t.Fatalf("TLS %s, %s, ALPN %q; want TLS 1.3 and HTTP/2", tls.VersionName(resp.TLS.Version), resp.Proto, resp.TLS.NegotiatedProtocol)
		}
	})
	t.Run("HTTP/1.1-only client still served", func(t *testing.T) {
		st, err := handshake(ecAddr, &tls.Config{RootCAs: ecPool, NextProtos: []string{"http/1.1"}})
		if err != nil || st.NegotiatedProtocol != "http/1.1" {
			t.Fatalf("%v, ALPN %q", err, st.NegotiatedProtocol)
		}
	})

	refused := []struct {
		name string
		addr string
		cfg  *tls.Config
	}{
		{"TLS 1.0", ecAddr, &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}},
		{"TLS 1.1", ecAddr, &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}},
		{"TLS 1.1 on RSA", rsaAddr, &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}},
		{"ECDHE-ECDSA CBC SHA1", ecAddr, tls12Only(tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA)},
		{"ECDHE-ECDSA CBC SHA256", ecAddr, tls12Only(tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256)},
		{"ECDHE-ECDSA RC4", ecAddr, tls12Only(tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA)},
		{"ECDHE-RSA CBC", rsaAddr, tls12Only(tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256)},
		{"ECDHE-RSA 3DES", rsaAddr, tls12Only(tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA)},
		{"RSA key exchange GCM", rsaAddr, tls12Only(tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384)},
		{"RSA key exchange CBC", rsaAddr, tls12Only(tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA)},
		{"only P-384 (TLS 1.3)", ecAddr, &tls.Config{CurvePreferences: []tls.CurveID{tls.CurveP384}}},
		{"only P-521 (TLS 1.2)", ecAddr, &tls.Config{MaxVersion: tls.VersionTLS12, CurvePreferences: []tls.CurveID{tls.CurveP521}}},
	}
	for _, tc := range refused {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			tc.cfg.InsecureSkipVerify = true // the refusal, not the certificate, is under test
			if st, err := handshake(tc.addr, tc.cfg); err == nil {
				t.Fatalf("negotiated %s %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
			}
		})
	}

	// The positive control: each published TLS 1.2 suite and curve works,
	// so the refusals above are the policy's and not a broken server's.
	for _, s := range TLS12CipherSuites() {
		name := tls.CipherSuiteName(s)
		addr, pool := ecAddr, ecPool
		if strings.Contains(name, "_RSA_") {
			addr, pool = rsaAddr, rsaPool
		}
		t.Run("TLS 1.2 with "+name, func(t *testing.T) {
			cfg := tls12Only(s)
			cfg.RootCAs = pool
			st, err := handshake(addr, cfg)
			if err != nil || st.Version != tls.VersionTLS12 || st.CipherSuite != s {
				t.Fatalf("%v: %s %s", err, tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
			}
		})
	}
	for _, c := range TLSCurves() {
		for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
			t.Run(tls.VersionName(v)+" with "+c.String(), func(t *testing.T) {
				st, err := handshake(ecAddr, &tls.Config{RootCAs: ecPool, MinVersion: v, MaxVersion: v, CurvePreferences: []tls.CurveID{c}})
				if err != nil || st.Version != v || st.CurveID != c {
					t.Fatalf("%v: %s curve %v", err, tls.VersionName(st.Version), st.CurveID)
				}
			})
		}
	}
}

func tls12Only(suites ...uint16) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS12, CipherSuites: suites}
}

// fakeClock is a settable clock for CertFiles' check interval.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestCertFilesReload replaces the files under a running server: the new
// certificate is served after the check interval, not before; a broken
// pair is logged and the last good one kept.
func TestCertFilesReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool1 := testPair(t, dir, "served", false)
	origCert, origKey := mustRead(t, certFile), mustRead(t, keyFile)
	next, nextKey, pool2 := testPair(t, t.TempDir(), "renewed", false)
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var logs bytes.Buffer
	var logMu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, nil))
	certs := mustCertFiles(t, certFile, keyFile, CertFilesOptions{CheckInterval: 10 * time.Second, Now: clock.Now, Logger: log})
	addr := startTLSServer(t, certs)

	servedCN := func() string {
		t.Helper()
		st, err := handshake(addr, &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		return st.PeerCertificates[0].Subject.CommonName
	}
	if cn := servedCN(); cn != "served" {
		t.Fatalf("serves %q", cn)
	}
	copyFile(t, next, certFile)
	copyFile(t, nextKey, keyFile)
	clock.Add(5 * time.Second)
	if cn := servedCN(); cn != "served" {
		t.Fatalf("reloaded before the check interval: %q", cn)
	}
	clock.Add(5 * time.Second)
	if cn := servedCN(); cn != "renewed" {
		t.Fatalf("after the files changed and the interval passed, serves %q", cn)
	}
	if _, err := handshake(addr, &tls.Config{RootCAs: pool2}); err != nil {
		t.Fatalf("the renewed certificate does not verify: %v", err)
	}
	if _, err := handshake(addr, &tls.Config{RootCAs: pool1}); err == nil {
		t.Fatal("the old certificate is still served")
	}

	// A half-written renewal: garbage in the certificate file.
	writeTestFile(t, certFile, []byte("-----BEGIN CERTIFICATE-----\nnot base64\n"))
	clock.Add(10 * time.Second)
	if cn := servedCN(); cn != "renewed" {
		t.Fatalf("after a bad reload, serves %q", cn)
	}
	logMu.Lock()
	got := logs.String()
	logMu.Unlock()
	if !strings.Contains(got, "TLS certificate reloaded") || !strings.Contains(got, "do not load; serving the last good certificate") {
		t.Fatalf("logs:\n%s", got)
	}
	// The files are fixed: the next look picks them up.
	writeTestFile(t, certFile, origCert)
	writeTestFile(t, keyFile, origKey)
	clock.Add(10 * time.Second)
	if cn := servedCN(); cn != "served" {
		t.Fatalf("after the fix, serves %q", cn)
	}
}

func TestNewCertFilesRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := testPair(t, dir, "a", false)
	otherCert, _, _ := testPair(t, dir, "b", false)
	for _, tc := range []struct{ name, cert, key, code string }{
		{"missing", filepath.Join(dir, "nope.pem"), keyFile, "tls_files_unreadable"},
		{"mismatched", otherCert, keyFile, "tls_key_pair_invalid"},
		{"swapped", keyFile, certFile, "tls_key_pair_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCertFiles(tc.cert, tc.key, CertFilesOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.code) {
				t.Fatalf("err %v, want %s", err, tc.code)
			}
		})
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	writeTestFile(t, to, mustRead(t, from))
}
