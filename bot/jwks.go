package bot

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stewardhq/steward/identity"
)

// maxKeyDocumentSize bounds the metadata and JWKS responses: the channel's are
// a few kilobytes, and a misbehaving endpoint must not exhaust memory.
const maxKeyDocumentSize = 1 << 20

// channelKey is one signing key of the channel with the channel ids it may
// sign activities for. The endorsements are why the JWKS is parsed here:
// generic JWKS libraries drop fields they do not know.
type channelKey struct {
	pub          *rsa.PublicKey
	endorsements []string
}

func (k channelKey) endorses(channelID string) bool {
	return channelID != "" && slices.Contains(k.endorsements, channelID)
}

// errKeyUnknown is a kid in neither the cached nor a refetched JWKS: the
// caller's fault, reported as key_unknown.
var errKeyUnknown = errors.New("unknown kid")

// errKeysUnavailable wraps failures to reach the metadata or JWKS: not the
// caller's fault, reported as keys_unavailable.
var errKeysUnavailable = errors.New("channel keys unavailable")

// keySet is the cached OpenID metadata and JWKS of the channel. Its mutex is
// held across fetches, so concurrent requests wait for one fetch instead of
// each making their own.
type keySet struct {
	metadataURL *url.URL
	client      *http.Client
	now         func() time.Time
	ttl         time.Duration
	refetchGap  time.Duration

	mu          sync.Mutex
	jwksURI     string
	keys        map[string]channelKey
	fetched     time.Time // when metadata and keys were last fetched together
	retryAfter  time.Time // after a failed refresh, stale keys are served until then
	lastRefetch time.Time // last JWKS fetch caused by an unknown kid
}

// key returns the key kid names. Metadata and keys are fetched when there
// are none or they are older than the TTL; when that refresh fails but older
// keys exist, those are served (and the refresh retried after the refetch
// gap), so an outage of login.botframework.com does not turn every activity
// into a fetch. A kid not in the cached set refetches the JWKS (keys roll
// over before the cache expires), at most once per refetch gap whatever the
// tokens say: otherwise anyone could make the bot call the channel once per
// request with made-up kids.
func (s *keySet) key(ctx context.Context, kid string) (channelKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	stale := s.keys == nil || now.Sub(s.fetched) >= s.ttl
	if stale && (s.keys == nil || !now.Before(s.retryAfter)) {
		jwksURI, keys, err := s.fetchAll(ctx)
		switch {
		case err == nil:
			s.jwksURI, s.keys, s.fetched, s.retryAfter = jwksURI, keys, now, time.Time{}
		case s.keys == nil:
			return channelKey{}, fmt.Errorf("%w: %w", errKeysUnavailable, err)
		default:
			s.retryAfter = now.Add(s.refetchGap)
		}
	}
	if k, ok := s.keys[kid]; ok {
		return k, nil
	}
	if !s.lastRefetch.IsZero() && now.Sub(s.lastRefetch) < s.refetchGap {
		return channelKey{}, fmt.Errorf("%w %q (JWKS refetched %s ago, not again before %s)", errKeyUnknown, kid, now.Sub(s.lastRefetch), s.refetchGap)
	}
	// Recorded before fetching: a failing endpoint is not asked again
	// sooner either.
	s.lastRefetch = now
	keys, err := s.fetchJWKS(ctx, s.jwksURI)
	if err != nil {
		return channelKey{}, fmt.Errorf("%w: %w", errKeysUnavailable, err)
	}
	s.keys = keys
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return channelKey{}, fmt.Errorf("%w %q (not in the refetched JWKS)", errKeyUnknown, kid)
}

// fetchAll reads the OpenID metadata and the JWKS it points to.
func (s *keySet) fetchAll(ctx context.Context) (string, map[string]channelKey, error) {
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := s.getJSON(ctx, s.metadataURL.String(), &meta); err != nil {
		return "", nil, fmt.Errorf("OpenID metadata: %w", err)
	}
	// The keys must come from the host the bot was configured with: a
	// jwks_uri elsewhere would let whoever controls the metadata response
	// choose the keys.
	ju, err := url.Parse(meta.JWKSURI)
	if err != nil || ju.Scheme != s.metadataURL.Scheme || !strings.EqualFold(ju.Host, s.metadataURL.Host) {
		return "", nil, fmt.Errorf("jwks_uri %q is not on %s://%s", meta.JWKSURI, s.metadataURL.Scheme, s.metadataURL.Host)
	}
	keys, err := s.fetchJWKS(ctx, meta.JWKSURI)
	if err != nil {
		return "", nil, err
	}
	return meta.JWKSURI, keys, nil
}

// channelJWK is one key of the channel's JWKS: the RSA fields plus the Bot
// Framework's endorsements.
type channelJWK struct {
	Kty          string   `json:"kty"`
	Use          string   `json:"use"`
	Alg          string   `json:"alg"`
	Kid          string   `json:"kid"`
	N            string   `json:"n"`
	E            string   `json:"e"`
	Endorsements []string `json:"endorsements"`
}

// fetchJWKS reads a JWKS and returns its usable RSA signing keys by kid.
func (s *keySet) fetchJWKS(ctx context.Context, u string) (map[string]channelKey, error) {
	var set struct {
		Keys []channelJWK `json:"keys"`
	}
	if err := s.getJSON(ctx, u, &set); err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	keys := map[string]channelKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") || k.Kid == "" {
			continue
		}
		// A key that does not decode is skipped, not fatal: one odd key
		// must not lock out activities signed by the others.
		if pub, err := identity.RSAPublicKey(k.N, k.E); err == nil {
			keys[k.Kid] = channelKey{pub: pub, endorsements: slices.Clone(k.Endorsements)}
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("JWKS at %s has no usable RSA signing key", u)
	}
	return keys, nil
}

// getJSON GETs u into v, reading at most maxKeyDocumentSize bytes.
func (s *keySet) getJSON(ctx context.Context, u string, v any) error {
	return identity.FetchJSON(ctx, s.client, u, maxKeyDocumentSize, v)
}
