package edge

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

func checkRefusal(t *testing.T, rec *httptest.ResponseRecorder, code, retryAfter string) {
	t.Helper()
	if got := rec.Header().Get("Retry-After"); got != retryAfter {
		t.Errorf("Retry-After = %q, want %q", got, retryAfter)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want JSON", ct)
	}
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q: %v", rec.Body, err)
	}
	if body.Error.Code != code || body.Error.Message == "" {
		t.Errorf("error = %+v, want code %q and a message", body.Error, code)
	}
}

func okHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

func requestFrom(method, path, ip string) *http.Request {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = ip + ":40000"
	return r
}

func TestProtectRateLimitsPerIP(t *testing.T) {
	clock := newBucketClock()
	ipl, err := NewMemoryLimiter(Rate{PerSecond: 1, Burst: 5}, MemoryLimiterOptions{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	crit, err := NewMemoryLimiter(Rate{PerSecond: 10, Burst: 20}, MemoryLimiterOptions{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	h := Protect(okHandler(), ProtectOptions{IPLimiter: ipl, CriticalIPLimiter: crit})

	serve := func(r *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		return rec
	}
	// 127.0.0.1 floods; it gets its burst, then 429s.
	var limited, ok int
	for range 100 {
		switch rec := serve(requestFrom("GET", "/app", "127.0.0.1")); rec.Code {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
			if limited == 1 {
				checkRefusal(t, rec, "rate_limited", "1")
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	}
	if ok != 5 || limited != 95 {
		t.Fatalf("flooding IP: %d served, %d limited; want 5 and 95", ok, limited)
	}
	// Another address is not affected, nor the flooder's own health checks
	// and bot messages (buckets of their own).
	for i := range 5 {
		if rec := serve(requestFrom("GET", "/app", "127.0.0.2")); rec.Code != http.StatusOK {
			t.Fatalf("other IP request %d: status %d", i, rec.Code)
		}
	}
	for _, r := range []*http.Request{requestFrom("GET", "/healthz", "127.0.0.1"), requestFrom("POST", "/api/messages", "127.0.0.1")} {
		if rec := serve(r); rec.Code != http.StatusOK {
			t.Fatalf("%s %s from the flooder: status %d, want 200", r.Method, r.URL.Path, rec.Code)
		}
	}
	// X-Forwarded-For is not trusted by default.
	r := requestFrom("GET", "/app", "127.0.0.1")
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	if rec := serve(r); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("a forged X-Forwarded-For escaped the limit: status %d", rec.Code)
	}
	// Retry-After rounds the wait up to whole seconds.
	slow, _ := NewMemoryLimiter(Rate{PerSecond: 0.25, Burst: 1}, MemoryLimiterOptions{Now: clock.now})
	hs := Protect(okHandler(), ProtectOptions{IPLimiter: slow})
	hs.ServeHTTP(httptest.NewRecorder(), requestFrom("GET", "/", "192.0.2.5"))
	rec := httptest.NewRecorder()
	hs.ServeHTTP(rec, requestFrom("GET", "/", "192.0.2.5"))
	checkRefusal(t, rec, "rate_limited", "4")
	// Refill: after a second the flooder gets one more request.
	clock.advance(time.Second)
	if rec := serve(requestFrom("GET", "/app", "127.0.0.1")); rec.Code != http.StatusOK {
		t.Fatalf("after refill: status %d", rec.Code)
	}
}

func TestProtectClientIPInjected(t *testing.T) {
	l, _ := NewMemoryLimiter(Rate{PerSecond: 1, Burst: 1}, MemoryLimiterOptions{})
	var seen []string
	h := Protect(okHandler(), ProtectOptions{IPLimiter: recordingLimiter{l, &seen}, ClientIP: func(r *http.Request) netip.Addr {
		return netip.MustParseAddr(r.Header.Get("X-Test-Client"))
	}})
	r := requestFrom("GET", "/", "10.0.0.1")
	r.Header.Set("X-Test-Client", "203.0.113.9")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if len(seen) != 1 || seen[0] != "ip:203.0.113.9" {
		t.Fatalf("limiter keys %v, want [ip:203.0.113.9]", seen)
	}
}

type recordingLimiter struct {
	Limiter
	keys *[]string
}

func (r recordingLimiter) Allow(ctx context.Context, key string) (Decision, error) {
	*r.keys = append(*r.keys, key)
	return r.Limiter.Allow(ctx, key)
}

func TestProtectLimiterErrorLetsThrough(t *testing.T) {
	h := Protect(okHandler(), ProtectOptions{IPLimiter: &failingLimiter{}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, requestFrom("GET", "/", "192.0.2.1"))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d with a failing limiter, want 200", rec.Code)
	}
}

func TestProtectBodyLimits(t *testing.T) {
	h := Protect(okHandler(), ProtectOptions{})
	tests := []struct {
		name    string
		method  string
		path    string
		size    int64
		chunked bool // no Content-Length: the limit applies while reading
		want    int
	}{
		{"default 1 MiB accepted", "POST", "/api/v1/templates/import", MiB, false, http.StatusOK},
		{"default over 1 MiB refused", "POST", "/api/v1/templates/import", MiB + 1, false, http.StatusRequestEntityTooLarge},
		{"default over 1 MiB refused while reading", "POST", "/api/v1/requests", MiB + 1, true, http.StatusRequestEntityTooLarge},
		{"bot endpoint has the default", "POST", "/api/messages", 2 * MiB, false, http.StatusRequestEntityTooLarge},
		{"catalog import 1 MiB + 64 KiB accepted", "POST", "/app/catalog/import", MiB + 64<<10, false, http.StatusOK},
		{"catalog import over its limit refused", "POST", "/app/catalog/import", MiB + 64<<10 + 1, false, http.StatusRequestEntityTooLarge},
		{"CRM import 20 MiB accepted", "POST", "/admin/integrations/crm/import", 20 * MiB, true, http.StatusOK},
		{"CRM import over 21 MiB refused", "POST", "/admin/integrations/crm/import", 21*MiB + 1, false, http.StatusRequestEntityTooLarge},
		{"the route's method matters", "PUT", "/admin/integrations/crm/import", 2 * MiB, false, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, io.LimitReader(zeros{}, tc.size))
			if tc.chunked {
				r.ContentLength = -1
			} else {
				r.ContentLength = tc.size
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d", rec.Code, tc.want)
			}
			if tc.want == http.StatusRequestEntityTooLarge && !tc.chunked {
				checkRefusal(t, rec, "body_too_large", "")
			}
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestProtectHeaderLimits(t *testing.T) {
	h := Protect(okHandler(), ProtectOptions{Limits: Limits{MaxHeaders: 10}})
	tests := []struct {
		name   string
		header func(http.Header)
		want   int
	}{
		{"few headers", func(h http.Header) { h.Set("Accept", "text/html") }, http.StatusOK},
		{"ten headers", func(h http.Header) {
			for i := range 10 {
				h.Set("X-H"+strconv.Itoa(i), "v")
			}
		}, http.StatusOK},
		{"eleven headers", func(h http.Header) {
			for i := range 11 {
				h.Set("X-H"+strconv.Itoa(i), "v")
			}
		}, http.StatusRequestHeaderFieldsTooLarge},
		{"repeated header counts each value", func(h http.Header) {
			for range 11 {
				h.Add("Cookie", "a=b")
			}
		}, http.StatusRequestHeaderFieldsTooLarge},
		{"8 KiB line accepted", func(h http.Header) { h.Set("X-Long", strings.Repeat("a", 8<<10-len("X-Long: "))) }, http.StatusOK},
		{"line over 8 KiB refused", func(h http.Header) { h.Set("X-Long", strings.Repeat("a", 8<<10)) }, http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			tc.header(r.Header)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d", rec.Code, tc.want)
			}
			if tc.want != http.StatusOK {
				checkRefusal(t, rec, "headers_too_large", "")
			}
		})
	}
}

func TestLimitsValidate(t *testing.T) {
	for _, l := range []Limits{
		{DefaultBody: -1},
		{Routes: map[string]int64{"/no-method": 10}},
		{Routes: map[string]int64{"POST /x": 0}},
		{MaxHeaderLine: -5},
	} {
		if err := l.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepted", l)
		}
	}
	if err := DefaultLimits().Validate(); err != nil {
		t.Errorf("DefaultLimits: %v", err)
	}
}

func TestPeerIP(t *testing.T) {
	for _, tc := range []struct{ remote, want string }{
		{"127.0.0.2:5000", "127.0.0.2"},
		{"[::ffff:192.0.2.1]:443", "192.0.2.1"},
		{"[fe80::1%eth0]:443", "fe80::1"},
		{"garbage", "0.0.0.0"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if got := PeerIP(r).String(); got != tc.want {
			t.Errorf("PeerIP(%q) = %s, want %s", tc.remote, got, tc.want)
		}
	}
}
