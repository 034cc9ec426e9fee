package testenv

import (
	"sync"
	"time"
)

// Clock is a clock tests move by hand, for components that take an injected
// Now; nothing in a test then waits on real time.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at a fixed instant (with sub-second
// digits, so truncation bugs show).
func NewClock() *Clock {
	return &Clock{t: time.Date(2026, 11, 22, 9, 30, 0, 123456000, time.UTC)}
}

// NewClockAt returns a clock stopped at t.
func NewClockAt(t time.Time) *Clock { return &Clock{t: t} }

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
