package edge

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
)

// bucketClock is a clock tests move by hand.
type bucketClock struct{ t time.Time }

func (c *bucketClock) now() time.Time          { return c.t }
func (c *bucketClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newBucketClock() *bucketClock {
	return &bucketClock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
}

// step is one request at an offset from the previous one.
type step struct {
	after   time.Duration
	allowed bool
	retry   time.Duration // expected RetryAfter when refused (±1 ms)
}

func limiterSteps() []struct {
	name  string
	rate  Rate
	steps []step
} {
	return []struct {
		name  string
		rate  Rate
		steps []step
	}{
		{"burst then refused", Rate{PerSecond: 1, Burst: 3}, []step{
			{0, true, 0}, {0, true, 0}, {0, true, 0}, {0, false, time.Second},
		}},
		{"refill one token per interval", Rate{PerSecond: 2, Burst: 1}, []step{
			{0, true, 0}, {0, false, 500 * time.Millisecond},
			{250 * time.Millisecond, false, 250 * time.Millisecond},
			{250 * time.Millisecond, true, 0}, {0, false, 500 * time.Millisecond},
		}},
		{"refill never exceeds the burst", Rate{PerSecond: 10, Burst: 2}, []step{
			{0, true, 0}, {time.Hour, true, 0}, {0, true, 0}, {0, false, 100 * time.Millisecond},
		}},
		{"steady rate is served", Rate{PerSecond: 10, Burst: 1}, []step{
			{0, true, 0}, {100 * time.Millisecond, true, 0}, {100 * time.Millisecond, true, 0},
			{50 * time.Millisecond, false, 50 * time.Millisecond}, {50 * time.Millisecond, true, 0},
		}},
	}
}

func runSteps(t *testing.T, l Limiter, clock *bucketClock, key string, steps []step) {
	t.Helper()
	for i, s := range steps {
		clock.advance(s.after)
		d, err := l.Allow(context.Background(), key)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if d.Allowed != s.allowed {
			t.Fatalf("step %d: allowed = %v, want %v", i, d.Allowed, s.allowed)
		}
		if diff := d.RetryAfter - s.retry; diff > time.Millisecond || diff < -time.Millisecond {
			t.Fatalf("step %d: RetryAfter = %v, want %v", i, d.RetryAfter, s.retry)
		}
	}
}

func TestMemoryLimiterBuckets(t *testing.T) {
	for _, tc := range limiterSteps() {
		t.Run(tc.name, func(t *testing.T) {
			clock := newBucketClock()
			l, err := NewMemoryLimiter(tc.rate, MemoryLimiterOptions{Now: clock.now})
			if err != nil {
				t.Fatal(err)
			}
			runSteps(t, l, clock, "ip:192.0.2.1", tc.steps)
		})
	}
}

func TestMemoryLimiterKeysAreIsolated(t *testing.T) {
	clock := newBucketClock()
	l, err := NewMemoryLimiter(Rate{PerSecond: 1, Burst: 2}, MemoryLimiterOptions{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 50 {
		_, _ = l.Allow(ctx, "ip:192.0.2.1")
	}
	if d, _ := l.Allow(ctx, "ip:192.0.2.1"); d.Allowed {
		t.Fatal("the flooding key is still allowed")
	}
	for i := range 2 {
		if d, _ := l.Allow(ctx, "ip:192.0.2.2"); !d.Allowed {
			t.Fatalf("request %d of another key refused", i)
		}
	}
}

func TestMemoryLimiterBoundsKeys(t *testing.T) {
	clock := newBucketClock()
	l, err := NewMemoryLimiter(Rate{PerSecond: 1, Burst: 1}, MemoryLimiterOptions{Now: clock.now, MaxKeys: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, _ = l.Allow(ctx, "a") // a is empty now
	for i := range 100 {
		_, _ = l.Allow(ctx, fmt.Sprint("k", i))
		_, _ = l.Allow(ctx, "a") // keeps a recently used: never evicted
	}
	if n := l.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3 (MaxKeys)", n)
	}
	if d, _ := l.Allow(ctx, "a"); d.Allowed {
		t.Fatal("the recently used bucket was evicted and refilled")
	}
}

func TestRateValidate(t *testing.T) {
	for _, r := range []Rate{{0, 1}, {-1, 1}, {1, 0}, {1, -3}, {2e6, 1}, {1, 2_000_000}} {
		err := r.Validate()
		if governance.KindOf(err) != governance.KindInvalid {
			t.Errorf("Validate(%v) = %v, want an invalid error", r, err)
		}
		if _, err := NewMemoryLimiter(r, MemoryLimiterOptions{}); err == nil {
			t.Errorf("NewMemoryLimiter(%v) accepted", r)
		}
	}
	if err := (Rate{PerSecond: 0.5, Burst: 1}).Validate(); err != nil {
		t.Errorf("a valid rate was refused: %v", err)
	}
}

func TestTenantLimiter(t *testing.T) {
	clock := newBucketClock()
	ml, err := NewMemoryLimiter(Rate{PerSecond: 0.5, Burst: 2}, MemoryLimiterOptions{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	tl := TenantLimiter{Limiter: ml}
	ctx := context.Background()
	for i := range 2 {
		if err := tl.Check(ctx, "contoso"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	err = tl.Check(ctx, "contoso")
	var ge *governance.Error
	if !errors.As(err, &ge) || ge.Kind != governance.KindTooManyRequests || ge.Code != "rate_limited" {
		t.Fatalf("third request: %v, want too_many_requests rate_limited", err)
	}
	if err := tl.Check(ctx, "fabrikam"); err != nil {
		t.Fatalf("another tenant refused: %v", err)
	}
	if err := tl.Check(ctx, ""); governance.KindOf(err) != governance.KindInvalid {
		t.Fatalf("empty tenant: %v, want invalid", err)
	}
	clock.advance(2 * time.Second)
	if err := tl.Check(ctx, "contoso"); err != nil {
		t.Fatalf("after refill: %v", err)
	}
}

type failingLimiter struct{ calls int }

func (f *failingLimiter) Allow(context.Context, string) (Decision, error) {
	f.calls++
	return Decision{}, errors.New("redis down")
}

func TestFallbackLimiter(t *testing.T) {
	clock := newBucketClock()
	local, err := NewMemoryLimiter(Rate{PerSecond: 1, Burst: 1}, MemoryLimiterOptions{Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	primary := &failingLimiter{}
	f := &FallbackLimiter{Primary: primary, Fallback: local}
	ctx := context.Background()
	if d, err := f.Allow(ctx, "k"); err != nil || !d.Allowed {
		t.Fatalf("first = %+v, %v; want allowed by the fallback", d, err)
	}
	if d, err := f.Allow(ctx, "k"); err != nil || d.Allowed {
		t.Fatalf("second = %+v, %v; want refused by the fallback", d, err)
	}
	if primary.calls != 2 {
		t.Fatalf("primary asked %d times, want 2", primary.calls)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int
	}{{0, 1}, {time.Millisecond, 1}, {time.Second, 1}, {1001 * time.Millisecond, 2}, {90 * time.Second, 90}} {
		if got := retryAfterSeconds(tc.d); got != tc.want {
			t.Errorf("retryAfterSeconds(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}
