package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is an io.Writer tests can read while run() writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func envFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// startRun runs steward with args in the background and returns the base URL
// it announces, and a stop function that cancels it and returns run's error.
func startRun(t *testing.T, env map[string]string, args ...string) (base string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"steward"}, args...), envFrom(env), &stdout, &stderr) }()
	readiness := regexp.MustCompile(`Readiness: (https?://\S+)/readyz`)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if m := readiness.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("steward exited before it was ready: %v\nstderr:\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("steward announced no URL within 15 s\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	announced.Store(base, &stdout)
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(20 * time.Second):
				runErr = errors.New("run did not return within 20 s of cancellation")
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = stop() })
	return base, stop
}

// announced remembers each started run's stdout by its base URL.
var announced sync.Map

func stdoutOf(t *testing.T, base string) string {
	t.Helper()
	b, ok := announced.Load(base)
	if !ok {
		t.Fatalf("no run announced %s", base)
	}
	return b.(*syncBuffer).String()
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("GET %s: not JSON: %s", url, b)
	}
	return resp.StatusCode, body
}

// TestDevEndToEnd is the one test that runs the whole program: steward dev
// on port 0 with embedded defaults, ready, serving, stopped by its context,
// and started again on the same data.
func TestDevEndToEnd(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "steward-data")
	env := map[string]string{}
	base, stop := startRun(t, env, "dev", "--listen", "127.0.0.1:0", "--data-dir", data)

	if code, body := getJSON(t, base+"/readyz"); code != 200 || body["status"] != "ready" || fmt.Sprint(body["checks"]) != "map[blobs:ok cache:ok store:ok]" {
		t.Fatalf("readyz = %d %v", code, body)
	}
	if code, _ := getJSON(t, base+"/healthz"); code != 200 {
		t.Fatalf("healthz = %d", code)
	}
	// dev runs the Microsoft 365 simulator on loopback.
	simURL := regexp.MustCompile(`Microsoft 365 simulator: (http://127\.0\.0\.1:\d+/inspect)`).FindStringSubmatch(stdoutOf(t, base))
	if simURL == nil {
		t.Fatal("dev did not announce the simulator")
	}
	if resp, err := http.Get(simURL[1]); err != nil || resp.StatusCode != 200 {
		t.Fatalf("simulator inspect page: %v %v", resp, err)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`steward_http_requests_total{code="200",method="GET",route="GET /readyz"} 1`, "go_goroutines"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, f := range []string{"steward.db", "keyring.json", "blobs"} {
		st, err := os.Stat(filepath.Join(data, f))
		if err != nil {
			t.Fatalf("dev did not create %s: %v", f, err)
		}
		if st.Mode().Perm()&0o077 != 0 && f == "keyring.json" {
			t.Fatalf("keyring mode %v, want 0600", st.Mode().Perm())
		}
	}
	if st, _ := os.Stat(data); st.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode %v, want 0700", st.Mode().Perm())
	}
	keyring1, _ := os.ReadFile(filepath.Join(data, "keyring.json"))
	if err := stop(); err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still answers after shutdown")
	}

	// A second start reuses the data directory and the same keyring.
	base2, stop2 := startRun(t, env, "dev", "--listen", "127.0.0.1:0", "--data-dir", data)
	if code, _ := getJSON(t, base2+"/readyz"); code != 200 {
		t.Fatalf("readyz after restart = %d", code)
	}
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
	keyring2, _ := os.ReadFile(filepath.Join(data, "keyring.json"))
	if string(keyring1) != string(keyring2) {
		t.Fatal("restart replaced the keyring: secrets sealed before would be lost")
	}
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, c := range append(commands(), command{name: "--help"}) {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut strings.Builder
			args := []string{"steward", c.name, "--help"}
			if c.name == "--help" {
				args = args[:2]
			}
			if err := run(context.Background(), args, envFrom(nil), &out, &errOut); err != nil {
				t.Fatalf("--help returned %v", err)
			}
			if !strings.Contains(out.String(), "Usage: steward") {
				t.Fatalf("help output: %q", out.String())
			}
		})
	}
	var out, errOut strings.Builder
	if err := run(context.Background(), []string{"steward", "frobnicate"}, envFrom(nil), &out, &errOut); !errors.Is(err, errUsage) || !strings.Contains(errOut.String(), `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: %v %q", err, errOut.String())
	}
	if err := run(context.Background(), []string{"steward", "dev", "--no-such-flag"}, envFrom(nil), &out, &errOut); !errors.Is(err, errUsage) {
		t.Fatalf("unknown flag: %v", err)
	}
}

func TestVersion(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"steward", "version"}, envFrom(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "steward ") {
		t.Fatalf("version = %q", out.String())
	}
}

// selfSignedPair writes a certificate and key for 127.0.0.1 and returns
// their paths and a pool that trusts the certificate.
func selfSignedPair(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "steward test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeInProduction walks the production path: serve refuses an
// unmigrated database and a missing keyring (it never invents key material),
// then serves HTTPS with TLS 1.2 as the floor once both exist.
func TestServeInProduction(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSignedPair(t, dir)
	env := map[string]string{
		"STEWARD_LISTEN":        "127.0.0.1:0",
		"STEWARD_TLS_CERT_FILE": certFile,
		"STEWARD_TLS_KEY_FILE":  keyFile,
		"STEWARD_DATABASE_URL":  "sqlite:" + filepath.Join(dir, "s.db"),
		"STEWARD_KEYRING_FILE":  filepath.Join(dir, "keys", "keyring.json"),
		"STEWARD_BLOB_DIR":      filepath.Join(dir, "blobs"),
		"STEWARD_APP_ID":        "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut strings.Builder
	err := run(ctx, []string{"steward", "serve"}, envFrom(env), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "steward migrate up") {
		t.Fatalf("serve on an unmigrated database: %v", err)
	}
	if err := run(ctx, []string{"steward", "migrate", "up"}, envFrom(env), &out, &errOut); err != nil {
		t.Fatalf("migrate up: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "applied 0001_") {
		t.Fatalf("migrate up printed %q", out.String())
	}
	err = run(ctx, []string{"steward", "serve"}, envFrom(env), &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "steward keys init") {
		t.Fatalf("serve without a keyring: %v", err)
	}
	if _, statErr := os.Stat(env["STEWARD_KEYRING_FILE"]); statErr == nil {
		t.Fatal("serve created key material by itself")
	}
	out.Reset()
	if err := run(ctx, []string{"steward", "migrate", "status"}, envFrom(env), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	var steward, river int
	for sc.Scan() {
		switch {
		case strings.HasPrefix(sc.Text(), "steward ") && strings.Contains(sc.Text(), "applied"):
			steward++
		case strings.HasPrefix(sc.Text(), "jobs (River)") && strings.Contains(sc.Text(), "applied"):
			river++
		case strings.Contains(sc.Text(), "pending"):
			t.Errorf("pending after migrate up: %s", sc.Text())
		}
	}
	if steward == 0 || river == 0 {
		t.Fatalf("status lists %d steward and %d River migrations:\n%s", steward, river, out.String())
	}
	if err := run(ctx, []string{"steward", "keys", "init"}, envFrom(env), &out, &errOut); err != nil {
		t.Fatalf("keys init: %v", err)
	}

	base, stop := startRun(t, env, "serve")
	if !strings.HasPrefix(base, "https://127.0.0.1:") {
		t.Fatalf("serve announced %s", base)
	}
	client := func(maxVersion uint16) *http.Client {
		return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: maxVersion}}}
	}
	resp, err := client(0).Get(base + "/readyz")
	if err != nil {
		t.Fatalf("HTTPS readyz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS.Version != tls.VersionTLS13 || resp.ProtoMajor != 2 {
		t.Fatalf("readyz %d over TLS %x proto %s, want 200 over TLS 1.3 and HTTP/2", resp.StatusCode, resp.TLS.Version, resp.Proto)
	}
	resp, err = client(tls.VersionTLS12).Get(base + "/healthz")
	if err != nil {
		t.Fatalf("TLS 1.2 client refused: %v", err)
	}
	resp.Body.Close()
	if _, err := client(tls.VersionTLS11).Get(base + "/healthz"); err == nil {
		t.Fatal("a TLS 1.1 client was served")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
