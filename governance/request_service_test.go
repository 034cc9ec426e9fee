package governance

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

// memStore is an in-memory Transactor whose transactions really roll back:
// InTx works on a copy and keeps it only when fn succeeds.
type memStore struct {
	roles     []RoleAssignment
	now       time.Time
	templates map[string][]Template // id → versions
	requests  map[string]Request
	pending   map[string][]string
	audit     []AuditEvent
	emitted   []WebhookEvent
	jobs      []string
	managed   map[string]ManagedTeam // tenant/team → team
	failEmit  bool
}

func newMemStore() *memStore {
	return &memStore{now: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC), templates: map[string][]Template{},
		requests: map[string]Request{}, pending: map[string][]string{}, managed: map[string]ManagedTeam{}}
}

type memWork struct {
	s *memStore
	*memState
}

type memState struct {
	roles    []RoleAssignment
	requests map[string]Request
	pending  map[string][]string
	audit    []AuditEvent
	emitted  []WebhookEvent
	jobs     []string
	managed  map[string]ManagedTeam
}

func (m *memStore) InTx(ctx context.Context, fn func(Work) error) error {
	st := &memState{roles: slices.Clone(m.roles), requests: maps.Clone(m.requests), pending: maps.Clone(m.pending),
		audit: slices.Clone(m.audit), emitted: slices.Clone(m.emitted), jobs: slices.Clone(m.jobs), managed: maps.Clone(m.managed)}
	if err := fn(memWork{m, st}); err != nil {
		return err
	}
	m.roles, m.requests, m.pending, m.audit, m.emitted, m.jobs, m.managed = st.roles, st.requests, st.pending, st.audit, st.emitted, st.jobs, st.managed
	return nil
}

