package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/stewardhq/steward/edge"
)

// frontDoor wraps the server's handler with the edge protections, outermost
// first: HSTS on every HTTPS answer in production, the front door's own
// refusals included; the single entry point (Front Door ID, Host allowlist,
// client IP from trusted proxies), so nothing else runs for a request that
// did not come the right way; then the rate limits and load shedding
// (protect.go), which read the client IP the front door established.
func (a *app) frontDoor(h http.Handler) http.Handler {
	h = edge.FrontDoor(a.protect(h), edge.FrontDoorOptions{
		FDID:           a.cfg.FrontDoorID,
		TrustedProxies: a.cfg.TrustedProxies,
		AllowedHosts:   a.cfg.allowedHosts(),
	})
	if a.tlsOn() && !a.cfg.DevMode {
		h = edge.HSTS(h)
	}
	return h
}

// tlsOn reports whether the main listener serves HTTPS.
func (a *app) tlsOn() bool {
	return a.cfg.TLSCertFile != "" || a.cfg.DevTLS || len(a.cfg.ACMEHosts) > 0
}

// serverTLS is the HTTPS listener's configuration: the edge policy with
// the certificates of acme_hosts from the ACME CA, or else the certificate
// files (reloaded when they change), made first from the local dev CA when
// dev_tls is on (naming the CRL on the listener at addr).
func (a *app) serverTLS(addr net.Addr) (*tls.Config, error) {
	if len(a.cfg.ACMEHosts) > 0 {
		certs, err := a.acme(nil)
		if err != nil {
			return nil, fmt.Errorf("HTTPS: %w", err)
		}
		return edge.ACMEServerTLSConfig(certs), nil
	}
	if a.cfg.DevTLS {
		if err := a.useDevTLS(addr); err != nil {
			return nil, err
		}
	}
	certs, err := edge.NewCertFiles(a.cfg.TLSCertFile, a.cfg.TLSKeyFile, edge.CertFilesOptions{Logger: a.log.With("component", "tls")})
	if err != nil {
		return nil, fmt.Errorf("HTTPS: %w", err)
	}
	return edge.ServerTLSConfig(certs), nil
}

// redirectListener is the plain-HTTP listener (http_redirect_listen).
type redirectListener struct {
	hs *http.Server
	ln net.Listener
}

