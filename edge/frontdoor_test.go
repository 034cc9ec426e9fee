package edge

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

const testFDID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

func TestFrontDoorChecks(t *testing.T) {
	opts := FrontDoorOptions{
		FDID:           testFDID,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		AllowedHosts:   []string{"Steward.Example.com", "localhost"},
	}
	tests := []struct {
		name     string
		method   string
		path     string
		remote   string
		host     string
		fdid     string
		noFDID   bool
		wantCode int
		wantErr  string
	}{
		{name: "through Front Door", remote: "10.1.2.3:5000", host: "steward.example.com", wantCode: 200},
		{name: "host with port and another case", remote: "10.1.2.3:5000", host: "STEWARD.example.com:443", wantCode: 200},
		{name: "host with trailing dot", remote: "10.1.2.3:5000", host: "steward.example.com.", wantCode: 200},
		{name: "FDID in upper case", remote: "10.1.2.3:5000", host: "steward.example.com", fdid: "0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0", wantCode: 200},
		{name: "no FDID", remote: "10.1.2.3:5000", host: "steward.example.com", noFDID: true, wantCode: 403, wantErr: CodeFrontDoorIDMismatch},
		{name: "another profile's FDID", remote: "10.1.2.3:5000", host: "steward.example.com", fdid: "11111111-2222-3333-4444-555555555555", wantCode: 403, wantErr: CodeFrontDoorIDMismatch},
		{name: "FDID from a direct client", remote: "203.0.113.9:5000", host: "steward.example.com", noFDID: true, wantCode: 403, wantErr: CodeFrontDoorIDMismatch},
		{name: "unknown host", remote: "10.1.2.3:5000", host: "evil.example.net", wantCode: 421, wantErr: CodeHostNotAllowed},
		{name: "suffix of an allowed host", remote: "10.1.2.3:5000", host: "xsteward.example.com", wantCode: 421, wantErr: CodeHostNotAllowed},
		{name: "IP literal host", remote: "10.1.2.3:5000", host: "10.9.9.9", wantCode: 421, wantErr: CodeHostNotAllowed},
		{name: "empty host", remote: "10.1.2.3:5000", host: "", wantCode: 421, wantErr: CodeHostNotAllowed},
		{name: "loopback probe of healthz", path: "/healthz", remote: "127.0.0.1:4000", host: "127.0.0.1:8443", noFDID: true, wantCode: 200},
		{name: "loopback probe of readyz over IPv6", method: http.MethodHead, path: "/readyz", remote: "[::1]:4000", host: "[::1]:8443", noFDID: true, wantCode: 200},
		{name: "remote probe needs the FDID", path: "/healthz", remote: "10.1.2.3:5000", host: "steward.example.com", noFDID: true, wantCode: 403, wantErr: CodeFrontDoorIDMismatch},
		{name: "loopback is not exempt beyond probes", path: "/api/v1/tenants", remote: "127.0.0.1:4000", host: "localhost", noFDID: true, wantCode: 403, wantErr: CodeFrontDoorIDMismatch},
		{name: "loopback POST to healthz is not a probe", method: http.MethodPost, path: "/healthz", remote: "127.0.0.1:4000", host: "localhost", noFDID: true, wantCode: 403, wantErr: CodeFrontDoorIDMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reached := false
			h := FrontDoor(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }), opts)
			method, path := tc.method, tc.path
			if method == "" {
				method = http.MethodGet
			}
			if path == "" {
				path = "/app"
			}
			r := httptest.NewRequest(method, path, nil)
			r.RemoteAddr, r.Host = tc.remote, tc.host
			switch {
			case tc.fdid != "":
				r.Header.Set(FrontDoorHeader, tc.fdid)
			case !tc.noFDID:
				r.Header.Set(FrontDoorHeader, testFDID)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.wantCode || reached != (tc.wantCode == 200) {
				t.Fatalf("status %d (handler reached %v), want %d", w.Code, reached, tc.wantCode)
			}
			if tc.wantErr != "" {
				var body struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != tc.wantErr || body.Error.Message == "" {
					t.Fatalf("body %q (%v), want code %s", w.Body.String(), err, tc.wantErr)
				}
				if w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
					t.Fatalf("content type %q", w.Header().Get("Content-Type"))
				}
			}
		})
	}
}

