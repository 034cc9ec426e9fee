package graph

import (
	"fmt"
	"net/http"
	"time"

	"github.com/stewardhq/steward/m365sim/directory"
)

// operation is a teamsAsyncOperation. Its status is computed from the
// clock: inProgress until done, then succeeded, when its effect is applied
// exactly once (settle).
type operation struct {
	id, tid, teamID, kind string
	created, done         time.Time
	applied               bool
	failed                bool // decided at start by FaultConfig.OperationFailRate
	apply                 func()
}

// startOperation records an async operation; g.mu must be held.
func (g *Graph) startOperation(tid, teamID, kind string, now time.Time, apply func()) *operation {
	op := &operation{
		id:  directory.GUID(fmt.Sprintf("operation/%s/%s/%d", tid, teamID, g.nextID())),
		tid: tid, teamID: teamID, kind: kind, created: now, done: now.Add(g.opDelay), apply: apply,
	}
	// Always draw, so the fault sequence does not depend on the rate.
	op.failed = g.rng.Float64() < g.faults.OperationFailRate
	if op.failed {
		g.injects["operationFailed"]++
	}
	g.ops[op.id] = op
	g.opOrder = append(g.opOrder, op.id)
	if g.opDelay == 0 && !op.failed {
		op.applied = true
		op.apply()
	}
	return op
}

// settle applies the effects of operations whose time has come, so state
// changes happen on the injected clock without timers.
func (g *Graph) settle() {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	for _, id := range g.opOrder {
		op := g.ops[id]
		if !op.applied && !op.failed && !now.Before(op.done) {
			op.applied = true
			op.apply()
		}
	}
}

// status follows Teams' lifecycle: notStarted for the first fifth of the
// delay, then inProgress, then succeeded (or failed).
func (op *operation) status(now time.Time) string {
	switch {
	case now.Before(op.created.Add(op.done.Sub(op.created) / 5)):
		return "notStarted"
	case now.Before(op.done):
		return "inProgress"
	case op.failed:
		return "failed"
	}
	return "succeeded"
}

func (g *Graph) operationJSON(op *operation) map[string]any {
	now := g.now()
	last := now
	if !now.Before(op.done) {
		last = op.done
	}
	var opErr any
	if op.failed && !now.Before(op.done) {
		opErr = map[string]any{"code": "InternalServerError", "message": "The operation failed (injected by m365sim).", "details": nil}
	}
	return map[string]any{
		"id":                     op.id,
		"operationType":          op.kind,
		"createdDateTime":        odataTime(op.created),
		"status":                 op.status(now),
		"lastActionDateTime":     odataTime(last),
		"attemptsCount":          1,
		"targetResourceId":       op.teamID,
		"targetResourceLocation": fmt.Sprintf("/teams('%s')", op.teamID),
		"error":                  opErr,
	}
}

func (g *Graph) getOperation(c *call) error {
	teamID, opID := c.r.PathValue("teamId"), c.r.PathValue("opId")
	g.mu.Lock()
	defer g.mu.Unlock()
	op, ok := g.ops[opID]
	if !ok || op.tid != c.tid || op.teamID != teamID {
		return errf(http.StatusNotFound, "NotFound", "Operation %s was not found.", opID)
	}
	return g.entity(c, http.StatusOK, fmt.Sprintf("teams('%s')/operations/$entity", teamID), g.operationJSON(op))
}
