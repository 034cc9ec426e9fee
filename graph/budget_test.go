package graph_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/m365sim"
)

// TestBudgetAvoids429 fires 30 team creations at once against the
// simulator's documented limits (POST /teams: 10 per second per app per
// tenant). The client's budget spaces them: Graph never has to say 429,
// and the burst takes the two seconds the limit implies, not much more.
func TestBudgetAvoids429(t *testing.T) {
	e := newSim(t, m365sim.Options{TeamOperationDelay: time.Millisecond}, graph.Options{})
	owner := contosoUsers(t, e, 1)[0]
	ctx := context.Background()
	// Warm the token so the burst measures Graph calls only.
	if _, err := e.client.Team(ctx, "contoso", "warm"); err == nil {
		t.Fatal("a team named warm exists?")
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := e.client.CreateTeam(ctx, "contoso", graph.NewTeam{DisplayName: fmt.Sprintf("Burst %d", i),
				Members: []graph.NewMember{{UserID: owner, Owner: true}}}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	// Under the race detector the simulator's own token checks are slow
	// enough on two cores to delay arrivals by more than the margin; the
	// promise is then only that every call succeeds.
	if s := e.client.Stats(); s.Throttled != 0 && !raceEnabled {
		t.Fatalf("Graph answered 429 %d times; the budget should have prevented it", s.Throttled)
	}
	if elapsed < 2*time.Second || elapsed > 8*time.Second {
		t.Fatalf("30 creations at 10/s took %v; want about 2 s", elapsed)
	}
}

// TestNoBudgetMeans429 is the control: with budgets far above Microsoft's
// limits, the same burst is throttled by the simulator, and the client
// still finishes every call by honouring Retry-After.
func TestNoBudgetMeans429(t *testing.T) {
	big := graph.Limits{CreateTeam: 1000, TeamWrite: 1000, Read: 1000, Write: 1000, Delete: 1000, List: 1000, PerTeam: 1000}
	e := newSim(t, m365sim.Options{TeamOperationDelay: time.Millisecond}, graph.Options{Limits: big})
	owner := contosoUsers(t, e, 1)[0]
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := e.client.CreateTeam(ctx, "contoso", graph.NewTeam{DisplayName: fmt.Sprintf("Burst %d", i),
				Members: []graph.NewMember{{UserID: owner, Owner: true}}}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if s := e.client.Stats(); s.Throttled == 0 {
		t.Fatal("no 429 without a budget: the control does not exercise throttling")
	}
}
