package edge

import (
	"crypto/tls"
	"time"
)

// Steward's TLS policy for its HTTPS listener, in one place: the server's
// tls.Config and the trust center both read it, so what is published is what
// is served. It follows Mozilla's "intermediate" profile: TLS 1.2 at least,
// TLS 1.3 whenever the client offers it (Go prefers it), and for TLS 1.2
// only ECDHE key exchange with AEAD ciphers (forward secrecy, no CBC, no
// RSA key exchange).

// TLSMinVersion is the lowest protocol version accepted.
const TLSMinVersion uint16 = tls.VersionTLS12

// TLSPreferredVersion is the version negotiated with every client that
// supports it.
const TLSPreferredVersion uint16 = tls.VersionTLS13

// HSTSMaxAge is the Strict-Transport-Security max-age Steward sends over
// HTTPS: two years, with includeSubDomains and preload, as hstspreload.org
// asks of a domain submitted to the browsers' preload lists.
const HSTSMaxAge = 2 * 365 * 24 * time.Hour

// HSTSHeader is the Strict-Transport-Security value sent on HTTPS answers.
const HSTSHeader = "max-age=63072000; includeSubDomains; preload"

// TLS12CipherSuites are the suites offered with TLS 1.2, strongest AEADs
// first. TLS 1.3's suites are not configurable in Go (all three are AEAD).
func TLS12CipherSuites() []uint16 {
	return []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
}

// TLS13CipherSuites are the suites Go's TLS 1.3 negotiates, for the trust
// center (Go does not let them be chosen).
func TLS13CipherSuites() []uint16 {
	return []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256}
}

// TLSCurves are the key-exchange groups, preferred first.
func TLSCurves() []tls.CurveID { return []tls.CurveID{tls.X25519, tls.CurveP256} }

// TLSPolicy describes the policy in words for the trust center.
type TLSPolicy struct {
	MinVersion       string   `json:"minVersion"`
	PreferredVersion string   `json:"preferredVersion"`
	CipherSuites12   []string `json:"cipherSuitesTLS12"`
	CipherSuites13   []string `json:"cipherSuitesTLS13"`
	Curves           []string `json:"curves"`
	HSTS             string   `json:"hsts"`
}

// DescribeTLS is the policy above, named as IANA and the Go standard
// library name them.
func DescribeTLS() TLSPolicy {
	p := TLSPolicy{
		MinVersion: tls.VersionName(TLSMinVersion), PreferredVersion: tls.VersionName(TLSPreferredVersion),
		HSTS: HSTSHeader,
	}
	for _, s := range TLS12CipherSuites() {
		p.CipherSuites12 = append(p.CipherSuites12, tls.CipherSuiteName(s))
	}
	for _, s := range TLS13CipherSuites() {
		p.CipherSuites13 = append(p.CipherSuites13, tls.CipherSuiteName(s))
	}
	for _, c := range TLSCurves() {
		p.Curves = append(p.Curves, c.String())
	}
	return p
}
