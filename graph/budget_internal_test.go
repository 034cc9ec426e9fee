package graph

import (
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	cases := []struct{ method, path, class, team string }{
		{"POST", "/teams", classCreateTeam, ""},
		{"GET", "/teams/T", classRead, "T"},
		{"PATCH", "/teams/T", classNone, "T"},
		{"POST", "/teams/T/clone", classTeamWrite, "T"},
		{"PUT", "/groups/G/team", classTeamWrite, "G"},
		{"GET", "/groups/G/team", classRead, "G"},
		{"GET", "/teams/T/channels", classList, "T"},
		{"POST", "/teams/T/channels", classWrite, "T"},
		{"GET", "/teams/T/channels/C", classRead, "T"},
		{"DELETE", "/teams/T/channels/C", classDelete, "T"},
		{"GET", "/teams/T/channels/C/tabs", classRead, "T"},
		{"POST", "/teams/T/channels/C/tabs", classWrite, "T"},
		{"GET", "/teams/T/primaryChannel", classRead, "T"},
		{"GET", "/teams/T/installedApps", classRead, "T"},
		{"POST", "/teams/T/installedApps", classWrite, "T"},
		{"DELETE", "/teams/T/installedApps/I", classDelete, "T"},
		{"GET", "/teams/T/members", classList, "T"},
		{"POST", "/teams/T/members/add", classNone, "T"},
		{"DELETE", "/teams/T/members/M", classDelete, "T"},
		{"GET", "/teams/T/operations/O", classNone, "T"},
		{"DELETE", "/groups/G", classDelete, ""},
		{"GET", "/users/U", classNone, ""},
		{"POST", "/$batch", classNone, ""},
	}
	for _, c := range cases {
		class, team := classify(c.method, c.path)
		if class != c.class || team != c.team {
			t.Errorf("classify(%s %s) = %q, %q; want %q, %q", c.method, c.path, class, team, c.class, c.team)
		}
	}
}

// TestBudgetWindow checks the promise the limiter makes: no one-second
// window (plus margin) ever holds more grants than the limit, per class
// and per team, however the calls interleave.
func TestBudgetWindow(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	b := newBudget(Limits{CreateTeam: 10, Read: 30, PerTeam: 4}, 50*time.Millisecond, func() time.Time { return now })
	var creates, teamA []time.Time
	for i := range 100 {
		d := b.reserve("t", classCreateTeam, "")
		creates = append(creates, now.Add(d))
		if i%3 == 0 {
			d := b.reserve("t", classRead, "A")
			teamA = append(teamA, now.Add(d))
		}
		now = now.Add(7 * time.Millisecond)
	}
	check := func(name string, ts []time.Time, limit int) {
		for i := limit; i < len(ts); i++ {
			if gap := ts[i].Sub(ts[i-limit]); gap < time.Second+50*time.Millisecond {
				t.Fatalf("%s: grants %d and %d are %v apart; limit %d/s", name, i-limit, i, gap, limit)
			}
		}
	}
	check("createTeam", creates, 10)
	check("team A", teamA, 4)
	// Another tenant's budget is its own.
	if d := b.reserve("other", classCreateTeam, ""); d != 0 {
		t.Fatalf("other tenant waits %v", d)
	}
}
