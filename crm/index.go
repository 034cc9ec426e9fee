package crm

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stewardhq/steward/store"
)

// IndexOptions tune an Index. The zero value is valid.
type IndexOptions struct {
	// MaxRecords bounds the records held for all tenants together (default
	// 1,000,000, about 1 GB): past it, the least recently searched tenants
	// are dropped and reload from the store when next searched.
	MaxRecords int
	// MaxTenantRecords bounds one tenant's records (default 250,000): an
	// import that would pass it is refused.
	MaxTenantRecords int
	// CheckEvery is how often a search asks the store whether another
	// replica changed the tenant's records (default 10 s), one
	// primary-key read; a change reloads the tenant.
	CheckEvery time.Duration
	Now        func() time.Time
	Logger     *slog.Logger
}

// Index is an in-memory search index of the built-in connector's records,
// one snapshot per tenant, loaded from the store on a tenant's first
// search and updated by imports. It is safe for concurrent use: searches
// read immutable snapshots and never wait for an import.
type Index struct {
	db   *store.DB
	opts IndexOptions

	mu      sync.Mutex
	tenants map[string]*tenantIndex
	clock   uint64 // counts uses, for least-recently-used eviction
}

type tenantIndex struct {
	id   string
	snap atomic.Pointer[snapshot]
	// lock serializes loading, reloading and changes of this tenant; a
	// channel so waiting for it honours the caller's context.
	lock      chan struct{}
	checkedAt atomic.Int64  // unix nanoseconds of the last generation check
	lastUsed  atomic.Uint64 // Index.clock at the last use
}

// loadPage is how many records a load reads per query.
const loadPage = 5000

