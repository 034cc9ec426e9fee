package main

import (
	"strings"
	"testing"
)

// TestACMESettings checks the rules of acme_hosts, acme_directory_url and
// acme_email, and that the plain-HTTP redirect listener is accepted with
// ACME instead of certificate files.
func TestACMESettings(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSignedPair(t, dir)
	acme := map[string]string{"STEWARD_DATABASE_URL": "sqlite:/tmp/x.db", "STEWARD_LISTEN": ":443",
		"STEWARD_APP_ID": "6e6b5a1c-1d3f-4a55-9d7e-0c2b8f1e4a21", "STEWARD_PUBLIC_URL": "https://steward.example.com",
		"STEWARD_ACME_HOSTS": "steward.example.com"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range acme {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		dev  bool
		env  map[string]string
		want string // "" means accepted
	}{
		{"ACME alone serves HTTPS off loopback", false, with(), ""},
		{"ACME with the port-80 listener", false, with("STEWARD_HTTP_REDIRECT_LISTEN", ":80", "STEWARD_ACME_EMAIL", "ops@example.com"), ""},
		{"several hosts named by allowed_hosts", false, with("STEWARD_ACME_HOSTS", "Steward.Example.com., teams.example.com",
			"STEWARD_ALLOWED_HOSTS", "steward.example.com,teams.example.com"), ""},
		{"staging directory", false, with("STEWARD_ACME_DIRECTORY_URL", "https://acme-staging-v02.api.letsencrypt.org/directory"), ""},
		{"ACME in dev", true, map[string]string{"STEWARD_ACME_HOSTS": "steward.example.com"}, "acme_hosts is production-only"},
		{"ACME beside certificate files", false, with("STEWARD_TLS_CERT_FILE", certFile, "STEWARD_TLS_KEY_FILE", keyFile), "acme_hosts and tls_cert_file both choose the certificate"},
		{"IP address", false, with("STEWARD_ACME_HOSTS", "203.0.113.7", "STEWARD_ALLOWED_HOSTS", "203.0.113.7"), `acme_hosts "203.0.113.7" is an IP address`},
		{"IPv6 address", false, with("STEWARD_ACME_HOSTS", "2001:db8::1"), `acme_hosts "2001:db8::1" is an IP address`},
		{"wildcard", false, with("STEWARD_ACME_HOSTS", "*.example.com"), `acme_hosts "*.example.com" is a wildcard`},
		{"single label", false, with("STEWARD_ACME_HOSTS", "steward", "STEWARD_ALLOWED_HOSTS", "steward"), `acme_hosts "steward": expected a fully qualified DNS name`},
		{"with a scheme", false, with("STEWARD_ACME_HOSTS", "https://steward.example.com"), "expected a fully qualified DNS name"},
		{"host not allowed", false, with("STEWARD_ACME_HOSTS", "other.example.com"), `acme_hosts "other.example.com" is not an allowed host (steward.example.com)`},
		{"no public_url nor allowed_hosts", false, with("STEWARD_PUBLIC_URL", ""), "set public_url (https://steward.example.com) or allowed_hosts"},
		{"http directory", false, with("STEWARD_ACME_DIRECTORY_URL", "http://acme.example.com/directory"), "the ACME directory must be an https URL"},
		{"directory not a URL", false, with("STEWARD_ACME_DIRECTORY_URL", "acme.example.com"), "acme_directory_url (from STEWARD_ACME_DIRECTORY_URL): expected the https URL of an ACME directory"},
		{"email with mailto", false, with("STEWARD_ACME_EMAIL", "mailto:ops@example.com"), "acme_email (from STEWARD_ACME_EMAIL): expected a bare e-mail address"},
		{"email with a name", false, with("STEWARD_ACME_EMAIL", "Ops <ops@example.com>"), "expected a bare e-mail address"},
		{"redirect listener still needs a certificate", false, with("STEWARD_ACME_HOSTS", "", "STEWARD_LISTEN", "127.0.0.1:8443", "STEWARD_HTTP_REDIRECT_LISTEN", ":80"),
			"http_redirect_listen redirects to HTTPS: set tls_cert_file"},
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

	c, err := load(t, false, with("STEWARD_ACME_HOSTS", "Steward.Example.com."))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ACMEHosts) != 1 || c.ACMEHosts[0] != "steward.example.com" || c.ACMEDirectoryURL != letsEncryptDirectory || c.ACMEEmail != "" {
		t.Fatalf("hosts %v directory %q email %q", c.ACMEHosts, c.ACMEDirectoryURL, c.ACMEEmail)
	}
}
