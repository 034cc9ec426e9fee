package graph

import (
	"context"
	"math/rand/v2"
	"slices"
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
		_, d := b.reserve("t", classCreateTeam, "")
		creates = append(creates, now.Add(d))
		if i%3 == 0 {
			_, d := b.reserve("t", classRead, "A")
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
	if _, d := b.reserve("other", classCreateTeam, ""); d != 0 {
		t.Fatalf("other tenant waits %v", d)
	}
	// A refunded grant (Graph answered 429) frees its slot at once.
	b2 := newBudget(Limits{CreateTeam: 10}, 50*time.Millisecond, func() time.Time { return now })
	var grants []time.Time
	for range 10 {
		g, _ := b2.reserve("t", classCreateTeam, "")
		grants = append(grants, g)
	}
	// Paced, the ten grants are 52.5 ms apart; the last one given back is
	// the next call's, instead of a slot a window later.
	b2.refund("t", classCreateTeam, "", grants[9])
	if g, _ := b2.reserve("t", classCreateTeam, ""); !g.Equal(grants[9]) {
		t.Fatalf("after a refund the next call is granted %v, want the freed slot %v", g.Sub(now), grants[9].Sub(now))
	}
}

// TestBudgetBackfillsRefunds: with random reservations and refunds (a
// quarter of calls refused for rate), the kept grants never put more than
// the limit in any window, and refunded slots are reused: the stream keeps
// its rate instead of losing a slot per refund.
func TestBudgetBackfillsRefunds(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	const margin = 50 * time.Millisecond
	b := newBudget(Limits{CreateTeam: 10}, margin, func() time.Time { return now })
	rng := rand.New(rand.NewPCG(1, 2))
	var kept []time.Time
	for i := range 400 {
		g, _ := b.reserve("t", classCreateTeam, "")
		if rng.IntN(4) == 0 {
			b.refund("t", classCreateTeam, "", g)
		} else {
			kept = append(kept, g)
		}
		if i%8 == 0 {
			now = now.Add(100 * time.Millisecond)
		}
	}
	slices.SortFunc(kept, func(a, b time.Time) int { return a.Compare(b) })
	for i := 10; i < len(kept); i++ {
		if gap := kept[i].Sub(kept[i-10]); gap < time.Second+margin {
			t.Fatalf("grants %d and %d are %v apart; limit 10 per %v", i-10, i, gap, time.Second+margin)
		}
	}
	// 300 kept calls at 10 per 1.05 s take about 31 s; without back-fill
	// the 100 refunds would stretch it to about 42 s.
	if span := kept[len(kept)-1].Sub(kept[0]); span > 33*time.Second {
		t.Fatalf("%d kept grants span %v: refunded slots were not reused", len(kept), span)
	}
}

// TestRefundPromotesTheNextCall: a call waiting for its grant takes a slot
// given back in the current window at once, instead of the slot being
// lost while it waits for its own.
func TestRefundPromotesTheNextCall(t *testing.T) {
	b := newBudget(Limits{CreateTeam: 2}, 0, time.Now)
	first, _ := b.reserve("t", classCreateTeam, "")
	b.reserve("t", classCreateTeam, "")
	done := make(chan time.Duration, 1)
	start := time.Now()
	go func() {
		_, _ = b.wait(context.Background(), "t", classCreateTeam, "", false)
		done <- time.Since(start)
	}()
	time.Sleep(50 * time.Millisecond) // the third call is waiting (1 s on)
	b.refund("t", classCreateTeam, "", first)
	select {
	case d := <-done:
		// The second call is at 250 ms (paced half a slot apart), so the
		// third can move to 500 ms.
		if d > 700*time.Millisecond {
			t.Fatalf("the waiting call left after %v", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the waiting call never left")
	}
}

// TestRetryGoesAhead: a retry takes the slot of the first call in line and
// that call moves back to the next slot (here the retry's own), so the
// retry is not left for the end, the displaced call does not leave before
// its new slot, and the slots granted stay the ones the limit allows.
func TestRetryGoesAhead(t *testing.T) {
	b := newBudget(Limits{CreateTeam: 1}, 0, time.Now)
	first, _ := b.reserve("t", classCreateTeam, "")
	type left struct{ grant, at time.Time }
	queued, retried := make(chan left, 1), make(chan left, 1)
	go func() {
		g, _ := b.wait(context.Background(), "t", classCreateTeam, "", false)
		queued <- left{g, time.Now()}
	}()
	time.Sleep(100 * time.Millisecond) // the first try waits for the slot 1 s on
	go func() {
		g, _ := b.wait(context.Background(), "t", classCreateTeam, "", true)
		retried <- left{g, time.Now()}
	}()
	r, q := <-retried, <-queued
	if want := first.Add(time.Second); !r.grant.Equal(want) {
		t.Fatalf("the retry was granted %v after the first call, want 1s: the first slot in line", r.grant.Sub(first))
	}
	if want := first.Add(2 * time.Second); !q.grant.Equal(want) {
		t.Fatalf("the call moved back was granted %v after the first call, want 2s: the retry's slot", q.grant.Sub(first))
	}
	if q.at.Before(q.grant) {
		t.Fatalf("the call moved back left %v before its new slot", q.grant.Sub(q.at))
	}
	if r.at.Before(r.grant) {
		t.Fatalf("the retry left %v before its slot", r.grant.Sub(r.at))
	}
}

// TestCutInKeepsTheSlots: cutting in hands the same slots out again, in
// order, and leaves alone a call about to leave.
func TestCutInKeepsTheSlots(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return now.Add(time.Duration(ms) * time.Millisecond) }
	cases := []struct {
		name    string
		waiting []int // the line's slots, ms after now
		retry   int   // the slot the retry was granted
		want    []int // the line's slots afterwards, in the same order
		wantR   int   // the retry's slot afterwards
	}{
		{"empty line", nil, 500, nil, 500},
		{"three in line", []int{100, 200, 300}, 400, []int{200, 300, 400}, 100},
		{"one about to leave keeps its slot", []int{10, 200, 300}, 400, []int{10, 300, 400}, 200},
		{"later calls are not moved", []int{100, 900}, 400, []int{400, 900}, 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := &window{}
			for _, ms := range tc.waiting {
				w.waiting = append(w.waiting, &ticket{at: at(ms), wake: make(chan struct{}, 1)})
			}
			r := &ticket{at: at(tc.retry), wake: make(chan struct{}, 1)}
			w.cutIn(r, now)
			if !r.at.Equal(at(tc.wantR)) {
				t.Errorf("retry at %v, want %d ms", r.at.Sub(now), tc.wantR)
			}
			for i, tk := range w.waiting {
				if !tk.at.Equal(at(tc.want[i])) {
					t.Errorf("call %d at %v, want %d ms", i, tk.at.Sub(now), tc.want[i])
				}
			}
		})
	}
}

// TestGrantsArePaced: calls asked for at the same instant are granted at
// least half an even spacing apart (span/(2·limit)), so they reach Graph one
// by one instead of as a burst whose arrivals spread unpredictably; the
// window still admits its limit per span.
func TestGrantsArePaced(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	const margin = 20 * time.Millisecond
	b := newBudget(Limits{CreateTeam: 10}, margin, func() time.Time { return now })
	var gs []time.Time
	for range 30 {
		g, _ := b.reserve("t", classCreateTeam, "")
		gs = append(gs, g)
	}
	gap := (time.Second + margin) / 20
	for i := 1; i < len(gs); i++ {
		if d := gs[i].Sub(gs[i-1]); d < gap {
			t.Fatalf("grants %d and %d are %v apart, want at least %v", i-1, i, d, gap)
		}
	}
	for i := 10; i < len(gs); i++ {
		if d := gs[i].Sub(gs[i-10]); d < time.Second+margin {
			t.Fatalf("grants %d and %d are %v apart: 11 in one window", i-10, i, d)
		}
	}
	// The first window's ten leave within half of it, not a full window later.
	if d := gs[9].Sub(gs[0]); d != 9*gap {
		t.Fatalf("the first ten span %v, want %v", d, 9*gap)
	}
	if d := gs[29].Sub(gs[0]); d != 2*(time.Second+margin)+9*gap {
		t.Fatalf("thirty grants span %v, want two windows and nine gaps", d)
	}
}

// TestBatchPartsShareOneSendTime: the parts of an envelope are granted one
// send time together, the earliest at which every budget they spend has
// room for all of them; an envelope takes no more parts on one budget than
// its limit.
func TestBatchPartsShareOneSendTime(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	b := newBudget(Limits{Read: 30, PerTeam: 4}, 50*time.Millisecond, func() time.Time { return now })
	reads := func(team string, n int) []call {
		var cs []call
		for range n {
			cs = append(cs, call{classRead, team})
		}
		return cs
	}
	mixed := append(reads("A", 6), reads("B", 2)...)
	if n := b.together("t", mixed); n != 4 {
		t.Fatalf("together(6 reads of A, 2 of B) = %d, want 4 (A's limit)", n)
	}
	if n := b.together("t", append(reads("A", 3), reads("B", 4)...)); n != 7 {
		t.Fatalf("together(3 of A, 4 of B) = %d, want 7", n)
	}
	if n := b.together("t", []call{{classNone, ""}, {classNone, ""}}); n != 2 {
		t.Fatalf("unbudgeted calls: together = %d, want 2", n)
	}
	// One read of A is already granted now: four more on A fit together
	// only once it left the window.
	b.reserve("t", classRead, "A")
	at, d := b.reserveTogether("t", reads("A", 4))
	if d != time.Second+50*time.Millisecond {
		t.Fatalf("four parts on A granted after %v, want one window (1.05s)", d)
	}
	w := b.keys["t|team|A"]
	if n := len(w.granted); n != 5 || !w.granted[1].Equal(at) || !w.granted[4].Equal(at) {
		t.Fatalf("A's grants %v, want the first and four at %v", w.granted, at.Sub(now))
	}
	// Parts on B, which has room, leave at once, whatever A's line is.
	if _, d := b.reserveTogether("t", reads("B", 4)); d != 0 {
		t.Fatalf("four parts on B wait %v", d)
	}
}

// TestRefundMovesTheLineUp: a slot given back after its call left frees
// room only around it; with a line granted seconds ahead, the whole line
// moves up one slot, so the room is used instead of lost.
func TestRefundMovesTheLineUp(t *testing.T) {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	now := start
	b := newBudget(Limits{CreateTeam: 10}, 0, func() time.Time { return now })
	ms := func(t time.Time) int { return int(t.Sub(start) / time.Millisecond) }
	var sent []time.Time
	for range 10 { // 0, 50, ..., 450 ms: sent
		g, _ := b.reserve("t", classCreateTeam, "")
		sent = append(sent, g)
	}
	w := b.keys["t|"+classCreateTeam]
	var line []*ticket
	for range 20 { // 1000..1450 and 2000..2450 ms: waiting
		g, _ := b.reserve("t", classCreateTeam, "")
		tk := &ticket{at: g, wake: make(chan struct{}, 1)}
		line = append(line, tk)
		w.waiting = append(w.waiting, tk)
	}
	if ms(line[0].at) != 1000 || ms(line[19].at) != 2450 {
		t.Fatalf("line from %d to %d ms, want 1000 to 2450", ms(line[0].at), ms(line[19].at))
	}
	now = start.Add(500 * time.Millisecond)
	b.refund("t", classCreateTeam, "", sent[4]) // the call sent at 200 ms was throttled
	// The first call takes the room at 500 ms; the windows around the
	// freed slot then let the eleventh move up from 2000 to 1500 ms: the
	// line holds one call more before 2.5 s than it did.
	want := []int{500, 1000, 1050, 1100, 1150, 1250, 1300, 1350, 1400, 1450, 1500, 2000, 2050, 2100, 2150, 2250, 2300, 2350, 2400, 2450}
	for i, tk := range line {
		if ms(tk.at) != want[i] {
			t.Errorf("call %d in line at %d ms, want %d", i, ms(tk.at), want[i])
		}
	}
	if len(line[0].wake) != 1 {
		t.Error("the first call in line was not woken")
	}
	// Every window still holds at most ten grants.
	for i := 10; i < len(w.granted); i++ {
		if d := w.granted[i].Sub(w.granted[i-10]); d < time.Second {
			t.Fatalf("grants %d and %d are %v apart", i-10, i, d)
		}
	}
	// A refund that cannot help anyone (nothing in line) changes nothing.
	w.waiting = nil
	before := slices.Clone(w.granted)
	b.refund("t", classCreateTeam, "", w.granted[len(w.granted)-1])
	if len(w.granted) != len(before)-1 {
		t.Fatalf("grants %d after a refund, want %d", len(w.granted), len(before)-1)
	}
}
