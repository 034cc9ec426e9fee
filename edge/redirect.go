package edge

import (
	"net"
	"net/http"
	"strings"
)

// RedirectOptions configures the plain-HTTP (port 80) listener.
type RedirectOptions struct {
	// AllowedHosts are the host names redirected; a request for any other
	// host is refused rather than bounced to an address it chose. Empty
	// admits any host.
	AllowedHosts []string
	// HTTPSPort is the port the HTTPS listener is reached on; "" or "443"
	// leaves it out of the redirect.
	HTTPSPort string
	// ACMEChallenge, when set, answers /.well-known/acme-challenge/ (the
	// HTTP-01 challenges a certificate authority sends over port 80).
	ACMEChallenge http.Handler
}

// RedirectHandler is all port 80 serves: a 308 (method and body preserved)
// to the same path and query over HTTPS, and ACME challenges when enabled.
func RedirectHandler(opts RedirectOptions) http.Handler {
	hosts := map[string]bool{}
	for _, h := range opts.AllowedHosts {
		hosts[normalizeHost(h)] = true
	}
	port := opts.HTTPSPort
	if port == "443" {
		port = ""
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if opts.ACMEChallenge != nil && strings.HasPrefix(r.URL.Path, "/.well-known/acme-challenge/") {
			opts.ACMEChallenge.ServeHTTP(w, r)
			return
		}
		host := normalizeHost(hostOnly(r.Host))
		if host == "" || (len(hosts) > 0 && !hosts[host]) {
			writeRefusal(w, http.StatusMisdirectedRequest, CodeHostNotAllowed,
				"This server does not answer for that host name. Use Steward's public address.")
			return
		}
		target := host
		if strings.Contains(host, ":") {
			target = "[" + host + "]"
		}
		if port != "" {
			target = net.JoinHostPort(host, port)
		}
		path := r.URL.EscapedPath()
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		u := "https://" + target + path
		if r.URL.RawQuery != "" {
			u += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, u, http.StatusPermanentRedirect)
	})
}
