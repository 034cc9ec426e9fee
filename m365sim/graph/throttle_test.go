package graph

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestThrottleClasses(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Limits = DefaultLimits() })
	id := e.createTeam("Busy", nil)
	other := e.createTeam("Other", nil)
	e.g.SetLimits(DefaultLimits()) // forget the setup's requests
	tests := []struct {
		name    string
		method  string
		path    func(i int) string
		body    func(i int) any
		limit   int // successes allowed within one second
		perTeam bool
	}{
		{"POST /teams", "POST", func(int) string { return "/v1.0/teams" }, func(i int) any {
			return map[string]any{"template@odata.bind": standardTemplate, "displayName": fmt.Sprint("T", i), "members": []any{owner(alice.ID)}}
		}, 10, false},
		{"GET team (per-team cap)", "GET", func(int) string { return "/v1.0/teams/" + id }, nil, 4, true},
		{"GET channels across teams", "GET", func(i int) string {
			return "/v1.0/teams/" + []string{id, other}[i%2] + "/channels"
		}, nil, 8, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.clk.Advance(2 * time.Second)
			ok, throttled := 0, 0
			for i := range tc.limit * 3 {
				var body any
				if tc.body != nil {
					body = tc.body(i)
				}
				r := e.do(tc.method, tc.path(i), "app-a", body)
				switch r.status {
				case 429:
					throttled++
					if r.errCode() != "TooManyRequests" {
						t.Fatalf("429 body %s", r.raw)
					}
					if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 {
						t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
					}
				case 200, 202:
					ok++
				default:
					t.Fatalf("status %d: %s", r.status, r.raw)
				}
			}
			if ok != tc.limit || throttled != tc.limit*2 {
				t.Errorf("ok=%d throttled=%d, want %d and %d", ok, throttled, tc.limit, tc.limit*2)
			}
			// Another app has its own budget.
			if tc.perTeam {
				e.do(tc.method, tc.path(0), "app-a2", nil).want(t, 200)
			}
		})
	}
	stats := e.g.Inspect().(State).Throttle
	if stats[classCreateTeam].Throttled != 20 || stats[classRead].Throttled == 0 {
		t.Errorf("stats %+v", stats)
	}
}

// A client sending twice the documented rate for N simulated seconds gets
// 429 + Retry-After for the excess, and no one-second window ever admits
// more than the limit.
func TestThrottleTwiceTheRate(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Limits = DefaultLimits() })
	ids := []string{}
	for i := range 8 {
		ids = append(ids, e.createTeam(fmt.Sprint("Team", i), nil))
	}
	tests := []struct {
		name   string
		limit  int
		method string
		path   func(i int) string
		body   func(i int) any
	}{
		{"POST /teams at 20 rps", 10, "POST", func(int) string { return "/v1.0/teams" }, func(i int) any {
			return map[string]any{"template@odata.bind": standardTemplate, "displayName": fmt.Sprint("R", i), "members": []any{owner(alice.ID)}}
		}},
		// 30 rps documented for GET team; spread over 8 teams so the
		// 4 rps per-team cap is not what binds.
		{"GET team at 60 rps", 30, "GET", func(i int) string { return "/v1.0/teams/" + ids[i%len(ids)] }, nil},
		{"GET members at 120 rps", 32, "GET", func(i int) string { return "/v1.0/teams/" + ids[i%len(ids)] + "/members" }, nil},
	}
	const seconds = 5
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.g.SetLimits(DefaultLimits())
			rate := tc.limit * 2
			step := time.Second / time.Duration(rate)
			var admitted []time.Time
			throttled := 0
			for i := range seconds * rate {
				var body any
				if tc.body != nil {
					body = tc.body(i)
				}
				r := e.do(tc.method, tc.path(i), "app-a", body)
				switch r.status {
				case 200, 202:
					admitted = append(admitted, e.clk.Now())
				case 429:
					throttled++
					if ra, _ := strconv.Atoi(r.header.Get("Retry-After")); ra < 1 {
						t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
					}
				default:
					t.Fatalf("status %d %s", r.status, r.raw)
				}
				e.clk.Advance(step)
			}
			if throttled < seconds*(rate-tc.limit) {
				t.Errorf("throttled %d, want at least %d", throttled, seconds*(rate-tc.limit))
			}
			for i := range admitted {
				n := 0
				for j := i; j < len(admitted) && admitted[j].Sub(admitted[i]) < time.Second; j++ {
					n++
				}
				if n > tc.limit {
					t.Fatalf("%d requests admitted in the second from %v", n, admitted[i])
				}
			}
			if len(admitted) < seconds*tc.limit*9/10 {
				t.Errorf("only %d admitted over %ds; the limit should be usable", len(admitted), seconds)
			}
		})
	}
}

func TestThrottleRetryAfterIsHonest(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Limits = Limits{CreateTeam: 2} })
	body := map[string]any{"template@odata.bind": standardTemplate, "displayName": "X", "members": []any{owner(alice.ID)}}
	e.do("POST", "/v1.0/teams", "app-a", body).want(t, 202)
	e.do("POST", "/v1.0/teams", "app-a", body).want(t, 202)
	r := e.do("POST", "/v1.0/teams", "app-a", body).want(t, 429, "TooManyRequests")
	ra, _ := strconv.Atoi(r.header.Get("Retry-After"))
	e.clk.Advance(time.Duration(ra) * time.Second)
	e.do("POST", "/v1.0/teams", "app-a", body).want(t, 202)
	// Zero limits disable throttling.
	e.g.SetLimits(Limits{})
	for range 20 {
		e.do("POST", "/v1.0/teams", "app-a", body).want(t, 202)
	}
	if !strings.Contains(DefaultLimits().String(), "createTeam=10") {
		t.Error(DefaultLimits().String())
	}
}
