package edge

import (
	"crypto/tls"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// ACMEOptions configures NewACME.
type ACMEOptions struct {
	// Hosts are the DNS names certificates are obtained for; a TLS
	// handshake for any other name is refused without asking the CA.
	Hosts []string
	// DirectoryURL is the certificate authority's ACME directory.
	DirectoryURL string
	// Email is the account's contact address; "" registers none.
	Email string
	// HTTPClient makes every call to the CA. Steward passes the egress
	// guard's client, which admits the directory's host only.
	HTTPClient *http.Client
	// Cache keeps the account key, the certificates and the challenge
	// answers; it must survive restarts and be shared by every replica
	// (store.ACMECache), or the CA's rate limits are soon reached.
	Cache autocert.Cache
	// HTTP01 offers the CA the http-01 challenge besides tls-alpn-01: set it
	// when a port-80 listener serves ChallengeHandler.
	HTTP01 bool
	// UserAgent names Steward to the CA.
	UserAgent string
}

// ACME obtains the HTTPS certificates of its hosts from an ACME certificate
// authority (Let's Encrypt) on first use and renews them before they expire
// (autocert renews 30 days ahead). It is a CertSource for ServerTLSConfig.
type ACME struct {
	m         *autocert.Manager
	first     string // the certificate served to clients that send no SNI
	challenge http.Handler
}

var _ CertSource = (*ACME)(nil)

// ErrACMEOptions reports an ACMEOptions missing what NewACME needs.
var ErrACMEOptions = errors.New("edge: ACME needs hosts, an https directory URL, an HTTP client and a cache")

// NewACME builds the certificate source. It contacts nobody: the account is
// registered and certificates ordered on the first handshake that needs
// them. Errors: ErrACMEOptions.
func NewACME(opts ACMEOptions) (*ACME, error) {
	if len(opts.Hosts) == 0 || !strings.HasPrefix(opts.DirectoryURL, "https://") || opts.HTTPClient == nil || opts.Cache == nil {
		return nil, ErrACMEOptions
	}
	m := &autocert.Manager{
		// Accepting the CA's terms is what running with acme_hosts means;
		// the operator chose the CA with acme_directory_url.
		Prompt:     autocert.AcceptTOS,
		HostPolicy: autocert.HostWhitelist(opts.Hosts...),
		Cache:      opts.Cache,
		Email:      opts.Email,
		Client: &acme.Client{
			DirectoryURL: opts.DirectoryURL,
			HTTPClient:   opts.HTTPClient,
			UserAgent:    opts.UserAgent,
		},
		RenewBefore: 30 * 24 * time.Hour,
	}
	a := &ACME{m: m, first: strings.ToLower(opts.Hosts[0])}
	// The manager's answers read tokens from its memory, then from the
	// shared cache, where autocert also leaves them: any replica answers
	// a challenge another one started. Asking for the handler is also what
	// turns http-01 on for the manager.
	fallback := http.NotFoundHandler()
	if opts.HTTP01 {
		a.challenge = stripPort(m.HTTPHandler(fallback))
	} else {
		a.challenge = fallback
	}
	return a, nil
}

// GetCertificate answers a handshake: a tls-alpn-01 challenge from the CA,
// or the certificate of the requested host, obtained first if need be. A
// client that sends no server name (a load balancer's probe by IP) gets
// the first host's certificate rather than a failed handshake.
func (a *ACME) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if hello.ServerName == "" {
		h := *hello
		h.ServerName = a.first
		hello = &h
	}
	return a.m.GetCertificate(hello)
}

// ChallengeHandler answers the CA's http-01 requests under
// /.well-known/acme-challenge/ (RedirectOptions.ACMEChallenge); without
// ACMEOptions.HTTP01 it finds nothing there.
func (a *ACME) ChallengeHandler() http.Handler { return a.challenge }

// ACMEServerTLSConfig is ServerTLSConfig with the certificates of a, and
// acme-tls/1 offered through ALPN after h2 and http/1.1 so the CA's
// tls-alpn-01 check on port 443 reaches GetCertificate.
func ACMEServerTLSConfig(a *ACME) *tls.Config {
	c := ServerTLSConfig(a)
	c.NextProtos = append(slices.Clone(c.NextProtos), acme.ALPNProto)
	return c
}

// stripPort hands h the request with Host reduced to the lower-case name:
// autocert checks Host against its host list as is, and a CA reaching a
// port other than 80 (a test CA, a port mapping) sends "name:port".
func stripPort(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.Clone(r.Context())
		r.Host = normalizeHost(hostOnly(r.Host))
		h.ServeHTTP(w, r)
	})
}
