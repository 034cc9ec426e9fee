package teststack

import (
	"context"
	"slices"
	"sync"

	"github.com/riverqueue/river"

	"github.com/stewardhq/steward/governance"
)

// Provisioner stands in for the provision package's worker: it records
// which approved requests reached the provisioning queue, as
// "tenant/request".
type Provisioner struct {
	river.WorkerDefaults[governance.ProvisionRequest]
	mu   sync.Mutex
	seen []string
}

// Work records the job.
func (w *Provisioner) Work(_ context.Context, j *river.Job[governance.ProvisionRequest]) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, j.Args.TenantID+"/"+j.Args.RequestID)
	return nil
}

// Got returns what was recorded so far.
func (w *Provisioner) Got() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.seen)
}

// NoGuests is a governance.Directory with no guest accounts and every mail
// nickname free.
type NoGuests struct{}

// IsGuest implements governance.Directory.
func (NoGuests) IsGuest(context.Context, string, string) (bool, string, error) { return false, "", nil }

// MailNicknameTaken implements governance.Directory.
func (NoGuests) MailNicknameTaken(context.Context, string, string) (bool, error) { return false, nil }
