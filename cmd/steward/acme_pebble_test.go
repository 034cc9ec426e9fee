package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/vault"
)

// acmeTestHost is the name Steward gets a certificate for. The test's own
// DNS server, which Pebble's validation authority asks, resolves it to
// 127.0.0.1; nothing else does.
const acmeTestHost = "steward.test"

// TestACMEWithPebble obtains real certificates from Let's Encrypt's test CA,
// Pebble, running in-process: its validation authority really connects to
// Steward's listeners and checks the challenge answers, once over
// tls-alpn-01 on the HTTPS listener (the VA's HTTP port is closed) and once
// over http-01 on the plain-HTTP redirect listener (the VA's TLS port is
// closed, so autocert's first order fails and it falls back). Then a
// handshake with that SNI gets the certificate Pebble issued, under the
// edge's TLS policy, and the store holds it sealed.
func TestACMEWithPebble(t *testing.T) {
	if testing.Short() {
		t.Skip("obtains certificates from an in-process ACME CA")
	}
	// Pebble reads its tuning from the environment: no random sleeps before
	// validating, no nonces rejected on purpose, no reused authorizations
	// (every order is validated for real).
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	t.Setenv("PEBBLE_AUTHZREUSE", "0")
	t.Setenv("PEBBLE_VA_ALWAYS_VALID", "0")
	for _, challenge := range []string{"tls-alpn-01", "http-01"} {
		t.Run(challenge, func(t *testing.T) { testACMEChallenge(t, challenge) })
	}
}

