package edge

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/stewardhq/steward/governance"
)

// gcraScript is the generic cell rate algorithm (a token bucket stored as
// one number, the "theoretical arrival time" of the next request), run
// atomically in Redis so every replica draws from the same bucket. Times are
// microseconds. ARGV[3] is the caller's clock, or empty for Redis's own
// TIME: one clock for all replicas, whatever their skew.
var gcraScript = redis.NewScript(`
local now
if ARGV[3] == '' then
	local t = redis.call('TIME')
	now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
	now = tonumber(ARGV[3])
end
local emission = tonumber(ARGV[1])
local tolerance = emission * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then
	tat = now
end
local new_tat = tat + emission
local allow_at = new_tat - tolerance
if now < allow_at then
	return {0, math.ceil(allow_at - now)}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1)
return {1, 0}
`)

// RedisLimiterOptions configures NewRedisLimiter.
type RedisLimiterOptions struct {
	// Prefix starts every key (default "steward:ratelimit"), so several
	// limiters or test runs can share one Redis.
	Prefix string
	// Now is the clock; nil uses Redis's TIME, the same for every replica
	// (set it only in tests).
	Now func() time.Time
}

// RedisLimiter is a Limiter shared by every replica through Redis. A key
// lives only as long as its bucket is not full again, so Redis holds at most
// the clients seen in the last Burst/PerSecond seconds.
type RedisLimiter struct {
	client redis.Scripter
	rate   Rate
	prefix string
	now    func() time.Time
}

var _ Limiter = (*RedisLimiter)(nil)

var limiterPrefixPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// NewRedisLimiter returns a limiter at rate on client.
func NewRedisLimiter(client redis.Scripter, rate Rate, opts RedisLimiterOptions) (*RedisLimiter, error) {
	if err := rate.Validate(); err != nil {
		return nil, err
	}
	if client == nil {
		return nil, governance.Errorf(governance.KindInvalid, "rate_limit_invalid", "a Redis client is required")
	}
	if opts.Prefix == "" {
		opts.Prefix = "steward:ratelimit"
	}
	if !limiterPrefixPattern.MatchString(opts.Prefix) {
		return nil, governance.Errorf(governance.KindInvalid, "rate_limit_invalid",
			"the Redis key prefix %q is invalid: use up to 64 letters, digits, '.', '_', '-' or ':'", opts.Prefix)
	}
	return &RedisLimiter{client: client, rate: rate, prefix: opts.Prefix, now: opts.Now}, nil
}

// Allow takes a token from key's shared bucket if one is there.
func (l *RedisLimiter) Allow(ctx context.Context, key string) (Decision, error) {
	emission := math.Max(1, math.Round(1e6/l.rate.PerSecond))
	now := ""
	if l.now != nil {
		now = strconv.FormatInt(l.now().UnixMicro(), 10)
	}
	res, err := gcraScript.Run(ctx, l.client, []string{l.prefix + ":" + key}, emission, l.rate.Burst, now).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("edge: redis rate limit: %w", err)
	}
	if len(res) != 2 {
		return Decision{}, fmt.Errorf("edge: redis rate limit: unexpected reply %v", res)
	}
	if res[0] == 1 {
		return Decision{Allowed: true}, nil
	}
	return Decision{RetryAfter: time.Duration(res[1]) * time.Microsecond}, nil
}
