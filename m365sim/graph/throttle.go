package graph

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"
)

// Throttling classes, one per row of Microsoft's Teams service limits.
const (
	classCreateTeam = "createTeam" // POST /teams
	classTeamWrite  = "teamWrite"  // PUT /groups/{id}/team, POST /teams/{id}/clone
	classRead       = "read"       // GET team, channel, tab, installedApps
	classWrite      = "write"      // POST/PUT channel, tab, installedApps
	classDelete     = "delete"     // DELETE channel, tab, app, member, group
	classList       = "list"       // GET members, channels
	classPerTeam    = "perTeam"    // any request naming a team
	classOther      = "other"      // not throttled by class
)

// Limits are requests per second per app per tenant. A zero field means
// that class is not throttled, so the zero Limits disables throttling.
type Limits struct {
	CreateTeam int `json:"createTeam"` // POST /teams
	TeamWrite  int `json:"teamWrite"`  // PUT /groups/{id}/team, clone
	Read       int `json:"read"`       // GET team/channel/tab/installedApps
	Write      int `json:"write"`      // POST/PUT channel/tab/installedApps
	Delete     int `json:"delete"`     // DELETE
	List       int `json:"list"`       // GET members/channels
	PerTeam    int `json:"perTeam"`    // any request naming one team
}

// DefaultLimits are the figures Microsoft documents for Teams per app per
// tenant.
func DefaultLimits() Limits {
	return Limits{CreateTeam: 10, TeamWrite: 6, Read: 30, Write: 30, Delete: 15, List: 60, PerTeam: 4}
}

func (l Limits) validate() error {
	for _, n := range []int{l.CreateTeam, l.TeamWrite, l.Read, l.Write, l.Delete, l.List, l.PerTeam} {
		if n < 0 {
			return errors.New("limits must be >= 0 requests per second (0 disables a class)")
		}
	}
	return nil
}

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
	case classPerTeam:
		return l.PerTeam
	}
	return 0
}

// window remembers when the last requests it admitted arrived. A sliding
// one-second window (rather than a token bucket, which admits a full burst
// plus the refill) guarantees that no one-second interval ever admits more
// than the limit, which is what Microsoft's figures promise.
type window struct{ admitted []time.Time }

// admit reports whether a request at now fits under limit; if not, it
// returns how long until it would.
func (w *window) admit(now time.Time, limit int) (bool, time.Duration) {
	cut := now.Add(-time.Second)
	i := 0
	for i < len(w.admitted) && !w.admitted[i].After(cut) {
		i++
	}
	w.admitted = w.admitted[i:]
	if len(w.admitted) < limit {
		return true, 0
	}
	return false, w.admitted[0].Add(time.Second).Sub(now)
}

// ClassStats counts the requests of one throttling class and how many got
// 429, for Inspect.
type ClassStats struct {
	Requests  int64 `json:"requests"`
	Throttled int64 `json:"throttled"`
}

// throttle admits or refuses a request of class for the caller's app; a
// request naming a team also spends that team's budget. Both budgets must
// admit it, and only an admitted request is recorded in them.
func (g *Graph) throttle(c *call, class, teamID string) *apiError {
	if class == "" {
		class = classOther
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	st := g.stat(class)
	st.Requests++
	now := g.now()
	prefix := c.tid + "|" + c.claims.AppID + "|"
	type check struct {
		key   string
		limit int
	}
	var checks []check
	if n := g.limits.of(class); n > 0 {
		checks = append(checks, check{prefix + class, n})
	}
	if n := g.limits.PerTeam; n > 0 && teamID != "" {
		checks = append(checks, check{prefix + "team|" + teamID, n})
	}
	var wait time.Duration
	for _, ch := range checks {
		w := g.windows[ch.key]
		if w == nil {
			w = &window{}
			g.windows[ch.key] = w
		}
		if ok, d := w.admit(now, ch.limit); !ok && d > wait {
			wait = d
		}
	}
	if wait > 0 {
		st.Throttled++
		if teamID != "" && g.limits.PerTeam > 0 {
			g.stat(classPerTeam).Throttled++
		}
		return &apiError{status: http.StatusTooManyRequests, code: "TooManyRequests", message: "Please retry again later.",
			retryAfter: max(1, int(math.Ceil(wait.Seconds())))}
	}
	for _, ch := range checks {
		g.windows[ch.key].admitted = append(g.windows[ch.key].admitted, now)
	}
	return nil
}

func (g *Graph) stat(class string) *ClassStats {
	st := g.stats[class]
	if st == nil {
		st = &ClassStats{}
		g.stats[class] = st
	}
	return st
}

// String lists the limits, for logs.
func (l Limits) String() string {
	return fmt.Sprintf("createTeam=%d teamWrite=%d read=%d write=%d delete=%d list=%d perTeam=%d",
		l.CreateTeam, l.TeamWrite, l.Read, l.Write, l.Delete, l.List, l.PerTeam)
}
