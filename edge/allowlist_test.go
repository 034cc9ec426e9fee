package edge

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
)

// mustAllowlist builds an allowlist or fails the test.
func mustAllowlist(t *testing.T, dynamic HostSource, dests ...Destination) *Allowlist {
	t.Helper()
	a, err := NewAllowlist(dests, dynamic)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// loopbackServer serves 204 on 127.0.0.1 and counts requests.
func loopbackServer(t *testing.T) (port int, hits *atomic.Int64) {
	t.Helper()
	hits = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port, hits
}

func wantUndeclared(t *testing.T, err error, host string) {
	t.Helper()
	var ge *governance.Error
	if !errors.As(err, &ge) || ge.Kind != governance.KindForbidden || ge.Code != "egress_destination_undeclared" {
		t.Fatalf("error = %v, want KindForbidden egress_destination_undeclared", err)
	}
	if !strings.Contains(ge.Message, host) || !strings.Contains(ge.Message, "declared") {
		t.Fatalf("the message does not name %s or say it must be declared: %s", host, ge.Message)
	}
}

func TestAllowlistMatching(t *testing.T) {
	a := mustAllowlist(t, nil,
		Destination{Host: "Graph.Microsoft.COM.", Purpose: PurposeGraph, Why: "Graph"},
		Destination{Host: "collector.example.net", Port: 4318, Purpose: PurposeTelemetry, Why: "OTLP"},
		Destination{Host: "*.botframework.com", Purpose: PurposeBot, Why: "channels"},
		Destination{Host: "res.cdn.office.net", Purpose: PurposeTeamsCDN, Why: "TeamsJS", Direction: DirectionBrowser},
		Destination{Host: "::1", Port: 8081, Purpose: PurposeGraph, Why: "simulator"},
	)
	tests := []struct {
		scheme, host string
		port         int
		ok           bool
	}{
		{"https", "graph.microsoft.com", 443, true},
		{"https", "GRAPH.microsoft.com.", 443, true},
		{"http", "graph.microsoft.com", 80, true},
		{"https", "graph.microsoft.com", 8443, false},
		{"http", "graph.microsoft.com", 443, false}, // port 0 means the scheme's own
		{"https", "graph.microsoft.com.evil.example", 443, false},
		{"https", "evilgraph.microsoft.com", 443, false},
		{"https", "microsoft.com", 443, false},
		{"http", "collector.example.net", 4318, true},
		{"http", "collector.example.net", 80, false},
		{"https", "login.botframework.com", 443, true},
		{"https", "a.b.botframework.com", 443, true},
		{"https", "botframework.com", 443, false},
		{"https", "evilbotframework.com", 443, false},
		{"https", "res.cdn.office.net", 443, false}, // browsers fetch it, the server never does
		{"http", "::1", 8081, true},
		{"http", "[::1]", 8081, true},
		{"", "graph.microsoft.com", 443, true}, // dial time: either default port
		{"", "graph.microsoft.com", 22, false},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.scheme+"://"+tt.host+":"+strconv.Itoa(tt.port), func(t *testing.T) {
			err := a.Allows(ctx, tt.scheme, tt.host, tt.port)
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok {
				wantUndeclared(t, err, strings.Trim(strings.ToLower(strings.TrimSuffix(tt.host, ".")), "[]"))
			}
		})
	}
	if got := a.Destinations(); got[0].Host != "graph.microsoft.com" || len(got) != 5 {
		t.Fatalf("destinations not canonical: %+v", got)
	}
}

func TestNewAllowlistRefusesMalformedDestinations(t *testing.T) {
	tests := []struct {
		name string
		d    Destination
		src  HostSource
	}{
		{"no purpose", Destination{Host: "a.example.com"}, nil},
		{"unknown purpose", Destination{Host: "a.example.com", Purpose: "fun"}, nil},
		{"empty host", Destination{Purpose: PurposeGraph}, nil},
		{"top-level wildcard", Destination{Host: "*.com", Purpose: PurposeGraph}, nil},
		{"inner wildcard", Destination{Host: "a.*.example.com", Purpose: PurposeGraph}, nil},
		{"bad character", Destination{Host: "a_b.example.com", Purpose: PurposeGraph}, nil},
		{"empty label", Destination{Host: "a..example.com", Purpose: PurposeGraph}, nil},
		{"port out of range", Destination{Host: "a.example.com", Port: 70000, Purpose: PurposeGraph}, nil},
		{"direction", Destination{Host: "a.example.com", Purpose: PurposeGraph, Direction: "sideways"}, nil},
		{"dynamic with a host", Destination{Host: "a.example.com", Purpose: PurposeWebhooks, Dynamic: true}, registry{}},
		{"dynamic without a source", Destination{Purpose: PurposeWebhooks, Dynamic: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewAllowlist([]Destination{tt.d}, tt.src)
			if governance.KindOf(err) != governance.KindInvalid {
				t.Fatalf("NewAllowlist(%+v) = %v, want KindInvalid", tt.d, err)
			}
		})
	}
}