// NewIndex returns an empty index over db.
func NewIndex(db *store.DB, opts IndexOptions) *Index {
	if opts.MaxRecords <= 0 {
		opts.MaxRecords = 1_000_000
	}
	if opts.MaxTenantRecords <= 0 {
		opts.MaxTenantRecords = 250_000
	}
	if opts.CheckEvery <= 0 {
		opts.CheckEvery = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Index{db: db, opts: opts, tenants: map[string]*tenantIndex{}}
}

var _ Connector = (*Index)(nil)

// Search returns the tenant's records matching q, best first. It reads
// the store only on the tenant's first search, and once every CheckEvery
// to compare generations. Errors: as Connector's.
func (idx *Index) Search(ctx context.Context, tenantID string, q Query) ([]Record, error) {
	q, err := q.normalize()
	if err != nil {
		return nil, err
	}
	snap, err := idx.current(ctx, idx.tenant(tenantID))
	if err != nil {
		return nil, err
	}
	found := snap.search(q)
	out := make([]Record, len(found))
	for i, e := range found {
		out[i] = e.rec
		out[i].Fields = slices.Clone(e.rec.Fields) // the snapshot's own stay as they are
	}
	return out, nil
}

// update runs change with the tenant's lock held and its snapshot fresh,
// and swaps in the snapshot change returns. change writes the store; the
// lock keeps the index in the order the store applied the writes.
func (idx *Index) update(ctx context.Context, tenantID string, change func(*snapshot) (*snapshot, error)) error {
	ti := idx.tenant(tenantID)
	if err := ti.acquire(ctx); err != nil {
		return err
	}
	defer ti.release()
	snap, err := idx.fresh(ctx, ti, true)
	if err != nil {
		return err
	}
	next, err := change(snap)
	if err != nil || next == nil {
		return err
	}
	if next.gen < 0 {
		ti.checkedAt.Store(0) // someone else wrote too: check at the next search
	}
	ti.snap.Store(next)
	idx.evict(ti)
	return nil
}

// tenant returns the tenant's slot, creating it empty, and marks it used.
func (idx *Index) tenant(tenantID string) *tenantIndex {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	ti, ok := idx.tenants[tenantID]
	if !ok {
		ti = &tenantIndex{id: tenantID, lock: make(chan struct{}, 1)}
		idx.tenants[tenantID] = ti
	}
	idx.clock++
	ti.lastUsed.Store(idx.clock)
	return ti
}

// current returns the tenant's snapshot: loading it on first use, and
// reloading it when a check finds the store moved on. A search that finds
// another caller loading or importing uses the snapshot it has, if any.
func (idx *Index) current(ctx context.Context, ti *tenantIndex) (*snapshot, error) {
	snap := ti.snap.Load()
	if snap != nil {
		if idx.opts.Now().UnixNano()-ti.checkedAt.Load() < int64(idx.opts.CheckEvery) || !ti.tryLock() {
			return snap, nil
		}
	} else if err := ti.acquire(ctx); err != nil {
		return nil, err
	}
	defer ti.release()
	return idx.fresh(ctx, ti, false)
}

// fresh returns the tenant's snapshot, loaded or reloaded when missing,
// stale or (with always) whenever the store's generation differs. The
// caller holds ti's lock.
func (idx *Index) fresh(ctx context.Context, ti *tenantIndex, always bool) (*snapshot, error) {
	snap := ti.snap.Load()
	now := idx.opts.Now().UnixNano()
	if snap != nil && !always && now-ti.checkedAt.Load() < int64(idx.opts.CheckEvery) {
		return snap, nil // another caller checked while this one waited
	}
	gen, err := idx.db.CRMGeneration(ctx, ti.id)
	if err != nil {
		return nil, fmt.Errorf("crm: check index of %s: %w", ti.id, err)
	}
	if snap != nil && snap.gen == gen {
		ti.checkedAt.Store(now)
		return snap, nil
	}
	snap, err = idx.load(ctx, ti.id, gen)
	if err != nil {
		return nil, err
	}
	ti.snap.Store(snap)
	ti.checkedAt.Store(now)
	idx.evict(ti)
	return snap, nil
}

// load reads the tenant's records, which the store reported at generation
// gen. A change committed while it pages shows up as a newer generation at
// the next check, so nothing is missed for longer than CheckEvery.
func (idx *Index) load(ctx context.Context, tenantID string, gen int64) (*snapshot, error) {
	start := time.Now()
	var (
		entries []*entry
		after   store.CRMKey
	)
	for {
		page, err := idx.db.CRMRecords(ctx, tenantID, after, loadPage)
		if err != nil {
			return nil, fmt.Errorf("crm: load index of %s: %w", tenantID, err)
		}
		for _, r := range page {
			entries = append(entries, entryFromStore(tenantID, r))
		}
		if len(page) < loadPage {
			break
		}
		if len(entries) >= idx.opts.MaxTenantRecords {
			// Only records written around the import limit (by replicas
			// racing) get here: search what fits rather than nothing.
			idx.opts.Logger.Warn("crm index truncated", "tenant_id", tenantID, "max_tenant_records", idx.opts.MaxTenantRecords)
			entries = entries[:idx.opts.MaxTenantRecords]
			break
		}
		last := page[len(page)-1]
		after = store.CRMKey{Kind: last.Kind, ExternalID: last.ExternalID}
	}
	snap := buildSnapshot(gen, entries)
	idx.opts.Logger.Debug("crm index loaded", "tenant_id", tenantID, "records", len(entries), "words", len(snap.words),
		"duration_ms", time.Since(start).Milliseconds())
	return snap, nil
}

// evict drops the least recently used tenants other than keep until the
// records held fit MaxRecords. A dropped tenant's searches in flight
// finish on the snapshot they hold.
func (idx *Index) evict(keep *tenantIndex) {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	total := 0
	for _, ti := range idx.tenants {
		if s := ti.snap.Load(); s != nil {
			total += len(s.docs)
		}
	}
	for total > idx.opts.MaxRecords {
		var oldest *tenantIndex
		for _, ti := range idx.tenants {
			if ti != keep && ti.snap.Load() != nil && (oldest == nil || ti.lastUsed.Load() < oldest.lastUsed.Load()) {
				oldest = ti
			}
		}
		if oldest == nil {
			return
		}
		total -= len(oldest.snap.Load().docs)
		delete(idx.tenants, oldest.id)
		idx.opts.Logger.Debug("crm index evicted", "tenant_id", oldest.id)
	}
}

// resident reports whether the tenant's records are in memory.
func (idx *Index) resident(tenantID string) bool {
	idx.mu.Lock()
	defer idx.mu.Unlock()
	ti, ok := idx.tenants[tenantID]
	return ok && ti.snap.Load() != nil
}

func (ti *tenantIndex) acquire(ctx context.Context) error {
	select {
	case ti.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("crm: wait for index of %s: %w", ti.id, ctx.Err())
	}
}

func (ti *tenantIndex) tryLock() bool {
	select {
	case ti.lock <- struct{}{}:
		return true
	default:
		return false
	}
}

func (ti *tenantIndex) release() { <-ti.lock }
