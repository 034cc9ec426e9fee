// Package cachetest is the conformance suite every cache.Cache must pass, so
// that the in-process cache used on one node and Redis used in production can
// be swapped without a caller noticing.
package cachetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/cache"
	"github.com/stewardhq/steward/governance"
)

// TTL is the short ttl the suite gives entries that must expire. It is long
// enough for a real Redis under -race to answer well within half of it, and
// short enough that a suite driven by real sleeps stays around a second.
const TTL = 150 * time.Millisecond

// long is the ttl of entries that must not expire during a subtest.
const long = time.Hour

// margin is how far past TTL the suite advances to be sure an entry expired;
// Redis expires at millisecond resolution.
const margin = 20 * time.Millisecond

// Run runs the suite as subtests of t.
//
// newCache returns a fresh, empty cache for one subtest and arranges, with
// t.Cleanup, for it to be closed (the suite may close it first, so Close must
// be idempotent) and its data removed. advance moves the cache's clock
// forward by d: a fake clock for in-process caches, a sleep for Redis. The
// subtests run one after another because advance is shared.
func Run(t *testing.T, newCache func(t *testing.T) cache.Cache, advance func(d time.Duration)) {
	t.Helper()
	s := suite{newCache: newCache, advance: advance}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"get set round trip", s.roundTrip},
		{"miss", s.miss},
		{"overwrite", s.overwrite},
		{"delete", s.delete},
		{"ttl expiry", s.ttlExpiry},
		{"set replaces ttl", s.setReplacesTTL},
		{"add", s.add},
		{"incr", s.incr},
		{"incr ttl not extended", s.incrTTLNotExtended},
		{"incr on non-integer", s.incrNonInteger},
		{"value copying", s.valueCopying},
		{"invalid arguments", s.invalidArguments},
		{"tenant isolation", s.tenantIsolation},
		{"tenant ids that look like separators", s.trickyTenantIDs},
		{"concurrent incr", s.concurrentIncr},
		{"concurrent add", s.concurrentAdd},
		{"canceled context", s.canceledContext},
		{"ping and close", s.pingAndClose},
	} {
		t.Run(tc.name, tc.fn)
	}
}

type suite struct {
	newCache func(t *testing.T) cache.Cache
	advance  func(d time.Duration)
}

func (s suite) roundTrip(t *testing.T) {
	c := s.newCache(t)
	for _, v := range [][]byte{
		[]byte("hello"),
		{0, 1, 2, 255, 0},
		bytes.Repeat([]byte("x"), 64<<10),
		{},
	} {
		mustSet(t, c, "t1", "k", v, long)
		mustGet(t, c, "t1", "k", v)
	}
	// Keys are opaque: separators, braces and non-ASCII are ordinary bytes.
	for _, k := range []string{"a:b:c", "{x}", "*", "ключ", "sp ace", "%41"} {
		mustSet(t, c, "t1", k, []byte(k), long)
	}
	for _, k := range []string{"a:b:c", "{x}", "*", "ключ", "sp ace", "%41"} {
		mustGet(t, c, "t1", k, []byte(k))
	}
}

func (s suite) miss(t *testing.T) {
	c := s.newCache(t)
	mustMiss(t, c, "t1", "never-set")
}

func (s suite) overwrite(t *testing.T) {
	c := s.newCache(t)
	mustSet(t, c, "t1", "k", []byte("first, and longer"), long)
	mustSet(t, c, "t1", "k", []byte("second"), long)
	mustGet(t, c, "t1", "k", []byte("second"))
}

