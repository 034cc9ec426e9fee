package graph

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// Limits are Microsoft's documented Teams limits, in requests per second
// per app per tenant, by kind of operation. A zero field does not budget
// that class.
type Limits struct {
	CreateTeam int // POST /teams
	TeamWrite  int // PUT /groups/{id}/team, POST /teams/{id}/clone
	Read       int // GET team, channel, tab, installedApps
	Write      int // POST/PUT channel, tab, installedApps
	Delete     int // DELETE channel, tab, app, member, group
	List       int // GET members, channels
	PerTeam    int // any request naming one team or its channels
}

// DefaultLimits are the figures Microsoft publishes ("Microsoft Teams
// service limits" in Graph's throttling guidance).
func DefaultLimits() Limits {
	return Limits{CreateTeam: 10, TeamWrite: 6, Read: 30, Write: 30, Delete: 15, List: 60, PerTeam: 4}
}

// Scale returns l with every budget multiplied by share, at least 1
// request per second: N replicas sharing one tenant's budget each run at
// share = 1/N.
func (l Limits) Scale(share float64) Limits {
	f := func(n int) int {
		if n == 0 {
			return 0
		}
		return max(1, int(float64(n)*share))
	}
	return Limits{f(l.CreateTeam), f(l.TeamWrite), f(l.Read), f(l.Write), f(l.Delete), f(l.List), f(l.PerTeam)}
}

// Operation classes, one per row of the limits table.
const (
	classNone       = ""
	classCreateTeam = "createTeam"
	classTeamWrite  = "teamWrite"
	classRead       = "read"
	classWrite      = "write"
	classDelete     = "delete"
	classList       = "list"
)

func (l Limits) of(class string) int {
	switch class {
	case classCreateTeam:
		return l.CreateTeam
	case classTeamWrite:
		return l.TeamWrite
	case classRead:
		return l.Read
	case classWrite:
		return l.Write
	case classDelete:
		return l.Delete
	case classList:
		return l.List
	}
	return 0
}

// classify names the limits class of a call and the team it touches, from
// its method and its path relative to /v1.0.
func classify(method, path string) (class, team string) {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	n := len(seg)
	switch {
	case n >= 1 && seg[0] == "teams":
		if n == 1 {
			if method == "POST" {
				return classCreateTeam, ""
			}
			return classNone, ""
		}
		team = seg[1]
		if n == 2 {
			if method == "GET" {
				return classRead, team
			}
			return classNone, team
		}
		switch seg[2] {
		case "clone":
			return classTeamWrite, team
		case "primaryChannel":
			return classRead, team
		case "channels":
			switch {
			case n == 3 && method == "GET":
				return classList, team
			case n == 3 && method == "POST":
				return classWrite, team
			case n == 4:
				return byMethod(method, classRead), team
			case n >= 5 && seg[4] == "tabs":
				return byMethod(method, classRead), team
			}
			return classNone, team
		case "installedApps":
			return byMethod(method, classRead), team
		case "members":
			switch method {
			case "GET":
				return classList, team
			case "DELETE":
				return classDelete, team
			}
			return classNone, team
		}
		return classNone, team
	case n == 3 && seg[0] == "groups" && seg[2] == "team":
		if method == "PUT" {
			return classTeamWrite, seg[1]
		}
		return classRead, seg[1]
	case n == 2 && seg[0] == "groups" && method == "DELETE":
		return classDelete, ""
	}
	return classNone, ""
}

// byMethod is the class of a channel/tab/app call by verb.
func byMethod(method, get string) string {
	switch method {
	case "GET":
		return get
	case "POST", "PUT", "PATCH":
		return classWrite
	case "DELETE":
		return classDelete
	}
	return classNone
}

// budget spends per-tenant rate budgets before calls leave. Each key (tenant
// + class, tenant + team) keeps the send times it granted; a call is granted
// the first moment at which no one-second window (plus a margin for network
// jitter: Graph counts arrivals, not departures) holds more than the limit.
type budget struct {
	limits Limits
	margin time.Duration
	now    func() time.Time

	mu     sync.Mutex
	keys   map[string]*window
	gcSize int // len(keys) after the last gc
}

type window struct {
	granted []time.Time // ascending
	waiting []*ticket   // calls waiting for a grant of this window alone
	used    time.Time
}

func newBudget(l Limits, margin time.Duration, now func() time.Time) *budget {
	return &budget{limits: l, margin: margin, now: now, keys: map[string]*window{}}
}

