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
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
)

func TestCheckIP(t *testing.T) {
	tests := []struct {
		ip       string
		ok       bool
		loopbkOK bool // allowed with AllowLoopback
	}{
		{"8.8.8.8", true, true},
		{"1.1.1.1", true, true},
		{"2606:4700:4700::1111", true, true},
		{"::ffff:8.8.8.8", true, true},
		{"127.0.0.1", false, true},
		{"127.1.2.3", false, true},
		{"::1", false, true},
		{"::ffff:127.0.0.1", false, true},
		{"10.0.0.1", false, false},
		{"172.16.0.1", false, false},
		{"172.31.255.255", false, false},
		{"192.168.1.1", false, false},
		{"fc00::1", false, false},
		{"fd12:3456::1", false, false},
		{"169.254.169.254", false, false},
		{"169.254.0.1", false, false},
		{"fe80::1", false, false},
		{"fe80::1%eth0", false, false},
		{"0.0.0.0", false, false},
		{"0.1.2.3", false, false},
		{"::", false, false},
		{"224.0.0.1", false, false},
		{"ff02::1", false, false},
		{"100.64.0.1", false, false},
		{"100.127.255.255", false, false},
		{"255.255.255.255", false, false},
		{"192.0.2.1", false, false},
		{"2001:db8::1", false, false},
		{"::ffff:10.0.0.1", false, false},
		{"::ffff:169.254.169.254", false, false},
		{"::ffff:192.168.0.1", false, false},
		{"64:ff9b::a00:1", false, false},
		{"2002:a00:1::", false, false},
		{"172.32.0.1", true, true},
		{"100.128.0.1", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.ip)
			err := Guard{}.CheckIP(ip)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckIP(%s) = %v, want ok=%v", tt.ip, err, tt.ok)
			}
			if err != nil && governance.KindOf(err) != governance.KindInvalid {
				t.Fatalf("kind = %v", governance.KindOf(err))
			}
			if err := (Guard{AllowLoopback: true}).CheckIP(ip); (err == nil) != tt.loopbkOK {
				t.Fatalf("AllowLoopback CheckIP(%s) = %v, want ok=%v", tt.ip, err, tt.loopbkOK)
			}
		})
	}
	if err := (Guard{}).CheckIP(netip.Addr{}); err == nil {
		t.Fatal("the zero address passed")
	}
}

// stubResolver answers from a table and counts lookups.
type stubResolver struct {
	answers map[string][]string
	calls   atomic.Int64
}

func (s *stubResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	s.calls.Add(1)
	a, ok := s.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]netip.Addr, len(a))
	for i, s := range a {
		out[i] = netip.MustParseAddr(s)
	}
	return out, nil
}

func TestResolveChecksEveryAddress(t *testing.T) {
	r := &stubResolver{answers: map[string][]string{
		"hooks.example.com":    {"93.184.215.14"},
		"rebind.example.com":   {"10.0.0.5"},
		"metadata.example.com": {"169.254.169.254"},
		"mixed.example.com":    {"93.184.215.14", "192.168.0.10"},
		"mapped.example.com":   {"::ffff:127.0.0.1"},
		"empty.example.com":    {},
	}}
	g := Guard{Resolver: r}
	ctx := context.Background()
	if ips, err := g.Resolve(ctx, "hooks.example.com"); err != nil || len(ips) != 1 {
		t.Fatalf("public name: %v %v", ips, err)
	}
	for _, host := range []string{"rebind.example.com", "metadata.example.com", "mixed.example.com", "mapped.example.com", "10.1.1.1", "::1"} {
		if _, err := g.Resolve(ctx, host); governance.KindOf(err) != governance.KindInvalid {
			t.Errorf("Resolve(%s) = %v, want a refusal", host, err)
		}
	}
	if _, err := g.Resolve(ctx, "empty.example.com"); !errors.Is(err, ErrNoAddress) {
		t.Errorf("empty answer: %v", err)
	}
	if _, err := g.Resolve(ctx, "nxdomain.example.com"); err == nil {
		t.Error("unknown name resolved")
	}
	// The dialer refuses before connecting: nothing leaves the machine.
	if _, err := g.DialContext(ctx, "tcp", "mixed.example.com:443"); governance.KindOf(err) != governance.KindInvalid {
		t.Errorf("dial mixed: %v", err)
	}
	if _, err := g.DialContext(ctx, "udp", "hooks.example.com:53"); err == nil {
		t.Error("udp allowed")
	}
}

func TestLoopbackNeedsAllowLoopback(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)

	refused := Guard{}.Client(5 * time.Second)
	if resp, err := refused.Get(srv.URL); err == nil {
		resp.Body.Close()
		t.Fatal("the default guard reached a loopback server")
	} else if !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("error does not say why: %v", err)
	}
	// A name that resolves to loopback is refused the same way.
	r := &stubResolver{answers: map[string][]string{"sneaky.example.com": {"127.0.0.1"}}}
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	url := "http://sneaky.example.com:" + strconv.Itoa(port) + "/"
	if resp, err := (Guard{Resolver: r}).Client(5 * time.Second).Get(url); err == nil {
		resp.Body.Close()
		t.Fatal("a name resolving to loopback was dialled")
	}
	if hits.Load() != 0 {
		t.Fatalf("server got %d requests while refused", hits.Load())
	}

	allowed := Guard{AllowLoopback: true, Resolver: r}.Client(5 * time.Second)
	for _, u := range []string{srv.URL, url} {
		resp, err := allowed.Get(u)
		if err != nil {
			t.Fatalf("AllowLoopback get %s: %v", u, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	var inner atomic.Int64
	internal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inner.Add(1) }))
	t.Cleanup(internal.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/admin", http.StatusFound)
	}))
	t.Cleanup(redirector.Close)

	resp, err := Guard{AllowLoopback: true}.Client(5*time.Second).Post(redirector.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || inner.Load() != 0 {
		t.Fatalf("status %d, internal hits %d: the redirect was followed", resp.StatusCode, inner.Load())
	}
}

func TestTransportIgnoresProxyEnvironment(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	tr := Guard{}.Transport()
	if tr.Proxy != nil {
		t.Fatal("transport uses a proxy")
	}
	if tr.TLSHandshakeTimeout != 5*time.Second || tr.ResponseHeaderTimeout != 10*time.Second {
		t.Fatalf("timeouts %v %v", tr.TLSHandshakeTimeout, tr.ResponseHeaderTimeout)
	}
}
