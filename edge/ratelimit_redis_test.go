package edge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/stewardhq/steward/internal/testenv"
)

// redisClient connects to the test Redis and returns it with a key prefix
// of the test's own, whose keys are deleted when the test ends.
func redisClient(t *testing.T) (*redis.Client, string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr(t)})
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		t.Fatalf("redis at STEWARD_TEST_REDIS_ADDR: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "steward-test:" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		keys, _ := c.Keys(ctx, prefix+":*").Result()
		if len(keys) > 0 {
			c.Del(ctx, keys...)
		}
		c.Close()
	})
	return c, prefix
}

func TestRedisLimiterBuckets(t *testing.T) {
	c, prefix := redisClient(t)
	for i, tc := range limiterSteps() {
		t.Run(tc.name, func(t *testing.T) {
			clock := newBucketClock()
			l, err := NewRedisLimiter(c, tc.rate, RedisLimiterOptions{Prefix: prefix + ":" + string(rune('a'+i)), Now: clock.now})
			if err != nil {
				t.Fatal(err)
			}
			runSteps(t, l, clock, "ip:192.0.2.1", tc.steps)
		})
	}
}

// TestRedisLimiterShared: two replicas, one bucket.
func TestRedisLimiterShared(t *testing.T) {
	c, prefix := redisClient(t)
	other := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr(t)})
	t.Cleanup(func() { other.Close() })
	rate := Rate{PerSecond: 0.1, Burst: 4}
	a, err := NewRedisLimiter(c, rate, RedisLimiterOptions{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewRedisLimiter(other, rate, RedisLimiterOptions{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	allowed := 0
	for i := range 10 {
		l := a
		if i%2 == 1 {
			l = b
		}
		d, err := l.Allow(ctx, "ip:198.51.100.7")
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			allowed++
		} else if d.RetryAfter <= 0 || d.RetryAfter > 10*time.Second {
			t.Fatalf("refused with RetryAfter %v, want (0, 10s]", d.RetryAfter)
		}
	}
	if allowed != rate.Burst {
		t.Fatalf("%d requests allowed across two replicas, want the shared burst %d", allowed, rate.Burst)
	}
	if d, err := b.Allow(ctx, "ip:198.51.100.8"); err != nil || !d.Allowed {
		t.Fatalf("another key: %+v, %v; want allowed", d, err)
	}
	ttl, err := c.PTTL(ctx, prefix+":ip:198.51.100.7").Result()
	if err != nil || ttl <= 0 || ttl > 41*time.Second {
		t.Fatalf("key ttl = %v, %v; want it to expire once the bucket is full again (≤ 40 s)", ttl, err)
	}
}

func TestRedisLimiterUnavailable(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	l, err := NewRedisLimiter(c, Rate{PerSecond: 1, Burst: 1}, RedisLimiterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Allow(context.Background(), "k"); err == nil {
		t.Fatal("an unreachable Redis decided")
	}
	if _, err := NewRedisLimiter(c, Rate{PerSecond: 1, Burst: 1}, RedisLimiterOptions{Prefix: "bad prefix{"}); err == nil {
		t.Fatal("a prefix with a space and a brace was accepted")
	}
	if _, err := NewRedisLimiter(nil, Rate{PerSecond: 1, Burst: 1}, RedisLimiterOptions{}); err == nil {
		t.Fatal("a nil client was accepted")
	}
}
