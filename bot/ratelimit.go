package bot

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// Window allows Limit calls in any sliding interval of length Per.
type Window struct {
	Limit int
	Per   time.Duration
}

func (w Window) String() string { return fmt.Sprintf("%d/%s", w.Limit, w.Per) }

// ThreadLimits are the Bot Connector limits Steward keeps to, for one bot.
// Every window of a set applies at once.
type ThreadLimits struct {
	// Thread limits the calls to one conversation (thread): sends,
	// replies, updates and conversation creations.
	Thread []Window
	// Tenant limits all the bot's calls into one tenant.
	Tenant []Window
	// Margin lengthens every window. Microsoft counts a call when it
	// arrives, not when Steward reserved it; calls that leave together
	// arrive with different delays, and the margin absorbs that spread.
	Margin time.Duration
}

// DefaultMargin is the Margin of DefaultLimits. 50 ms let a 10,000-message
// burst draw 54 429s (0.54 %) from the per-tenant limit on a loaded
// machine; 100 ms drew none, for 3 points of throughput (bench/notify,
// BENCHMARKS.md).
const DefaultMargin = 100 * time.Millisecond

// DefaultLimits are the limits Microsoft documents in "Rate limiting for
// agents" (Teams platform docs): per bot per thread, 7 per 1 s, 8 per 2 s,
// 60 per 30 s and 1800 per hour for sending and for creating a
// conversation; per app per tenant, 50 requests per second.
func DefaultLimits() ThreadLimits {
	return ThreadLimits{
		Thread: []Window{{7, time.Second}, {8, 2 * time.Second}, {60, 30 * time.Second}, {1800, time.Hour}},
		Tenant: []Window{{50, time.Second}},
		Margin: DefaultMargin,
	}
}

func (l ThreadLimits) isZero() bool {
	return len(l.Thread) == 0 && len(l.Tenant) == 0 && l.Margin == 0
}

func (l ThreadLimits) validate() error {
	for _, w := range slices.Concat(l.Thread, l.Tenant) {
		if w.Limit < 1 || w.Per <= 0 {
			return fmt.Errorf("bot: limit window %s: use a positive limit and period", w)
		}
	}
	if l.Margin < 0 {
		return fmt.Errorf("bot: limit margin %s is negative", l.Margin)
	}
	return nil
}

// LimitKey names what a call counts against: the tenant's budget always,
// and the conversation's when Conversation is set (a conversation creation
// has none yet).
type LimitKey struct {
	Tenant       string
	Conversation string
}

// spreadHorizon bounds the windows whose sustained rate spaces out the
// estimates given to refused callers: an hourly budget only matters to a
// conversation that has been busy for half an hour.
const spreadHorizon = time.Minute

// Limiter hands out call times that keep a bot within ThreadLimits. It
// keeps, per conversation and per tenant, the times of the calls it
// admitted (past and reserved), so it finds the earliest time every window
// allows; keys idle for longer than their longest window are evicted. It is
// safe for concurrent use and runs no goroutines.
type Limiter struct {
	limits ThreadLimits

	mu        sync.Mutex
	keys      map[limitKey]*keyState
	lastSweep time.Time
}

type limitKey struct {
	tenant, conversation string
}

// keyState is one key's admitted call times, sorted, and the virtual tail
// of the callers it turned away (see ReserveWithin).
type keyState struct {
	times []time.Time
	tail  time.Time
}

// NewLimiter returns a limiter for l (zero: DefaultLimits).
func NewLimiter(l ThreadLimits) (*Limiter, error) {
	if l.isZero() {
		l = DefaultLimits()
	}
	if err := l.validate(); err != nil {
		return nil, err
	}
	return &Limiter{limits: l, keys: map[limitKey]*keyState{}}, nil
}

// Limits are the limits in force.
func (l *Limiter) Limits() ThreadLimits { return l.limits }

// Reserve admits a call for k at the earliest time at or after now that
// every window allows, and returns how long to wait until then. The call
// must then be made at that time: a reserved slot nobody uses only wastes
// capacity, but a call made late may crowd a later window.
func (l *Limiter) Reserve(k LimitKey, now time.Time) time.Duration {
	wait, _ := l.reserve(k, now, -1)
	return wait
}

// ReserveWithin is Reserve for callers that would rather come back than
// wait long: it admits the call only if its slot is at most max away. When
// it is not, nothing is reserved and wait estimates when to come back:
// refused callers are spaced at the key's sustained rate behind each other,
// so that a crowd that comes back does so at the pace the limits allow
// instead of all at once.
func (l *Limiter) ReserveWithin(k LimitKey, now time.Time, max time.Duration) (wait time.Duration, ok bool) {
	return l.reserve(k, now, max)
}