func (s suite) delete(t *testing.T) {
	c, ctx := s.newCache(t), t.Context()
	mustSet(t, c, "t1", "k", []byte("v"), long)
	if err := c.Delete(ctx, "t1", "k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	mustMiss(t, c, "t1", "k")
	if err := c.Delete(ctx, "t1", "k"); err != nil {
		t.Fatalf("Delete of an absent key = %v, want nil", err)
	}
	mustSet(t, c, "t1", "k", []byte("again"), long)
	mustGet(t, c, "t1", "k", []byte("again"))
}

func (s suite) ttlExpiry(t *testing.T) {
	c := s.newCache(t)
	mustSet(t, c, "t1", "short", []byte("v"), TTL)
	mustSet(t, c, "t1", "long", []byte("v"), long)
	s.advance(TTL / 2)
	mustGet(t, c, "t1", "short", []byte("v"))
	s.advance(TTL/2 + margin)
	mustMiss(t, c, "t1", "short")
	mustGet(t, c, "t1", "long", []byte("v"))
	// An expired key is simply absent: it can be set again.
	mustSet(t, c, "t1", "short", []byte("w"), long)
	mustGet(t, c, "t1", "short", []byte("w"))
}

func (s suite) setReplacesTTL(t *testing.T) {
	c := s.newCache(t)
	mustSet(t, c, "t1", "longer", []byte("v"), TTL)
	mustSet(t, c, "t1", "longer", []byte("v"), long)
	mustSet(t, c, "t1", "shorter", []byte("v"), long)
	mustSet(t, c, "t1", "shorter", []byte("v"), TTL)
	s.advance(TTL + margin)
	mustGet(t, c, "t1", "longer", []byte("v"))
	mustMiss(t, c, "t1", "shorter")
}

func (s suite) add(t *testing.T) {
	c, ctx := s.newCache(t), t.Context()
	mustAdd(t, c, "t1", "lock", []byte("owner-1"), TTL, true)
	mustAdd(t, c, "t1", "lock", []byte("owner-2"), TTL, false)
	mustGet(t, c, "t1", "lock", []byte("owner-1"))

	s.advance(TTL + margin)
	mustAdd(t, c, "t1", "lock", []byte("owner-2"), long, true)
	mustGet(t, c, "t1", "lock", []byte("owner-2"))

	// Releasing a lock is a Delete; the next Add wins again.
	if err := c.Delete(ctx, "t1", "lock"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	mustAdd(t, c, "t1", "lock", []byte("owner-3"), long, true)

	// Add does not replace a value written by Set.
	mustSet(t, c, "t1", "set", []byte("by set"), long)
	mustAdd(t, c, "t1", "set", []byte("by add"), long, false)
	mustGet(t, c, "t1", "set", []byte("by set"))
}

func (s suite) incr(t *testing.T) {
	c := s.newCache(t)
	mustIncr(t, c, "t1", "n", 1, long, 1)
	mustIncr(t, c, "t1", "n", 4, long, 5)
	mustIncr(t, c, "t1", "n", -7, long, -2)
	mustIncr(t, c, "t1", "n", 0, long, -2)
	mustGet(t, c, "t1", "n", []byte("-2"))

	mustIncr(t, c, "t1", "from zero", 0, long, 0)
	mustGet(t, c, "t1", "from zero", []byte("0"))

	// A counter written by Set as base-10 text is a counter.
	mustSet(t, c, "t1", "set", []byte("41"), long)
	mustIncr(t, c, "t1", "set", 1, long, 42)
}

func (s suite) incrTTLNotExtended(t *testing.T) {
	c := s.newCache(t)
	mustIncr(t, c, "t1", "window", 1, TTL, 1)
	s.advance(TTL / 2)
	// Same ttl again: were it restarted here, the counter would live until
	// 1.5 TTL and the next check would see 3.
	mustIncr(t, c, "t1", "window", 1, TTL, 2)
	s.advance(TTL/2 + margin)
	mustMiss(t, c, "t1", "window")
	// The expired window is gone: the counter starts over, with a new ttl.
	mustIncr(t, c, "t1", "window", 1, TTL, 1)
	s.advance(TTL / 2)
	mustIncr(t, c, "t1", "window", 1, TTL, 2)
	s.advance(TTL/2 + margin)
	mustIncr(t, c, "t1", "window", 5, TTL, 5)

	// Incr on a value written by Set keeps that Set's ttl.
	mustSet(t, c, "t1", "set", []byte("10"), TTL)
	mustIncr(t, c, "t1", "set", 1, long, 11)
	s.advance(TTL + margin)
	mustMiss(t, c, "t1", "set")
}

func (s suite) incrNonInteger(t *testing.T) {
	c, ctx := s.newCache(t), t.Context()
	mustSet(t, c, "t1", "text", []byte("not a number"), long)
	if _, err := c.Incr(ctx, "t1", "text", 1, long); !governance.IsKind(err, governance.KindConflict) {
		t.Fatalf("Incr on text = %v, want KindConflict", err)
	}
	mustGet(t, c, "t1", "text", []byte("not a number"))

	mustSet(t, c, "t1", "max", []byte("9223372036854775807"), long)
	if _, err := c.Incr(ctx, "t1", "max", 1, long); !governance.IsKind(err, governance.KindConflict) {
		t.Fatalf("Incr past MaxInt64 = %v, want KindConflict", err)
	}
	mustGet(t, c, "t1", "max", []byte("9223372036854775807"))
}

func (s suite) valueCopying(t *testing.T) {
	c, ctx := s.newCache(t), t.Context()

	in := []byte("original")
	mustSet(t, c, "t1", "set", in, long)
	copy(in, "MUTATED!")
	mustGet(t, c, "t1", "set", []byte("original"))

	in = []byte("original")
	mustAdd(t, c, "t1", "add", in, long, true)
	copy(in, "MUTATED!")
	mustGet(t, c, "t1", "add", []byte("original"))

	out, err := c.Get(ctx, "t1", "set")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	copy(out, "MUTATED!")
	mustGet(t, c, "t1", "set", []byte("original"))
}

func (s suite) invalidArguments(t *testing.T) {
	c := s.newCache(t)
	ctx := t.Context()
	v := []byte("v")
	tooLongTenant := strings.Repeat("t", 257)
	tooLongKey := strings.Repeat("k", 1025)

	type call struct {
		name string
		do   func(tenantID, key string, ttl time.Duration) error
		ttl  bool // whether the method takes a ttl
	}
	calls := []call{
		{"Get", func(tn, k string, _ time.Duration) error { _, err := c.Get(ctx, tn, k); return err }, false},
		{"Set", func(tn, k string, ttl time.Duration) error { return c.Set(ctx, tn, k, v, ttl) }, true},
		{"Add", func(tn, k string, ttl time.Duration) error { _, err := c.Add(ctx, tn, k, v, ttl); return err }, true},
		{"Delete", func(tn, k string, _ time.Duration) error { return c.Delete(ctx, tn, k) }, false},
		{"Incr", func(tn, k string, ttl time.Duration) error { _, err := c.Incr(ctx, tn, k, 1, ttl); return err }, true},
	}
	cases := []struct {
		name          string
		tenantID, key string
		ttl           time.Duration
		ttlOnly       bool
	}{
		{name: "empty tenant id", tenantID: "", key: "k", ttl: long},
		{name: "empty key", tenantID: "t1", key: "", ttl: long},
		{name: "tenant id too long", tenantID: tooLongTenant, key: "k", ttl: long},
		{name: "key too long", tenantID: "t1", key: tooLongKey, ttl: long},
		{name: "zero ttl", tenantID: "t1", key: "k", ttl: 0, ttlOnly: true},
		{name: "negative ttl", tenantID: "t1", key: "k", ttl: -time.Second, ttlOnly: true},
	}
	for _, cl := range calls {
		for _, tc := range cases {
			if tc.ttlOnly && !cl.ttl {
				continue
			}
			t.Run(cl.name+"/"+tc.name, func(t *testing.T) {
				err := cl.do(tc.tenantID, tc.key, tc.ttl)
				var gerr *governance.Error
				if !errors.As(err, &gerr) || gerr.Kind != governance.KindInvalid {
					t.Fatalf("error = %v, want a *governance.Error of kind invalid", err)
				}
				if !strings.HasPrefix(gerr.Code, "cache_") || gerr.Message == "" {
					t.Errorf("code %q, message %q: want a cache_ code and a message", gerr.Code, gerr.Message)
				}
			})
		}
	}
	// Nothing was stored by the rejected calls.
	mustMiss(t, c, "t1", "k")
}

func (s suite) tenantIsolation(t *testing.T) {
	c, ctx := s.newCache(t), t.Context()
	const a, b = "tenant-a", "tenant-b"

	mustSet(t, c, a, "k", []byte("a's"), long)
	mustMiss(t, c, b, "k")
	mustSet(t, c, b, "k", []byte("b's"), long)
	mustGet(t, c, a, "k", []byte("a's"))
	mustGet(t, c, b, "k", []byte("b's"))

	if err := c.Delete(ctx, b, "k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	mustMiss(t, c, b, "k")
	mustGet(t, c, a, "k", []byte("a's"))

	mustAdd(t, c, a, "lock", []byte("a"), long, true)
	mustAdd(t, c, b, "lock", []byte("b"), long, true)
	mustAdd(t, c, a, "lock", []byte("a2"), long, false)
	mustGet(t, c, a, "lock", []byte("a"))
	mustGet(t, c, b, "lock", []byte("b"))

	mustIncr(t, c, a, "n", 10, long, 10)
	mustIncr(t, c, b, "n", 1, long, 1)
	mustIncr(t, c, a, "n", 1, long, 11)
	mustIncr(t, c, b, "n", 1, long, 2)

	// Expiry is per tenant too.
	mustSet(t, c, a, "ttl", []byte("a"), TTL)
	mustSet(t, c, b, "ttl", []byte("b"), long)
	s.advance(TTL + margin)
	mustMiss(t, c, a, "ttl")
	mustGet(t, c, b, "ttl", []byte("b"))
}

// trickyTenantIDs covers tenant ids and keys that, naively joined into one
// string, would collide or escape their namespace.
func (s suite) trickyTenantIDs(t *testing.T) {
	c := s.newCache(t)
	pairs := []struct{ tenantID, key string }{
		{"a", "b:c"},
		{"a:b", "c"},
		{"a}", "c"},
		{"a", "}:c"},
		{"a}:b", "c"},
		{"a", "}:b}:c"},
		{"a}:{b", "c"},
		{"a", "{b}:c"},
		{"a{b}", "c"},
		{"{a}", "c"},
		{"a%7D", "c"},
		{"a%", "7D:c"},
		{"a*", "c"},
		{"a\x00", "c"},
		{"ä", "c"},
	}
	for i, p := range pairs {
		mustSet(t, c, p.tenantID, p.key, fmt.Appendf(nil, "%d", i), long)
		mustIncr(t, c, p.tenantID, "counter:"+p.key, int64(i+1), long, int64(i+1))
	}
	for i, p := range pairs {
		mustGet(t, c, p.tenantID, p.key, fmt.Appendf(nil, "%d", i))
		mustIncr(t, c, p.tenantID, "counter:"+p.key, 0, long, int64(i+1))
	}
}

func (s suite) concurrentIncr(t *testing.T) {
	c, ctx := s.newCache(t), t.Context()
	const goroutines, each = 20, 50
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for range goroutines {
		wg.Go(func() {
			for range each {
				if _, err := c.Incr(ctx, "t1", "hits", 1, long); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Incr: %v", err)
	}
	mustIncr(t, c, "t1", "hits", 0, long, goroutines*each)
}

func (s suite) concurrentAdd(t *testing.T) {
	c, ctx := s.newCache(t), t.Context()
	const goroutines = 50
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []int
		errs    []error
	)
	start := make(chan struct{})
	for i := range goroutines {
		wg.Go(func() {
			<-start
			ok, err := c.Add(ctx, "t1", "lock", fmt.Appendf(nil, "%d", i), long)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				winners = append(winners, i)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("Add: %v", errs[0])
	}
	if len(winners) != 1 {
		t.Fatalf("%d goroutines won the lock (%v), want exactly 1", len(winners), winners)
	}
	mustGet(t, c, "t1", "lock", fmt.Appendf(nil, "%d", winners[0]))
}

func (s suite) canceledContext(t *testing.T) {
	c := s.newCache(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.Get(ctx, "t1", "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a canceled context = %v, want context.Canceled", err)
	}
	if err := c.Set(ctx, "t1", "k", []byte("v"), long); !errors.Is(err, context.Canceled) {
		t.Errorf("Set with a canceled context = %v, want context.Canceled", err)
	}
	mustMiss(t, c, "t1", "k")
}

func (s suite) pingAndClose(t *testing.T) {
	c, ctx := s.newCache(t), t.Context()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close = %v, want nil", err)
	}
	if err := c.Ping(ctx); !governance.IsKind(err, governance.KindUnavailable) {
		t.Errorf("Ping after Close = %v, want KindUnavailable", err)
	}
	if _, err := c.Get(ctx, "t1", "k"); !governance.IsKind(err, governance.KindUnavailable) {
		t.Errorf("Get after Close = %v, want KindUnavailable", err)
	}
	if _, err := c.Incr(ctx, "t1", "k", 1, long); !governance.IsKind(err, governance.KindUnavailable) {
		t.Errorf("Incr after Close = %v, want KindUnavailable", err)
	}
}

func mustGet(t *testing.T, c cache.Cache, tenantID, key string, want []byte) {
	t.Helper()
	got, err := c.Get(t.Context(), tenantID, key)
	if err != nil {
		t.Fatalf("Get(%q, %q): %v", tenantID, key, err)
	}
	if got == nil || !bytes.Equal(got, want) {
		t.Fatalf("Get(%q, %q) = %q, want %q", tenantID, key, abbrev(got), abbrev(want))
	}
}

func mustMiss(t *testing.T, c cache.Cache, tenantID, key string) {
	t.Helper()
	got, err := c.Get(t.Context(), tenantID, key)
	if !errors.Is(err, cache.ErrMiss) {
		t.Fatalf("Get(%q, %q) = %q, %v; want ErrMiss", tenantID, key, abbrev(got), err)
	}
}

func mustSet(t *testing.T, c cache.Cache, tenantID, key string, value []byte, ttl time.Duration) {
	t.Helper()
	if err := c.Set(t.Context(), tenantID, key, value, ttl); err != nil {
		t.Fatalf("Set(%q, %q): %v", tenantID, key, err)
	}
}

func mustAdd(t *testing.T, c cache.Cache, tenantID, key string, value []byte, ttl time.Duration, want bool) {
	t.Helper()
	got, err := c.Add(t.Context(), tenantID, key, value, ttl)
	if err != nil {
		t.Fatalf("Add(%q, %q): %v", tenantID, key, err)
	}
	if got != want {
		t.Fatalf("Add(%q, %q) = %v, want %v", tenantID, key, got, want)
	}
}

func mustIncr(t *testing.T, c cache.Cache, tenantID, key string, delta int64, ttl time.Duration, want int64) {
	t.Helper()
	got, err := c.Incr(t.Context(), tenantID, key, delta, ttl)
	if err != nil {
		t.Fatalf("Incr(%q, %q, %d): %v", tenantID, key, delta, err)
	}
	if got != want {
		t.Fatalf("Incr(%q, %q, %d) = %d, want %d", tenantID, key, delta, got, want)
	}
}

// abbrev keeps a failure message readable when a value is large.
func abbrev(b []byte) []byte {
	if len(b) > 64 {
		return append(b[:64:64], "..."...)
	}
	return b
}
