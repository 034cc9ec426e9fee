package edge

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/acme/autocert"
)

// memCache is an autocert.Cache in memory.
type memCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (c *memCache) Get(_ context.Context, k string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[k]; ok {
		return v, nil
	}
	return nil, autocert.ErrCacheMiss
}

func (c *memCache) Put(_ context.Context, k string, v []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string][]byte{}
	}
	c.m[k] = v
	return nil
}

func (c *memCache) Delete(_ context.Context, k string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
	return nil
}

func TestNewACMERefusesIncompleteOptions(t *testing.T) {
	ok := ACMEOptions{Hosts: []string{"steward.example.com"}, DirectoryURL: "https://acme.example.com/directory", HTTPClient: http.DefaultClient, Cache: &memCache{}}
	for name, mutate := range map[string]func(*ACMEOptions){
		"no hosts":          func(o *ACMEOptions) { o.Hosts = nil },
		"http directory":    func(o *ACMEOptions) { o.DirectoryURL = "http://acme.example.com/directory" },
		"no directory":      func(o *ACMEOptions) { o.DirectoryURL = "" },
		"no HTTP client":    func(o *ACMEOptions) { o.HTTPClient = nil },
		"no (shared) cache": func(o *ACMEOptions) { o.Cache = nil },
	} {
		o := ok
		mutate(&o)
		if _, err := NewACME(o); !errors.Is(err, ErrACMEOptions) {
			t.Errorf("%s: err = %v, want ErrACMEOptions", name, err)
		}
	}
	if _, err := NewACME(ok); err != nil {
		t.Fatal(err)
	}
}

func TestACMEServerTLSConfigKeepsThePolicy(t *testing.T) {
	a, err := NewACME(ACMEOptions{Hosts: []string{"steward.example.com"}, DirectoryURL: "https://acme.example.com/directory", HTTPClient: http.DefaultClient, Cache: &memCache{}})
	if err != nil {
		t.Fatal(err)
	}
	c := ACMEServerTLSConfig(a)
	if c.MinVersion != tls.VersionTLS12 || !slices.Equal(c.CipherSuites, TLS12CipherSuites()) || !slices.Equal(c.CurvePreferences, TLSCurves()) {
		t.Fatalf("policy lost: min %x suites %v curves %v", c.MinVersion, c.CipherSuites, c.CurvePreferences)
	}
	if !slices.Equal(c.NextProtos, []string{"h2", "http/1.1", "acme-tls/1"}) {
		t.Fatalf("ALPN %v, want h2, http/1.1 then acme-tls/1", c.NextProtos)
	}
	if c.GetCertificate == nil {
		t.Fatal("no GetCertificate")
	}
	// A host outside the list is refused before anything is ordered (the
	// directory above does not exist: reaching it would fail otherwise).
	_, err = c.GetCertificate(&tls.ClientHelloInfo{ServerName: "evil.example.net"})
	if err == nil || !strings.Contains(err.Error(), "not configured") {
		t.Fatalf("certificate for an unlisted host: %v", err)
	}
	// The plain ServerTLSConfig does not offer acme-tls/1.
	if slices.Contains(ServerTLSConfig(a).NextProtos, "acme-tls/1") {
		t.Fatal("ServerTLSConfig offers acme-tls/1")
	}
}

func TestACMEChallengeHandler(t *testing.T) {
	cache := &memCache{}
	_ = cache.Put(context.Background(), "tok123+http-01", []byte("tok123.thumbprint"))
	opts := ACMEOptions{Hosts: []string{"steward.example.com"}, DirectoryURL: "https://acme.example.com/directory", HTTPClient: http.DefaultClient, Cache: cache}

	off, _ := NewACME(opts)
	opts.HTTP01 = true
	on, _ := NewACME(opts)
	get := func(h http.Handler, host, path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "http://"+host+path, nil)
		w := httptest.NewRecorder()
		RedirectHandler(RedirectOptions{AllowedHosts: []string{"steward.example.com"}, ACMEChallenge: h}).ServeHTTP(w, r)
		return w
	}
	const path = "/.well-known/acme-challenge/tok123"
	for _, tc := range []struct {
		name       string
		h          http.Handler
		host, path string
		status     int
		body       string
	}{
		{"answer from the shared cache", on.ChallengeHandler(), "steward.example.com", path, http.StatusOK, "tok123.thumbprint"},
		{"port and case in Host", on.ChallengeHandler(), "Steward.Example.com:5002", path, http.StatusOK, "tok123.thumbprint"},
		{"unknown token", on.ChallengeHandler(), "steward.example.com", "/.well-known/acme-challenge/nope", http.StatusNotFound, ""},
		{"host not listed", on.ChallengeHandler(), "evil.example.net", path, http.StatusForbidden, ""},
		{"http-01 off", off.ChallengeHandler(), "steward.example.com", path, http.StatusNotFound, ""},
		{"other paths still redirect", on.ChallengeHandler(), "steward.example.com", "/app?x=1", http.StatusPermanentRedirect, ""},
	} {
		w := get(tc.h, tc.host, tc.path)
		if w.Code != tc.status || (tc.body != "" && w.Body.String() != tc.body) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, w.Code, w.Body.String(), tc.status, tc.body)
		}
		if tc.status == http.StatusPermanentRedirect && w.Header().Get("Location") != "https://steward.example.com/app?x=1" {
			t.Errorf("%s: Location %q", tc.name, w.Header().Get("Location"))
		}
	}
}
