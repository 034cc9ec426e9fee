package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stewardhq/steward/governance"
)

// TestErrorLanguage checks that the message follows Accept-Language while
// the code, which clients key on, does not.
func TestErrorLanguage(t *testing.T) {
	fail := governance.Errorf(governance.KindNotFound, "request_not_found", "there is no request %q", "r1")
	tests := []struct {
		name, accept, lang, message string
	}{
		{"french", "fr", "fr", "la demande \"r1\" n’existe pas"},
		{"canadian french first", "fr-CA,fr;q=0.9,en;q=0.8", "fr", "la demande \"r1\" n’existe pas"},
		{"english preferred", "en-US,en;q=0.9,fr;q=0.8", "en", `there is no request "r1"`},
		{"unsupported", "de-DE", "en", `there is no request "r1"`},
		{"no header", "", "en", `there is no request "r1"`},
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := errorAdapter{log: log, fn: func(http.ResponseWriter, *http.Request) error { return fail }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/x", nil)
			if tt.accept != "" {
				req.Header.Set("Accept-Language", tt.accept)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotFound {
				t.Fatalf("status %d", rec.Code)
			}
			if got := rec.Header().Get("Content-Language"); got != tt.lang {
				t.Errorf("Content-Language %q, want %q", got, tt.lang)
			}
			if got := rec.Header().Get("Vary"); got != "Accept-Language" {
				t.Errorf("Vary %q, want Accept-Language", got)
			}
			var body ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.Error.Code != "request_not_found" || body.Error.Message != tt.message {
				t.Errorf("error = %q, %q; want request_not_found, %q", body.Error.Code, body.Error.Message, tt.message)
			}
		})
	}
}
