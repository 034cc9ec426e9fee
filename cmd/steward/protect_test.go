package main

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/internal/testenv"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    edge.Rate
		wantErr bool
	}{
		{"off", edge.Rate{}, false},
		{"50/s,burst=200", edge.Rate{PerSecond: 50, Burst: 200}, false},
		{" 0.5/s, burst=1 ", edge.Rate{PerSecond: 0.5, Burst: 1}, false},
		{"50", edge.Rate{}, true},
		{"50/s", edge.Rate{}, true},
		{"50/m,burst=2", edge.Rate{}, true},
		{"0/s,burst=2", edge.Rate{}, true},
		{"5/s,burst=0", edge.Rate{}, true},
		{"x/s,burst=2", edge.Rate{}, true},
		{"5/s,burst=2.5", edge.Rate{}, true},
		{"", edge.Rate{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseRate(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("parseRate(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestProtectSettings(t *testing.T) {
	tests := []struct {
		name string
		dev  bool
		env  map[string]string
		want Config // the three protect settings only
		errs []string
	}{
		{"dev defaults: off", true, nil, Config{}, nil},
		{"set", true, map[string]string{"STEWARD_RATE_LIMIT_PER_IP": "5/s,burst=10", "STEWARD_MAX_IN_FLIGHT": "0", "STEWARD_MAX_IN_FLIGHT_PER_IP": "3"},
			Config{RateLimitPerIP: edge.Rate{PerSecond: 5, Burst: 10}, MaxInFlightPerIP: 3}, nil},
		{"bad rate", true, map[string]string{"STEWARD_RATE_LIMIT_PER_IP": "lots"}, Config{}, []string{"rate_limit_per_ip (from STEWARD_RATE_LIMIT_PER_IP)", "RATE/s,burst=N"}},
		{"negative in flight", true, map[string]string{"STEWARD_MAX_IN_FLIGHT": "-1"}, Config{}, []string{"max_in_flight (from STEWARD_MAX_IN_FLIGHT)", "0 to 100000"}},
		{"bad per-ip in flight", true, map[string]string{"STEWARD_MAX_IN_FLIGHT_PER_IP": "many"}, Config{}, []string{"max_in_flight_per_ip", "0 to 100000"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := load(t, tc.dev, tc.env)
			if len(tc.errs) > 0 {
				if err == nil {
					t.Fatal("accepted")
				}
				for _, w := range tc.errs {
					if !strings.Contains(err.Error(), w) {
						t.Fatalf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := Config{RateLimitPerIP: c.RateLimitPerIP, MaxInFlight: c.MaxInFlight, MaxInFlightPerIP: c.MaxInFlightPerIP}
			if got.RateLimitPerIP != tc.want.RateLimitPerIP || got.MaxInFlight != tc.want.MaxInFlight || got.MaxInFlightPerIP != tc.want.MaxInFlightPerIP {
				t.Fatalf("got %v %d %d, want %v %d %d", got.RateLimitPerIP, got.MaxInFlight, got.MaxInFlightPerIP,
					tc.want.RateLimitPerIP, tc.want.MaxInFlight, tc.want.MaxInFlightPerIP)
			}
		})
	}
}

// TestProtectServeDefaults: production's defaults parse to the limits
// the help text announces.
func TestProtectServeDefaults(t *testing.T) {
	var c Config
	for _, st := range settings {
		switch st.key {
		case "rate_limit_per_ip", "max_in_flight", "max_in_flight_per_ip":
			if err := st.set(&c, st.serveDef); err != nil {
				t.Fatalf("%s default %q: %v", st.key, st.serveDef, err)
			}
		}
	}
	if c.RateLimitPerIP != (edge.Rate{PerSecond: 50, Burst: 200}) || c.MaxInFlight != 256 || c.MaxInFlightPerIP != 64 {
		t.Fatalf("serve defaults: %v %d %d", c.RateLimitPerIP, c.MaxInFlight, c.MaxInFlightPerIP)
	}
}

func testProtectApp(t *testing.T, cfg Config) *app {
	t.Helper()
	a := &app{cfg: cfg, log: slog.New(slog.DiscardHandler)}
	t.Cleanup(func() { a.close(context.Background()) })
	return a
}

func status(h http.Handler, method, path, remote string) int {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = remote
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec.Code
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) })
}

func TestAppProtectFromConfig(t *testing.T) {
	a := testProtectApp(t, Config{RateLimitPerIP: edge.Rate{PerSecond: 0.01, Burst: 2}, MaxInFlight: 8, MaxInFlightPerIP: 4})
	h := a.protect(okHandler())
	for i, want := range []int{200, 200, 429, 429} {
		if got := status(h, "GET", "/app", "127.0.0.1:5000"); got != want {
			t.Fatalf("request %d from the flooder: %d, want %d", i, got, want)
		}
	}
	if got := status(h, "GET", "/app", "127.0.0.2:5000"); got != 200 {
		t.Fatalf("another address: %d, want 200", got)
	}
	if got := status(h, "GET", "/healthz", "127.0.0.1:5000"); got != 200 {
		t.Fatalf("the flooder's health check: %d, want 200 (its own bucket)", got)
	}
	opts, err := a.protectOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opts.Shedder == nil {
		t.Fatal("max_in_flight 8 built no shedder")
	}
	if _, ok := opts.IPLimiter.(*edge.MemoryLimiter); !ok {
		t.Fatalf("without redis_url the limiter is %T, want in-process", opts.IPLimiter)
	}

	off := testProtectApp(t, Config{})
	opts, err = off.protectOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opts.IPLimiter != nil || opts.CriticalIPLimiter != nil || opts.Shedder != nil {
		t.Fatalf("protections off in the configuration but built: %+v", opts)
	}
	h = off.protect(okHandler())
	for range 50 {
		if got := status(h, "GET", "/app", "127.0.0.1:5000"); got != 200 {
			t.Fatalf("rate limit off, status %d", got)
		}
	}
}

// TestAppProtectSharedThroughRedis: two replicas with the same redis_url
// share one bucket per client.
func TestAppProtectSharedThroughRedis(t *testing.T) {
	addr := testenv.RedisAddr(t)
	// A random documentation address per run, so runs never share a bucket;
	// its keys are deleted at the end.
	var b [8]byte
	_, _ = rand.Read(b[:])
	ip := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 8: b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]})
	rc := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() {
		rc.Del(context.Background(), "steward:ratelimit:ip:"+ip.String(), "steward:ratelimit:critical:"+ip.String())
		rc.Close()
	})
	cfg := Config{RedisURL: "redis://" + addr + "/0", RateLimitPerIP: edge.Rate{PerSecond: 0.01, Burst: 3}}
	r1, r2 := testProtectApp(t, cfg).protect(okHandler()), testProtectApp(t, cfg).protect(okHandler())
	remote := netip.AddrPortFrom(ip, 1).String()
	allowed := 0
	for i := range 8 {
		h := r1
		if i%2 == 1 {
			h = r2
		}
		if status(h, "GET", "/app", remote) == http.StatusOK {
			allowed++
		}
	}
	if allowed != 3 {
		t.Fatalf("%d requests allowed across two replicas, want the shared burst 3", allowed)
	}
	if n, err := rc.Exists(context.Background(), "steward:ratelimit:ip:"+ip.String()).Result(); err != nil || n != 1 {
		t.Fatalf("the bucket is not in Redis: %d, %v", n, err)
	}
	opts, err := testProtectApp(t, cfg).protectOptions()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := opts.IPLimiter.(*edge.FallbackLimiter); !ok {
		t.Fatalf("with redis_url the limiter is %T, want Redis with an in-process fallback", opts.IPLimiter)
	}
}
