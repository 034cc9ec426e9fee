package edge

import (
	"context"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stewardhq/steward/governance"
)

// ShedOptions configures a Shedder.
type ShedOptions struct {
	// MaxInFlight is how many ordinary requests are served at once.
	MaxInFlight int
	// CriticalReserve is how many more slots only critical requests
	// (health checks, the bot endpoint) may take, so they are served while
	// ordinary traffic holds every other slot. Default: MaxInFlight/4, at
	// least 4.
	CriticalReserve int
	// MaxPerClient bounds one client IP's requests in flight, critical ones
	// included, so one address holding slow requests (slow bodies, slow
	// reads) cannot take every slot. 0: no per-client bound.
	MaxPerClient int
	// QueueWait is how long a request waits for a slot before it is shed
	// (default 100 ms).
	QueueWait time.Duration
	// MaxQueue bounds the ordinary requests waiting at once; more are shed
	// at once (default MaxInFlight).
	MaxQueue int
	// RetryAfter is what a shed request is told (default 1 s).
	RetryAfter time.Duration
}

// Shedder is a concurrency limiter: it bounds the requests in flight and
// sheds ordinary requests first, with 503 and Retry-After, when the server
// is saturated.
type Shedder struct {
	ordinary   chan struct{}
	reserve    chan struct{}
	wait       time.Duration
	maxQueue   int64
	retryAfter time.Duration
	queued     atomic.Int64

	perClient int
	mu        sync.Mutex
	clients   map[netip.Addr]int // in flight per client; entries at 0 are deleted
}

// NewShedder returns a Shedder, or an error if opts are out of range.
func NewShedder(opts ShedOptions) (*Shedder, error) {
	switch {
	case opts.MaxInFlight < 1:
		return nil, governance.Errorf(governance.KindInvalid, "shed_invalid", "MaxInFlight must be at least 1, got %d", opts.MaxInFlight)
	case opts.CriticalReserve < 0, opts.MaxPerClient < 0, opts.QueueWait < 0, opts.MaxQueue < 0, opts.RetryAfter < 0:
		return nil, governance.Errorf(governance.KindInvalid, "shed_invalid", "CriticalReserve, MaxPerClient, QueueWait, MaxQueue and RetryAfter must not be negative")
	}
	if opts.CriticalReserve == 0 {
		opts.CriticalReserve = max(4, opts.MaxInFlight/4)
	}
	if opts.QueueWait == 0 {
		opts.QueueWait = 100 * time.Millisecond
	}
	if opts.MaxQueue == 0 {
		opts.MaxQueue = opts.MaxInFlight
	}
	if opts.RetryAfter == 0 {
		opts.RetryAfter = time.Second
	}
	return &Shedder{
		ordinary: make(chan struct{}, opts.MaxInFlight), reserve: make(chan struct{}, opts.CriticalReserve),
		wait: opts.QueueWait, maxQueue: int64(opts.MaxQueue), retryAfter: opts.RetryAfter,
		perClient: opts.MaxPerClient, clients: map[netip.Addr]int{},
	}, nil
}

// Acquire takes a slot for one request from client. It returns the
// function that gives the slot back, or ok false when the request is to be
// shed. A critical request takes a reserved slot first, then an ordinary
// one; an ordinary request never takes a reserved slot.
func (s *Shedder) Acquire(ctx context.Context, critical bool, client netip.Addr) (release func(), ok bool) {
	if !s.enterClient(client) {
		return nil, false
	}
	var slot chan struct{}
	if critical {
		slot = s.acquireCritical(ctx)
	} else {
		slot = s.acquireOrdinary(ctx)
	}
	if slot == nil {
		s.leaveClient(client)
		return nil, false
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-slot
			s.leaveClient(client)
		})
	}, true
}

func (s *Shedder) acquireCritical(ctx context.Context) chan struct{} {
	select {
	case s.reserve <- struct{}{}:
		return s.reserve
	default:
	}
	select {
	case s.ordinary <- struct{}{}:
		return s.ordinary
	default:
	}
	t := time.NewTimer(s.wait)
	defer t.Stop()
	select {
	case s.reserve <- struct{}{}:
		return s.reserve
	case s.ordinary <- struct{}{}:
		return s.ordinary
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

func (s *Shedder) acquireOrdinary(ctx context.Context) chan struct{} {
	select {
	case s.ordinary <- struct{}{}:
		return s.ordinary
	default:
	}
	// A bounded queue: past it, waiting would only pile up goroutines.
	if s.queued.Add(1) > s.maxQueue {
		s.queued.Add(-1)
		return nil
	}
	defer s.queued.Add(-1)
	t := time.NewTimer(s.wait)
	defer t.Stop()
	select {
	case s.ordinary <- struct{}{}:
		return s.ordinary
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

func (s *Shedder) enterClient(c netip.Addr) bool {
	if s.perClient == 0 {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients[c] >= s.perClient {
		return false
	}
	s.clients[c]++
	return true
}

func (s *Shedder) leaveClient(c netip.Addr) {
	if s.perClient == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients[c] <= 1 {
		delete(s.clients, c)
		return
	}
	s.clients[c]--
}

// InFlight reports the ordinary and reserved slots taken.
func (s *Shedder) InFlight() (ordinary, reserved int) { return len(s.ordinary), len(s.reserve) }

// IsCritical is the default classification of critical requests: the
// health checks an orchestrator restarts replicas on, and the bot endpoint
// (messages and the invokes Teams waits at most 5 seconds for).
func IsCritical(r *http.Request) bool {
	switch r.URL.Path {
	case "/healthz", "/readyz":
		return r.Method == http.MethodGet || r.Method == http.MethodHead
	case "/api/messages":
		return r.Method == http.MethodPost
	}
	return false
}
