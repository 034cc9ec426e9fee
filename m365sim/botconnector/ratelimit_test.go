package botconnector

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// checkWindows fails if the accepted call times exceed any window.
func checkWindows(t *testing.T, accepted []time.Time, windows []Window) {
	t.Helper()
	for _, w := range windows {
		lo := 0
		for hi, at := range accepted {
			for !accepted[lo].After(at.Add(-w.Per)) {
				lo++
			}
			if n := hi - lo + 1; n > w.Limit {
				t.Fatalf("%d calls within %v ending %v, limit %d", n, w.Per, at, w.Limit)
			}
		}
	}
}

func TestThreadLimitsOverHTTP(t *testing.T) {
	e := newEnv(t, ThreadLimits{})
	conv, err := e.conn.PersonalConversation(tenantID, botAppID, e.users[0].ID)
	must(t, err)
	limits := DefaultThreadLimits()

	t.Run("sends at twice the limit", func(t *testing.T) {
		// 14 per second for 90 s: twice the 7/s limit and far over the
		// 60/30 s one.
		var accepted []time.Time
		throttled := 0
		for i := range 90 * 14 {
			if i > 0 {
				e.clock.Advance(time.Second / 14)
			}
			status, hdr, body, _ := e.call("POST", convPath(conv.ID, "/activities"), botToken, map[string]any{"type": "message", "text": strconv.Itoa(i)})
			switch status {
			case http.StatusCreated:
				accepted = append(accepted, e.clock.Now())
			case http.StatusTooManyRequests:
				throttled++
				secs, err := strconv.Atoi(hdr.Get("Retry-After"))
				if err != nil || secs < 1 || secs > 30 || errorCode(body) != "Throttled" {
					t.Fatalf("429 with Retry-After %q body %v", hdr.Get("Retry-After"), body)
				}
			default:
				t.Fatalf("status %d %v", status, body)
			}
		}
		checkWindows(t, accepted, limits.Send)
		// 60 per 30 s over 90 s (and a bit more as windows slide).
		if len(accepted) < 180 || throttled == 0 {
			t.Fatalf("accepted %d, throttled %d", len(accepted), throttled)
		}
	})

	t.Run("Retry-After is enough", func(t *testing.T) {
		e.clock.Advance(time.Hour)
		for i := range 7 {
			if status, _, _, _ := e.call("POST", convPath(conv.ID, "/activities"), botToken, map[string]any{"type": "message"}); status != 201 {
				t.Fatalf("send %d: %d", i, status)
			}
		}
		status, hdr, _, _ := e.call("POST", convPath(conv.ID, "/activities"), botToken, map[string]any{"type": "message"})
		if status != 429 || hdr.Get("Retry-After") != "1" {
			t.Fatalf("8th send: %d Retry-After %q", status, hdr.Get("Retry-After"))
		}
		e.clock.Advance(time.Second)
		if status, _, _, _ := e.call("POST", convPath(conv.ID, "/activities"), botToken, map[string]any{"type": "message"}); status != 201 {
			t.Fatalf("after Retry-After: %d", status)
		}
	})

	t.Run("reads have double limits", func(t *testing.T) {
		e.clock.Advance(time.Hour)
		for i := range 14 {
			if status, _, _, _ := e.call("GET", convPath(conv.ID, "/members"), botToken, nil); status != 200 {
				t.Fatalf("read %d: %d", i, status)
			}
		}
		if status, hdr, _, _ := e.call("GET", convPath(conv.ID, "/members"), botToken, nil); status != 429 || hdr.Get("Retry-After") == "" {
			t.Fatalf("15th read: %d %v", status, hdr)
		}
		// Sends are counted apart from reads.
		if status, _, _, _ := e.call("POST", convPath(conv.ID, "/activities"), botToken, map[string]any{"type": "message"}); status != 201 {
			t.Fatalf("send after reads: %d", status)
		}
	})

	t.Run("per conversation", func(t *testing.T) {
		e.clock.Advance(time.Hour)
		other, err := e.conn.PersonalConversation(tenantID, botAppID, e.users[1].ID)
		must(t, err)
		for _, id := range []string{conv.ID, other.ID} {
			for i := range 7 {
				if status, _, _, _ := e.call("POST", convPath(id, "/activities"), botToken, map[string]any{"type": "message"}); status != 201 {
					t.Fatalf("%s send %d: %d", id, i, status)
				}
			}
		}
	})
}

func TestLimiterLongWindows(t *testing.T) {
	limits := DefaultThreadLimits()
	for _, read := range []bool{false, true} {
		l := newLimiter(limits)
		windows := limits.Send
		if read {
			windows = limits.Read
		}
		// Twice the hourly rate for two hours.
		perHour := windows[len(windows)-1].Limit
		step := time.Hour / time.Duration(2*perHour)
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var accepted []time.Time
		for range 4 * perHour {
			at = at.Add(step)
			ok, wait := l.allow(limitKey{bot: "b", conversation: "c", read: read}, at)
			if ok {
				accepted = append(accepted, at)
			} else if wait <= 0 || wait > time.Hour {
				t.Fatalf("wait %v", wait)
			}
		}
		checkWindows(t, accepted, windows)
		if len(accepted) < 2*perHour-1 || len(accepted) > 2*perHour+1 {
			t.Errorf("read=%v: accepted %d in 2 h, want about %d", read, len(accepted), 2*perHour)
		}
	}
}
