package cache_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/stewardhq/steward/cache"
	"github.com/stewardhq/steward/cache/cachetest"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
)

// newRedis connects to the test Redis under a random prefix of its own, and
// deletes every key under that prefix when the test ends.
func newRedis(t *testing.T) (*cache.Redis, string) {
	t.Helper()
	addr := testenv.RedisAddr(t)
	var b [8]byte
	_, _ = rand.Read(b[:])
	prefix := "stewardtest-" + hex.EncodeToString(b[:])
	r, err := cache.NewRedis(t.Context(), cache.RedisOptions{
		URL:         "redis://" + addr,
		Prefix:      prefix,
		DialTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatalf("NewRedis: %v", err)
	}
	t.Cleanup(func() {
		_ = r.Close()
		admin := redis.NewClient(&redis.Options{Addr: addr})
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		keys := scanKeys(t, ctx, admin, prefix)
		if len(keys) > 0 {
			if err := admin.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("cleanup: delete %d keys under %s: %v", len(keys), prefix, err)
			}
		}
	})
	return r, prefix
}

func scanKeys(t *testing.T, ctx context.Context, c *redis.Client, prefix string) []string {
	t.Helper()
	var keys []string
	// The prefix holds no glob characters (NewRedis refuses them), so the
	// pattern matches this prefix only.
	it := c.Scan(ctx, 0, prefix+":*", 100).Iterator()
	for it.Next(ctx) {
		keys = append(keys, it.Val())
	}
	if err := it.Err(); err != nil {
		t.Fatalf("scan %s: %v", prefix, err)
	}
	slices.Sort(keys)
	return keys
}

func TestRedisConformance(t *testing.T) {
	testenv.RedisAddr(t) // skip or fail once, not in every subtest
	cachetest.Run(t, func(t *testing.T) cache.Cache {
		r, _ := newRedis(t)
		return r
	}, time.Sleep)
}

