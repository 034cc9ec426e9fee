package work_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/riverqueue/river"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/internal/teststack"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/work"
)

// eventJob is what the test's hook enqueues for each event.
type eventJob struct {
	jobs.Tenant
	Event governance.WebhookEvent `json:"event"`
}

func (eventJob) Kind() string { return "work_test_event" }

type eventWorker struct {
	river.WorkerDefaults[eventJob]
	mu   sync.Mutex
	seen []string
}

func (w *eventWorker) Work(_ context.Context, j *river.Job[eventJob]) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen = append(w.seen, j.Args.TenantID+"/"+string(j.Args.Event))
	return nil
}

func (w *eventWorker) got() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.seen)
}

// An event hook enqueues in the unit's own transaction: its job exists if
// and only if the unit commits, and a hook's error rolls the unit back.
func TestEventHooksShareTheUnitsTransaction(t *testing.T) {
	for _, engine := range testenv.Engines() {
		t.Run(engine.Name, func(t *testing.T) {
			ctx := context.Background()
			worker := &eventWorker{}
			var tr *work.Transactor
			refuse := governance.WebhookEvent("")
			st := teststack.New(t, engine.DSN(t), teststack.Options{Register: func(s *teststack.Stack) {
				jobs.Register(s.Queue, worker)
				tr = work.New(s.DB, s.Queue, s.Hooks)
				tr.OnEvent(func(ctx context.Context, tx *sql.Tx, tenantID string, event governance.WebhookEvent, _ any) error {
					if event == refuse {
						return errors.New("hook refused")
					}
					_, err := s.Queue.InsertTx(ctx, tx, eventJob{Tenant: jobs.Tenant{TenantID: tenantID}, Event: event}, nil)
					return err
				})
			}})
			if _, err := st.DB.CreateTenant(ctx, governance.Tenant{ID: "contoso", Name: "Contoso"}); err != nil {
				t.Fatal(err)
			}
			queued := func(t *testing.T) int {
				t.Helper()
				var n int
				if err := st.DB.Writer().QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = 'work_test_event'`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			audit := func(w governance.Work, action string) error {
				return w.Audit(ctx, governance.AuditEvent{TenantID: "contoso", Action: action, SubjectType: "request", SubjectID: "r1",
					Actor: governance.AuditActor{Type: "system", ID: "test"}})
			}

			t.Run("rolled back: nothing queued", func(t *testing.T) {
				err := tr.InTx(ctx, func(w governance.Work) error {
					if err := w.Emit(ctx, "contoso", governance.EventRequestCreated, map[string]string{"id": "r1"}); err != nil {
						return err
					}
					return errors.New("the change fails after the event")
				})
				if err == nil {
					t.Fatal("the unit committed")
				}
				if n := queued(t); n != 0 {
					t.Fatalf("%d jobs queued by a rolled-back unit", n)
				}
			})
			t.Run("a hook's error rolls the unit back", func(t *testing.T) {
				refuse = governance.EventRequestCancelled
				defer func() { refuse = "" }()
				err := tr.InTx(ctx, func(w governance.Work) error {
					if err := audit(w, "request.cancelled"); err != nil {
						return err
					}
					return w.Emit(ctx, "contoso", governance.EventRequestCancelled, map[string]string{"id": "r1"})
				})
				if err == nil || !strings.Contains(err.Error(), "hook refused") {
					t.Fatalf("err = %v, want the hook's", err)
				}
				if chain, err := st.DB.AuditChain(ctx, "contoso", 1, 100); err != nil || len(chain) != 0 {
					t.Fatalf("audit rows after the rollback: %d, %v", len(chain), err)
				}
			})
			t.Run("committed: queued and worked once", func(t *testing.T) {
				err := tr.InTx(ctx, func(w governance.Work) error {
					if err := audit(w, "request.created"); err != nil {
						return err
					}
					return w.Emit(ctx, "contoso", governance.EventRequestCreated, map[string]string{"id": "r1"})
				})
				if err != nil {
					t.Fatal(err)
				}
				eventually(t, "the hook's job", func() bool { return slices.Equal(worker.got(), []string{"contoso/request.created"}) })
				if n := queued(t); n != 1 {
					t.Fatalf("%d jobs, want 1", n)
				}
			})
		})
	}
}
