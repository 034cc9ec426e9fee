package botconnector

import (
	"sync"
	"time"
)

// Window allows Limit calls in any sliding interval of length Per.
type Window struct {
	Limit int
	Per   time.Duration
}

// ThreadLimits are Teams' rate limits per bot per conversation (thread).
// Every window applies at once.
type ThreadLimits struct {
	Send []Window // POST, PUT, DELETE of activities
	Read []Window // GET of members
	// Unlimited turns the limits off.
	Unlimited bool
}

func (l ThreadLimits) isZero() bool { return len(l.Send) == 0 && len(l.Read) == 0 && !l.Unlimited }

// DefaultThreadLimits are the documented Teams limits per bot per thread:
// 7 per second, 8 per 2 s, 60 per 30 s, 1800 per hour for sends; reads get
// double.
func DefaultThreadLimits() ThreadLimits {
	send := []Window{{7, time.Second}, {8, 2 * time.Second}, {60, 30 * time.Second}, {1800, time.Hour}}
	read := make([]Window, len(send))
	for i, w := range send {
		read[i] = Window{w.Limit * 2, w.Per}
	}
	return ThreadLimits{Send: send, Read: read}
}

type limitKey struct {
	bot, conversation string
	read              bool
}

// limiter keeps the times of accepted calls per key and refuses a call that
// would exceed any window. Refused calls do not count.
type limiter struct {
	limits ThreadLimits
	mu     sync.Mutex
	calls  map[limitKey][]time.Time
}

func newLimiter(l ThreadLimits) *limiter {
	return &limiter{limits: l, calls: map[limitKey][]time.Time{}}
}

// allow records a call at now, or reports how long to wait before one would
// be accepted.
func (l *limiter) allow(k limitKey, now time.Time) (bool, time.Duration) {
	if l.limits.Unlimited {
		return true, 0
	}
	windows := l.limits.Send
	if k.read {
		windows = l.limits.Read
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var longest time.Duration
	for _, w := range windows {
		longest = max(longest, w.Per)
	}
	ts := l.calls[k]
	// Forget calls older than every window.
	i := 0
	for i < len(ts) && !ts[i].After(now.Add(-longest)) {
		i++
	}
	ts = ts[i:]
	var wait time.Duration
	for _, w := range windows {
		// Calls inside (now-Per, now].
		j := len(ts)
		for j > 0 && ts[j-1].After(now.Add(-w.Per)) {
			j--
		}
		if n := len(ts) - j; n >= w.Limit {
			// The call that must leave the window first is the
			// (n-Limit)th inside it; it leaves at its time + Per.
			leave := ts[j+n-w.Limit].Add(w.Per).Sub(now)
			wait = max(wait, leave)
		}
	}
	if wait > 0 {
		l.calls[k] = ts
		return false, wait
	}
	l.calls[k] = append(ts, now)
	return true, 0
}
