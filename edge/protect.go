package edge

import (
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"
)

// ProtectOptions configures Protect. Every protection is optional: a nil
// limiter or shedder switches that one off (the baseline the edge
// benchmark compares against).
type ProtectOptions struct {
	// ClientIP says which address a request comes from (default: the
	// connection's peer, RemoteAddr). Behind a proxy, pass the function
	// that trusts X-Forwarded-For from configured proxies only.
	ClientIP func(*http.Request) netip.Addr
	// IPLimiter limits ordinary requests per client IP.
	IPLimiter Limiter
	// CriticalIPLimiter limits critical requests per client IP, in buckets
	// of their own, so a client flooding ordinary routes keeps its health
	// checks and bot messages (nil: critical requests are not rate limited;
	// the Shedder still bounds them).
	CriticalIPLimiter Limiter
	// Shedder bounds the requests in flight.
	Shedder *Shedder
	// Critical classifies critical requests (default IsCritical).
	Critical func(*http.Request) bool
	// Limits bounds headers and bodies (zero fields: DefaultLimits').
	Limits Limits
	// Logger receives refusals at debug level (default: discarded).
	Logger *slog.Logger
}

// Protect wraps next with, in order: header limits (431), the per-IP rate
// limit (429), the in-flight limit (503) and the route's body limit (413).
// Refusals answer JSON {"error":{"code","message"}} with stable codes:
// headers_too_large, rate_limited, overloaded, body_too_large.
//
// Invalid Limits are a programming error and panic, as http.ServeMux does
// with a bad pattern; check limits built from input with Limits.Validate.
func Protect(next http.Handler, opts ProtectOptions) http.Handler {
	limits, err := opts.Limits.withDefaults()
	if err != nil {
		panic("edge.Protect: " + err.Error())
	}
	if opts.ClientIP == nil {
		opts.ClientIP = PeerIP
	}
	if opts.Critical == nil {
		opts.Critical = IsCritical
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &protector{next: next, opts: opts, limits: limits}
}

type protector struct {
	next   http.Handler
	opts   ProtectOptions
	limits Limits
}

func (p *protector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.limits.headersTooLarge(r) {
		p.refuse(w, r, http.StatusRequestHeaderFieldsTooLarge, "headers_too_large",
			"the request has too many header fields or one too long; send fewer or shorter headers", 0)
		return
	}
	ip := p.opts.ClientIP(r)
	critical := p.opts.Critical(r)
	limiter, class := p.opts.IPLimiter, "ip:"
	if critical {
		limiter, class = p.opts.CriticalIPLimiter, "critical:"
	}
	if limiter != nil {
		d, err := limiter.Allow(r.Context(), class+ip.String())
		// A limiter that cannot decide lets the request through: the
		// in-flight limit still bounds the load.
		if err == nil && !d.Allowed {
			p.refuse(w, r, http.StatusTooManyRequests, "rate_limited",
				"too many requests from your address; wait and retry", d.RetryAfter)
			return
		}
		if err != nil {
			p.opts.Logger.WarnContext(r.Context(), "rate limiter failed", "err", err)
		}
	}
	if p.opts.Shedder != nil {
		release, ok := p.opts.Shedder.Acquire(r.Context(), critical, ip)
		if !ok {
			p.refuse(w, r, http.StatusServiceUnavailable, "overloaded",
				"the service is busy; retry shortly", p.opts.Shedder.retryAfter)
			return
		}
		defer release()
	}
	limit := p.limits.bodyLimit(r)
	if r.ContentLength > limit {
		// Said up front: refuse before reading a byte, and close the
		// connection rather than drain what is coming.
		w.Header().Set("Connection", "close")
		p.refuse(w, r, http.StatusRequestEntityTooLarge, "body_too_large",
			"the request body is larger than "+sizeName(limit)+"; send a smaller one", 0)
		return
	}
	if r.Body != nil && r.Body != http.NoBody {
		// Handlers see *http.MaxBytesError past the limit and answer 413
		// with their own message.
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	p.next.ServeHTTP(w, r)
}

func (p *protector) refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string, retry time.Duration) {
	p.opts.Logger.DebugContext(r.Context(), "request refused at the edge", "code", code, "method", r.Method, "path", r.URL.Path)
	h := w.Header()
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		h.Set("Retry-After", strconv.Itoa(retryAfterSeconds(retry)))
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Message = code, msg
	_ = json.NewEncoder(w).Encode(body)
}

// PeerIP is the address of the connection's peer, the client IP when no
// proxy stands in front. IPv4-mapped IPv6 addresses are unmapped, so one
// client has one key.
func PeerIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	return ip.Unmap().WithZone("")
}

func sizeName(n int64) string {
	if n%MiB == 0 {
		return strconv.FormatInt(n/MiB, 10) + " MiB"
	}
	return strconv.FormatInt((n+1<<10-1)>>10, 10) + " KiB"
}
