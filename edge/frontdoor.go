package edge

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// FrontDoorHeader is the header Azure Front Door adds to every request it
// forwards, holding the profile's Front Door ID.
const FrontDoorHeader = "X-Azure-FDID"

// FrontDoorOptions says which requests the single entry point admits.
type FrontDoorOptions struct {
	// FDID, when set, is the Front Door ID every request must carry in
	// X-Azure-FDID: traffic that did not come through that Front Door
	// profile (including another customer's profile) is refused.
	FDID string
	// TrustedProxies are the peers whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// AllowedHosts are the host names (without port, any case) requests may
	// be addressed to; empty admits any Host.
	AllowedHosts []string
}

// Stable codes of the front door's refusals.
const (
	CodeFrontDoorIDMismatch = "front_door_id_mismatch"
	CodeHostNotAllowed      = "host_not_allowed"
)

type clientIPKey struct{}

// ClientIP is the client address FrontDoor established for the request:
// the peer's, or when the peer is a trusted proxy, the rightmost address of
// X-Forwarded-For that is not a trusted proxy. It is the invalid Addr for a
// request that did not pass through FrontDoor.
func ClientIP(ctx context.Context) netip.Addr {
	ip, _ := ctx.Value(clientIPKey{}).(netip.Addr)
	return ip
}

// WithClientIP returns ctx carrying ip as the client address (for tests of
// handlers that read ClientIP).
func WithClientIP(ctx context.Context, ip netip.Addr) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// FrontDoor admits only requests addressed to an allowed host and, when a
// Front Door ID is configured, carrying it; it records the client address
// for the handlers behind it (rate limits, audit).
//
// Liveness and readiness probes (GET/HEAD /healthz and /readyz) from a
// loopback peer skip the Front Door and Host checks: a probe run on the
// host itself (a container HEALTHCHECK, a sidecar, an operator's curl)
// does not come through Front Door. Probes from anywhere else must carry
// the Front Door ID like any request.
func FrontDoor(next http.Handler, opts FrontDoorOptions) http.Handler {
	hosts := map[string]bool{}
	for _, h := range opts.AllowedHosts {
		hosts[normalizeHost(h)] = true
	}
	fdid := []byte(strings.ToLower(opts.FDID))
	proxies := append([]netip.Prefix(nil), opts.TrustedProxies...)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer := peerAddr(r.RemoteAddr)
		probe := peer.IsValid() && peer.IsLoopback() && isProbe(r)
		if !probe {
			if len(hosts) > 0 && !hosts[normalizeHost(hostOnly(r.Host))] {
				writeRefusal(w, http.StatusMisdirectedRequest, CodeHostNotAllowed,
					"This server does not answer for that host name. Use Steward's public address.")
				return
			}
			if len(fdid) > 0 && subtle.ConstantTimeCompare([]byte(strings.ToLower(strings.TrimSpace(r.Header.Get(FrontDoorHeader)))), fdid) != 1 {
				writeRefusal(w, http.StatusForbidden, CodeFrontDoorIDMismatch,
					"Requests must come through Steward's Azure Front Door endpoint.")
				return
			}
		}
		ip := clientAddr(peer, r.Header.Values("X-Forwarded-For"), proxies)
		next.ServeHTTP(w, r.WithContext(WithClientIP(r.Context(), ip)))
	})
}

// clientAddr walks X-Forwarded-For from the right while the hop it came
// from is trusted: each proxy appends the address it saw, so the rightmost
// address not belonging to a trusted proxy is the one no client can forge.
// An untrusted peer's header is ignored entirely.
func clientAddr(peer netip.Addr, xff []string, trusted []netip.Prefix) netip.Addr {
	if !peer.IsValid() || !inAny(peer, trusted) {
		return peer
	}
	var hops []string
	for _, v := range xff {
		hops = append(hops, strings.Split(v, ",")...)
	}
	ip := peer
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.Trim(strings.TrimSpace(hops[i]), "[]"))
		if err != nil {
			// A garbled hop was written by someone untrusted: stop at the
			// last address a trusted proxy vouched for.
			return ip
		}
		ip = hop.Unmap()
		if !inAny(ip, trusted) {
			return ip
		}
	}
	return ip
}

func inAny(ip netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func peerAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	ip, _ := netip.ParseAddr(remote)
	return ip.Unmap()
}

func isProbe(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && (r.URL.Path == "/healthz" || r.URL.Path == "/readyz")
}

// hostOnly drops the port from a Host header ("[::1]:8443" → "::1").
func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return strings.Trim(h, "[]")
}

func normalizeHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

// writeRefusal answers with the JSON error shape the rest of Steward uses.
func writeRefusal(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	body := map[string]map[string]string{"error": {"code": code, "message": message}}
	_ = json.NewEncoder(w).Encode(body)
}

// ClientIPOf is the client address of r: the one FrontDoor established,
// or the connection's peer for a request that did not pass through it. It
// fits where a func(*http.Request) netip.Addr is wanted (rate limits).
func ClientIPOf(r *http.Request) netip.Addr {
	if ip := ClientIP(r.Context()); ip.IsValid() {
		return ip
	}
	return peerAddr(r.RemoteAddr)
}
