// Package edge is Steward's boundary with the network. This file holds its
// egress control: every outgoing request goes to a declared destination
// (allowlist.go), and the dialer refuses addresses inside the deployment's
// network whatever name led to them.
package edge

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
)

// Resolver looks up the addresses of a host. *net.Resolver implements it;
// tests inject a stub.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ Resolver = (*net.Resolver)(nil)

// Timeouts of the guarded transport: an endpoint that cannot accept a
// connection, finish a handshake or start answering in this time is treated
// as down, and the delivery retried later.
const (
	DialTimeout           = 5 * time.Second
	TLSHandshakeTimeout   = 5 * time.Second
	ResponseHeaderTimeout = 10 * time.Second
)

// Guard decides which destinations and addresses outgoing connections may
// reach. The zero value refuses every non-public address, admits any host
// name and resolves with the system resolver; Steward's process sets Allow.
type Guard struct {
	// Allow, when set, admits only declared destinations: a request to any
	// other host or port is refused before its name is even resolved.
	Allow *Allowlist
	// AllowLoopback lets connections reach 127.0.0.0/8 and ::1. It is for
	// the dev simulator and tests only; never set it in production.
	AllowLoopback bool
	// Resolver resolves host names; nil means net.DefaultResolver.
	Resolver Resolver
}

// refused lists the ranges that are not the public internet, beyond what
// netip.Addr's predicates cover.
var refused = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, incl. broadcast
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: embeds any IPv4, private ones too
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2002::/16"),       // 6to4: embeds any IPv4
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
}

// CheckIP returns a KindInvalid error unless ip is a public unicast address
// (or loopback with AllowLoopback). IPv4-mapped IPv6 addresses are judged as
// the IPv4 address they carry, so ::ffff:10.0.0.1 is as private as 10.0.0.1.
func (g Guard) CheckIP(ip netip.Addr) error {
	if !ip.IsValid() {
		return refuse(ip, "not an address")
	}
	ip = ip.Unmap().WithZone("")
	switch {
	case ip.IsLoopback():
		if g.AllowLoopback {
			return nil
		}
		return refuse(ip, "loopback")
	case ip.IsUnspecified():
		return refuse(ip, "unspecified")
	case ip.IsPrivate():
		return refuse(ip, "private")
	case ip.IsLinkLocalUnicast():
		// 169.254.169.254 is the cloud metadata service: the classic SSRF target.
		return refuse(ip, "link-local")
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return refuse(ip, "multicast")
	case !ip.IsGlobalUnicast():
		return refuse(ip, "not global unicast")
	}
	for _, p := range refused {
		if p.Contains(ip) {
			return refuse(ip, "reserved")
		}
	}
	return nil
}

func refuse(ip netip.Addr, why string) error {
	return governance.Errorf(governance.KindInvalid, "egress_refused",
		"the address %s is %s; Steward only connects to public internet addresses", ip, why)
}

// ErrNoAddress is returned when a host resolves to no address at all.
var ErrNoAddress = errors.New("edge: the host has no address")

// Resolve returns the addresses of host, all of them checked: if any one is
// refused, the host is refused. Checking only the first would let a name
// that resolves to a public and a private address pass the check and then be
// dialled on the private one.
func (g Guard) Resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := g.CheckIP(ip); err != nil {
			return nil, err
		}
		return []netip.Addr{ip}, nil
	}
	r := g.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("edge: resolve %s: %w", host, err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("edge: resolve %s: %w", host, ErrNoAddress)
	}
	for _, ip := range ips {
		if err := g.CheckIP(ip); err != nil {
			return nil, fmt.Errorf("edge: %s resolves to a refused address: %w", host, err)
		}
	}
	return ips, nil
}

// DialContext resolves addr's host itself, checks every address and dials
// the checked IP, never the name: a DNS answer that changes between check
// and connect (rebinding) cannot slip a private address in. The addresses
// are tried in order until one connects.
func (g Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("edge: dial %s: network %q is not allowed", addr, network)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("edge: dial %s: %w", addr, err)
	}
	// One spelling of the name for the allowlist and the resolver:
	// HOOKS.example.com. and hooks.example.com are the same host.
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if g.Allow != nil {
		// The round tripper checked the URL already; this catches any other
		// path to the dialer (a client built on Transport alone).
		n, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("edge: dial %s: port %q: %w", addr, port, err)
		}
		if err := g.Allow.Allows(ctx, "", host, n); err != nil {
			return nil, err
		}
	}
	ips, err := g.Resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	d := net.Dialer{Timeout: DialTimeout}
	var errs []error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("edge: dial %s: %w", addr, errors.Join(errs...))
}

// Transport returns an HTTP transport that connects only through
// DialContext. It ignores HTTP(S)_PROXY from the environment (a proxy would
// make the address check meaningless) and bounds dialing, the TLS handshake
// and the wait for response headers.
func (g Guard) Transport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext,
		TLSHandshakeTimeout:   TLSHandshakeTimeout,
		ResponseHeaderTimeout: ResponseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
}

// Client returns an HTTP client on Transport that never follows redirects:
// the endpoint was checked, the redirect target was not, and a 30x to an
// internal address or an undeclared host must not be followed. The caller
// sees the 30x response. With Allow set, each request's URL is checked
// against it before anything else happens.
func (g Guard) Client(timeout time.Duration) *http.Client {
	var rt http.RoundTripper = g.Transport()
	if g.Allow != nil {
		rt = allowRoundTripper{allow: g.Allow, next: rt}
	}
	return &http.Client{
		Transport: rt,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// allowRoundTripper refuses a request to an undeclared destination before
// the transport looks up or dials anything.
type allowRoundTripper struct {
	allow *Allowlist
	next  http.RoundTripper
}

func (t allowRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := t.allow.AllowsURL(r.Context(), r.URL); err != nil {
		if r.Body != nil {
			_ = r.Body.Close() // a RoundTripper always closes the body
		}
		return nil, err
	}
	return t.next.RoundTrip(r)
}
