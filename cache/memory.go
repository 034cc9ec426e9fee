package cache

import (
	"container/heap"
	"container/list"
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/stewardhq/steward/governance"
)

// Default bounds for a Memory cache. They fit a single-node install with room
// to spare while keeping a runaway caller from taking the process down.
const (
	DefaultMaxEntries       = 100_000
	DefaultMaxBytes   int64 = 64 << 20
)

// MemoryOptions configures NewMemory. Zero values take the defaults.
type MemoryOptions struct {
	// MaxEntries bounds the number of entries (default DefaultMaxEntries).
	MaxEntries int
	// MaxBytes bounds the sum of tenant id, key and value lengths of all
	// entries (default DefaultMaxBytes). Bookkeeping overhead is not counted,
	// so the process uses somewhat more than this.
	MaxBytes int64
	// Now is the clock (default time.Now). Tests inject a fake one so that
	// expiry is tested without sleeping.
	Now func() time.Time
}

// MemoryStats is a snapshot of a Memory cache, for tests and metrics.
type MemoryStats struct {
	Entries     int    // entries held, including expired ones not yet purged
	Bytes       int64  // sum of tenant id, key and value lengths
	Evictions   uint64 // live entries dropped to respect the bounds
	Expirations uint64 // entries dropped because their ttl had passed
}

// Memory is a bounded in-process Cache: the embedded default for one node.
// It evicts expired entries first and then the least recently used, by entry
// count and by bytes. It is safe for concurrent use.
//
// A Memory is not shared between processes: with several replicas, each one
// counts its own rate limits and holds its own locks. Use Redis there.
type Memory struct {
	now        func() time.Time
	maxEntries int
	maxBytes   int64

	mu       sync.Mutex
	closed   bool
	items    map[memKey]*memEntry
	lru      *list.List // of *memEntry; front is most recently used
	expiries expiryHeap // soonest expiry on top, so purging is cheap
	bytes    int64
	evicted  uint64
	expired  uint64
}

var _ Cache = (*Memory)(nil)

// memKey keeps tenant id and key as separate fields, so no choice of
// characters in either can make two tenants' keys collide.
type memKey struct{ tenantID, key string }

type memEntry struct {
	k       memKey
	value   []byte
	expires time.Time
	size    int64
	elem    *list.Element
	heapIdx int
}

// NewMemory returns an empty Memory cache.
func NewMemory(opts MemoryOptions) *Memory {
	m := &Memory{
		now:        opts.Now,
		maxEntries: opts.MaxEntries,
		maxBytes:   opts.MaxBytes,
		items:      make(map[memKey]*memEntry),
		lru:        list.New(),
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.maxEntries <= 0 {
		m.maxEntries = DefaultMaxEntries
	}
	if m.maxBytes <= 0 {
		m.maxBytes = DefaultMaxBytes
	}
	return m
}

// Get returns a copy of the value at key, or ErrMiss.
func (m *Memory) Get(ctx context.Context, tenantID, key string) ([]byte, error) {
	if err := validateKey(tenantID, key); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "get"); err != nil {
		return nil, err
	}
	e := m.lookup(memKey{tenantID, key}, m.now())
	if e == nil {
		return nil, ErrMiss
	}
	m.lru.MoveToFront(e.elem)
	return clone(e.value), nil
}

// Set stores a copy of value at key for ttl, replacing any previous value
// and its ttl. A value too large to ever fit the byte bound is rejected with
// governance.KindInvalid, and the previous value is dropped so that a caller
// ignoring the error does not keep reading stale data.
func (m *Memory) Set(ctx context.Context, tenantID, key string, value []byte, ttl time.Duration) error {
	if err := validateEntry(tenantID, key, ttl); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "set"); err != nil {
		return err
	}
	now := m.now()
	return m.put(memKey{tenantID, key}, value, now.Add(ttl), now)
}

// Add stores a copy of value only if key is absent or expired.
func (m *Memory) Add(ctx context.Context, tenantID, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := validateEntry(tenantID, key, ttl); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "add"); err != nil {
		return false, err
	}
	k := memKey{tenantID, key}
	now := m.now()
	if m.lookup(k, now) != nil {
		return false, nil
	}
	if err := m.put(k, value, now.Add(ttl), now); err != nil {
		return false, err
	}
	return true, nil
}

// Delete removes key; an absent key is not an error.
func (m *Memory) Delete(ctx context.Context, tenantID, key string) error {
	if err := validateKey(tenantID, key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "delete"); err != nil {
		return err
	}
	if e := m.items[memKey{tenantID, key}]; e != nil {
		m.remove(e)
	}
	return nil
}