func testACMEChallenge(t *testing.T, challenge string) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	pebbleLog := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Pebble's log:\n%s", pebbleLog.String())
		}
	})
	dnsAddr := startLoopbackDNS(t, acmeTestHost)

	// Pebble's address must be in the configuration before Steward starts,
	// and Steward's ports in Pebble's VA before Pebble starts.
	pebbleSrv := httptest.NewUnstartedServer(nil)
	t.Cleanup(pebbleSrv.Close)
	directory := "https://" + pebbleSrv.Listener.Addr().String() + wfe.DirectoryPath

	dir := t.TempDir()
	cfg, err := load(t, false, map[string]string{
		"STEWARD_DATABASE_URL": "sqlite:" + filepath.Join(dir, "steward.db"), "STEWARD_LISTEN": "127.0.0.1:0",
		"STEWARD_APP_ID": "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21", "STEWARD_PUBLIC_URL": "https://" + acmeTestHost,
		"STEWARD_ACME_HOSTS": acmeTestHost, "STEWARD_ACME_DIRECTORY_URL": directory, "STEWARD_ACME_EMAIL": "ops@example.com",
		"STEWARD_HTTP_REDIRECT_LISTEN": "127.0.0.1:80",
	})
	if err != nil {
		t.Fatalf("configuration refused: %v", err)
	}
	cfg.HTTPRedirectListen = "127.0.0.1:0" // a free port: the test is not root

	sdb, err := store.Open(ctx, cfg.DatabaseURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sdb.Close() })
	if _, err := sdb.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	kr, err := vault.OpenKeyring(filepath.Join(dir, "keyring.json"), true)
	if err != nil {
		t.Fatal(err)
	}
	a := &app{cfg: cfg, log: slog.New(slog.DiscardHandler), db: sdb, keyring: kr}

	// What production serves: the ACME certificates under the edge policy,
	// acme-tls/1 offered. (It would reach the CA through the egress guard
	// without loopback, so the handshakes below use the same manager built
	// on a guarded client that may reach Pebble on loopback.)
	prod, err := a.serverTLS(nil)
	if err != nil {
		t.Fatal(err)
	}
	if prod.MinVersion != tls.VersionTLS12 || !slices.Contains(prod.NextProtos, "acme-tls/1") || !slices.Equal(prod.CipherSuites, edge.TLS12CipherSuites()) {
		t.Fatalf("serverTLS with acme_hosts: min %x ALPN %v suites %v", prod.MinVersion, prod.NextProtos, prod.CipherSuites)
	}

	httpsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	redirect, err := a.redirectServer(ctx, cfg.PublicURL, httpsLn.Addr())
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = redirect.serve() }()
	t.Cleanup(func() { _ = redirect.hs.Close() })

	// The VA checks one challenge type only: the other port is closed.
	closed := closedPort(t)
	httpPort, tlsPort := closed, portOf(t, httpsLn.Addr())
	if challenge == "http-01" {
		httpPort, tlsPort = portOf(t, redirect.ln.Addr()), closed
	}
	logger := log.New(pebbleLog, "pebble ", log.Lmicroseconds)
	pdb := db.NewMemoryStore()
	pca := ca.New(logger, pdb, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default"}})
	pva := va.New(logger, httpPort, tlsPort, false, dnsAddr, pdb)
	pwfe := wfe.New(logger, pdb, pva, pca, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	pebbleSrv.Config.Handler = pwfe.Handler()
	pebbleSrv.Config.ErrorLog = log.New(pebbleLog, "pebble http ", 0)
	pebbleSrv.StartTLS()

	// The client of the ACME calls: the egress guard with the declared
	// destinations (acme_directory_url's host:port among them), loopback
	// allowed, trusting the certificate Pebble's web front end serves.
	allow, err := a.egressAllowlist()
	if err != nil {
		t.Fatal(err)
	}
	transport := edge.Guard{AllowLoopback: true, Allow: allow}.Transport()
	transport.TLSClientConfig = &tls.Config{RootCAs: poolOf(pebbleSrv.Certificate())}
	certs, err := a.acme(&http.Client{Transport: transport, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{
		Handler:   http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "steward") }),
		TLSConfig: edge.ACMEServerTLSConfig(certs),
		ErrorLog:  log.New(io.Discard, "", 0),
	}
	go func() { _ = hs.ServeTLS(httpsLn, "", "") }()
	t.Cleanup(func() { _ = hs.Close() })

	// The first handshake orders the certificate; Pebble validates it
	// against the listeners above before issuing.
	roots := poolOf(pca.GetRootCert(0).Cert)
	conn, err := (&tls.Dialer{Config: &tls.Config{ServerName: acmeTestHost, RootCAs: roots}}).DialContext(ctx, "tcp", httpsLn.Addr().String())
	if err != nil {
		t.Fatalf("handshake for %s (the certificate order): %v", acmeTestHost, err)
	}
	state := conn.(*tls.Conn).ConnectionState()
	conn.Close()
	leaf := state.PeerCertificates[0]
	if !slices.Equal(leaf.DNSNames, []string{acmeTestHost}) || !strings.Contains(leaf.Issuer.CommonName, "Pebble") {
		t.Fatalf("served certificate for %v issued by %q", leaf.DNSNames, leaf.Issuer.CommonName)
	}
	if state.Version != tls.VersionTLS13 {
		t.Errorf("negotiated %s, want TLS 1.3", tls.VersionName(state.Version))
	}

	t.Run("the edge's TLS policy", func(t *testing.T) {
		tls12 := &tls.Config{ServerName: acmeTestHost, RootCAs: roots, MaxVersion: tls.VersionTLS12}
		c, err := tls.Dial("tcp", httpsLn.Addr().String(), tls12)
		if err != nil {
			t.Fatalf("TLS 1.2: %v", err)
		}
		suite := c.ConnectionState().CipherSuite
		c.Close()
		if !slices.Contains(edge.TLS12CipherSuites(), suite) {
			t.Errorf("TLS 1.2 suite %s is not in the policy", tls.CipherSuiteName(suite))
		}
		old := &tls.Config{ServerName: acmeTestHost, RootCAs: roots, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
		if c, err := tls.Dial("tcp", httpsLn.Addr().String(), old); err == nil {
			c.Close()
			t.Error("a TLS 1.1 handshake succeeded")
		}
		h2 := &tls.Config{ServerName: acmeTestHost, RootCAs: roots, NextProtos: []string{"h2", "http/1.1"}}
		c, err = tls.Dial("tcp", httpsLn.Addr().String(), h2)
		if err != nil {
			t.Fatal(err)
		}
		if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
			t.Errorf("ALPN %q, want h2", p)
		}
		c.Close()
	})
	t.Run("no certificate for another name", func(t *testing.T) {
		c, err := tls.Dial("tcp", httpsLn.Addr().String(), &tls.Config{ServerName: "other.test", RootCAs: roots})
		if err == nil {
			c.Close()
			t.Fatal("handshake for a host outside acme_hosts succeeded")
		}
	})
	t.Run("kept sealed in the store", func(t *testing.T) {
		var sealed []byte
		if err := sdb.Writer().QueryRowContext(ctx, `SELECT data FROM acme_cache WHERE name = $1`, acmeTestHost).Scan(&sealed); err != nil {
			t.Fatalf("the certificate is not in acme_cache: %v", err)
		}
		if bytes.Contains(sealed, []byte("BEGIN")) {
			t.Fatal("acme_cache holds PEM in the clear")
		}
		var n int
		if err := sdb.Writer().QueryRowContext(ctx, `SELECT COUNT(*) FROM acme_cache WHERE name = 'acme_account+key'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("account key rows %d, %v", n, err)
		}
	})
	t.Run("a restarted replica serves it from the store", func(t *testing.T) {
		// A manager whose client cannot reach any CA: only the cache can
		// give it the certificate.
		unreachable := &http.Client{Transport: edge.Guard{Allow: allow}.Transport()}
		again, err := a.acme(unreachable)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := again.GetCertificate(&tls.ClientHelloInfo{ServerName: acmeTestHost, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(cert.Leaf.Raw, leaf.Raw) {
			t.Fatal("a new manager on the same store served another certificate")
		}
	})
}

// startLoopbackDNS answers A queries for host with 127.0.0.1 over TCP (the
// transport Pebble's VA uses with a custom resolver) and nothing else.
func startLoopbackDNS(t *testing.T, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fqdn := dns.Fqdn(host)
	srv := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		for _, q := range r.Question {
			if q.Qtype == dns.TypeA && strings.EqualFold(q.Name, fqdn) {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(127, 0, 0, 1)})
			}
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String()
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := portOf(t, ln.Addr())
	ln.Close()
	return p
}

func portOf(t *testing.T, addr net.Addr) int {
	t.Helper()
	_, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func poolOf(certs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}
