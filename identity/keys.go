package identity

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxDocumentSize bounds metadata and JWKS responses: Microsoft's are a
// few kilobytes, and a misbehaving endpoint must not exhaust memory.
const maxDocumentSize = 1 << 20

// metadata is the part of a tenant's OpenID Provider Metadata Steward uses.
type metadata struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// tenantKeys is the cached metadata and signing keys of one Entra tenant.
// Its mutex is held across fetches, so concurrent requests of one tenant
// wait for one fetch instead of each making their own.
type tenantKeys struct {
	mu          sync.Mutex
	meta        metadata
	keys        map[string]*rsa.PublicKey
	fetched     time.Time // when meta and keys were last fetched together
	retryAfter  time.Time // after a failed refresh, served stale until then
	lastRefetch time.Time // last JWKS fetch caused by an unknown kid
}

// keyCache holds tenantKeys by Entra tenant id. It only grows by tenants
// registered in Steward (ValidateToken checks before it asks), so it needs
// no eviction.
type keyCache struct {
	mu      sync.Mutex
	tenants map[string]*tenantKeys
}

func newKeyCache() *keyCache { return &keyCache{tenants: map[string]*tenantKeys{}} }

func (c *keyCache) entry(tid string) *tenantKeys {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.tenants[tid]
	if !ok {
		e = &tenantKeys{}
		c.tenants[tid] = e
	}
	return e
}

// tenantKeys returns tid's metadata, fetching it and its JWKS when there
// is none or it is older than the TTL. When a refresh fails but an older
// copy exists, the older copy is served (and the refresh retried after
// KeyRefetchInterval): an Entra outage then does not sign everyone out, and
// does not turn every request into a call to Entra either.
// Errors: KindUnavailable.
func (a *Authenticator) tenantKeys(ctx context.Context, tid string) (metadata, error) {
	e := a.keys.entry(tid)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := a.now()
	fresh := e.keys != nil && now.Sub(e.fetched) < a.ttl
	if fresh || (e.keys != nil && now.Before(e.retryAfter)) {
		return e.meta, nil
	}
	meta, keys, err := a.fetchTenant(ctx, tid)
	if err != nil {
		if e.keys != nil {
			e.retryAfter = now.Add(KeyRefetchInterval)
			return e.meta, nil
		}
		return metadata{}, unavailable(err)
	}
	e.meta, e.keys, e.fetched, e.retryAfter = meta, keys, now, time.Time{}
	return e.meta, nil
}

// key returns the public key kid names in tid's JWKS. A kid not in the
// cached set refetches the JWKS (keys roll over before the cache expires),
// but at most once per KeyRefetchInterval per tenant, whatever the tokens
// say. Errors: KindUnavailable (the refetch failed); a plain error for an
// unknown kid, which the caller reports as an invalid token.
func (a *Authenticator) key(ctx context.Context, tid, kid string) (*rsa.PublicKey, error) {
	e := a.keys.entry(tid)
	e.mu.Lock()
	defer e.mu.Unlock()
	if k, ok := e.keys[kid]; ok {
		return k, nil
	}
	now := a.now()
	if !e.lastRefetch.IsZero() && now.Sub(e.lastRefetch) < KeyRefetchInterval {
		return nil, fmt.Errorf("unknown kid %q (JWKS refetched %s ago, not again before %s)", kid, now.Sub(e.lastRefetch), KeyRefetchInterval)
	}
	// Recorded before fetching: a failing endpoint is not asked again
	// sooner either.
	e.lastRefetch = now
	if e.meta.JWKSURI == "" {
		return nil, errors.New("no metadata for the tenant")
	}
	keys, err := a.fetchJWKS(ctx, e.meta.JWKSURI)
	if err != nil {
		return nil, unavailable(err)
	}
	e.keys = keys
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown kid %q (not in the refetched JWKS)", kid)
}

// fetchTenant reads {LoginURL}/{tid}/v2.0/.well-known/openid-configuration
// and the JWKS it points to.
func (a *Authenticator) fetchTenant(ctx context.Context, tid string) (metadata, map[string]*rsa.PublicKey, error) {
	u := a.login.JoinPath(tid, "v2.0", ".well-known", "openid-configuration").String()
	var m metadata
	if err := a.getJSON(ctx, u, &m); err != nil {
		return metadata{}, nil, fmt.Errorf("OpenID metadata of tenant %s: %w", tid, err)
	}
	if m.Issuer == "" || m.JWKSURI == "" {
		return metadata{}, nil, fmt.Errorf("OpenID metadata of tenant %s lacks issuer or jwks_uri", tid)
	}
	// The keys must come from the authority Steward was configured with:
	// a jwks_uri elsewhere would let whoever controls the metadata response
	// send Steward to any host (and choose the keys).
	ju, err := url.Parse(m.JWKSURI)
	if err != nil || ju.Scheme != a.login.Scheme || !strings.EqualFold(ju.Host, a.login.Host) {
		return metadata{}, nil, fmt.Errorf("jwks_uri %q of tenant %s is not on %s", m.JWKSURI, tid, a.login.Host)
	}
	keys, err := a.fetchJWKS(ctx, m.JWKSURI)
	if err != nil {
		return metadata{}, nil, err
	}
	return m, keys, nil
}

// jwk is one key of a JSON Web Key Set; only RSA signing keys are used.
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// fetchJWKS reads a JWKS and returns its usable RSA signing keys by kid.
func (a *Authenticator) fetchJWKS(ctx context.Context, u string) (map[string]*rsa.PublicKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := a.getJSON(ctx, u, &set); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || k.Kid == "" {
			continue
		}
		// A key that does not decode is skipped, not fatal: one odd key
		// must not lock out tokens signed by the others.
		if pub, err := RSAPublicKey(k.N, k.E); err == nil {
			keys[k.Kid] = pub
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("JWKS at %s has no usable RSA signing key", u)
	}
	return keys, nil
}

// getJSON GETs u into v (at most maxDocumentSize bytes). Redirects are
// not expected from Entra's discovery endpoints; the caller's client
// decides whether to follow them.
func (a *Authenticator) getJSON(ctx context.Context, u string, v any) error {
	return FetchJSON(ctx, a.client, u, maxDocumentSize, v)
}
