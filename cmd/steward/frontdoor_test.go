package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/edge"
)

const testFDID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

func TestEdgeSettings(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSignedPair(t, dir)
	prod := map[string]string{"STEWARD_DATABASE_URL": "sqlite:/tmp/x.db", "STEWARD_LISTEN": "127.0.0.1:8443",
		"STEWARD_TLS_CERT_FILE": certFile, "STEWARD_TLS_KEY_FILE": keyFile, "STEWARD_APP_ID": "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	dev := map[string]string{}
	tests := []struct {
		name string
		dev  bool
		env  map[string]string
		want string // "" means accepted
	}{
		{"production with every edge setting", false, with(prod, "STEWARD_FRONT_DOOR_ID", testFDID, "STEWARD_TRUSTED_PROXIES", "10.0.0.0/8, 2001:db8::/32,192.0.2.7",
			"STEWARD_ALLOWED_HOSTS", "steward.example.com,Teams.Example.com.", "STEWARD_HTTP_REDIRECT_LISTEN", ":80"), ""},
		{"dev TLS in production", false, with(prod, "STEWARD_DEV_TLS", "true"), "dev_tls is dev-only"},
		{"dev TLS beside certificate files", true, with(dev, "STEWARD_DEV_TLS", "true", "STEWARD_TLS_CERT_FILE", certFile, "STEWARD_TLS_KEY_FILE", keyFile), "dev_tls and tls_cert_file both choose the certificate"},
		{"dev TLS off loopback", true, with(dev, "STEWARD_DEV_TLS", "true", "STEWARD_LISTEN", "0.0.0.0:8443"), "listen \"0.0.0.0:8443\" must be a loopback address"},
		{"dev TLS on loopback", true, with(dev, "STEWARD_DEV_TLS", "true"), ""},
		{"redirect listener in dev", true, with(dev, "STEWARD_HTTP_REDIRECT_LISTEN", "127.0.0.1:8081"), "http_redirect_listen is production-only"},
		{"redirect listener on the HTTPS address", false, with(prod, "STEWARD_HTTP_REDIRECT_LISTEN", "127.0.0.1:8443"), "must differ from listen"},
		{"redirect listener without a port", false, with(prod, "STEWARD_HTTP_REDIRECT_LISTEN", "80"), "http_redirect_listen (from STEWARD_HTTP_REDIRECT_LISTEN): expected host:port such as :80"},
		{"front door id not a GUID", false, with(prod, "STEWARD_FRONT_DOOR_ID", "my-front-door"), "front_door_id (from STEWARD_FRONT_DOOR_ID): expected a GUID"},
		{"trusted proxy not a CIDR", false, with(prod, "STEWARD_TRUSTED_PROXIES", "10.0.0.0/8,frontdoor"), `"frontdoor": expected a CIDR`},
		{"trusting everyone", false, with(prod, "STEWARD_TRUSTED_PROXIES", "0.0.0.0/0"), "trusts every address"},
		{"trusting every IPv6 address", false, with(prod, "STEWARD_TRUSTED_PROXIES", "::/0"), "trusts every address"},
		{"allowed host with a scheme", false, with(prod, "STEWARD_ALLOWED_HOSTS", "https://steward.example.com"), "without scheme or port"},
		{"allowed host with a port", false, with(prod, "STEWARD_ALLOWED_HOSTS", "steward.example.com:443"), "without scheme or port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.dev, tt.env)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}

	c, err := load(t, false, with(prod, "STEWARD_TRUSTED_PROXIES", "10.1.2.3/8, 192.0.2.7,::ffff:198.51.100.1", "STEWARD_ALLOWED_HOSTS", "Steward.Example.com."))
	if err != nil {
		t.Fatal(err)
	}
	wantProxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("198.51.100.1/32")}
	if !reflect.DeepEqual(c.TrustedProxies, wantProxies) || !reflect.DeepEqual(c.allowedHosts(), []string{"steward.example.com"}) {
		t.Fatalf("proxies %v hosts %v", c.TrustedProxies, c.allowedHosts())
	}
	for _, tc := range []struct {
		name string
		c    Config
		want []string
	}{
		{"production from public_url", Config{PublicURL: "https://Steward.Example.com:8443"}, []string{"steward.example.com"}},
		{"dev adds loopback", Config{DevMode: true, PublicURL: "https://steward.example.com"}, []string{"steward.example.com", "localhost", "127.0.0.1", "::1"}},
		{"nothing configured", Config{}, nil},
		{"explicit list wins", Config{DevMode: true, PublicURL: "https://a.example.com", AllowedHosts: []string{"b.example.com"}}, []string{"b.example.com"}},
	} {
		if got := tc.c.allowedHosts(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: allowed hosts %v, want %v", tc.name, got, tc.want)
		}
	}
}

func errorCode(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var body struct {
		Error struct{ Code string }
	}
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &body)
	return body.Error.Code
}

// TestServeFrontDoor runs `steward serve` with certificate files, a Front
// Door ID, a Host allowlist and the plain-HTTP redirect listener, and talks
// to it over real connections.
func TestServeFrontDoor(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSignedPair(t, dir)
	redirectAddr := "127.0.0.1:" + freePort(t)
	env := map[string]string{
		"STEWARD_LISTEN":               "127.0.0.1:0",
		"STEWARD_TLS_CERT_FILE":        certFile,
		"STEWARD_TLS_KEY_FILE":         keyFile,
		"STEWARD_DATABASE_URL":         "sqlite:" + filepath.Join(dir, "s.db"),
		"STEWARD_KEYRING_FILE":         filepath.Join(dir, "keys", "keyring.json"),
		"STEWARD_BLOB_DIR":             filepath.Join(dir, "blobs"),
		"STEWARD_APP_ID":               "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21",
		"STEWARD_FRONT_DOOR_ID":        testFDID,
		"STEWARD_ALLOWED_HOSTS":        "steward.example.com,127.0.0.1",
		"STEWARD_HTTP_REDIRECT_LISTEN": redirectAddr,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, cmd := range [][]string{{"steward", "migrate", "up"}, {"steward", "keys", "init"}} {
		var out, errOut strings.Builder
		if err := run(ctx, cmd, envFrom(env), &out, &errOut); err != nil {
			t.Fatalf("%v: %v\n%s", cmd, err, errOut.String())
		}
	}
	base, stop := startRun(t, env, "serve")
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(url, host string, fdid bool) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		if fdid {
			req.Header.Set(edge.FrontDoorHeader, testFDID)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		return resp
	}

	tests := []struct {
		name     string
		path     string
		host     string
		fdid     bool
		wantCode int
		wantErr  string
	}{
		{"loopback probe without the Front Door ID", "/healthz", "", false, 200, ""},
		{"API through Front Door", "/api/v1/openapi.json", "", true, 200, ""},
		{"API around Front Door", "/api/v1/openapi.json", "", false, 403, edge.CodeFrontDoorIDMismatch},
		{"another host", "/api/v1/openapi.json", "evil.example.net", true, 421, edge.CodeHostNotAllowed},
		{"the public host", "/api/v1/openapi.json", "steward.example.com", true, 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := get(base+tc.path, tc.host, tc.fdid)
			if resp.StatusCode != tc.wantCode || resp.ProtoMajor != 2 || resp.TLS.Version != tls.VersionTLS13 {
				t.Fatalf("%d over %s and %s, want %d over HTTP/2 and TLS 1.3", resp.StatusCode, resp.Proto, tls.VersionName(resp.TLS.Version), tc.wantCode)
			}
			if got := resp.Header.Get("Strict-Transport-Security"); got != edge.HSTSHeader {
				t.Errorf("Strict-Transport-Security %q, want %q", got, edge.HSTSHeader)
			}
			if code := errorCode(t, resp); code != tc.wantErr {
				t.Fatalf("error code %q, want %q", code, tc.wantErr)
			}
		})
	}
	t.Run("TLS 1.1 refused", func(t *testing.T) {
		old := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
		if resp, err := old.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			t.Fatal("a TLS 1.1 client was served")
		}
	})

	httpsPort := base[strings.LastIndex(base, ":")+1:]
	noFollow := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Run("port 80 redirects", func(t *testing.T) {
		resp, err := noFollow.Post("http://"+redirectAddr+"/api/messages?x=1", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := "https://127.0.0.1:" + httpsPort + "/api/messages?x=1"; resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
			t.Fatalf("%d Location %q, want 308 %q", resp.StatusCode, resp.Header.Get("Location"), want)
		}
		if resp.Header.Get("Strict-Transport-Security") != "" {
			t.Fatal("HSTS over plain HTTP")
		}
	})
	t.Run("port 80 refuses other hosts", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+redirectAddr+"/", nil)
		req.Host = "evil.example.net"
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusMisdirectedRequest || errorCode(t, resp) != edge.CodeHostNotAllowed {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if conn, err := net.DialTimeout("tcp", redirectAddr, time.Second); err == nil {
		conn.Close()
		t.Fatal("the redirect listener outlived the server")
	}
}

// TestDevTLS runs `steward dev` with dev_tls: a local CA is made once in
// the data directory, a client trusting it gets TLS 1.3, and a second run
// reuses it.
func TestDevTLS(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"STEWARD_LISTEN": "127.0.0.1:0", "STEWARD_DATA_DIR": dataDir, "STEWARD_DEV_TLS": "true"}
	caFile := filepath.Join(dataDir, "tls", "dev-ca.pem")
	var firstCA []byte
	for i := range 2 {
		base, stop := startRun(t, env, "dev")
		if !strings.HasPrefix(base, "https://127.0.0.1:") {
			t.Fatalf("dev announced %s", base)
		}
		if out := stdoutOf(t, base); !strings.Contains(out, "TLS CA:    "+caFile) {
			t.Fatalf("the banner does not say where the CA is:\n%s", out)
		}
		ca, err := os.ReadFile(caFile)
		if err != nil {
			t.Fatalf("no CA at %s: %v", caFile, err)
		}
		if i == 0 {
			firstCA = ca
		} else if string(ca) != string(firstCA) {
			t.Fatal("the second run made a new CA")
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(ca)
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{RootCAs: pool}}}
		resp, err := client.Get(base + "/healthz")
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.TLS.Version != tls.VersionTLS13 {
			t.Fatalf("run %d: %d over %s", i, resp.StatusCode, tls.VersionName(resp.TLS.Version))
		}
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}
}
