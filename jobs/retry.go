package jobs

import (
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// backoff is Steward's retry policy: the delay doubles with each failed
// attempt, from base up to max, with "equal jitter" (a random point in the
// upper half of the delay) so that jobs failing together, e.g. on a Graph
// throttle, do not retry together. River's default (attempt^4 seconds) reaches
// hours by the 6th attempt; doubling keeps retries of throttled Graph calls
// close to the Retry-After horizon while still backing off.
type backoff struct {
	base, max time.Duration
	now       func() time.Time
}

// NextRetry implements river.ClientRetryPolicy.
func (b *backoff) NextRetry(job *rivertype.JobRow) time.Time {
	// job.Errors holds the previous attempts' errors, not the current one,
	// so the first failure has n == 0 and waits about base.
	return b.now().Add(b.delay(len(job.Errors)))
}

func (b *backoff) delay(n int) time.Duration {
	d := b.base
	for i := 0; i < n && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	half := d / 2
	return half + rand.N(d-half+1)
}

var _ river.ClientRetryPolicy = (*backoff)(nil)
