package edge

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRedirectHandler(t *testing.T) {
	acme := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("token.thumbprint")) })
	tests := []struct {
		name     string
		opts     RedirectOptions
		method   string
		target   string
		host     string
		wantCode int
		wantLoc  string
		wantBody string
	}{
		{name: "path and query kept", opts: RedirectOptions{AllowedHosts: []string{"steward.example.com"}}, target: "/app/requests?tab=mine&x=%2F", host: "steward.example.com",
			wantCode: 308, wantLoc: "https://steward.example.com/app/requests?tab=mine&x=%2F"},
		{name: "port 80 dropped, 443 implied", opts: RedirectOptions{AllowedHosts: []string{"steward.example.com"}, HTTPSPort: "443"}, target: "/", host: "steward.example.com:80",
			wantCode: 308, wantLoc: "https://steward.example.com/"},
		{name: "HTTPS on another port", opts: RedirectOptions{HTTPSPort: "8443"}, target: "/x", host: "localhost:8080",
			wantCode: 308, wantLoc: "https://localhost:8443/x"},
		{name: "IPv6 host", opts: RedirectOptions{HTTPSPort: "8443"}, target: "/", host: "[::1]:8080",
			wantCode: 308, wantLoc: "https://[::1]:8443/"},
		{name: "POST keeps its method (308)", opts: RedirectOptions{}, method: http.MethodPost, target: "/api/messages", host: "steward.example.com",
			wantCode: 308, wantLoc: "https://steward.example.com/api/messages"},
		{name: "encoded path kept", opts: RedirectOptions{}, target: "/help/a%20b", host: "steward.example.com",
			wantCode: 308, wantLoc: "https://steward.example.com/help/a%20b"},
		{name: "unknown host refused, not bounced", opts: RedirectOptions{AllowedHosts: []string{"steward.example.com"}}, target: "/", host: "evil.example.net",
			wantCode: 421, wantBody: CodeHostNotAllowed},
		{name: "no host refused", opts: RedirectOptions{}, target: "/", host: "",
			wantCode: 421, wantBody: CodeHostNotAllowed},
		{name: "ACME challenge answered", opts: RedirectOptions{AllowedHosts: []string{"steward.example.com"}, ACMEChallenge: acme}, target: "/.well-known/acme-challenge/abc", host: "steward.example.com",
			wantCode: 200, wantBody: "token.thumbprint"},
		{name: "ACME path redirected when ACME is off", opts: RedirectOptions{AllowedHosts: []string{"steward.example.com"}}, target: "/.well-known/acme-challenge/abc", host: "steward.example.com",
			wantCode: 308, wantLoc: "https://steward.example.com/.well-known/acme-challenge/abc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			r := httptest.NewRequest(method, tc.target, nil)
			r.Host = tc.host
			w := httptest.NewRecorder()
			RedirectHandler(tc.opts).ServeHTTP(w, r)
			if w.Code != tc.wantCode || w.Header().Get("Location") != tc.wantLoc || !strings.Contains(w.Body.String(), tc.wantBody) {
				t.Fatalf("%d Location %q body %q; want %d %q %q", w.Code, w.Header().Get("Location"), w.Body.String(), tc.wantCode, tc.wantLoc, tc.wantBody)
			}
			if w.Header().Get("Strict-Transport-Security") != "" {
				t.Fatal("HSTS sent over plain HTTP")
			}
		})
	}
}
