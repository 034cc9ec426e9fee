package work_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/internal/teststack"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/webhook"
	"github.com/stewardhq/steward/work"
)

const (
	alice = "11111111-1111-4111-8111-111111111111"
	bob   = "22222222-2222-4222-8222-222222222222"
)

type env struct {
	q     *jobs.Queue
	db    *store.DB
	svc   *governance.RequestService
	hooks *webhook.Dispatcher
	prov  *teststack.Provisioner
}

func newEnv(t *testing.T, dsn string, registerProvisioning bool) *env {
	t.Helper()
	return newEnvWith(t, dsn, registerProvisioning, nil, nil)
}

// newEnvWith is newEnv with the store's clock and extra registrations made
// before the queue starts.
func newEnvWith(t *testing.T, dsn string, registerProvisioning bool, now func() time.Time, register func(*jobs.Queue, *store.DB, *governance.RequestService)) *env {
	t.Helper()
	prov := &teststack.Provisioner{}
	var svc *governance.RequestService
	st := teststack.New(t, dsn, teststack.Options{Now: now, Register: func(s *teststack.Stack) {
		if registerProvisioning {
			jobs.Register(s.Queue, prov)
		}
		n := 0
		svc = governance.NewRequestService(work.New(s.DB, s.Queue, s.Hooks), teststack.NoGuests{}, func() string { n++; return fmt.Sprintf("req-%d", n) })
		if register != nil {
			register(s.Queue, s.DB, svc)
		}
	}})
	if _, err := st.DB.CreateTenant(context.Background(), governance.Tenant{ID: "contoso", Name: "Contoso"}); err != nil {
		t.Fatal(err)
	}
	return &env{q: st.Queue, db: st.DB, svc: svc, hooks: st.Hooks, prov: prov}
}

func (e *env) template(t *testing.T, approval governance.ApprovalPolicy) {
	t.Helper()
	err := e.db.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := e.db.CreateTemplate(context.Background(), tx, governance.Template{
			TenantID: "contoso", ID: "project", Name: "Project", Spec: governance.TeamSpec{Visibility: "private"},
			Policies: governance.TemplatePolicies{Approval: approval},
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func user(id string) governance.Principal {
	return governance.Principal{Kind: governance.PrincipalUser, TenantID: "contoso", ID: id, Name: id[:4]}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestRequestLifecycleCommitsEverythingTogether(t *testing.T) {
	for _, engine := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "steward.db") }},
		{"postgres", func(t *testing.T) string { return testenv.PostgresDSN(t) }},
	} {
		t.Run(engine.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, engine.dsn(t), true)
			e.template(t, governance.ApprovalPolicy{Stages: []governance.ApprovalStage{{Name: "Manager", Approvers: []governance.ApproverRef{{Type: "user", ID: bob}}}}})

			var mu sync.Mutex
			var delivered []string
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				var msg struct {
					Type string `json:"type"`
				}
				_ = json.Unmarshal(b, &msg)
				mu.Lock()
				delivered = append(delivered, msg.Type)
				mu.Unlock()
			}))
			defer receiver.Close()
			manager := user(alice)
			manager.Roles = []governance.Role{governance.RoleIntegrationManager}
			if _, _, err := e.hooks.Subscribe(ctx, manager, governance.WebhookSubscription{URL: receiver.URL + "/hook",
				Events: []governance.WebhookEvent{governance.EventRequestApproved}, Enabled: true}); err != nil {
				t.Fatal(err)
			}

			r, err := e.svc.Submit(ctx, user(alice), governance.NewRequest{TemplateID: "project", Name: "Apollo", Members: []string{bob}})
			if err != nil {
				t.Fatal(err)
			}
			if r.State != governance.StatePending {
				t.Fatalf("state %s", r.State)
			}
			mine, err := e.db.Requests(ctx, "contoso", store.RequestQuery{PendingFor: []string{bob}})
			if err != nil || len(mine) != 1 || mine[0].ID != r.ID {
				t.Fatalf("bob's approvals: %v %v", mine, err)
			}
			r, err = e.svc.Decide(ctx, user(bob), r.ID, r.Version, true, "ok")
			if err != nil || r.State != governance.StateApproved {
				t.Fatalf("decide: %+v %v", r, err)
			}
			eventually(t, "the provisioning job", func() bool { return slices.Equal(e.prov.Got(), []string{"contoso/" + r.ID}) })
			eventually(t, "the request.approved webhook", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return slices.Equal(delivered, []string{"request.approved"})
			})
			chain, err := e.db.AuditChain(ctx, "contoso", 1, 1000)
			if err != nil {
				t.Fatal(err)
			}
			if breaks := governance.VerifyAuditChain("contoso", chain); len(breaks) != 0 {
				t.Fatalf("audit chain broken: %v", breaks)
			}
			var actions []string
			for _, ev := range chain {
				actions = append(actions, ev.Action)
			}
			// The subscription made above is audited too, first.
			if !slices.Equal(actions, []string{"webhook.created", "request.created", "request.stage_approved", "request.approved"}) {
				t.Fatalf("audit trail %v", actions)
			}
		})
	}
}

