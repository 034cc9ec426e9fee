package edge

import (
	"container/list"
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/stewardhq/steward/governance"
)

// Rate is a token bucket's shape: Burst requests at once, refilled at
// PerSecond requests a second.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Validate refuses a rate that would admit nothing or overflow.
func (r Rate) Validate() error {
	if !(r.PerSecond > 0) || math.IsInf(r.PerSecond, 0) || r.PerSecond > 1e6 {
		return governance.Errorf(governance.KindInvalid, "rate_limit_invalid",
			"the rate must be greater than 0 and at most 1000000 requests a second, got %v", r.PerSecond)
	}
	if r.Burst < 1 || r.Burst > 1_000_000 {
		return governance.Errorf(governance.KindInvalid, "rate_limit_invalid",
			"the burst must be a whole number from 1 to 1000000, got %d", r.Burst)
	}
	return nil
}

func (r Rate) String() string { return fmt.Sprintf("%g/s,burst=%d", r.PerSecond, r.Burst) }

// Decision is a limiter's answer for one request.
type Decision struct {
	Allowed bool
	// RetryAfter is how long until the next request under the same key
	// would be allowed (zero when Allowed).
	RetryAfter time.Duration
}

// Limiter decides whether one more request under key may proceed. Keys are
// opaque: Protect uses client IPs, TenantLimiter tenant ids. An error means
// the limiter could not decide (a shared store unreachable), not a refusal.
type Limiter interface {
	Allow(ctx context.Context, key string) (Decision, error)
}

// MemoryLimiterOptions configures NewMemoryLimiter.
type MemoryLimiterOptions struct {
	// MaxKeys bounds the buckets kept (default 100000). When full, the
	// least recently used bucket is dropped: memory stays bounded whatever
	// the number of distinct clients, at the price of forgetting the
	// quietest of them (a forgotten bucket starts full again).
	MaxKeys int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// MemoryLimiter is a Limiter of in-process token buckets: exact for one
// replica, per replica when several run (use RedisLimiter there).
type MemoryLimiter struct {
	rate    Rate
	maxKeys int
	now     func() time.Time

	mu      sync.Mutex
	buckets map[string]*list.Element // of *bucket
	lru     list.List                // front: most recently used
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

var _ Limiter = (*MemoryLimiter)(nil)

// NewMemoryLimiter returns an in-process limiter at rate.
func NewMemoryLimiter(rate Rate, opts MemoryLimiterOptions) (*MemoryLimiter, error) {
	if err := rate.Validate(); err != nil {
		return nil, err
	}
	if opts.MaxKeys < 0 {
		return nil, governance.Errorf(governance.KindInvalid, "rate_limit_invalid", "MaxKeys must not be negative")
	}
	if opts.MaxKeys == 0 {
		opts.MaxKeys = 100_000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &MemoryLimiter{rate: rate, maxKeys: opts.MaxKeys, now: opts.Now, buckets: map[string]*list.Element{}}, nil
}

// Allow takes a token from key's bucket if one is there.
func (m *MemoryLimiter) Allow(_ context.Context, key string) (Decision, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	var b *bucket
	if e, ok := m.buckets[key]; ok {
		m.lru.MoveToFront(e)
		b = e.Value.(*bucket)
		if elapsed := now.Sub(b.last); elapsed > 0 {
			b.tokens = math.Min(float64(m.rate.Burst), b.tokens+elapsed.Seconds()*m.rate.PerSecond)
			b.last = now
		}
	} else {
		if m.lru.Len() >= m.maxKeys {
			oldest := m.lru.Back()
			m.lru.Remove(oldest)
			delete(m.buckets, oldest.Value.(*bucket).key)
		}
		b = &bucket{key: key, tokens: float64(m.rate.Burst), last: now}
		m.buckets[key] = m.lru.PushFront(b)
	}
	if b.tokens >= 1 {
		b.tokens--
		return Decision{Allowed: true}, nil
	}
	wait := time.Duration((1 - b.tokens) / m.rate.PerSecond * float64(time.Second))
	return Decision{RetryAfter: wait}, nil
}

// Len is the number of buckets held (for tests and metrics).
func (m *MemoryLimiter) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lru.Len()
}

// FallbackLimiter asks Primary (a shared RedisLimiter) and, when it cannot
// decide, Fallback (a MemoryLimiter): an unreachable Redis degrades limits
// to per replica instead of switching them off or refusing everyone.
type FallbackLimiter struct {
	Primary, Fallback Limiter
	Logger            *slog.Logger

	mu       sync.Mutex
	lastWarn time.Time
}

var _ Limiter = (*FallbackLimiter)(nil)

// Allow asks Primary, then Fallback if Primary failed.
func (f *FallbackLimiter) Allow(ctx context.Context, key string) (Decision, error) {
	d, err := f.Primary.Allow(ctx, key)
	if err == nil {
		return d, nil
	}
	if f.Logger != nil {
		// One warning a minute, not one per request of a flood.
		f.mu.Lock()
		now := time.Now()
		warn := now.Sub(f.lastWarn) >= time.Minute
		if warn {
			f.lastWarn = now
		}
		f.mu.Unlock()
		if warn {
			f.Logger.WarnContext(ctx, "shared rate limiter unavailable; limiting per replica", "err", err)
		}
	}
	return f.Fallback.Allow(ctx, key)
}

// TenantLimiter limits requests per tenant. The edge cannot know a
// request's tenant (it is known once the principal is authenticated), so
// the layer that authenticates calls Check with the tenant id.
type TenantLimiter struct {
	Limiter Limiter
}

// Check returns nil when tenantID may make one more request, and otherwise
// a governance.KindTooManyRequests error with code "rate_limited" (which
// the HTTP error adapter answers with 429 and Retry-After). A limiter that
// cannot decide lets the request through: the in-flight limit still bounds
// the load.
func (t TenantLimiter) Check(ctx context.Context, tenantID string) error {
	if tenantID == "" {
		return governance.Errorf(governance.KindInvalid, "tenant_required", "a tenant id is required to apply the tenant's rate limit")
	}
	d, err := t.Limiter.Allow(ctx, "tenant:"+tenantID)
	if err != nil || d.Allowed {
		return nil
	}
	return governance.Errorf(governance.KindTooManyRequests, "rate_limited",
		"this organization sends too many requests; retry in %d seconds", retryAfterSeconds(d.RetryAfter))
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1, as
// Retry-After carries it.
func retryAfterSeconds(d time.Duration) int {
	s := int(math.Ceil(d.Seconds()))
	if s < 1 {
		return 1
	}
	return s
}
