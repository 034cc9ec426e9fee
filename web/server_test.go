package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/telemetry"
)

type scenario struct {
	name       string
	method     string
	path       string
	remote     string // peer address; default a loopback one
	header     http.Header
	status     int
	contains   []string
	notContain []string
}

func run(t *testing.T, h http.Handler, tests []scenario) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			req.RemoteAddr = "127.0.0.1:50000"
			if tt.remote != "" {
				req.RemoteAddr = tt.remote
			}
			for k, v := range tt.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, tt.status, body)
			}
			for _, s := range tt.contains {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q: %s", s, body)
				}
			}
			for _, s := range tt.notContain {
				if strings.Contains(body, s) {
					t.Errorf("body must not contain %q: %s", s, body)
				}
			}
			if rec.Header().Get(telemetry.RequestIDHeader) == "" {
				t.Error("no request id header")
			}
		})
	}
}

func TestServerRoutes(t *testing.T) {
	var storeErr error
	s := New(Options{
		Version: "1.2.3",
		Metrics: telemetry.NewMetrics(),
		Checks: []Check{
			{Name: "store", Ping: func(context.Context) error { return storeErr }},
			{Name: "cache", Ping: func(context.Context) error { return nil }},
		},
		MetricsToken: "s3cret-token",
	})
	h := s.Handler()
	run(t, h, []scenario{
		{name: "index", method: "GET", path: "/", status: 200, contains: []string{`"version":"1.2.3"`, `"/readyz"`}},
		{name: "healthz", method: "GET", path: "/healthz", status: 200, contains: []string{`"status":"ok"`}},
		{name: "readyz ok", method: "GET", path: "/readyz", status: 200, contains: []string{`"store":"ok"`, `"cache":"ok"`, `"status":"ready"`}},
		{name: "unknown route is a JSON 404", method: "GET", path: "/nope", status: 404, contains: []string{`"code":"route_not_found"`, `"request_id":"`}},
		{name: "metrics from loopback", method: "GET", path: "/metrics", status: 200, contains: []string{"steward_http_requests_total"}},
		{name: "metrics from afar without token", method: "GET", path: "/metrics", remote: "203.0.113.9:4000", status: 401, contains: []string{`"code":"metrics_token_invalid"`}, notContain: []string{"go_goroutines"}},
		{name: "metrics from afar with wrong token", method: "GET", path: "/metrics", remote: "203.0.113.9:4000", header: http.Header{"Authorization": {"Bearer wrong"}}, status: 401, notContain: []string{"go_goroutines"}},
		{name: "metrics from afar with token", method: "GET", path: "/metrics", remote: "203.0.113.9:4000", header: http.Header{"Authorization": {"Bearer s3cret-token"}}, status: 200, contains: []string{"go_goroutines"}},
	})
	storeErr = errors.New("dial tcp 10.0.0.5:5432: connection refused")
	run(t, h, []scenario{
		{name: "readyz with the store down", method: "GET", path: "/readyz", status: 503,
			contains: []string{`"store":"unavailable"`, `"cache":"ok"`, `"not_ready"`}, notContain: []string{"10.0.0.5", "refused"}},
	})
}

func TestMetricsWithoutTokenRefusesRemotePeers(t *testing.T) {
	h := New(Options{Metrics: telemetry.NewMetrics()}).Handler()
	run(t, h, []scenario{
		{name: "remote", method: "GET", path: "/metrics", remote: "[2001:db8::1]:443", status: 403, contains: []string{"metrics_forbidden", "STEWARD_METRICS_TOKEN"}},
		{name: "ipv6 loopback", method: "GET", path: "/metrics", remote: "[::1]:443", status: 200},
	})
}

// TestErrorAdapter checks each kind's status and that internal details are
// logged once and never shown.
func TestErrorAdapter(t *testing.T) {
	tests := []struct {
		err    error
		status int
		code   string
		logged bool
	}{
		{governance.Errorf(governance.KindInvalid, "name_invalid", "name must not be empty"), 400, "name_invalid", false},
		{governance.Errorf(governance.KindUnauthenticated, "token_expired", "sign in again"), 401, "token_expired", false},
		{governance.Errorf(governance.KindForbidden, "not_approver", "only approvers may decide"), 403, "not_approver", false},
		{fmt.Errorf("store: get: %w", governance.Errorf(governance.KindNotFound, "request_not_found", "no such request")), 404, "request_not_found", false},
		{governance.Errorf(governance.KindConflict, "version_conflict", "reload"), 409, "version_conflict", false},
		{governance.Errorf(governance.KindTooManyRequests, "rate_limited", "slow down"), 429, "rate_limited", false},
		{governance.Wrap(governance.KindUnavailable, "store_unavailable", "database down", errors.New("secret dsn detail")), 503, "store_unavailable", true},
		{errors.New("pq: password=hunter2 rejected"), 500, "internal", true},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			var logs bytes.Buffer
			log, err := telemetry.NewLogger(&logs, "json", "info")
			if err != nil {
				t.Fatal(err)
			}
			h := telemetry.RequestIDMiddleware(errorAdapter{log: log, fn: func(http.ResponseWriter, *http.Request) error { return tt.err }})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/x", nil))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			var body ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.Error.Code != tt.code || body.Error.Message == "" || body.Error.RequestID != rec.Header().Get(telemetry.RequestIDHeader) {
				t.Fatalf("body = %+v", body)
			}
			for _, leak := range []string{"hunter2", "secret dsn detail"} {
				if strings.Contains(rec.Body.String(), leak) {
					t.Fatalf("response leaks %q", leak)
				}
			}
			lines := strings.Count(logs.String(), "\n")
			if tt.logged && (lines != 1 || !strings.Contains(logs.String(), body.Error.RequestID)) {
				t.Fatalf("server fault logged %d times (want once, with request id): %s", lines, logs.String())
			}
			if !tt.logged && lines != 0 {
				t.Fatalf("client fault logged at info: %s", logs.String())
			}
			if (tt.status == 503 || tt.status == 429) != (rec.Header().Get("Retry-After") != "") {
				t.Fatalf("Retry-After = %q for %d", rec.Header().Get("Retry-After"), tt.status)
			}
		})
	}
}

// TestBotEndpoint: the bot's handler answers POST /api/messages only (the
// channel never sends anything else); without one the path is not found.
func TestBotEndpoint(t *testing.T) {
	bot := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) })
	for _, tc := range []struct {
		name   string
		bot    http.Handler
		method string
		want   int
	}{
		{"post", bot, http.MethodPost, http.StatusAccepted},
		{"get", bot, http.MethodGet, http.StatusNotFound},
		{"no bot", nil, http.MethodPost, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Options{Bot: tc.bot})
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest(tc.method, "/api/messages", strings.NewReader("{}")))
			if rec.Code != tc.want {
				t.Fatalf("%s /api/messages = %d, want %d", tc.method, rec.Code, tc.want)
			}
		})
	}
}