func TestRedisKeyLayout(t *testing.T) {
	r, prefix := newRedis(t)
	ctx := t.Context()
	admin := redis.NewClient(&redis.Options{Addr: testenv.RedisAddr(t)})
	t.Cleanup(func() { _ = admin.Close() })

	writes := []struct {
		tenantID, key string
		wantKey       string
		wantTag       string
	}{
		{"contoso", "k", prefix + ":{contoso}:k", "contoso"},
		{"contoso", "ratelimit:bot:{x}", prefix + ":{contoso}:ratelimit:bot:{x}", "contoso"},
		// A tenant id that tries to close the hash tag and pose as "contoso".
		{"x}:{contoso", "k", prefix + ":{x%7D%3A%7Bcontoso}:k", "x%7D%3A%7Bcontoso"},
		{"a:b", "c", prefix + ":{a%3Ab}:c", "a%3Ab"},
		{"50%", "c", prefix + ":{50%25}:c", "50%25"},
	}
	for _, w := range writes {
		if err := r.Set(ctx, w.tenantID, w.key, []byte("v"), time.Minute); err != nil {
			t.Fatalf("Set(%q, %q): %v", w.tenantID, w.key, err)
		}
		if got := hashTag(w.wantKey); got != w.wantTag {
			t.Errorf("hash tag of %q = %q, want %q: the tenant must own the slot", w.wantKey, got, w.wantTag)
		}
	}
	if _, err := r.Incr(ctx, "x}:{contoso", "n", 1, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Add(ctx, "x}:{contoso", "lock", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}

	var want []string
	for _, w := range writes {
		want = append(want, w.wantKey)
	}
	want = append(want, prefix+":{x%7D%3A%7Bcontoso}:n", prefix+":{x%7D%3A%7Bcontoso}:lock")
	slices.Sort(want)
	if got := scanKeys(t, ctx, admin, prefix); !slices.Equal(got, want) {
		t.Fatalf("keys in Redis:\n got %q\nwant %q", got, want)
	}

	// Every key carries a ttl, counters included.
	for _, k := range want {
		ttl, err := admin.PTTL(ctx, k).Result()
		if err != nil || ttl <= 0 || ttl > time.Minute {
			t.Errorf("PTTL(%q) = %v, %v; want (0, 1m]", k, ttl, err)
		}
	}
}

// hashTag returns the part of key Redis Cluster hashes: the text between the
// first '{' and the first '}' after it, when not empty.
func hashTag(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	n := strings.IndexByte(key[open+1:], '}')
	if n <= 0 {
		return key
	}
	return key[open+1 : open+1+n]
}

func TestRedisSubMillisecondTTL(t *testing.T) {
	r, _ := newRedis(t)
	ctx := t.Context()
	// Rounded up to 1 ms rather than down to "no ttl" or an error.
	if err := r.Set(ctx, "t1", "k", []byte("v"), time.Microsecond); err != nil {
		t.Fatalf("Set with a 1µs ttl: %v", err)
	}
	if _, err := r.Incr(ctx, "t1", "n", 1, time.Microsecond); err != nil {
		t.Fatalf("Incr with a 1µs ttl: %v", err)
	}
	time.Sleep(5 * time.Millisecond)
	for _, k := range []string{"k", "n"} {
		if _, err := r.Get(ctx, "t1", k); !errors.Is(err, cache.ErrMiss) {
			t.Errorf("Get(%q) 5 ms after a 1µs ttl = %v, want ErrMiss", k, err)
		}
	}
}

func TestNewRedisUnreachable(t *testing.T) {
	// Nothing listens on port 1; no Redis is needed for this test.
	start := time.Now()
	_, err := cache.NewRedis(t.Context(), cache.RedisOptions{
		URL:         "redis://127.0.0.1:1",
		DialTimeout: 200 * time.Millisecond,
	})
	if !governance.IsKind(err, governance.KindUnavailable) {
		t.Fatalf("NewRedis on a closed port = %v, want KindUnavailable", err)
	}
	if !strings.HasPrefix(err.Error(), "cache: redis: ") {
		t.Errorf("error %q lacks the cache: redis: prefix", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("NewRedis took %v to give up, want well under 3s", d)
	}
}

func TestRedisConnectionLost(t *testing.T) {
	addr := testenv.RedisAddr(t)
	p := startProxy(t, addr)
	r, err := cache.NewRedis(t.Context(), cache.RedisOptions{
		URL:         "redis://" + p.Addr(),
		Prefix:      "stewardtest-lost",
		DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("NewRedis through the proxy: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	ctx := t.Context()
	if err := r.Delete(ctx, "t1", "k"); err != nil {
		t.Fatalf("Delete through the proxy: %v", err)
	}

	p.Close()
	start := time.Now()
	if err := r.Ping(ctx); !governance.IsKind(err, governance.KindUnavailable) {
		t.Errorf("Ping after Redis went away = %v, want KindUnavailable", err)
	}
	if _, err := r.Get(ctx, "t1", "k"); !governance.IsKind(err, governance.KindUnavailable) {
		t.Errorf("Get after Redis went away = %v, want KindUnavailable", err)
	} else if !strings.HasPrefix(err.Error(), "cache: redis: get: ") {
		t.Errorf("error %q lacks the cache: redis: get: prefix", err)
	}
	if _, err := r.Incr(ctx, "t1", "n", 1, time.Minute); !governance.IsKind(err, governance.KindUnavailable) {
		t.Errorf("Incr after Redis went away = %v, want KindUnavailable", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("three calls took %v to fail, want well under 3s", d)
	}
}

func TestNewRedisInvalidOptions(t *testing.T) {
	const secret = "s3cret-password"
	for _, tc := range []struct {
		name string
		opts cache.RedisOptions
		code string
	}{
		{"empty URL", cache.RedisOptions{}, "cache_redis_url_required"},
		{"wrong scheme", cache.RedisOptions{URL: "http://" + secret + "@127.0.0.1:1"}, "cache_redis_url_invalid"},
		{"unix socket", cache.RedisOptions{URL: "unix:///tmp/redis.sock"}, "cache_redis_url_invalid"},
		{"bad port", cache.RedisOptions{URL: "redis://user:" + secret + "@127.0.0.1:port"}, "cache_redis_url_invalid"},
		{"bad database", cache.RedisOptions{URL: "redis://user:" + secret + "@127.0.0.1:1/db"}, "cache_redis_url_invalid"},
		{"brace in prefix", cache.RedisOptions{URL: "redis://127.0.0.1:1", Prefix: "a{b}"}, "cache_redis_prefix_invalid"},
		{"glob in prefix", cache.RedisOptions{URL: "redis://127.0.0.1:1", Prefix: "steward*"}, "cache_redis_prefix_invalid"},
		{"prefix too long", cache.RedisOptions{URL: "redis://127.0.0.1:1", Prefix: strings.Repeat("p", 65)}, "cache_redis_prefix_invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cache.NewRedis(t.Context(), tc.opts)
			var gerr *governance.Error
			if !errors.As(err, &gerr) || gerr.Kind != governance.KindInvalid || gerr.Code != tc.code {
				t.Fatalf("NewRedis = %v, want KindInvalid %s", err, tc.code)
			}
			// Errors get logged; the password must not be in them.
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q contains the URL's password", err)
			}
		})
	}
}

// proxy forwards TCP to Redis until closed, so a test can make a connected
// client's Redis disappear.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	closed bool
	conns  []net.Conn
	wg     sync.WaitGroup
	once   sync.Once
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	p.wg.Go(p.serve)
	t.Cleanup(p.Close)
	return p
}

func (p *proxy) Addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = down.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = down.Close()
			_ = up.Close()
			return
		}
		p.conns = append(p.conns, down, up)
		p.mu.Unlock()
		p.wg.Go(func() { _, _ = io.Copy(up, down); _ = up.Close() })
		p.wg.Go(func() { _, _ = io.Copy(down, up); _ = down.Close() })
	}
}

// Close stops accepting, so new dials are refused, and cuts every open
// connection.
func (p *proxy) Close() {
	p.once.Do(func() {
		_ = p.ln.Close()
		p.mu.Lock()
		p.closed = true
		for _, c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
}
