// Package cache holds Steward's short-lived data: cached lookups, fixed-window
// rate-limit counters, locks and idempotency keys. Nothing in it is durable;
// callers must cope with any key vanishing early (eviction, failover).
//
// One interface, two implementations: Memory for a single node and tests,
// Redis when several replicas must share counters and locks. The conformance
// suite in cache/cachetest proves they behave the same.
package cache

import (
	"context"
	"errors"
	"time"

	"github.com/stewardhq/steward/governance"
)

// ErrMiss is returned by Get when the key is absent or expired.
//
// It is a plain sentinel rather than a governance.KindNotFound error because
// a miss is the normal path of a cache, not something to show a user.
var ErrMiss = errors.New("cache: miss")

// Cache is the contract both implementations meet.
//
// Every key lives inside its tenant's namespace: the same key under two
// tenant ids names two unrelated entries. An empty tenant id or key, a tenant
// id longer than 256 bytes, a key longer than 1024 bytes, or a ttl <= 0 is
// rejected with a *governance.Error of kind governance.KindInvalid; there is
// no "forever", so nothing outlives its purpose.
//
// Values are copied on the way in and out: a caller may reuse its slice.
// Counters written by Incr are stored as base-10 text, so Get on a counter
// returns e.g. "42".
type Cache interface {
	Get(ctx context.Context, tenantID, key string) ([]byte, error) // ErrMiss when absent/expired
	Set(ctx context.Context, tenantID, key string, value []byte, ttl time.Duration) error
	// Add stores value only if key is absent; reports whether it stored. Used for locks and idempotency keys.
	Add(ctx context.Context, tenantID, key string, value []byte, ttl time.Duration) (bool, error)
	Delete(ctx context.Context, tenantID, key string) error // absent key is not an error
	// Incr adds delta to the integer counter at key, creating it with the given ttl when absent (ttl is not extended on later increments); returns the new value. Used for fixed-window rate limits.
	// A key holding a non-integer value, or an increment that would overflow
	// int64, fails with governance.KindConflict.
	Incr(ctx context.Context, tenantID, key string, delta int64, ttl time.Duration) (int64, error)
	Ping(ctx context.Context) error
	// Close releases the cache. It is safe to call more than once; any other
	// call after it fails with governance.KindUnavailable.
	Close() error
}

// Limits on names. They keep one bad caller from filling memory with keys
// and keep Redis keys well inside what an operator can read in a SCAN.
const (
	maxTenantIDLen = 256
	maxKeyLen      = 1024
)

func validateKey(tenantID, key string) error {
	switch {
	case tenantID == "":
		return governance.Errorf(governance.KindInvalid, "cache_tenant_id_required",
			"a tenant id is required: every cache key belongs to a tenant")
	case len(tenantID) > maxTenantIDLen:
		return governance.Errorf(governance.KindInvalid, "cache_tenant_id_too_long",
			"tenant id is %d bytes; the limit is %d", len(tenantID), maxTenantIDLen)
	case key == "":
		return governance.Errorf(governance.KindInvalid, "cache_key_required",
			"a key is required")
	case len(key) > maxKeyLen:
		return governance.Errorf(governance.KindInvalid, "cache_key_too_long",
			"key is %d bytes; the limit is %d (hash long keys first)", len(key), maxKeyLen)
	}
	return nil
}

func validateEntry(tenantID, key string, ttl time.Duration) error {
	if err := validateKey(tenantID, key); err != nil {
		return err
	}
	if ttl <= 0 {
		return governance.Errorf(governance.KindInvalid, "cache_ttl_invalid",
			"ttl must be positive, got %v: every cache entry must expire", ttl)
	}
	return nil
}

// errNotInteger and errOverflow are shared so both implementations report a
// misused counter the same way.
func errNotInteger() error {
	return governance.Errorf(governance.KindConflict, "cache_value_not_integer",
		"the value at this key is not an integer counter")
}

func errOverflow() error {
	return governance.Errorf(governance.KindConflict, "cache_counter_overflow",
		"incrementing the counter would overflow int64")
}

func errClosed() error {
	return governance.Errorf(governance.KindUnavailable, "cache_closed",
		"the cache is closed")
}