func (w memWork) Now() time.Time { return w.s.now }
func (w memWork) Template(_ context.Context, tid, id string) (Template, error) {
	vs := w.s.templates[id]
	if len(vs) == 0 || vs[0].TenantID != tid {
		return Template{}, Errorf(KindNotFound, "template_not_found", "no template")
	}
	return vs[len(vs)-1], nil
}
func (w memWork) TemplateVersion(_ context.Context, tid, id string, v int) (Template, error) {
	for _, t := range w.s.templates[id] {
		if t.TenantID == tid && t.Version == v {
			return t, nil
		}
	}
	return Template{}, Errorf(KindNotFound, "template_not_found", "no template version")
}
func (w memWork) CreateTemplate(_ context.Context, t Template) (Template, error) {
	if len(w.s.templates[t.ID]) > 0 {
		return Template{}, Errorf(KindConflict, "template_exists", "template %q exists", t.ID)
	}
	t.Version, t.CreatedAt, t.UpdatedAt = 1, w.s.now, w.s.now
	w.s.templates[t.ID] = []Template{t}
	return t, nil
}
func (w memWork) SaveTemplate(_ context.Context, t Template) (Template, error) {
	vs := w.s.templates[t.ID]
	if len(vs) == 0 || vs[0].TenantID != t.TenantID {
		return Template{}, Errorf(KindNotFound, "template_not_found", "no template")
	}
	if vs[len(vs)-1].Version != t.Version {
		return Template{}, Errorf(KindConflict, "template_version_conflict", "stale")
	}
	t.Version, t.UpdatedAt = t.Version+1, w.s.now
	w.s.templates[t.ID] = append(vs, t)
	return t, nil
}
func (w memWork) AssignRole(_ context.Context, a RoleAssignment) error {
	if !slices.ContainsFunc(w.roles, func(x RoleAssignment) bool { return x == a }) {
		w.roles = append(w.roles, a)
	}
	return nil
}
func (w memWork) UnassignRole(_ context.Context, tid string, r Role, st, sid string) error {
	i := slices.IndexFunc(w.roles, func(x RoleAssignment) bool {
		return x.TenantID == tid && x.Role == r && x.SubjectType == st && x.SubjectID == sid
	})
	if i < 0 {
		return Errorf(KindNotFound, "role_assignment_not_found", "no such assignment")
	}
	w.roles = slices.Delete(w.roles, i, i+1)
	return nil
}
func (w memWork) RoleAssignments(_ context.Context, tid string) ([]RoleAssignment, error) {
	var out []RoleAssignment
	for _, a := range w.roles {
		if a.TenantID == tid {
			out = append(out, a)
		}
	}
	return out, nil
}
func (w memWork) Request(_ context.Context, tid, id string) (Request, error) {
	r, ok := w.requests[id]
	if !ok || r.TenantID != tid {
		return Request{}, Errorf(KindNotFound, "request_not_found", "no request %s", id)
	}
	return r, nil
}
func (w memWork) PendingRequestIDs(_ context.Context, tid string, limit int) ([]string, error) {
	var ids []string
	for id, r := range w.requests {
		if r.TenantID == tid && r.State == StatePending && len(ids) < limit {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}
func (w memWork) CreateRequest(_ context.Context, r Request, pending []string) (Request, error) {
	r.Version = 1
	w.requests[r.ID], w.pending[r.ID] = r, pending
	return r, nil
}
func (w memWork) SaveRequest(_ context.Context, r Request, pending []string) (Request, error) {
	if cur := w.requests[r.ID]; cur.Version != r.Version {
		return Request{}, Errorf(KindConflict, "request_version_conflict", "stale")
	}
	r.Version++
	w.requests[r.ID], w.pending[r.ID] = r, pending
	return r, nil
}
func (w memWork) RequestsNamed(_ context.Context, tid, folded string) ([]Request, error) {
	var out []Request
	for _, r := range w.requests {
		if r.TenantID == tid && FoldForMatch(r.DisplayName) == folded && r.State != StateCancelled && r.State != StateRejected {
			out = append(out, r)
		}
	}
	return out, nil
}
func (w memWork) Audit(_ context.Context, e AuditEvent) error {
	w.audit = append(w.audit, e)
	return nil
}
func (w memWork) Emit(_ context.Context, _ string, ev WebhookEvent, _ any) error {
	if w.s.failEmit {
		return errors.New("webhook store down")
	}
	w.emitted = append(w.emitted, ev)
	return nil
}
func (w memWork) EnqueueProvisioning(_ context.Context, tid, id string, attempt int) error {
	if attempt > 1 {
		id = fmt.Sprintf("%s#%d", id, attempt)
	}
	w.jobs = append(w.jobs, tid+"/"+id)
	return nil
}

type memDir struct{ taken map[string]bool }

func (d memDir) IsGuest(_ context.Context, _, id string) (bool, string, error) {
	return id == guest, "partner.example", nil
}
func (d memDir) MailNicknameTaken(_ context.Context, _, nick string) (bool, error) {
	return d.taken[nick], nil
}

func newService(t *testing.T, tpl Template) (*RequestService, *memStore) {
	t.Helper()
	m := newMemStore()
	m.templates[tpl.ID] = []Template{tpl}
	n := 0
	return NewRequestService(m, memDir{taken: map[string]bool{"launch": true}}, func() string { n++; return fmt.Sprintf("req-%d", n) }), m
}

func simpleTemplate(approval ApprovalPolicy) Template {
	return Template{TenantID: "contoso", ID: "project", Version: 3, Name: "Project", Spec: TeamSpec{Visibility: "private"},
		Policies: TemplatePolicies{Approval: approval, Naming: NamingPolicy{Prefix: "PRJ-", BlockedWords: []string{"ceo"}}}}
}

func TestSubmitWithoutApprovalQueuesProvisioning(t *testing.T) {
	svc, m := newService(t, simpleTemplate(ApprovalPolicy{}))
	r, err := svc.Submit(context.Background(), user(alice), NewRequest{TemplateID: "project", Name: "  Launch  ", Members: []string{bob}})
	if err != nil {
		t.Fatal(err)
	}
	if r.State != StateApproved || r.DisplayName != "PRJ-Launch" || r.MailNickname != "prj-launch" || r.TemplateVersion != 3 {
		t.Fatalf("request = %+v", r)
	}
	if fmt.Sprint(r.Owners) != "["+alice+"]" {
		t.Fatalf("the requester should own the team: %v", r.Owners)
	}
	if fmt.Sprint(m.jobs) != "[contoso/req-1]" || fmt.Sprint(m.emitted) != "[request.created request.approved]" {
		t.Fatalf("jobs %v, webhooks %v", m.jobs, m.emitted)
	}
	var actions []string
	for _, e := range m.audit {
		actions = append(actions, e.Action)
		if e.TenantID != "contoso" || e.Actor.ID != alice || e.SubjectID != "req-1" {
			t.Fatalf("audit event %+v", e)
		}
	}
	if fmt.Sprint(actions) != "[request.created request.approved]" {
		t.Fatalf("audit %v", actions)
	}
}

func TestApprovalFlow(t *testing.T) {
	ctx := context.Background()
	svc, m := newService(t, simpleTemplate(twoStages("any")))
	r, err := svc.Submit(ctx, user(alice), NewRequest{TemplateID: "project", Name: "Apollo", Owners: []string{alice, carol}})
	if err != nil {
		t.Fatal(err)
	}
	if r.State != StatePending || len(m.jobs) != 0 || fmt.Sprint(m.pending[r.ID]) != fmt.Sprint([]string{bob, apprGrp}) {
		t.Fatalf("pending request %+v, waiting for %v", r, m.pending[r.ID])
	}
	// The requester cannot approve, a stranger cannot, a stale version cannot.
	if _, err := svc.Decide(ctx, user(alice, apprGrp), r.ID, r.Version, true, ""); KindOf(err) != KindForbidden {
		t.Fatalf("own request: %v", err)
	}
	if _, err := svc.Decide(ctx, user(dave), r.ID, r.Version, true, ""); KindOf(err) != KindForbidden {
		t.Fatalf("stranger: %v", err)
	}
	if _, err := svc.Decide(ctx, user(bob), r.ID, r.Version+1, true, ""); KindOf(err) != KindConflict {
		t.Fatalf("stale version: %v", err)
	}
	r, err = svc.Decide(ctx, user(carol, apprGrp), r.ID, r.Version, true, "looks good")
	if err != nil {
		t.Fatal(err)
	}
	if r.State != StatePending || r.Stage != 1 || fmt.Sprint(m.pending[r.ID]) != "["+dave+"]" {
		t.Fatalf("after stage 1: %+v waiting for %v", r, m.pending[r.ID])
	}
	if n := len(m.emitted); n == 0 || m.emitted[n-1] != EventRequestStageAdvanced {
		t.Fatalf("after stage 1, webhooks %v: the next stage's approvers are not told", m.emitted)
	}
	r, err = svc.Decide(ctx, user(dave), r.ID, r.Version, true, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.State != StateApproved || len(m.pending[r.ID]) != 0 || fmt.Sprint(m.jobs) != "[contoso/"+r.ID+"]" {
		t.Fatalf("approved: %+v, jobs %v", r, m.jobs)
	}
	if _, err := svc.Decide(ctx, user(dave), r.ID, r.Version, true, ""); KindOf(err) != KindConflict {
		t.Fatalf("deciding an approved request: %v", err)
	}
}

func TestRetryProvisioning(t *testing.T) {
	ctx := context.Background()
	svc, m := newService(t, simpleTemplate(ApprovalPolicy{}))
	r, err := svc.Submit(ctx, user(alice), NewRequest{TemplateID: "project", Name: "Gemini"})
	if err != nil {
		t.Fatal(err)
	}
	admin := user(dave)
	admin.Roles = []Role{RoleAdministrator}
	if _, err := svc.RetryProvisioning(ctx, admin, r.ID, r.Version); KindOf(err) != KindConflict {
		t.Fatalf("retrying an approved request: %v", err)
	}
	// The provisioning engine (issue 5) moves the request; simulate a failure.
	failed := m.requests[r.ID]
	failed.State, failed.FailureReason, failed.ProvisioningAttempt, failed.Version = StateFailed, "Graph answered 403", 1, failed.Version+1
	m.requests[r.ID] = failed
	if _, err := svc.RetryProvisioning(ctx, user(alice), r.ID, failed.Version); KindOf(err) != KindForbidden {
		t.Fatalf("the requester retried: %v", err)
	}
	out, err := svc.RetryProvisioning(ctx, admin, r.ID, failed.Version)
	if err != nil || out.State != StateProvisioning || out.FailureReason != "" || out.ProvisioningAttempt != 2 {
		t.Fatalf("retry: %+v %v", out, err)
	}
	if fmt.Sprint(m.jobs) != "[contoso/"+r.ID+" contoso/"+r.ID+"#2]" {
		t.Fatalf("jobs %v: the retry must be a new job", m.jobs)
	}
}

func TestRejectionAndCancel(t *testing.T) {
	ctx := context.Background()
	svc, m := newService(t, simpleTemplate(twoStages("any")))
	r, _ := svc.Submit(ctx, user(alice), NewRequest{TemplateID: "project", Name: "Borealis"})
	r, err := svc.Decide(ctx, user(bob), r.ID, r.Version, false, "not now")
	if err != nil || r.State != StateRejected || m.emitted[len(m.emitted)-1] != EventRequestRejected {
		t.Fatalf("reject: %+v %v %v", r, err, m.emitted)
	}
	if _, err := svc.Cancel(ctx, user(alice), r.ID, ""); KindOf(err) != KindConflict {
		t.Fatalf("cancelling a rejected request: %v", err)
	}
	r2, _ := svc.Submit(ctx, user(alice), NewRequest{TemplateID: "project", Name: "Cassini"})
	if _, err := svc.Cancel(ctx, user(bob), r2.ID, ""); KindOf(err) != KindForbidden {
		t.Fatalf("someone else's request: %v", err)
	}
	admin := user(dave)
	admin.Roles = []Role{RoleAdministrator}
	r2, err = svc.Cancel(ctx, admin, r2.ID, "duplicate of Apollo")
	if err != nil || r2.State != StateCancelled || len(r2.Comments) != 1 || len(m.pending[r2.ID]) != 0 {
		t.Fatalf("admin cancel: %+v %v", r2, err)
	}
}

func TestSubmitRefusals(t *testing.T) {
	ctx := context.Background()
	tpl := simpleTemplate(ApprovalPolicy{})
	tpl.Audience = []string{execGrp}
	svc, m := newService(t, tpl)
	if _, err := svc.Submit(ctx, user(alice), NewRequest{TemplateID: "project", Name: "X"}); KindOf(err) != KindNotFound {
		t.Fatalf("template outside the audience must look absent: %v", err)
	}
	if _, err := svc.Submit(ctx, Principal{}, NewRequest{TemplateID: "project", Name: "X"}); KindOf(err) != KindUnauthenticated {
		t.Fatalf("anonymous: %v", err)
	}
	other := user(alice, execGrp)
	other.TenantID = "fabrikam"
	if _, err := svc.Submit(ctx, other, NewRequest{TemplateID: "project", Name: "X"}); KindOf(err) != KindNotFound {
		t.Fatalf("another tenant's template: %v", err)
	}
	in := user(alice, execGrp)
	if _, err := svc.Submit(ctx, in, NewRequest{TemplateID: "project", Name: "CEO office"}); KindOf(err) != KindInvalid || !strings.Contains(err.Error(), "name_blocked_word") {
		t.Fatalf("blocked word: %v", err)
	}
	if _, err := svc.Submit(ctx, in, NewRequest{TemplateID: "project", Name: "Partners", Guests: []string{guest}}); KindOf(err) != KindInvalid {
		t.Fatalf("guest without a guest policy: %v", err)
	}
	if _, err := svc.Submit(ctx, in, NewRequest{TemplateID: "project", Name: "Zeus"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, in, NewRequest{TemplateID: "project", Name: "zéus"}); KindOf(err) != KindConflict {
		t.Fatalf("duplicate name (case and accents): %v", err)
	}
	// The mailNickname is made unique against the directory ("prj-launch" is free, "launch" taken).
	key := Principal{Kind: PrincipalAPIKey, TenantID: "contoso", ID: "key-1", Groups: []string{execGrp}, Scopes: []string{ScopeRequestsRead}}
	if _, err := svc.Submit(ctx, key, NewRequest{TemplateID: "project", Name: "Hermes", Owners: []string{alice}}); KindOf(err) != KindForbidden {
		t.Fatalf("API key without requests:write: %v", err)
	}
	// A failure after the request was written (the webhook log is down) leaves nothing behind.
	before := len(m.requests)
	m.failEmit = true
	if _, err := svc.Submit(ctx, in, NewRequest{TemplateID: "project", Name: "Artemis"}); err == nil {
		t.Fatal("submit succeeded with the webhook store down")
	}
	if len(m.requests) != before || len(m.jobs) != 1 {
		t.Fatalf("a failed submit left %d requests (want %d) and jobs %v", len(m.requests), before, m.jobs)
	}
}