func (r *redirectListener) serve() error {
	if err := r.hs.Serve(r.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// redirectServer listens on http_redirect_listen, when set, with the
// handler that only redirects to HTTPS: to public_url's port, or else the
// HTTPS listener's.
func (a *app) redirectServer(ctx context.Context, base string, https net.Addr) (*redirectListener, error) {
	if a.cfg.HTTPRedirectListen == "" {
		return nil, nil
	}
	port := ""
	if u, err := url.Parse(base); err == nil && a.cfg.PublicURL != "" {
		port = u.Port()
	} else if tcp, ok := https.(*net.TCPAddr); ok {
		port = fmt.Sprint(tcp.Port)
	}
	opts := edge.RedirectOptions{AllowedHosts: a.cfg.allowedHosts(), HTTPSPort: port}
	if len(a.cfg.ACMEHosts) > 0 {
		// The HTTPS listener's manager: it answers its own http-01
		// challenges from memory, and another replica's from the store
		// cache, where autocert leaves each answer.
		certs, err := a.acme(nil)
		if err != nil {
			return nil, fmt.Errorf("http_redirect_listen: %w", err)
		}
		opts.ACMEChallenge = certs.ChallengeHandler()
	}
	ln, err := net.Listen("tcp", a.cfg.HTTPRedirectListen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (http_redirect_listen): %w", a.cfg.HTTPRedirectListen, err)
	}
	hs := &http.Server{
		Handler:           edge.RedirectHandler(opts),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	a.log.Info("redirecting plain HTTP to HTTPS", "addr", ln.Addr().String())
	return &redirectListener{hs: hs, ln: ln}, nil
}

// acme is the ACME certificate source of acme_hosts: its calls to the CA
// leave through client, or when client is nil through the egress guard
// (which admits acme_directory_url's host, declared in egress.go); its
// cache is the store's acme_cache, sealed with the keyring's KEK.
// With client nil the source is made once and shared by the HTTPS and
// port-80 listeners.
func (a *app) acme(client *http.Client) (*edge.ACME, error) {
	if client != nil {
		return a.newACME(client)
	}
	if a.acmeCerts != nil {
		return a.acmeCerts, nil
	}
	allow, err := a.egressAllowlist()
	if err != nil {
		return nil, err
	}
	certs, err := a.newACME(edge.Guard{Allow: allow}.Client(30 * time.Second))
	if err != nil {
		return nil, err
	}
	a.acmeCerts = certs
	return certs, nil
}

// newACME makes an ACME certificate source whose calls leave through client.
func (a *app) newACME(client *http.Client) (*edge.ACME, error) {
	return edge.NewACME(edge.ACMEOptions{
		Hosts: a.cfg.ACMEHosts, DirectoryURL: a.cfg.ACMEDirectoryURL, Email: a.cfg.ACMEEmail,
		HTTPClient: client, Cache: a.db.ACMECache(edge.NewACMESealer(a.keyring)),
		HTTP01: a.cfg.HTTPRedirectListen != "", UserAgent: "steward/" + buildVersion(),
	})
}

// checkACME holds the rules of acme_hosts and the settings that go with it.
func (c Config) checkACME() []string {
	if len(c.ACMEHosts) == 0 {
		return nil
	}
	if c.DevMode {
		return []string{"acme_hosts is production-only: a certificate authority cannot reach a developer machine; use dev_tls in dev"}
	}
	var errs []string
	switch {
	case c.TLSCertFile != "":
		errs = append(errs, "acme_hosts and tls_cert_file both choose the certificate: keep one")
	case c.DevTLS:
		errs = append(errs, "acme_hosts and dev_tls both choose the certificate: keep one")
	}
	allowed := c.allowedHosts()
	for _, h := range c.ACMEHosts {
		switch {
		case net.ParseIP(strings.Trim(h, "[]")) != nil:
			errs = append(errs, fmt.Sprintf("acme_hosts %q is an IP address: certificates are obtained for DNS names only, such as steward.example.com", h))
		case strings.HasPrefix(h, "*."):
			errs = append(errs, fmt.Sprintf("acme_hosts %q is a wildcard: a wildcard certificate needs the dns-01 challenge, which Steward does not answer; list each host name", h))
		case !hostPattern.MatchString(h) || !strings.Contains(h, "."):
			errs = append(errs, fmt.Sprintf("acme_hosts %q: expected a fully qualified DNS name such as steward.example.com, without scheme or port", h))
		case len(allowed) == 0:
			errs = append(errs, fmt.Sprintf("acme_hosts %q: set public_url (https://%s) or allowed_hosts to name it, so that requests for it are accepted", h, h))
		case !slices.Contains(allowed, h):
			errs = append(errs, fmt.Sprintf("acme_hosts %q is not an allowed host (%s): requests for it would be refused, add it to allowed_hosts", h, strings.Join(allowed, ", ")))
		}
	}
	if u, err := url.Parse(c.ACMEDirectoryURL); c.ACMEDirectoryURL == "" || err != nil || u.Scheme != "https" {
		errs = append(errs, fmt.Sprintf("acme_directory_url %q: the ACME directory must be an https URL, such as %s", c.ACMEDirectoryURL, letsEncryptDirectory))
	}
	return errs
}

// checkEdge holds the rules of the HTTPS, redirect and front-door settings.
func (c Config) checkEdge(loopback bool) []string {
	var errs []string
	errs = append(errs, c.checkACME()...)
	if c.DevTLS {
		switch {
		case !c.DevMode:
			errs = append(errs, "dev_tls is dev-only: production serves the certificate in tls_cert_file and tls_key_file")
		case c.TLSCertFile != "":
			errs = append(errs, "dev_tls and tls_cert_file both choose the certificate: keep one")
		case !loopback:
			errs = append(errs, fmt.Sprintf("dev_tls: the dev certificate covers only localhost, 127.0.0.1 and ::1, so listen %q must be a loopback address", c.Listen))
		}
	}
	if c.HTTPRedirectListen != "" {
		switch {
		case c.DevMode:
			errs = append(errs, "http_redirect_listen is production-only: dev serves one loopback listener")
		case c.TLSCertFile == "" && len(c.ACMEHosts) == 0:
			errs = append(errs, "http_redirect_listen redirects to HTTPS: set tls_cert_file and tls_key_file too")
		case c.HTTPRedirectListen == c.Listen:
			errs = append(errs, "http_redirect_listen must differ from listen (the HTTPS address)")
		}
	}
	return errs
}

// allowedHosts is allowed_hosts or, when it is not set, the public URL's
// host and in dev the loopback names.
func (c Config) allowedHosts() []string {
	if len(c.AllowedHosts) > 0 {
		return c.AllowedHosts
	}
	var hosts []string
	if u, err := url.Parse(c.PublicURL); err == nil && u.Hostname() != "" {
		hosts = append(hosts, strings.ToLower(u.Hostname()))
	}
	if c.DevMode {
		hosts = append(hosts, "localhost", "127.0.0.1", "::1")
	}
	return hosts
}

// splitList reads a comma-separated setting, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// hostPattern is a DNS host name: dot-separated labels of letters, digits
// and inner hyphens.
var hostPattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)