func (b *budget) window(key string) *window {
	w := b.keys[key]
	if w == nil {
		w = &window{}
		b.keys[key] = w
	}
	return w
}

// fits reports whether granting t keeps every window of length span
// within limit: no limit+1 consecutive grants (t among them) may lie
// closer than span. It also keeps t at least span/(2·limit) from its
// neighbours (pace): calls granted the same instant reach Graph as a
// burst, queue behind one another there, and arrive spread over tens of
// milliseconds in an order of their own, so the next window's first
// arrivals could land inside this one's last; paced, each arrives alone.
// The parts of one $batch are not paced (paced false): they travel in one
// envelope and arrive together (reserveTogether).
func (w *window) fits(t time.Time, limit int, span time.Duration, paced bool) bool {
	g := w.granted
	i, _ := slices.BinarySearchFunc(g, t, func(a, b time.Time) int { return a.Compare(b) })
	if gap := pace(limit, span); paced && ((i > 0 && t.Sub(g[i-1]) < gap) || (i < len(g) && g[i].Sub(t) < gap)) {
		return false
	}
	at := func(x int) time.Time { // the grants with t inserted at i
		switch {
		case x < i:
			return g[x]
		case x == i:
			return t
		}
		return g[x-1]
	}
	for s := max(0, i-limit); s <= i && s+limit <= len(g); s++ {
		if at(s+limit).Sub(at(s)) < span {
			return false
		}
	}
	return true
}

// pace is the least time between two grants of a window: half the even
// spacing the limit allows, so a slot given back can still be reused
// between two calls already granted.
func pace(limit int, span time.Duration) time.Duration {
	return span / time.Duration(2*limit)
}

// grant records t, keeping the grants sorted, and forgets those too old to
// matter to any future window.
func (w *window) grant(t time.Time, now time.Time, span time.Duration) {
	i, _ := slices.BinarySearchFunc(w.granted, t, func(a, b time.Time) int { return a.Compare(b) })
	w.granted = slices.Insert(w.granted, i, t)
	cut := 0
	for cut < len(w.granted) && now.Sub(w.granted[cut]) > span {
		cut++
	}
	w.granted = w.granted[cut:]
	if t.After(w.used) {
		w.used = t
	}
}

type budgetKey struct {
	key   string
	limit int
}

func (b *budget) keysFor(tenant, class, team string) []budgetKey {
	var ks []budgetKey
	if n := b.limits.of(class); n > 0 {
		ks = append(ks, budgetKey{tenant + "|" + class, n})
	}
	if n := b.limits.PerTeam; n > 0 && team != "" {
		ks = append(ks, budgetKey{tenant + "|team|" + team, n})
	}
	return ks
}