// TestFailureRollsBackEveryWrite: when the provisioning job cannot be
// queued (here, no worker is registered for it), the approved request, its
// audit rows and its webhook deliveries must not exist either.
func TestFailureRollsBackEveryWrite(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), false)
	e.template(t, governance.ApprovalPolicy{}) // no approval: approved and queued at once
	manager := user(alice)
	manager.Roles = []governance.Role{governance.RoleIntegrationManager}
	sub, _, err := e.hooks.Subscribe(ctx, manager, governance.WebhookSubscription{URL: "http://127.0.0.1:1/hook",
		Events: []governance.WebhookEvent{governance.EventAll}, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Submit(ctx, user(alice), governance.NewRequest{TemplateID: "project", Name: "Hermes"})
	if err == nil || !strings.Contains(err.Error(), "provision_request") {
		t.Fatalf("submit: %v; want the provisioning job refused", err)
	}
	if rs, _ := e.db.Requests(ctx, "contoso", store.RequestQuery{}); len(rs) != 0 {
		t.Fatalf("%d requests left behind", len(rs))
	}
	// Only the subscription's own row, written before the failed submit.
	if chain, _ := e.db.AuditChain(ctx, "contoso", 1, 1000); len(chain) != 1 || chain[0].Action != "webhook.created" {
		t.Fatalf("%d audit rows left behind", len(chain)-1)
	}
	if ds, _ := e.db.Deliveries(ctx, "contoso", sub.ID, 50, time.Time{}); len(ds) != 0 {
		t.Fatalf("%d webhook deliveries left behind", len(ds))
	}
}

// TestApprovalSweepJob runs the periodic sweep through River: a request past
// its reminder delay gets exactly one reminder, audited and announced.
func TestApprovalSweepJob(t *testing.T) {
	ctx := context.Background()
	clock := testenv.NewClock()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "steward.db")
	e := newEnvWith(t, dsn, true, clock.Now, func(q *jobs.Queue, db *store.DB, svc *governance.RequestService) {
		if err := work.RegisterApprovalSweep(q, db, svc); err != nil {
			t.Fatal(err)
		}
	})
	e.template(t, governance.ApprovalPolicy{ReminderAfterHours: 1,
		Stages: []governance.ApprovalStage{{Name: "Manager", Approvers: []governance.ApproverRef{{Type: "user", ID: bob}}}}})
	r, err := e.svc.Submit(ctx, user(alice), governance.NewRequest{TemplateID: "project", Name: "Vesta"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	if _, err := e.q.Insert(ctx, work.ApprovalSweepArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the reminder", func() bool {
		got, err := e.db.Request(ctx, "contoso", r.ID)
		return err == nil && got.Reminded
	})
	chain, _ := e.db.AuditChain(ctx, "contoso", 1, 1000)
	var reminders int
	for _, ev := range chain {
		if ev.Action == "request.approval_reminder" {
			reminders++
		}
	}
	if reminders != 1 || len(governance.VerifyAuditChain("contoso", chain)) != 0 {
		t.Fatalf("%d reminders in a chain of %d", reminders, len(chain))
	}
}
