package main

import (
	"strings"
	"testing"
)

// TestCertificateSource: the trust center names where the HTTPS
// certificate comes from; dev_tls wins over tls_cert_file, which dev_tls
// itself points at the dev CA's certificate.
func TestCertificateSource(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"acme", Config{ACMEHosts: []string{"steward.example.com"}, ACMEDirectoryURL: "https://acme.example/dir", HTTPRedirectListen: ":80"},
			"ACME from https://acme.example/dir for steward.example.com (tls-alpn-01 on the HTTPS listener, or http-01"},
		{"files", Config{TLSCertFile: "/etc/steward/cert.pem"}, "the operator's certificate files"},
		{"dev TLS, files pointed at the dev CA", Config{DevTLS: true, TLSCertFile: "/data/tls/localhost.pem"}, "a local development CA"},
		{"plain HTTP", Config{}, "none: plain HTTP"},
	}
	for _, tc := range cases {
		if got := certificateSource(tc.cfg); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want it to say %q", tc.name, got, tc.want)
		}
	}
}
