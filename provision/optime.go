package provision

import (
	"slices"
	"sync"
	"time"
)

// opTimes learns how long Teams takes to create a team in each tenant, from
// the operations' own timestamps (createdDateTime to lastActionDateTime of
// a succeeded operation, both Graph's clock, so skew does not enter), so
// that the first poll comes when a team is usually ready instead of at a
// fixed guess: a poll too early costs a call and a wait of its own, a
// poll too late delays the team. Each process learns on its own; until it
// has seen enough operations it polls at PollFirst.
type opTimes struct {
	mu   sync.Mutex
	seen map[string]*opRing
}

// opSamples is how many recent operations a tenant's estimate is drawn
// from; opMinSamples how many it needs before it is used.
const (
	opSamples    = 32
	opMinSamples = 5
)

type opRing struct {
	d    [opSamples]time.Duration
	n    int // samples held, up to opSamples
	next int
}

func newOpTimes() *opTimes { return &opTimes{seen: map[string]*opRing{}} }

// observe records one succeeded operation of tenant. Implausible spans
// (negative, or over an hour: a clock Graph reset, a timestamp missing)
// are ignored.
func (o *opTimes) observe(tenant string, created, finished time.Time) {
	if created.IsZero() || finished.IsZero() {
		return
	}
	d := finished.Sub(created)
	if d <= 0 || d > time.Hour {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.seen[tenant]
	if r == nil {
		r = &opRing{}
		o.seen[tenant] = r
	}
	r.d[r.next] = d
	r.next = (r.next + 1) % opSamples
	r.n = min(r.n+1, opSamples)
}

// typical is the third quartile of the tenant's recent operations: three
// teams in four are ready by then. ok is false until enough were seen.
func (o *opTimes) typical(tenant string) (time.Duration, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.seen[tenant]
	if r == nil || r.n < opMinSamples {
		return 0, false
	}
	s := slices.Clone(r.d[:r.n])
	slices.Sort(s)
	return s[(3*len(s)-1)/4], true
}
