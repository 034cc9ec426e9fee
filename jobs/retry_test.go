package jobs

import (
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
)

func TestBackoffDoublesWithinJitterAndCap(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	b := &backoff{base: time.Second, max: time.Minute, now: func() time.Time { return now }}
	tests := []struct {
		name     string
		failures int // errors already recorded before this one
		lo, hi   time.Duration
	}{
		{"first failure", 0, 500 * time.Millisecond, time.Second},
		{"second failure", 1, time.Second, 2 * time.Second},
		{"fifth failure", 4, 8 * time.Second, 16 * time.Second},
		{"capped", 10, 30 * time.Second, time.Minute},
		{"far past the cap", 1000, 30 * time.Second, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := &rivertype.JobRow{Errors: make([]rivertype.AttemptError, tt.failures)}
			for range 50 {
				d := b.NextRetry(job).Sub(now)
				if d < tt.lo || d > tt.hi {
					t.Fatalf("delay %s, want within [%s, %s]", d, tt.lo, tt.hi)
				}
			}
		})
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"negative workers", Config{Workers: -1}},
		{"too many workers", Config{Workers: 10_001}},
		{"negative attempts", Config{MaxAttempts: -1}},
		{"backoff above its cap", Config{RetryBackoff: time.Hour, RetryBackoffMax: time.Minute}},
		{"negative poll interval", Config{FetchPollInterval: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := newQueue(EngineSQLite, tt.cfg); err == nil {
				t.Fatal("want an error")
			}
		})
	}
	if _, _, err := newQueue(EngineSQLite, Config{}); err != nil {
		t.Fatalf("zero Config: %v", err)
	}
}