// TestUndeclaredRefusedBeforeDNS: a request to a host nobody declared is
// refused before any lookup, so not even a DNS query leaks the name.
func TestUndeclaredRefusedBeforeDNS(t *testing.T) {
	r := &stubResolver{answers: map[string][]string{"exfil.example.com": {"93.184.215.14"}, "graph.microsoft.com": {"20.190.1.1"}}}
	g := Guard{Resolver: r, Allow: mustAllowlist(t, nil, Destination{Host: "graph.microsoft.com", Purpose: PurposeGraph, Why: "Graph"})}
	for _, u := range []string{"https://exfil.example.com/steal", "http://exfil.example.com:8080/", "https://93.184.215.14/"} {
		resp, err := g.Client(5 * time.Second).Get(u)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("GET %s succeeded", u)
		}
		host := strings.Split(strings.SplitN(u, "//", 2)[1], "/")[0]
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		wantUndeclared(t, err, host)
	}
	// The dialer refuses on its own too (a client built on Transport alone).
	if _, err := g.DialContext(context.Background(), "tcp", "exfil.example.com:443"); governance.KindOf(err) != governance.KindForbidden {
		t.Fatalf("dial: %v", err)
	}
	if n := r.calls.Load(); n != 0 {
		t.Fatalf("%d DNS lookups for refused destinations", n)
	}
}

// TestDeclaredHostResolvingInsideIsRefused: declaring a name does not vouch
// for the addresses it resolves to.
func TestDeclaredHostResolvingInsideIsRefused(t *testing.T) {
	port, hits := loopbackServer(t)
	for _, addr := range []string{"10.0.0.1", "169.254.169.254", "::1", "::ffff:127.0.0.1", "127.0.0.1"} {
		t.Run(addr, func(t *testing.T) {
			r := &stubResolver{answers: map[string][]string{"hooks.example.com": {addr}}}
			g := Guard{Resolver: r, Allow: mustAllowlist(t, nil, Destination{Host: "hooks.example.com", Port: port, Purpose: PurposeWebhooks, Why: "test"})}
			resp, err := g.Client(5 * time.Second).Get("http://hooks.example.com:" + strconv.Itoa(port) + "/")
			if err == nil {
				resp.Body.Close()
				t.Fatal("connected")
			}
			if governance.KindOf(err) != governance.KindInvalid || !strings.Contains(err.Error(), "egress_refused") {
				t.Fatalf("error = %v, want the address refusal", err)
			}
			if r.calls.Load() != 1 {
				t.Fatalf("%d lookups: the declared name should be resolved once", r.calls.Load())
			}
		})
	}
	if hits.Load() != 0 {
		t.Fatalf("the server got %d requests", hits.Load())
	}
}

// flipResolver answers first with first, then always with then: a DNS
// rebinding attack with a zero TTL.
type flipResolver struct {
	mu          sync.Mutex
	calls       int
	first, then netip.Addr
}

func (f *flipResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls == 1 {
		return []netip.Addr{f.first}, nil
	}
	return []netip.Addr{f.then}, nil
}

// TestDNSRebindingRefusedOnTheDial: the check runs on the addresses each
// dial actually uses. Loopback stands in for "public" (AllowLoopback), so
// the first connection really happens; the next dial resolves to a private
// address and is refused.
func TestDNSRebindingRefusedOnTheDial(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Connection", "close") // the next request dials again
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	r := &flipResolver{first: netip.MustParseAddr("127.0.0.1"), then: netip.MustParseAddr("10.0.0.1")}
	g := Guard{AllowLoopback: true, Resolver: r,
		Allow: mustAllowlist(t, nil, Destination{Host: "rebind.example.com", Port: port, Purpose: PurposeWebhooks, Why: "test"})}
	c := g.Client(5 * time.Second)
	u := "http://rebind.example.com:" + strconv.Itoa(port) + "/"
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("first request: %v", err)
	}
	resp.Body.Close()
	resp, err = c.Get(u)
	if err == nil {
		resp.Body.Close()
		t.Fatal("the rebound name was dialled")
	}
	if !strings.Contains(err.Error(), "10.0.0.1") || governance.KindOf(err) != governance.KindInvalid {
		t.Fatalf("error = %v, want the private address refused", err)
	}
	if hits.Load() != 1 || r.calls != 2 {
		t.Fatalf("hits %d, lookups %d", hits.Load(), r.calls)
	}
}

func TestPortMismatchRefused(t *testing.T) {
	port, hits := loopbackServer(t)
	r := &stubResolver{answers: map[string][]string{"svc.example.com": {"127.0.0.1"}}}
	g := Guard{AllowLoopback: true, Resolver: r,
		Allow: mustAllowlist(t, nil, Destination{Host: "svc.example.com", Port: port + 1, Purpose: PurposeCRM, Why: "test"})}
	resp, err := g.Client(5 * time.Second).Get("http://svc.example.com:" + strconv.Itoa(port) + "/")
	if err == nil {
		resp.Body.Close()
		t.Fatal("a request to an undeclared port went out")
	}
	wantUndeclared(t, err, "svc.example.com:"+strconv.Itoa(port))
	if hits.Load() != 0 || r.calls.Load() != 0 {
		t.Fatalf("hits %d, lookups %d", hits.Load(), r.calls.Load())
	}
}

func TestRedirectToUndeclaredHostNotFollowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://undeclared.example.com/collect", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	r := &stubResolver{answers: map[string][]string{"undeclared.example.com": {"93.184.215.14"}}}
	g := Guard{AllowLoopback: true, Resolver: r,
		Allow: mustAllowlist(t, nil, Destination{Host: "127.0.0.1", Port: port, Purpose: PurposeGraph, Why: "simulator"})}
	resp, err := g.Client(5 * time.Second).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || r.calls.Load() != 0 {
		t.Fatalf("status %d, lookups %d: the redirect was followed", resp.StatusCode, r.calls.Load())
	}
}

// registry is a HostSource of registered webhook authorities.
type registry struct {
	mu    *sync.Mutex
	hosts map[string]bool
	err   error
}

func (r registry) AllowsHost(_ context.Context, authority string) (bool, error) {
	if r.mu == nil {
		return false, r.err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hosts[authority], r.err
}

func TestWebhookHostAllowedOnlyAfterRegistration(t *testing.T) {
	port, hits := loopbackServer(t)
	reg := registry{mu: new(sync.Mutex), hosts: map[string]bool{}}
	r := &stubResolver{answers: map[string][]string{"hooks.example.com": {"127.0.0.1"}}}
	g := Guard{AllowLoopback: true, Resolver: r,
		Allow: mustAllowlist(t, reg, Destination{Purpose: PurposeWebhooks, Dynamic: true, Why: "webhooks administrators register"})}
	u := "http://HOOKS.example.com.:" + strconv.Itoa(port) + "/events"
	c := g.Client(5 * time.Second)
	resp, err := c.Post(u, "application/json", strings.NewReader("{}"))
	if err == nil {
		resp.Body.Close()
		t.Fatal("an unregistered webhook host was reached")
	}
	wantUndeclared(t, err, "hooks.example.com")

	reg.mu.Lock()
	reg.hosts["hooks.example.com:"+strconv.Itoa(port)] = true
	reg.mu.Unlock()
	resp, err = c.Post(u, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatalf("after registration: %v", err)
	}
	resp.Body.Close()
	// Registering one port does not open the host's others.
	resp, err = c.Get("http://hooks.example.com:" + strconv.Itoa(port+1) + "/")
	if err == nil {
		resp.Body.Close()
		t.Fatal("another port of a registered host was reached")
	}
	if hits.Load() != 1 {
		t.Fatalf("hits %d", hits.Load())
	}

	// A failing registry refuses (fails closed) with its error.
	failing := Guard{AllowLoopback: true, Resolver: r, Allow: mustAllowlist(t, registry{err: errors.New("database down")},
		Destination{Purpose: PurposeWebhooks, Dynamic: true, Why: "webhooks"})}
	if resp, err := failing.Client(5 * time.Second).Get(u); err == nil {
		resp.Body.Close()
		t.Fatal("a failing registry admitted the host")
	} else if !strings.Contains(err.Error(), "database down") {
		t.Fatalf("error = %v", err)
	}
}

func TestDestinationFromURL(t *testing.T) {
	tests := []struct {
		raw  string
		host string
		port int
		ok   bool
	}{
		{"https://graph.microsoft.com", "graph.microsoft.com", 0, true},
		{"https://Login.MicrosoftOnline.com:443/", "login.microsoftonline.com", 0, true},
		{"http://127.0.0.1:8081/graph", "127.0.0.1", 8081, true},
		{"http://otel:4318", "otel", 4318, true},
		{"https://[::1]:9443", "::1", 9443, true},
		{"ftp://x.example.com", "", 0, false},
		{"/relative", "", 0, false},
		{"https://x.example.com:99999", "", 0, false},
	}
	for _, tt := range tests {
		d, err := DestinationFromURL(tt.raw, PurposeGraph, "why", "graph_url")
		if (err == nil) != tt.ok || (tt.ok && (d.Host != tt.host || d.Port != tt.port || d.Setting != "graph_url")) {
			t.Errorf("DestinationFromURL(%q) = %+v, %v", tt.raw, d, err)
		}
		if !tt.ok && governance.KindOf(err) != governance.KindInvalid {
			t.Errorf("DestinationFromURL(%q) kind %v", tt.raw, governance.KindOf(err))
		}
	}
}

func TestDescribeTLS(t *testing.T) {
	p := DescribeTLS()
	if p.MinVersion != "TLS 1.2" || p.PreferredVersion != "TLS 1.3" || len(p.CipherSuites12) != 6 || len(p.Curves) != 2 {
		t.Fatalf("%+v", p)
	}
	for _, s := range p.CipherSuites12 {
		if !strings.HasPrefix(s, "TLS_ECDHE_") || !(strings.Contains(s, "GCM") || strings.Contains(s, "CHACHA20_POLY1305")) {
			t.Errorf("suite %s is not ECDHE with an AEAD", s)
		}
	}
	if p.Curves[0] != "X25519" || p.Curves[1] != "CurveP256" {
		t.Fatalf("curves %v", p.Curves)
	}
}
