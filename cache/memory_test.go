package cache_test

import (
	"errors"
	"fmt"
	"github.com/stewardhq/steward/internal/testenv"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/cache"
	"github.com/stewardhq/steward/cache/cachetest"
	"github.com/stewardhq/steward/governance"
)

func newMemory(t *testing.T, opts cache.MemoryOptions) *cache.Memory {
	t.Helper()
	m := cache.NewMemory(opts)
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func TestMemoryConformance(t *testing.T) {
	clock := testenv.NewClock()
	cachetest.Run(t, func(t *testing.T) cache.Cache {
		return newMemory(t, cache.MemoryOptions{Now: clock.Now})
	}, clock.Advance)
}

func TestMemoryDefaults(t *testing.T) {
	m := newMemory(t, cache.MemoryOptions{})
	ctx := t.Context()
	if err := m.Set(ctx, "t1", "k", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if got, err := m.Get(ctx, "t1", "k"); err != nil || string(got) != "v" {
		t.Fatalf("Get = %q, %v; want \"v\"", got, err)
	}
	// The default byte bound is what the documentation promises.
	big := make([]byte, cache.DefaultMaxBytes)
	if err := m.Set(ctx, "t1", "big", big, time.Minute); !governance.IsKind(err, governance.KindInvalid) {
		t.Fatalf("Set of a value larger than the default bound = %v, want KindInvalid", err)
	}
}

func TestMemoryEntryBound(t *testing.T) {
	m := newMemory(t, cache.MemoryOptions{MaxEntries: 3, Now: testenv.NewClock().Now})
	for i := range 5 {
		set(t, m, fmt.Sprintf("k%d", i), "v")
	}
	wantStats(t, m, cache.MemoryStats{Entries: 3, Bytes: 3 * int64(len("t1"+"k0"+"v")), Evictions: 2})
	wantKeys(t, m, []string{"k2", "k3", "k4"}, []string{"k0", "k1"})
}

func TestMemoryByteBound(t *testing.T) {
	ctx := t.Context()
	m := newMemory(t, cache.MemoryOptions{MaxBytes: 100, Now: testenv.NewClock().Now})
	// Each entry is tenant "t1" (2) + key "kN" (2) + 26 bytes of value = 30.
	value := strings.Repeat("v", 26)
	for i := range 4 {
		set(t, m, fmt.Sprintf("k%d", i), value)
	}
	wantStats(t, m, cache.MemoryStats{Entries: 3, Bytes: 90, Evictions: 1})
	wantKeys(t, m, []string{"k1", "k2", "k3"}, []string{"k0"})

	// Growing an entry in place evicts others to make room.
	set(t, m, "k3", strings.Repeat("v", 76)) // 80 bytes
	wantStats(t, m, cache.MemoryStats{Entries: 1, Bytes: 80, Evictions: 3})
	wantKeys(t, m, []string{"k3"}, []string{"k1", "k2"})

	// An entry that can never fit is refused, and the key's old value is
	// dropped rather than left behind stale.
	err := m.Set(ctx, "t1", "k3", []byte(strings.Repeat("v", 97)), time.Minute)
	var gerr *governance.Error
	if !errors.As(err, &gerr) || gerr.Kind != governance.KindInvalid || gerr.Code != "cache_entry_too_large" {
		t.Fatalf("Set of a 101-byte entry into a 100-byte cache = %v, want cache_entry_too_large", err)
	}
	wantStats(t, m, cache.MemoryStats{Entries: 0, Bytes: 0, Evictions: 3})
	if _, err := m.Add(ctx, "t1", "k3", []byte(strings.Repeat("v", 97)), time.Minute); !governance.IsKind(err, governance.KindInvalid) {
		t.Fatalf("Add of a 101-byte entry = %v, want KindInvalid", err)
	}
	// Exactly the bound fits.
	set(t, m, "k3", strings.Repeat("v", 96))
	wantStats(t, m, cache.MemoryStats{Entries: 1, Bytes: 100, Evictions: 3})
}

func TestMemoryLRUOrder(t *testing.T) {
	ctx := t.Context()
	m := newMemory(t, cache.MemoryOptions{MaxEntries: 3, Now: testenv.NewClock().Now})
	for _, k := range []string{"a", "b", "c", "d"} {
		set(t, m, k, "v")
	}
	// Order, oldest first: b c d. Reading, overwriting and incrementing each
	// count as a use; a miss or a failed Add does not touch anything.
	if _, err := m.Get(ctx, "t1", "b"); err != nil {
		t.Fatal(err)
	}
	// c d b
	if ok, err := m.Add(ctx, "t1", "c", []byte("x"), time.Minute); ok || err != nil {
		t.Fatalf("Add on a present key = %v, %v", ok, err)
	}
	set(t, m, "c", "w") // d b c
	set(t, m, "e", "v") // evicts d: b c e
	wantKeys(t, m, []string{"b", "c", "e"}, []string{"a", "d"})

	if _, err := m.Incr(ctx, "t1", "n", 1, time.Minute); err != nil { // evicts b: c e n
		t.Fatal(err)
	}
	if _, err := m.Get(ctx, "t1", "c"); err != nil { // e n c
		t.Fatal(err)
	}
	set(t, m, "f", "v") // evicts e: n c f
	wantKeys(t, m, []string{"n", "c", "f"}, []string{"b", "e"})
}

func TestMemoryEvictsExpiredFirst(t *testing.T) {
	clock := testenv.NewClock()
	m := newMemory(t, cache.MemoryOptions{MaxEntries: 3, Now: clock.Now})
	ctx := t.Context()
	set(t, m, "oldest", "v") // the LRU victim, were nothing expired
	if err := m.Set(ctx, "t1", "short", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	set(t, m, "newer", "v")
	clock.Advance(2 * time.Minute)
	set(t, m, "newest", "v")
	wantStats(t, m, cache.MemoryStats{Entries: 3, Bytes: int64(3*len("t1v") + len("oldest") + len("newer") + len("newest")), Expirations: 1})
	wantKeys(t, m, []string{"oldest", "newer", "newest"}, []string{"short"})
}

func TestMemoryLazyExpiry(t *testing.T) {
	clock := testenv.NewClock()
	m := newMemory(t, cache.MemoryOptions{Now: clock.Now})
	ctx := t.Context()
	if err := m.Set(ctx, "t1", "k", []byte("v"), time.Second); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	// Still held: nothing has touched it since it expired.
	wantStats(t, m, cache.MemoryStats{Entries: 1, Bytes: 4})
	if _, err := m.Get(ctx, "t1", "k"); !errors.Is(err, cache.ErrMiss) {
		t.Fatalf("Get at the expiry instant = %v, want ErrMiss", err)
	}
	wantStats(t, m, cache.MemoryStats{Expirations: 1})
}

func TestMemoryBytesFollowCounters(t *testing.T) {
	m := newMemory(t, cache.MemoryOptions{Now: testenv.NewClock().Now})
	ctx := t.Context()
	for _, step := range []struct{ delta, want int64 }{{9, 9}, {1, 10}, {90, 100}} {
		n, err := m.Incr(ctx, "t1", "n", step.delta, time.Minute)
		if err != nil || n != step.want {
			t.Fatalf("Incr = %d, %v; want %d", n, err, step.want)
		}
		wantStats(t, m, cache.MemoryStats{Entries: 1, Bytes: int64(len("t1n") + len(fmt.Sprint(step.want)))})
	}
	if err := m.Delete(ctx, "t1", "n"); err != nil {
		t.Fatal(err)
	}
	wantStats(t, m, cache.MemoryStats{})
}

func set(t *testing.T, m *cache.Memory, key, value string) {
	t.Helper()
	if err := m.Set(t.Context(), "t1", key, []byte(value), time.Hour); err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

// wantKeys checks which keys of tenant t1 are held. Reading a key makes it
// the most recently used, so list present keys least recently used first to
// leave the order as it was.
func wantKeys(t *testing.T, m *cache.Memory, present, absent []string) {
	t.Helper()
	for _, k := range absent {
		if _, err := m.Get(t.Context(), "t1", k); !errors.Is(err, cache.ErrMiss) {
			t.Errorf("Get(%q) = %v, want ErrMiss", k, err)
		}
	}
	for _, k := range present {
		if _, err := m.Get(t.Context(), "t1", k); err != nil {
			t.Errorf("Get(%q) = %v, want present", k, err)
		}
	}
}

func wantStats(t *testing.T, m *cache.Memory, want cache.MemoryStats) {
	t.Helper()
	if got := m.Stats(); got != want {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
}
