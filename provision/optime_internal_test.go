package provision

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	simgraph "github.com/stewardhq/steward/m365sim/graph"
)

// TestOpTimesTypical: the estimate is the third quartile of the tenant's
// recent operations, needs five of them, forgets the oldest beyond 32, and
// ignores spans that cannot be right.
func TestOpTimesTypical(t *testing.T) {
	o := newOpTimes()
	t0 := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	if _, ok := o.typical("contoso"); ok {
		t.Fatal("an estimate with no operation seen")
	}
	for i := range 4 {
		o.observe("contoso", t0, t0.Add(time.Duration(i+1)*time.Second))
	}
	o.observe("contoso", t0, t0.Add(-time.Second)) // negative
	o.observe("contoso", t0, t0.Add(2*time.Hour))  // implausible
	o.observe("contoso", time.Time{}, t0)          // missing
	o.observe("fabrikam", t0, t0.Add(time.Second)) // another tenant
	if _, ok := o.typical("contoso"); ok {
		t.Fatal("an estimate from 4 operations (and 3 unusable spans)")
	}
	o.observe("contoso", t0, t0.Add(5*time.Second))
	if d, ok := o.typical("contoso"); !ok || d != 4*time.Second {
		t.Fatalf("typical of 1..5 s = %v %v, want 4s (three in four done by then)", d, ok)
	}
	for range opSamples {
		o.observe("contoso", t0, t0.Add(20*time.Second))
	}
	if d, _ := o.typical("contoso"); d != 20*time.Second {
		t.Fatalf("after 32 newer operations of 20 s, typical = %v", d)
	}
	if _, ok := o.typical("fabrikam"); ok {
		t.Fatal("fabrikam's single operation gave an estimate")
	}
}

// TestPollsFollowTheLearntOperationTime: a new engine polls after
// PollFirst; once it has seen a tenant's creations take 5 s, the first
// poll comes just after 5 s and the next ones every second, growing.
func TestPollsFollowTheLearntOperationTime(t *testing.T) {
	e := New(nil, nil, nil, Options{})
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	r := &run{e: e, tenant: "contoso"}
	if d := r.pollWait(now); d != 3*time.Second {
		t.Fatalf("first poll before any operation was seen after %v, want PollFirst (3s)", d)
	}
	for range opMinSamples {
		e.ops.observe("contoso", now, now.Add(5*time.Second))
	}
	r = &run{e: e, tenant: "contoso"}
	want := []time.Duration{5*time.Second + 100*time.Millisecond + pollSlack, time.Second, 1200 * time.Millisecond, 1440 * time.Millisecond}
	for i, w := range want {
		if d := r.pollWait(now); d != w {
			t.Fatalf("poll %d after %v, want %v", i+1, d, w)
		}
	}
	if !r.cp.NextPollAt.Equal(now.Add(want[len(want)-1])) {
		t.Fatalf("next poll at %v, want it remembered", r.cp.NextPollAt)
	}
	// A tenant whose creations take 10 minutes is polled no sooner than
	// PollMax after the first poll's miss, and the first poll waits at most PollMax.
	for range opMinSamples {
		e.ops.observe("slow", now, now.Add(10*time.Minute))
	}
	r = &run{e: e, tenant: "slow"}
	if d := r.pollWait(now); d != e.opts.PollMax {
		t.Fatalf("first poll for 10-minute operations after %v, want PollMax", d)
	}
	if d := r.pollWait(now); d != e.opts.PollFirst {
		t.Fatalf("second poll after %v, want PollFirst", d)
	}
}

// TestWaitLearnsFromTheOperation: the engine takes a finished operation's
// duration from Graph's own timestamps.
func TestWaitLearnsFromTheOperation(t *testing.T) {
	e := newLookEnv(t)
	ctx := context.Background()
	req := governance.Request{TenantID: "contoso", ID: "req-1", DisplayName: "Timed", Owners: []string{e.owner}}
	r := &run{e: e.engine, tenant: "contoso", req: req}
	if _, err := r.create(ctx); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(3 * time.Second)
	if _, err := r.wait(ctx); err != nil {
		t.Fatal(err)
	}
	if !r.cp.TeamReady {
		t.Fatalf("team not ready after 3 s: %+v", r.cp)
	}
	e.engine.ops.mu.Lock()
	ring := e.engine.ops.seen["contoso"]
	e.engine.ops.mu.Unlock()
	if ring == nil || ring.n != 1 || ring.d[0] != time.Second {
		t.Fatalf("learnt %+v, want one operation of 1s (the simulator's delay)", ring)
	}
}

