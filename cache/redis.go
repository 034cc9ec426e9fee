package cache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/stewardhq/steward/governance"
)

// DefaultRedisPrefix starts every key when RedisOptions.Prefix is empty.
const DefaultRedisPrefix = "steward"

// RedisOptions configures NewRedis.
type RedisOptions struct {
	// URL is redis://[user:password@]host[:port][/db] or rediss:// for TLS
	// (TLS 1.2 minimum). Query parameters understood by go-redis's ParseURL,
	// such as dial_timeout or pool_size, are honoured.
	URL string
	// Prefix starts every key (default DefaultRedisPrefix), so several
	// deployments or test runs can share one Redis. Up to 64 letters, digits,
	// '.', '_', '-' or ':'; never a brace or glob character, which would
	// break the cluster hash tag or make SCAN patterns match other prefixes.
	Prefix string
	// DialTimeout, ReadTimeout and WriteTimeout override the URL's or
	// go-redis's defaults when non-zero. A cache sits on the request path, so
	// short timeouts that fail fast are usually better than long ones.
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
}

// Redis is a Cache on Redis, shared by every replica: the production choice
// for rate-limit counters and locks.
//
// Keys are laid out as {prefix}:{tenant}:key, for example
// "steward:{contoso}:ratelimit:bot". The braces are a Redis Cluster hash tag,
// so all of a tenant's keys share one slot and an operator can find them with
// one SCAN pattern. The tenant id is escaped (anything but letters, digits,
// '.', '_' and '-' becomes %XX), so no tenant id can close the tag early or
// pose as another tenant; the key needs no escaping, being the last part.
//
// The client is a single-node go-redis client; the layout is ready for a
// cluster client but none is wired.
type Redis struct {
	client *redis.Client
	prefix string

	closeOnce sync.Once
	closeErr  error
}

var _ Cache = (*Redis)(nil)