// reserve grants a send time to a call of class on team and returns it
// and how long to wait for it: the earliest moment, now or later, at which
// every budget the call spends has room. A slot given back by refund can
// be taken by the next call, even ahead of calls already waiting.
func (b *budget) reserve(tenant, class, team string) (time.Time, time.Duration) {
	ks := b.keysFor(tenant, class, team)
	now := b.now()
	if len(ks) == 0 {
		return now, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	span := time.Second + b.margin
	ws := make([]*window, len(ks))
	candidates := []time.Time{now}
	for i, k := range ks {
		ws[i] = b.window(k.key)
		candidates = ws[i].candidates(candidates, now, k.limit, span, true)
	}
	slices.SortFunc(candidates, func(a, b time.Time) int { return a.Compare(b) })
	t := candidates[len(candidates)-1]
	for _, c := range candidates {
		ok := true
		for i, k := range ks {
			if !ws[i].fits(c, k.limit, span, true) {
				ok = false
				break
			}
		}
		if ok {
			t = c
			break
		}
	}
	for _, w := range ws {
		w.grant(t, now, span)
	}
	b.gc(now)
	return t, t.Sub(now)
}

// call names what a call spends: its class and the team it touches.
type call struct{ class, team string }

// together is how many of calls, from the first, can share one send time:
// as many as keep every budget they spend within its limit, at least one.
func (b *budget) together(tenant string, calls []call) int {
	count := map[string]int{}
	for i, c := range calls {
		for _, k := range b.keysFor(tenant, c.class, c.team) {
			count[k.key]++
			if count[k.key] > k.limit {
				return max(1, i)
			}
		}
	}
	return len(calls)
}

// reserveTogether grants calls one send time, the earliest at which every
// budget they spend has room for all of them, and returns it and how long
// to wait for it. The parts of a $batch reach Graph together, so they are
// granted together: granted one by one, the first ones would be recorded
// earlier than they really arrive, and the next window would be reckoned
// from the wrong moment.
func (b *budget) reserveTogether(tenant string, calls []call) (time.Time, time.Duration) {
	now := b.now()
	type spent struct {
		w     *window
		limit int
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var spends []spent
	for _, c := range calls {
		for _, k := range b.keysFor(tenant, c.class, c.team) {
			spends = append(spends, spent{b.window(k.key), k.limit})
		}
	}
	if len(spends) == 0 {
		return now, 0
	}
	span := time.Second + b.margin
	candidates := []time.Time{now}
	seen := map[*window]bool{}
	for _, s := range spends {
		if !seen[s.w] {
			seen[s.w] = true
			candidates = s.w.candidates(candidates, now, s.limit, span, false)
		}
	}
	slices.SortFunc(candidates, timeCompare)
	t := candidates[len(candidates)-1]
	for _, c := range candidates {
		placed, ok := 0, true
		for _, s := range spends {
			if !s.w.fits(c, s.limit, span, false) {
				ok = false
				break
			}
			s.w.insert(c)
			placed++
		}
		for _, s := range spends[:placed] {
			s.w.remove(c)
		}
		if ok {
			t = c
			break
		}
	}
	for _, s := range spends {
		s.w.grant(t, now, span)
	}
	b.gc(now)
	return t, t.Sub(now)
}

// insert and remove add and take away one grant at t, tentatively.
func (w *window) insert(t time.Time) {
	i, _ := slices.BinarySearchFunc(w.granted, t, timeCompare)
	w.granted = slices.Insert(w.granted, i, t)
}

func (w *window) remove(t time.Time) {
	if i, ok := slices.BinarySearchFunc(w.granted, t, timeCompare); ok {
		w.granted = slices.Delete(w.granted, i, i+1)
	}
}

// promoteGuard keeps promotion away from tickets about to leave.
const promoteGuard = 20 * time.Millisecond

// ticket is a call waiting for its grant. A refund may move it earlier, a
// retry cutting in one slot later.
type ticket struct {
	at   time.Time
	wake chan struct{} // receives when the grant moved
}

// wait blocks until the call may leave and returns its grant. A call that
// spends one budget only (no team) waits on a ticket, so a slot given back
// in the current window goes to the first call in line at once. A call
// ahead (a retry: it already had its turn once) takes the first place in
// that line instead of the last.
func (b *budget) wait(ctx context.Context, tenant, class, team string, ahead bool) (time.Time, error) {
	t, d := b.reserve(tenant, class, team)
	ks := b.keysFor(tenant, class, team)
	if d <= 0 || len(ks) != 1 {
		return t, sleep(ctx, d)
	}
	tk := &ticket{at: t, wake: make(chan struct{}, 1)}
	b.mu.Lock()
	w := b.window(ks[0].key)
	if ahead {
		w.cutIn(tk, b.now())
	}
	w.waiting = append(w.waiting, tk)
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		w.waiting = slices.DeleteFunc(w.waiting, func(x *ticket) bool { return x == tk })
		b.mu.Unlock()
	}()
	for {
		b.mu.Lock()
		at := tk.at
		b.mu.Unlock()
		timer := time.NewTimer(at.Sub(b.now()))
		select {
		case <-timer.C:
			b.mu.Lock()
			armed := at
			at = tk.at // a promotion may have moved it earlier meanwhile
			if at.After(armed) {
				// A retry cut in and moved this call back: the slot
				// the timer was set for is the retry's now.
				b.mu.Unlock()
				continue
			}
			w.waiting = slices.DeleteFunc(w.waiting, func(x *ticket) bool { return x == tk })
			b.mu.Unlock()
			return at, nil
		case <-tk.wake:
			timer.Stop()
		case <-ctx.Done():
			timer.Stop()
			return at, ctx.Err()
		}
	}
}

// refund gives back the grant of a call that failed before Graph counted
// it (a 429, a fault in transit): the first call in line whose grant can
// move to now takes the slot at once, instead of the slot being lost.
func (b *budget) refund(tenant, class, team string, t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ks := b.keysFor(tenant, class, team)
	for _, k := range ks {
		w := b.keys[k.key]
		if w == nil {
			continue
		}
		if i, ok := slices.BinarySearchFunc(w.granted, t, timeCompare); ok {
			w.granted = slices.Delete(w.granted, i, i+1)
		}
	}
	if len(ks) == 1 {
		if w := b.keys[ks[0].key]; w != nil {
			w.promote(b.now(), ks[0].limit, time.Second+b.margin)
		}
	}
}

func timeCompare(a, b time.Time) int { return a.Compare(b) }

// promote moves the calls in line up after a slot was given back. The
// slot lies in the past (the call was sent, then refused), so it frees
// room only in the windows around it, and a line granted seconds ahead
// can use that room only if all of it moves up: every waiting call's grant
// is taken out and the line is granted again in order, each call the
// earliest moment from now on at which the window has room. The new grants
// are kept only if no call moves back. A call due within promoteGuard may
// already be leaving (its timer fired, its goroutine not yet back) and
// keeps its slot, so no two calls share one.
func (w *window) promote(now time.Time, limit int, span time.Duration) {
	guard := now.Add(promoteGuard)
	var line []*ticket
	for _, tk := range w.waiting {
		if tk.at.After(guard) {
			line = append(line, tk)
		}
	}
	if len(line) == 0 {
		return
	}
	slices.SortFunc(line, func(a, b *ticket) int { return a.at.Compare(b.at) })
	for _, tk := range line {
		w.remove(tk.at)
	}
	moved := make([]time.Time, 0, len(line))
	for _, tk := range line {
		t := w.earliest(now, limit, span)
		if t.After(tk.at) || !w.fits(t, limit, span, true) {
			break
		}
		w.insert(t)
		moved = append(moved, t)
	}
	if len(moved) < len(line) {
		// Someone would move back: keep the line as it was.
		for _, t := range moved {
			w.remove(t)
		}
		for _, tk := range line {
			w.insert(tk.at)
		}
		return
	}
	for i, tk := range line {
		if moved[i].Equal(tk.at) {
			continue
		}
		tk.at = moved[i]
		select {
		case tk.wake <- struct{}{}:
		default:
		}
	}
}

// candidates appends to cs the moments after now at which a grant could
// first fit in this window: a window after each grant and, paced, a gap
// after each.
func (w *window) candidates(cs []time.Time, now time.Time, limit int, span time.Duration, paced bool) []time.Time {
	gap := pace(limit, span)
	for _, g := range w.granted {
		if c := g.Add(span); c.After(now) {
			cs = append(cs, c)
		}
		if c := g.Add(gap); paced && c.After(now) {
			cs = append(cs, c)
		}
	}
	return cs
}

// earliest is the first moment from now on at which this window alone
// has room for one more grant.
func (w *window) earliest(now time.Time, limit int, span time.Duration) time.Time {
	candidates := w.candidates([]time.Time{now}, now, limit, span, true)
	slices.SortFunc(candidates, timeCompare)
	for _, c := range candidates {
		if w.fits(c, limit, span, true) {
			return c
		}
	}
	return candidates[len(candidates)-1]
}

// cutIn puts tk, just granted the last slot, at the head of the line: it
// takes the earliest slot a waiting call holds, and every waiting call from
// there on moves back one slot, the last into tk's. The slots granted stay
// the same, only who spends them changes, so no window fills beyond its
// limit; a call due within promoteGuard may already be leaving and keeps
// its slot.
func (w *window) cutIn(tk *ticket, now time.Time) {
	guard := now.Add(promoteGuard)
	var line []*ticket
	for _, x := range w.waiting {
		if x.at.After(guard) && x.at.Before(tk.at) {
			line = append(line, x)
		}
	}
	if len(line) == 0 {
		return
	}
	slices.SortFunc(line, func(a, b *ticket) int { return a.at.Compare(b.at) })
	last := tk.at
	tk.at = line[0].at
	for i, x := range line {
		if i+1 < len(line) {
			x.at = line[i+1].at
		} else {
			x.at = last
		}
		select {
		case x.wake <- struct{}{}:
		default:
		}
	}
}

// gc drops idle windows (mostly per-team ones), so a tenant with many teams
// does not grow the map forever. It runs when the map has doubled since the
// last run, so its cost is amortised.
func (b *budget) gc(now time.Time) {
	if len(b.keys) < max(1000, 2*b.gcSize) {
		return
	}
	for k, w := range b.keys {
		if now.Sub(w.used) > time.Minute {
			delete(b.keys, k)
		}
	}
	b.gcSize = len(b.keys)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
