package vault

import (
	"container/list"
	"crypto/cipher"
	"sync"
	"time"
)

// dekRef names one data key of one tenant.
type dekRef struct{ tenantID, id string }

// dekCache keeps unwrapped data keys, as ready ciphers, for a fixed time
// after they were unwrapped (not after last use: an expired key is unwrapped
// again, so a KEK revoked at the provider stops working within the TTL). It
// holds at most max entries, dropping the least recently used.
type dekCache struct {
	ttl time.Duration // <= 0 disables the cache
	max int
	now func() time.Time

	mu    sync.Mutex
	lru   *list.List // of *dekEntry, most recently used first
	byRef map[dekRef]*list.Element
}

type dekEntry struct {
	ref     dekRef
	aead    cipher.AEAD
	expires time.Time
}

func newDEKCache(ttl time.Duration, maxEntries int, now func() time.Time) *dekCache {
	return &dekCache{ttl: ttl, max: maxEntries, now: now, lru: list.New(), byRef: make(map[dekRef]*list.Element)}
}

func (c *dekCache) get(ref dekRef) (cipher.AEAD, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byRef[ref]
	if !ok {
		return nil, false
	}
	e := el.Value.(*dekEntry)
	if !c.now().Before(e.expires) {
		c.lru.Remove(el)
		delete(c.byRef, ref)
		return nil, false
	}
	c.lru.MoveToFront(el)
	return e.aead, true
}

func (c *dekCache) put(ref dekRef, aead cipher.AEAD) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	expires := c.now().Add(c.ttl)
	if el, ok := c.byRef[ref]; ok {
		e := el.Value.(*dekEntry)
		e.aead, e.expires = aead, expires
		c.lru.MoveToFront(el)
		return
	}
	c.byRef[ref] = c.lru.PushFront(&dekEntry{ref: ref, aead: aead, expires: expires})
	for c.lru.Len() > c.max {
		oldest := c.lru.Back()
		c.lru.Remove(oldest)
		delete(c.byRef, oldest.Value.(*dekEntry).ref)
	}
}

func (c *dekCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