var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9._-][A-Za-z0-9._:-]{0,63}$`)

// incrScript creates the counter and its ttl in one atomic step: with two
// separate commands, a crash or lost connection between them would leave a
// counter that never resets and so rate-limits its tenant forever. PTTL is -1
// only for a key without a ttl, i.e. one INCRBY has just created.
var incrScript = redis.NewScript(`
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) == -1 then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return n
`)

// NewRedis connects to Redis and pings it, so a wrong URL or password fails
// at start rather than on the first request. An unreachable server yields
// governance.KindUnavailable; a malformed option, governance.KindInvalid.
func NewRedis(ctx context.Context, opts RedisOptions) (*Redis, error) {
	ropts, err := parseRedisURL(opts.URL)
	if err != nil {
		return nil, err
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	if !prefixPattern.MatchString(prefix) {
		return nil, governance.Errorf(governance.KindInvalid, "cache_redis_prefix_invalid",
			"Redis key prefix %q is invalid: use up to 64 letters, digits, '.', '_', '-' or ':'", prefix)
	}
	if opts.DialTimeout > 0 {
		ropts.DialTimeout = opts.DialTimeout
	}
	if opts.ReadTimeout > 0 {
		ropts.ReadTimeout = opts.ReadTimeout
	}
	if opts.WriteTimeout > 0 {
		ropts.WriteTimeout = opts.WriteTimeout
	}
	// Let a request's deadline bound its cache calls too, not only the
	// fixed read and write timeouts.
	ropts.ContextTimeoutEnabled = true

	r := &Redis{client: redis.NewClient(ropts), prefix: prefix}
	if err := r.client.Ping(ctx).Err(); err != nil {
		_ = r.client.Close()
		return nil, fmt.Errorf("cache: redis: connect to %s: %w", ropts.Addr, classify(err))
	}
	return r, nil
}

// parseRedisURL accepts only redis:// and rediss:// and keeps the URL out of
// its errors, since the URL may carry a password and errors get logged.
func parseRedisURL(raw string) (*redis.Options, error) {
	const want = "want redis://[user:password@]host[:port][/db] or rediss://..."
	if raw == "" {
		return nil, governance.Errorf(governance.KindInvalid, "cache_redis_url_required",
			"the Redis URL is empty: %s", want)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the whole URL, password included
		}
		return nil, governance.Wrap(governance.KindInvalid, "cache_redis_url_invalid",
			"the Redis URL cannot be parsed: "+want, err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, governance.Errorf(governance.KindInvalid, "cache_redis_url_invalid",
			"the Redis URL scheme is %q: %s", u.Scheme, want)
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return nil, governance.Wrap(governance.KindInvalid, "cache_redis_url_invalid",
			"the Redis URL is invalid: "+want, err)
	}
	return opts, nil
}

// Get returns the value at key, or ErrMiss.
func (r *Redis) Get(ctx context.Context, tenantID, key string) ([]byte, error) {
	if err := validateKey(tenantID, key); err != nil {
		return nil, err
	}
	b, err := r.client.Get(ctx, r.key(tenantID, key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrMiss
	}
	if err != nil {
		return nil, fail("get", err)
	}
	return b, nil
}

// Set stores value at key for ttl, replacing any previous value and its ttl.
func (r *Redis) Set(ctx context.Context, tenantID, key string, value []byte, ttl time.Duration) error {
	if err := validateEntry(tenantID, key, ttl); err != nil {
		return err
	}
	if err := r.client.Set(ctx, r.key(tenantID, key), value, ceilMs(ttl)).Err(); err != nil {
		return fail("set", err)
	}
	return nil
}

// Add stores value only if key is absent, with SET NX PX.
func (r *Redis) Add(ctx context.Context, tenantID, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := validateEntry(tenantID, key, ttl); err != nil {
		return false, err
	}
	ok, err := r.client.SetNX(ctx, r.key(tenantID, key), value, ceilMs(ttl)).Result()
	if err != nil {
		return false, fail("add", err)
	}
	return ok, nil
}

// Delete removes key; an absent key is not an error.
func (r *Redis) Delete(ctx context.Context, tenantID, key string) error {
	if err := validateKey(tenantID, key); err != nil {
		return err
	}
	if err := r.client.Del(ctx, r.key(tenantID, key)).Err(); err != nil {
		return fail("delete", err)
	}
	return nil
}

// Incr adds delta to the counter at key; see Cache.
func (r *Redis) Incr(ctx context.Context, tenantID, key string, delta int64, ttl time.Duration) (int64, error) {
	if err := validateEntry(tenantID, key, ttl); err != nil {
		return 0, err
	}
	ms := ceilMs(ttl).Milliseconds()
	n, err := incrScript.Run(ctx, r.client, []string{r.key(tenantID, key)}, delta, ms).Int64()
	if err != nil {
		return 0, fail("incr", err)
	}
	return n, nil
}

// Ping checks that Redis answers.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fail("ping", err)
	}
	return nil
}

// Close closes the connection pool. Calling it again returns the first
// result, so both a deferred Close and an explicit one are fine.
func (r *Redis) Close() error {
	r.closeOnce.Do(func() {
		if err := r.client.Close(); err != nil {
			r.closeErr = fmt.Errorf("cache: redis: close: %w", err)
		}
	})
	return r.closeErr
}

func (r *Redis) key(tenantID, key string) string {
	var b strings.Builder
	b.Grow(len(r.prefix) + len(tenantID) + len(key) + 4)
	b.WriteString(r.prefix)
	b.WriteString(":{")
	escapeTenant(&b, tenantID)
	b.WriteString("}:")
	b.WriteString(key)
	return b.String()
}

// escapeTenant percent-encodes every byte outside [A-Za-z0-9._-]. Escaping
// '%' as well keeps the mapping one-to-one, so two distinct tenant ids never
// share a namespace; Steward's own tenant ids pass through unchanged.
func escapeTenant(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
}

// ceilMs rounds ttl up to Redis's millisecond resolution: truncating would
// turn a sub-millisecond ttl into 0, which Redis rejects or reads as "no ttl".
func ceilMs(ttl time.Duration) time.Duration {
	return (ttl + time.Millisecond - 1).Truncate(time.Millisecond)
}

func fail(op string, err error) error {
	return fmt.Errorf("cache: redis: %s: %w", op, classify(err))
}

// classify gives Redis failures the governance kind the HTTP adapter needs:
// a Redis that cannot be reached is KindUnavailable (retry later), a misused
// counter KindConflict. Context errors stay as they are, since they are the
// caller's doing; anything else is internal.
func classify(err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, redis.ErrClosed):
		return errClosed()
	case redis.HasErrorPrefix(err, "value is not an integer"):
		return errNotInteger()
	case redis.HasErrorPrefix(err, "increment or decrement would overflow"):
		return errOverflow()
	case unavailable(err):
		return governance.Wrap(governance.KindUnavailable, "cache_unavailable",
			"the cache is unavailable; try again shortly", err)
	}
	return err
}

func unavailable(err error) bool {
	for _, target := range []error{
		redis.ErrPoolTimeout, redis.ErrPoolExhausted,
		io.EOF, io.ErrUnexpectedEOF,
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EPIPE,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	var nerr net.Error
	if errors.As(err, &nerr) {
		return true
	}
	// Replies of a server that is up but cannot serve yet: starting, a
	// replica mid-failover, a cluster without quorum, or full.
	for _, prefix := range []string{"LOADING", "READONLY", "MASTERDOWN", "CLUSTERDOWN", "TRYAGAIN", "BUSY", "max number of clients reached"} {
		if redis.HasErrorPrefix(err, prefix) {
			return true
		}
	}
	return false
}