// TestRefusedCreationIsNotLookedFor: when Graph refused every try of POST
// /teams (429 here), the team was not made, so the next run creates it at
// once; when the answer was lost (504), the next run looks for it first.
func TestRefusedCreationIsNotLookedFor(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults simgraph.FaultConfig
		looks  bool
	}{
		{"every try throttled", simgraph.FaultConfig{Rate429: 1}, false},
		{"the answer lost", simgraph.FaultConfig{Rate504: 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newLookEnv(t)
			e.sim.Graph.SetFaults(tc.faults)
			req := governance.Request{TenantID: "contoso", ID: "req-1", DisplayName: "Refused", Owners: []string{e.owner}}
			r := &run{e: e.engine, tenant: "contoso", req: req}
			// The client sleeps Retry-After (at least 1 s) after a 429: the
			// run ends during that sleep, as a job's would at its timeout.
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := r.create(ctx)
			var ge *graph.Error
			switch {
			case tc.looks && (err != nil || r.cp.LostAt.IsZero() || r.cp.CreateStartedAt.IsZero()):
				t.Fatalf("lost answer: err %v, checkpoint %+v; want the looks scheduled", err, r.cp)
			case !tc.looks && !errors.As(err, &ge):
				t.Fatalf("throttled creation: err %v, want Graph's 429", err)
			case !tc.looks && !r.cp.CreateStartedAt.IsZero():
				t.Fatalf("throttled creation left the creation mark %v: the rerun would look for 8 s for a team Graph never made", r.cp.CreateStartedAt)
			}
			saved, lerr := load(context.Background(), e.engine.cps, "contoso", "req-1")
			if lerr != nil {
				t.Fatal(lerr)
			}
			if saved.CreateStartedAt.IsZero() == tc.looks {
				t.Fatalf("saved checkpoint %+v disagrees", saved)
			}
		})
	}
}

// TestNicknameWhileTeamsWorks: the first follow-up run, while Teams is
// still making the team, sets the group's mail alias, so the step is done
// by the time the team is ready; a refusal then (here: no such group) is
// noted and leaves the alias to the step after the team is ready, without
// failing the request.
func TestNicknameWhileTeamsWorks(t *testing.T) {
	e := newLookEnv(t)
	ctx := context.Background()
	req := governance.Request{TenantID: "contoso", ID: "req-1", DisplayName: "Early alias", MailNickname: "earlyalias", Owners: []string{e.owner}}
	r := &run{e: e.engine, tenant: "contoso", req: req}
	if _, err := r.create(ctx); err != nil {
		t.Fatal(err)
	}
	before := e.client.Stats().Calls
	wait, err := r.wait(ctx)
	if err != nil || wait <= 0 {
		t.Fatalf("wait = %v, %v; want to wait for the first poll", wait, err)
	}
	if !r.cp.NicknameSet || !r.cp.NicknameTried || r.cp.TeamReady {
		t.Fatalf("checkpoint %+v: want the alias set before the team is ready", r.cp)
	}
	if calls := e.client.Stats().Calls - before; calls != 1 {
		t.Fatalf("%d Graph calls, want 1 (the PATCH; no poll before it is due)", calls)
	}
	gs, err := e.client.GroupsWhere(ctx, "contoso", "mailNickname eq 'earlyalias'")
	if err != nil || len(gs) != 1 || gs[0].ID != r.cp.TeamID {
		t.Fatalf("groups with the alias: %+v, %v", gs, err)
	}
	// Once: a second early run does not try again.
	before = e.client.Stats().Calls
	if _, err := r.wait(ctx); err != nil {
		t.Fatal(err)
	}
	if calls := e.client.Stats().Calls - before; calls != 0 {
		t.Fatalf("%d Graph calls on the second early run, want 0", calls)
	}

	// Refused: the group is not there (not replicated yet, say).
	r2 := &run{e: e.engine, tenant: "contoso", req: req, cp: checkpoint{TeamID: "00000000-0000-0000-0000-000000000000", OperationID: "op",
		NextPollAt: e.clock.Now().Add(time.Second)}}
	if _, err := r2.wait(ctx); err != nil {
		t.Fatalf("an early refusal failed the run: %v", err)
	}
	if r2.cp.NicknameSet || !r2.cp.NicknameTried {
		t.Fatalf("checkpoint %+v: want tried, not set", r2.cp)
	}
	if last := r2.cp.Steps[len(r2.cp.Steps)-1]; last.Step != "nickname" {
		t.Fatalf("last step %+v, want the refusal noted", last)
	}
}
