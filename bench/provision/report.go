package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	simgraph "github.com/stewardhq/steward/m365sim/graph"
)

func report(c config, lim simgraph.Limits, r result, b naiveResult) {
	n := c.teams
	// The call plan spends one POST /teams per team, the only call in a
	// tenant-wide class; everything else is per team (4/s each) or
	// unthrottled. So the tenant's createTeam limit bounds the run: the
	// first second admits one window's worth, each further second as many
	// again, and the last team still needs its Teams operation to finish.
	first := min(n, lim.CreateTeam)
	lower := time.Duration(float64(n-first)/float64(lim.CreateTeam)*float64(time.Second)) + c.opDelay
	fmt.Println()
	fmt.Printf("lower bound: (%d teams - %d in the first window) / %d POST /teams per second + %v operation = %.1f s\n",
		n, first, lim.CreateTeam, c.opDelay, lower.Seconds())
	fmt.Printf("steward:  %d teams in %.1f s = %.2f teams/s; achieved/ceiling = %.1f %%\n",
		r.completed, r.wall.Seconds(), float64(r.completed)/r.wall.Seconds(), 100*lower.Seconds()/r.wall.Seconds())
	fmt.Printf("          Graph calls: %d (%.2f per team, retries %d); 429 from the limits: %d (%.2f %% of calls); faults injected: %v\n",
		r.calls, float64(r.calls)/float64(n), r.retries, r.limitsThrottled, 100*float64(r.limitsThrottled)/float64(max(r.calls, 1)), r.faults)
	if len(r.doneAt) > 0 {
		q := func(f float64) float64 {
			return r.doneAt[min(len(r.doneAt)-1, int(f*float64(len(r.doneAt))))].Seconds()
		}
		fmt.Printf("          teams done by: 10 %% %.1f s, 50 %% %.1f s, 90 %% %.1f s, 99 %% %.1f s, all %.1f s\n", q(0.1), q(0.5), q(0.9), q(0.99), r.doneAt[len(r.doneAt)-1].Seconds())
	}
	fmt.Printf("          failed: %d, duplicated: %d, missing: %d\n", r.failed, r.duplicates, r.missing)
	if len(r.slowest) > 0 {
		fmt.Println("          the teams done last (seconds from the start):")
	}
	for _, t := range r.slowest {
		fmt.Printf("            %s done at %.1f s: %s\n", t.id, t.doneAt.Seconds(), strings.Join(t.steps, "; "))
	}
	if r.timeline != nil {
		r.timeline.print()
	}
	var classes []string
	for k := range r.classRequests {
		classes = append(classes, k)
	}
	sort.Strings(classes)
	for _, k := range classes {
		fmt.Printf("          class %-10s requests %6d  throttled %d\n", k, r.classRequests[k].Requests, r.classRequests[k].Throttled)
	}
	if b.teams > 0 {
		fmt.Printf("baseline: %d teams in %.1f s = %.3f teams/s; Graph calls %d (%.1f per team); 429s %d (%.1f %% of calls); duplicated %d; failed %d\n",
			b.teams, b.wall.Seconds(), float64(b.teams)/b.wall.Seconds(), b.calls, float64(b.calls)/float64(b.teams),
			b.throttled, 100*float64(b.throttled)/float64(max(b.calls, 1)), b.duplicates, b.failed)
		fmt.Printf("ratio:    steward / baseline throughput = %.0f×\n",
			(float64(r.completed)/r.wall.Seconds())/(float64(b.teams)/b.wall.Seconds()))
	}
}