func TestFrontDoorWithoutSettingsAdmitsAll(t *testing.T) {
	h := FrontDoor(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), FrontDoorOptions{})
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Host = "anything.example"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
}

func TestFrontDoorClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}
	tests := []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"no header", "203.0.113.5:1234", nil, "203.0.113.5"},
		{"spoofed header from an untrusted peer is ignored", "203.0.113.5:1234", []string{"198.51.100.77"}, "203.0.113.5"},
		{"spoofed loopback from an untrusted peer is ignored", "203.0.113.5:1234", []string{"127.0.0.1"}, "203.0.113.5"},
		{"trusted proxy's client", "10.0.0.4:1234", []string{"198.51.100.77"}, "198.51.100.77"},
		{"client-forged hop left of the real one", "10.0.0.4:1234", []string{"1.2.3.4, 198.51.100.77"}, "198.51.100.77"},
		{"chain of trusted proxies", "10.0.0.4:1234", []string{"198.51.100.77, 10.20.0.1, 10.30.0.2"}, "198.51.100.77"},
		{"several header lines", "10.0.0.4:1234", []string{"1.2.3.4", "198.51.100.77, 10.20.0.1"}, "198.51.100.77"},
		{"all hops trusted", "10.0.0.4:1234", []string{"10.1.1.1, 10.2.2.2"}, "10.1.1.1"},
		{"garbage hop stops the walk", "10.0.0.4:1234", []string{"198.51.100.77, not-an-ip"}, "10.0.0.4"},
		{"empty header from a trusted proxy", "10.0.0.4:1234", []string{""}, "10.0.0.4"},
		{"IPv6 proxy and client", "[2001:db8::1]:443", []string{"2001:db8:ffff::9, 2a00:1450::5"}, "2a00:1450::5"},
		{"IPv4-mapped peer", "[::ffff:10.0.0.4]:1234", []string{"198.51.100.77"}, "198.51.100.77"},
		{"bracketed hop", "10.0.0.4:1234", []string{"[2a00:1450::5]"}, "2a00:1450::5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got netip.Addr
			h := FrontDoor(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = ClientIP(r.Context()) }),
				FrontDoorOptions{TrustedProxies: trusted})
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got.String() != tc.want {
				t.Fatalf("client IP %s, want %s", got, tc.want)
			}
		})
	}
	outside := httptest.NewRequest(http.MethodGet, "/", nil)
	outside.RemoteAddr = "203.0.113.5:1234"
	outside.Header.Set("X-Forwarded-For", "198.51.100.77")
	if ip := ClientIP(outside.Context()); ip.IsValid() {
		t.Fatalf("outside FrontDoor, ClientIP = %s", ip)
	}
	if ip := ClientIPOf(outside); ip.String() != "203.0.113.5" {
		t.Fatalf("outside FrontDoor, ClientIPOf = %s, want the peer", ip)
	}
}

func TestHSTSOnlyOverTLS(t *testing.T) {
	h := HSTS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	for _, tc := range []struct {
		name string
		tls  bool
		want string
	}{{"HTTPS", true, HSTSHeader}, {"plain HTTP", false, ""}} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/missing", nil)
			if tc.tls {
				r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if got := w.Header().Get("Strict-Transport-Security"); got != tc.want {
				t.Fatalf("Strict-Transport-Security %q, want %q", got, tc.want)
			}
		})
	}
	// hstspreload.org: max-age of at least a year, includeSubDomains, preload.
	if HSTSHeader != "max-age=63072000; includeSubDomains; preload" || HSTSMaxAge.Seconds() != 63072000 {
		t.Fatalf("HSTS %q / %v is not preload-eligible as published", HSTSHeader, HSTSMaxAge)
	}
}
