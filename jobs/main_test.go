package jobs

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any River, pool or database goroutine outlives
// the tests: every queue is stopped and every handle closed in t.Cleanup.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