func (l *Limiter) reserve(k LimitKey, now time.Time, max time.Duration) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	type part struct {
		st      *keyState
		windows []Window
	}
	var parts []part
	if len(l.limits.Tenant) > 0 {
		parts = append(parts, part{l.state(limitKey{tenant: k.Tenant}, now), l.limits.Tenant})
	}
	if k.Conversation != "" && len(l.limits.Thread) > 0 {
		parts = append(parts, part{l.state(limitKey{tenant: k.Tenant, conversation: k.Conversation}, now), l.limits.Thread})
	}
	// The earliest time every window of every part allows: each pass
	// moves t to the latest earliest-time of the parts, until all agree.
	t := now
	for range 10000 {
		moved := false
		for _, p := range parts {
			if e := l.earliest(p.st.times, p.windows, t); e.After(t) {
				t, moved = e, true
			}
		}
		if !moved {
			break
		}
	}
	if max < 0 || t.Sub(now) <= max {
		for _, p := range parts {
			p.st.times = insertSorted(p.st.times, t)
		}
		return t.Sub(now), true
	}
	// Refused: queue the caller behind earlier refused callers of the keys
	// that are short of capacity.
	var back time.Time
	for _, p := range parts {
		own := l.earliest(p.st.times, p.windows, now)
		if own.Sub(now) <= max {
			continue
		}
		v := own
		if p.st.tail.After(v) {
			v = p.st.tail
		}
		p.st.tail = v.Add(l.spacing(p.windows))
		if v.After(back) {
			back = v
		}
	}
	if back.IsZero() { // only the parts together were short
		back = t
	}
	return back.Sub(now), false
}

// spacing is the interval between calls at the slowest sustained rate of
// the windows within spreadHorizon.
func (l *Limiter) spacing(ws []Window) time.Duration {
	var s time.Duration
	for _, w := range ws {
		if w.Per <= spreadHorizon {
			s = max(s, (w.Per+l.limits.Margin)/time.Duration(w.Limit))
		}
	}
	return s
}

func (l *Limiter) state(k limitKey, now time.Time) *keyState {
	st := l.keys[k]
	if st == nil {
		st = &keyState{}
		l.keys[k] = st
	}
	// Forget calls no window can see any more.
	horizon := now.Add(-l.longest())
	i := sort.Search(len(st.times), func(i int) bool { return st.times[i].After(horizon) })
	if i > 0 {
		st.times = slices.Delete(st.times, 0, i)
	}
	return st
}

func (l *Limiter) longest() time.Duration {
	var p time.Duration
	for _, w := range slices.Concat(l.limits.Thread, l.limits.Tenant) {
		p = max(p, w.Per)
	}
	return p + l.limits.Margin
}

// sweep evicts idle keys, at most once per longest window, so the map
// holds only keys used within the last two longest windows.
func (l *Limiter) sweep(now time.Time) {
	longest := l.longest()
	if now.Sub(l.lastSweep) < longest {
		return
	}
	l.lastSweep = now
	for k, st := range l.keys {
		if (len(st.times) == 0 || now.Sub(st.times[len(st.times)-1]) > longest) && !st.tail.After(now) {
			delete(l.keys, k)
		}
	}
}

// earliest is the first time at or after t at which one more call fits
// every window, given the admitted calls ts (sorted).
func (l *Limiter) earliest(ts []time.Time, windows []Window, t time.Time) time.Time {
	for range len(ts) + 2 {
		next, ok := l.fits(ts, windows, t)
		if ok {
			return t
		}
		t = next
	}
	return t
}

// fits reports whether a call at t keeps every window within its limit,
// counting calls at equal times as inside each other's window (the order
// Microsoft sees them in is unknown). If it does not, next is a later time
// worth trying.
func (l *Limiter) fits(ts []time.Time, windows []Window, t time.Time) (next time.Time, ok bool) {
	next = t
	for _, w := range windows {
		per := w.Per + l.limits.Margin
		// Backward: calls in (t-per, t] plus this one.
		lo := sort.Search(len(ts), func(i int) bool { return ts[i].After(t.Add(-per)) })
		hi := sort.Search(len(ts), func(i int) bool { return ts[i].After(t) })
		if n := hi - lo; n >= w.Limit {
			// The (n-Limit+1)th call of the window must leave it.
			if leave := ts[lo+n-w.Limit].Add(per); leave.After(next) {
				next = leave
			}
			continue
		}
		// Forward: every later call x in (t, t+per) now has this one in
		// its window (x-per, x].
		for j := hi; j < len(ts) && ts[j].Before(t.Add(per)); j++ {
			x := ts[j]
			from := sort.Search(len(ts), func(i int) bool { return ts[i].After(x.Add(-per)) })
			to := sort.Search(len(ts), func(i int) bool { return ts[i].After(x) })
			if to-from >= w.Limit {
				// Past x, x's window no longer holds t.
				if x.After(next) {
					next = x
				}
				break
			}
		}
	}
	return next, !next.After(t)
}

func insertSorted(ts []time.Time, t time.Time) []time.Time {
	i := sort.Search(len(ts), func(i int) bool { return ts[i].After(t) })
	return slices.Insert(ts, i, t)
}
