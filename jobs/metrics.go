package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// metrics records every job attempt. It is a worker middleware rather than an
// event subscription because River drops events when a subscriber falls
// behind, and a middleware sees each attempt synchronously, panics included.
type metrics struct {
	river.MiddlewareDefaults

	completed *prometheus.CounterVec
	failed    *prometheus.CounterVec
	duration  *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		completed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "steward_jobs_completed_total",
			Help: "Job attempts that succeeded, by job kind.",
		}, []string{"kind"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "steward_jobs_failed_total",
			Help: "Job attempts that returned an error or panicked, by job kind. A job retried twice counts twice.",
		}, []string{"kind"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "steward_job_duration_seconds",
			Help: "Duration of job attempts, by job kind.",
			// 10 ms to ~11 min: jobs range from a cache write to polling a
			// Graph team-creation operation.
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 9),
		}, []string{"kind"}),
	}
	for _, c := range []prometheus.Collector{m.completed, m.failed, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("jobs: register metrics: %w", err)
		}
	}
	return m, nil
}

// Work implements rivertype.WorkerMiddleware.
func (m *metrics) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) (err error) {
	start := time.Now()
	panicked := true
	defer func() {
		m.duration.WithLabelValues(job.Kind).Observe(time.Since(start).Seconds())
		var snooze *rivertype.JobSnoozeError
		switch {
		case panicked:
			// Count, then let River's executor recover it and record the
			// attempt as failed.
			m.failed.WithLabelValues(job.Kind).Inc()
		case err == nil:
			m.completed.WithLabelValues(job.Kind).Inc()
		case errors.As(err, &snooze):
			// A snooze is a deliberate "not yet", not a failure.
		default:
			m.failed.WithLabelValues(job.Kind).Inc()
		}
	}()
	err = doInner(ctx)
	panicked = false
	return err
}

var _ rivertype.WorkerMiddleware = (*metrics)(nil)
