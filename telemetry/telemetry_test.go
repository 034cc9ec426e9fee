package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestLoggerAddsRequestAndTenantIDs(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "json", "info")
	if err != nil {
		t.Fatal(err)
	}
	ctx := WithTenantID(WithRequestID(context.Background(), "req-12345678"), "contoso")
	log.InfoContext(ctx, "provisioned", "team", "Sales")
	log.DebugContext(ctx, "hidden at info level")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not one JSON line: %q", buf.String())
	}
	if rec["request_id"] != "req-12345678" || rec["tenant_id"] != "contoso" || rec["team"] != "Sales" {
		t.Fatalf("record = %v", rec)
	}
	if _, err := NewLogger(io.Discard, "xml", "info"); err == nil {
		t.Fatal("format xml accepted")
	}
	if _, err := NewLogger(io.Discard, "text", "loud"); err == nil {
		t.Fatal("level loud accepted")
	}
}

func TestRequestIDMiddleware(t *testing.T) {
	var seen string
	h := RequestIDMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = RequestID(r.Context()) }))
	tests := []struct {
		name, in string
		keep     bool
	}{
		{"valid caller id is kept", "abc-123_XYZ.9", true},
		{"missing id is generated", "", false},
		{"log injection is replaced", "abc\nlevel=ERROR msg=forged", false},
		{"too short is replaced", "abc", false},
		{"too long is replaced", strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/", nil)
			if tt.in != "" {
				req.Header[RequestIDHeader] = []string{tt.in}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get(RequestIDHeader)
			if got != seen || got == "" {
				t.Fatalf("header %q, context %q", got, seen)
			}
			if (got == tt.in) != tt.keep {
				t.Fatalf("id %q from caller %q, keep=%v", got, tt.in, tt.keep)
			}
		})
	}
}

func TestMetricsMiddlewareLabelsByPattern(t *testing.T) {
	m := NewMetrics()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /teams/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := m.Middleware(mux)
	for _, p := range []string{"/teams/1", "/teams/2", "/nowhere"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("GET", "GET /teams/{id}", "418")); got != 2 {
		t.Fatalf("requests for the pattern = %v, want 2 (raw paths must not become labels)", got)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("GET", "unmatched", "404")); got != 1 {
		t.Fatalf("unmatched = %v, want 1", got)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{"steward_http_requests_total", "steward_http_request_duration_seconds_bucket", "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
}

// TestTracingExportsOverOTLP runs a fake collector and checks that a request
// through the middleware arrives there as an OTLP/HTTP export.
func TestTracingExportsOverOTLP(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	var bodies int
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		paths = append(paths, r.URL.Path+" "+r.Header.Get("Content-Type"))
		if len(b) > 0 {
			bodies++
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	tr, err := NewTracing(context.Background(), collector.URL, "test")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	h := RequestIDMiddleware(tr.Middleware(mux))
	req := httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), req)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tr.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) == 0 || !strings.HasPrefix(paths[0], "/v1/traces application/x-protobuf") || bodies == 0 {
		t.Fatalf("collector saw %v", paths)
	}
}

func TestTracingRejectsBadEndpointAndIsNoopWhenUnset(t *testing.T) {
	if _, err := NewTracing(context.Background(), "collector:4318", "x"); err == nil {
		t.Fatal("endpoint without scheme accepted")
	}
	tr, err := NewTracing(context.Background(), "", "x")
	if err != nil || tr.Shutdown(context.Background()) != nil {
		t.Fatal("no-op tracing failed")
	}
}