// Incr adds delta to the counter at key; see Cache.
func (m *Memory) Incr(ctx context.Context, tenantID, key string, delta int64, ttl time.Duration) (int64, error) {
	if err := validateEntry(tenantID, key, ttl); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "incr"); err != nil {
		return 0, err
	}
	k := memKey{tenantID, key}
	now := m.now()
	n, expires := delta, now.Add(ttl)
	if e := m.lookup(k, now); e != nil {
		cur, err := strconv.ParseInt(string(e.value), 10, 64)
		if err != nil {
			return 0, errNotInteger()
		}
		if (delta > 0 && cur > math.MaxInt64-delta) || (delta < 0 && cur < math.MinInt64-delta) {
			return 0, errOverflow()
		}
		// The window's end stays where it was: extending it on every hit
		// would let a steady caller never be reset.
		n, expires = cur+delta, e.expires
	}
	if err := m.put(k, strconv.AppendInt(nil, n, 10), expires, now); err != nil {
		return 0, err
	}
	return n, nil
}

// Ping reports whether the cache is open.
func (m *Memory) Ping(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.usable(ctx, "ping")
}

// Close drops every entry. Later calls fail with governance.KindUnavailable.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.items = make(map[memKey]*memEntry)
	m.lru.Init()
	m.expiries = nil
	m.bytes = 0
	return nil
}

// Stats returns a snapshot of the cache's size and counters.
func (m *Memory) Stats() MemoryStats {
	m.mu.Lock()
	defer m.mu.Unlock()
	return MemoryStats{
		Entries:     len(m.items),
		Bytes:       m.bytes,
		Evictions:   m.evicted,
		Expirations: m.expired,
	}
}

// usable is checked under the lock, after argument validation, so that a
// caller's programming error is reported the same whether or not the cache is
// open.
func (m *Memory) usable(ctx context.Context, op string) error {
	if m.closed {
		return errClosed()
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cache: memory: %s: %w", op, err)
	}
	return nil
}

// lookup returns the live entry at k, dropping it if it has expired: expiry
// is lazy, so a key nobody touches again is only reclaimed by purgeExpired.
func (m *Memory) lookup(k memKey, now time.Time) *memEntry {
	e := m.items[k]
	if e == nil {
		return nil
	}
	if !now.Before(e.expires) {
		m.remove(e)
		m.expired++
		return nil
	}
	return e
}

// put stores a copy of value at k as the most recently used entry, then
// restores the bounds. The size check comes before the copy so an oversized
// value is never duplicated.
func (m *Memory) put(k memKey, value []byte, expires, now time.Time) error {
	size := int64(len(k.tenantID) + len(k.key) + len(value))
	if size > m.maxBytes {
		if e := m.items[k]; e != nil {
			m.remove(e)
		}
		return governance.Errorf(governance.KindInvalid, "cache_entry_too_large",
			"entry is %d bytes; this cache holds at most %d", size, m.maxBytes)
	}
	value = clone(value)
	if e := m.items[k]; e != nil {
		m.bytes += size - e.size
		e.value, e.size, e.expires = value, size, expires
		heap.Fix(&m.expiries, e.heapIdx)
		m.lru.MoveToFront(e.elem)
	} else {
		e = &memEntry{k: k, value: value, expires: expires, size: size}
		e.elem = m.lru.PushFront(e)
		heap.Push(&m.expiries, e)
		m.items[k] = e
		m.bytes += size
	}
	m.purgeExpired(now)
	m.evict()
	return nil
}

// purgeExpired drops every expired entry. Running it on each write keeps the
// memory held proportional to live data, and it guarantees expired entries
// go before any live one is evicted. Each entry is purged at most once, so
// the cost is amortised O(log n) per write.
func (m *Memory) purgeExpired(now time.Time) {
	for len(m.expiries) > 0 && !now.Before(m.expiries[0].expires) {
		m.remove(m.expiries[0])
		m.expired++
	}
}

// evict drops least recently used entries until both bounds hold. The entry
// just written is at the front and fits on its own, so it is never chosen.
func (m *Memory) evict() {
	for len(m.items) > m.maxEntries || m.bytes > m.maxBytes {
		m.remove(m.lru.Back().Value.(*memEntry))
		m.evicted++
	}
}

func (m *Memory) remove(e *memEntry) {
	delete(m.items, e.k)
	m.lru.Remove(e.elem)
	heap.Remove(&m.expiries, e.heapIdx)
	m.bytes -= e.size
}

func clone(b []byte) []byte {
	// Never nil, so an empty stored value is distinguishable from a miss.
	return append([]byte{}, b...)
}

// expiryHeap is a min-heap of entries by expiry time.
type expiryHeap []*memEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = i
	h[j].heapIdx = j
}

func (h *expiryHeap) Push(x any) {
	e := x.(*memEntry)
	e.heapIdx = len(*h)
	*h = append(*h, e)
}

func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
