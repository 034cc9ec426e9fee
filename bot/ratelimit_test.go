package bot

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// checkWindows fails unless every call in times (sorted here) would have
// been accepted by a server counting calls in (x-per, x], as the simulator
// and Teams do.
func checkWindows(t *testing.T, times []time.Time, windows []Window) {
	t.Helper()
	ts := slices.Clone(times)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	for _, w := range windows {
		for i, x := range ts {
			n := 0
			for _, y := range ts {
				if y.After(x.Add(-w.Per)) && !y.After(x) {
					n++
				}
			}
			if n > w.Limit {
				t.Fatalf("call %d at +%s: %d calls in window %s", i, x.Sub(t0), n, w)
			}
		}
	}
}

func TestLimiterSchedules(t *testing.T) {
	thread := DefaultLimits().Thread
	for _, tc := range []struct {
		name   string
		limits ThreadLimits
		keys   []LimitKey // reserved in order, all at t0
		want   []time.Duration
	}{
		{
			name:   "thread windows without margin",
			limits: ThreadLimits{Thread: thread},
			keys:   repeat(LimitKey{"t", "c"}, 12),
			// 7 per second, then the 8-per-2-s window lets one more at
			// 1 s and the rest once the first calls leave it at 2 s.
			want: []time.Duration{0, 0, 0, 0, 0, 0, 0, time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second},
		},
		{
			name:   "margin lengthens the windows",
			limits: ThreadLimits{Thread: thread, Margin: 50 * time.Millisecond},
			keys:   repeat(LimitKey{"t", "c"}, 9),
			want:   []time.Duration{0, 0, 0, 0, 0, 0, 0, 1050 * time.Millisecond, 2050 * time.Millisecond},
		},
		{
			name:   "conversations share the tenant's budget",
			limits: ThreadLimits{Thread: thread, Tenant: []Window{{3, time.Second}}},
			keys:   []LimitKey{{"t", "a"}, {"t", "b"}, {"t", "c"}, {"t", "d"}, {"u", "e"}},
			want:   []time.Duration{0, 0, 0, time.Second, 0},
		},
		{
			name:   "creations count against the tenant only",
			limits: ThreadLimits{Thread: []Window{{1, time.Second}}, Tenant: []Window{{2, time.Second}}},
			keys:   []LimitKey{{"t", ""}, {"t", ""}, {"t", "a"}},
			want:   []time.Duration{0, 0, time.Second},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLimiter(tc.limits)
			if err != nil {
				t.Fatal(err)
			}
			var got []time.Duration
			for _, k := range tc.keys {
				got = append(got, l.Reserve(k, t0))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("waits %v, want %v", got, tc.want)
			}
		})
	}
}

func repeat(k LimitKey, n int) []LimitKey {
	out := make([]LimitKey, n)
	for i := range out {
		out[i] = k
	}
	return out
}

// A slot found between reservations already made must not overfill the
// windows of the later ones.
func TestLimiterFillsGapsSafely(t *testing.T) {
	l, err := NewLimiter(ThreadLimits{Tenant: []Window{{3, time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	k := LimitKey{Tenant: "t", Conversation: ""}
	var at []time.Time
	// Three calls reserved for +0.9 s, then callers arriving at +0 and
	// +0.5 s: a call at +0.5 would put four in (−0.1, 0.9].
	for range 3 {
		at = append(at, t0.Add(900*time.Millisecond).Add(l.Reserve(k, t0.Add(900*time.Millisecond))))
	}
	for _, now := range []time.Time{t0, t0.Add(500 * time.Millisecond)} {
		w := l.Reserve(k, now)
		at = append(at, now.Add(w))
	}
	if got := at[3].Sub(t0); got != 1900*time.Millisecond {
		t.Fatalf("fourth call at +%s, want +1.9s (after the reserved three leave)", got)
	}
	checkWindows(t, at, []Window{{3, time.Second}})
}

func TestLimiterReserveWithin(t *testing.T) {
	l, err := NewLimiter(ThreadLimits{Tenant: []Window{{50, time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	k := LimitKey{Tenant: "t"}
	admitted := 0
	var refused []time.Duration
	for range 300 {
		if w, ok := l.ReserveWithin(k, t0, time.Second); ok {
			admitted++
		} else {
			refused = append(refused, w)
		}
	}
	// Slots at +0 (50) and +1 s (50): within a second.
	if admitted != 100 {
		t.Fatalf("admitted %d, want 100", admitted)
	}
	// The refused are told to come back one after the other at 50/s,
	// starting when the next slot frees (+2 s).
	for i, w := range refused {
		if want := 2*time.Second + time.Duration(i)*20*time.Millisecond; w != want {
			t.Fatalf("refused caller %d told to wait %s, want %s", i, w, want)
		}
	}
	// Nothing was reserved for them: at +2 s the whole budget is free.
	if w := l.Reserve(k, t0.Add(2*time.Second)); w != 0 {
		t.Fatalf("at +2s a call waits %s, want 0", w)
	}
}

func TestLimiterEvictsIdleKeys(t *testing.T) {
	l, err := NewLimiter(ThreadLimits{Thread: []Window{{1, time.Second}}, Tenant: []Window{{5, time.Second}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		l.Reserve(LimitKey{"t", fmt.Sprint(i)}, t0.Add(time.Duration(i)*time.Millisecond))
	}
	l.Reserve(LimitKey{"t", "late"}, t0.Add(time.Hour))
	l.mu.Lock()
	n := len(l.keys)
	l.mu.Unlock()
	if n > 2 {
		t.Fatalf("%d keys kept an hour later, want the late one and its tenant", n)
	}
}

func TestLimiterConcurrentReservationsKeepWindows(t *testing.T) {
	lim := DefaultLimits()
	l, err := NewLimiter(lim)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	byConv := map[string][]time.Time{}
	var all []time.Time
	var wg sync.WaitGroup
	for g := range 40 {
		wg.Go(func() {
			for i := range 25 {
				now := t0.Add(time.Duration(i*37+g) * time.Millisecond)
				conv := fmt.Sprint((g + i) % 7)
				at := now.Add(l.Reserve(LimitKey{"t", conv}, now))
				mu.Lock()
				byConv[conv] = append(byConv[conv], at)
				all = append(all, at)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	checkWindows(t, all, lim.Tenant)
	for _, ts := range byConv {
		checkWindows(t, ts, lim.Thread)
	}
}

func TestLimitsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    ThreadLimits
	}{
		{"zero limit", ThreadLimits{Thread: []Window{{0, time.Second}}}},
		{"zero period", ThreadLimits{Tenant: []Window{{1, 0}}}},
		{"negative margin", ThreadLimits{Margin: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewLimiter(tc.l); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
