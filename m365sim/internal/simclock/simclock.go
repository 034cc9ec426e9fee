// Package simclock is the settable clock the simulator's tests inject (the
// simulator imports nothing of Steward, so it cannot share Steward's).
package simclock

import (
	"sync"
	"time"
)

// Clock is a clock tests move by hand instead of sleeping.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock stopped at t.
func New(t time.Time) *Clock { return &Clock{t: t} }

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
