package graph

import (
	"context"
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
// the first moment at which no one-second window holds more than the
// limit, plus a margin for network jitter (Graph counts arrivals, not
// departures). Grants per key are monotone, so the check is one lookup.
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

// earliest is when w can next grant under limit, not before t.
func (w *window) earliest(t time.Time, limit int, margin time.Duration) time.Time {
	if n := len(w.granted); n > 0 {
		if last := w.granted[n-1]; last.After(t) {
			t = last
		}
		if n >= limit {
			if free := w.granted[n-limit].Add(time.Second + margin); free.After(t) {
				t = free
			}
		}
	}
	return t
}

func (w *window) grant(t time.Time, limit int) {
	w.granted = append(w.granted, t)
	if len(w.granted) > 2*limit {
		w.granted = append(w.granted[:0], w.granted[len(w.granted)-limit:]...)
	}
	w.used = t
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

// reserve grants a send time to a call of class on team and returns how
// long to wait for it.
func (b *budget) reserve(tenant, class, team string) time.Duration {
	ks := b.keysFor(tenant, class, team)
	if len(ks) == 0 {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	t := now
	for _, k := range ks {
		t = b.window(k.key).earliest(t, k.limit, b.margin)
	}
	for _, k := range ks {
		b.window(k.key).grant(t, k.limit)
	}
	b.gc(now)
	return t.Sub(now)
}

// wait blocks until the call may leave.
func (b *budget) wait(ctx context.Context, tenant, class, team string) error {
	return sleep(ctx, b.reserve(tenant, class, team))
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
