package governance_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
)

// readFake is an in-memory RequestReader and TemplateReader holding two
// tenants, so every check also proves the tenant filter.
type readFake struct {
	requests  []governance.Request
	templates []governance.Template // every version
	queries   []governance.RequestQuery
}

func (f *readFake) Request(_ context.Context, tid, id string) (governance.Request, error) {
	for _, r := range f.requests {
		if r.TenantID == tid && r.ID == id {
			return r, nil
		}
	}
	return governance.Request{}, governance.Errorf(governance.KindNotFound, "request_not_found", "no %s", id)
}

func (f *readFake) Requests(_ context.Context, tid string, q governance.RequestQuery) ([]governance.Request, error) {
	f.queries = append(f.queries, q)
	var out []governance.Request
	for _, r := range f.requests {
		if r.TenantID != tid || (q.RequesterID != "" && r.RequesterID != q.RequesterID) ||
			(len(q.States) > 0 && !slices.Contains(q.States, r.State)) {
			continue
		}
		if !q.Before.IsZero() && !r.UpdatedAt.Before(q.Before) && !(r.UpdatedAt.Equal(q.Before) && r.ID < q.BeforeID) {
			continue
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b governance.Request) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	return out[:min(len(out), q.Limit)], nil
}

func (f *readFake) latest(tid, id string) (governance.Template, bool) {
	var best governance.Template
	for _, t := range f.templates {
		if t.TenantID == tid && t.ID == id && t.Version > best.Version {
			best = t
		}
	}
	return best, best.Version > 0
}

func (f *readFake) Template(_ context.Context, tid, id string) (governance.Template, error) {
	if t, ok := f.latest(tid, id); ok {
		return t, nil
	}
	return governance.Template{}, governance.Errorf(governance.KindNotFound, "template_not_found", "no %s", id)
}

func (f *readFake) TemplateVersion(_ context.Context, tid, id string, v int) (governance.Template, error) {
	for _, t := range f.templates {
		if t.TenantID == tid && t.ID == id && t.Version == v {
			return t, nil
		}
	}
	return governance.Template{}, governance.Errorf(governance.KindNotFound, "template_version_not_found", "no %s", id)
}

func (f *readFake) Templates(_ context.Context, tid string, retired bool) ([]governance.Template, error) {
	var out []governance.Template
	seen := map[string]bool{}
	for _, t := range f.templates {
		if t.TenantID != tid || seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		l, _ := f.latest(tid, t.ID)
		if retired || !l.Retired {
			out = append(out, l)
		}
	}
	return out, nil
}

const (
	rAlice    = "11111111-1111-4111-8111-111111111111"
	rBob      = "22222222-2222-4222-8222-222222222222"
	rCarol    = "33333333-3333-4333-8333-333333333333"
	rMallory  = "44444444-4444-4444-8444-444444444444"
	rApprover = "55555555-5555-4555-8555-555555555555"
	rGroup    = "66666666-6666-4666-8666-666666666666"
)

func readUser(tenant, id string, roles ...governance.Role) governance.Principal {
	return governance.Principal{Kind: governance.PrincipalUser, TenantID: tenant, ID: id, Name: id[:4], Roles: roles}
}

func newReadFake() *readFake {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	approval := governance.ApprovalPolicy{Stages: []governance.ApprovalStage{
		{Name: "Manager", Approvers: []governance.ApproverRef{{Type: "user", ID: rBob}}},
		{Name: "IT", Approvers: []governance.ApproverRef{{Type: "group", ID: rGroup}}},
	}}
	f := &readFake{templates: []governance.Template{
		{TenantID: "contoso", ID: "project", Version: 1, Name: "Project", Policies: governance.TemplatePolicies{Approval: approval,
			Naming: governance.NamingPolicy{Prefix: "[Department]-"}}},
		{TenantID: "contoso", ID: "secret", Version: 1, Name: "Secret", Audience: []string{rGroup}},
		{TenantID: "contoso", ID: "old", Version: 1, Name: "Old", Retired: true},
		{TenantID: "fabrikam", ID: "project", Version: 1, Name: "Fabrikam project"},
	}}
	for i := range 5 {
		f.requests = append(f.requests, governance.Request{TenantID: "contoso", ID: fmt.Sprintf("req-%d", i), TemplateID: "project", TemplateVersion: 1,
			RequesterID: rAlice, Owners: []string{rAlice}, Members: []string{rCarol}, State: governance.StatePending, DisplayName: fmt.Sprintf("Apollo %d", i),
			UpdatedAt: t0.Add(time.Duration(i) * time.Minute)})
	}
	f.requests = append(f.requests, governance.Request{TenantID: "fabrikam", ID: "req-f", TemplateID: "project", TemplateVersion: 1,
		RequesterID: rMallory, State: governance.StatePending, UpdatedAt: t0})
	return f
}

func TestReadRequestVisibility(t *testing.T) {
	svc := governance.NewReadService(newReadFake(), newReadFake())
	inGroup := readUser("contoso", rApprover)
	inGroup.Groups = []string{rGroup}
	tests := []struct {
		name string
		p    governance.Principal
		id   string
		kind governance.Kind // KindInternal: visible
	}{
		{"requester", readUser("contoso", rAlice), "req-1", governance.KindInternal},
		{"member", readUser("contoso", rCarol), "req-1", governance.KindInternal},
		{"first-stage approver", readUser("contoso", rBob), "req-1", governance.KindInternal},
		{"later-stage approver through a group", inGroup, "req-1", governance.KindInternal},
		{"administrator", readUser("contoso", rMallory, governance.RoleAdministrator), "req-1", governance.KindInternal},
		{"stranger sees nothing", readUser("contoso", rMallory), "req-1", governance.KindNotFound},
		{"catalog manager is no reader of requests", readUser("contoso", rMallory, governance.RoleCatalogManager), "req-1", governance.KindNotFound},
		{"other tenant's administrator", readUser("fabrikam", rMallory, governance.RoleAdministrator), "req-1", governance.KindNotFound},
		{"absent", readUser("contoso", rAlice), "nope", governance.KindNotFound},
		{"api key with scope", governance.Principal{Kind: governance.PrincipalAPIKey, TenantID: "contoso", ID: "AbCd1234", Scopes: []string{governance.ScopeRequestsRead}}, "req-1", governance.KindInternal},
		{"api key without scope", governance.Principal{Kind: governance.PrincipalAPIKey, TenantID: "contoso", ID: "AbCd1234", Scopes: []string{governance.ScopeTemplatesRead}}, "req-1", governance.KindForbidden},
		{"nobody", governance.Principal{}, "req-1", governance.KindUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := svc.Request(context.Background(), tt.p, tt.id)
			if tt.kind == governance.KindInternal {
				if err != nil || r.ID != tt.id {
					t.Fatalf("got %+v, %v", r, err)
				}
				return
			}
			if governance.KindOf(err) != tt.kind {
				t.Fatalf("err %v, want kind %s", err, tt.kind)
			}
			if tt.kind == governance.KindNotFound {
				if code, _ := governance.Public(err); code != "request_not_found" {
					t.Fatalf("code %s: a hidden request must look absent", code)
				}
			}
		})
	}
}

func TestReadListingsPageAndFilter(t *testing.T) {
	ctx := context.Background()
	f := newReadFake()
	svc := governance.NewReadService(f, f)
	alice := readUser("contoso", rAlice)
	var ids []string
	page := governance.Page{Limit: 2}
	for range 5 {
		got, err := svc.MyRequests(ctx, alice, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got.Items {
			ids = append(ids, r.ID)
		}
		if got.Next == nil {
			break
		}
		page.Before, page.BeforeID = got.Next.Before, got.Next.BeforeID
	}
	if !slices.Equal(ids, []string{"req-4", "req-3", "req-2", "req-1", "req-0"}) {
		t.Fatalf("pages gave %v", ids)
	}
	if _, err := svc.MyRequests(ctx, alice, governance.Page{Limit: 101}); !governance.IsKind(err, governance.KindInvalid) {
		t.Fatalf("limit 101: %v", err)
	}
	if _, err := svc.MyRequests(ctx, alice, governance.Page{BeforeID: "x"}); !governance.IsKind(err, governance.KindInvalid) {
		t.Fatalf("half a cursor: %v", err)
	}

	bob := readUser("contoso", rBob)
	bob.Groups = []string{rGroup}
	f.queries = nil
	if _, err := svc.Approvals(ctx, bob, governance.Page{}); err != nil {
		t.Fatal(err)
	}
	if q := f.queries[0]; !slices.Equal(q.PendingFor, []string{rBob, rGroup}) || q.Limit != governance.RequestPageDefault+1 {
		t.Fatalf("approvals query %+v", q)
	}

	if _, err := svc.AllRequests(ctx, alice, nil, governance.Page{}); !governance.IsKind(err, governance.KindForbidden) {
		t.Fatalf("all requests as end user: %v", err)
	}
	admin := readUser("contoso", rMallory, governance.RoleAdministrator)
	if _, err := svc.AllRequests(ctx, admin, []governance.RequestState{"bogus"}, governance.Page{}); !governance.IsKind(err, governance.KindInvalid) {
		t.Fatalf("bogus state: %v", err)
	}
	all, err := svc.AllRequests(ctx, admin, []governance.RequestState{governance.StatePending}, governance.Page{})
	if err != nil || len(all.Items) != 5 || all.Next != nil {
		t.Fatalf("all: %d items, next %v, %v", len(all.Items), all.Next, err)
	}
}

func TestReadCatalog(t *testing.T) {
	ctx := context.Background()
	f := newReadFake()
	svc := governance.NewReadService(f, f)
	names := func(ts []governance.Template) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.ID)
		}
		slices.Sort(out)
		return out
	}
	alice := readUser("contoso", rAlice)
	if got, err := svc.Catalog(ctx, alice, false); err != nil || !slices.Equal(names(got), []string{"project"}) {
		t.Fatalf("alice's catalog %v %v", names(got), err)
	}
	if _, err := svc.Catalog(ctx, alice, true); !governance.IsKind(err, governance.KindForbidden) {
		t.Fatalf("retired for end user: %v", err)
	}
	manager := readUser("contoso", rBob, governance.RoleCatalogManager)
	if got, err := svc.Catalog(ctx, manager, true); err != nil || !slices.Equal(names(got), []string{"old", "project", "secret"}) {
		t.Fatalf("manager's catalog %v %v", names(got), err)
	}
	if _, err := svc.Template(ctx, alice, "secret"); !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("audience-restricted template: %v", err)
	}
	if _, err := svc.Template(ctx, manager, "secret"); err != nil {
		t.Fatalf("manager: %v", err)
	}
	key := governance.Principal{Kind: governance.PrincipalAPIKey, TenantID: "contoso", ID: "AbCd1234", Scopes: []string{governance.ScopeRequestsRead}}
	if _, err := svc.Catalog(ctx, key, false); !governance.IsKind(err, governance.KindForbidden) {
		t.Fatalf("key without templates:read: %v", err)
	}
	alice.Attributes = map[string]string{"Department": "Sales"}
	res, err := svc.PreviewName(ctx, alice, "project", "  Apollo ", nil)
	if err != nil || res.DisplayName != "Sales-Apollo" || !res.Valid() {
		t.Fatalf("preview %+v %v", res, err)
	}
	if _, err := svc.PreviewName(ctx, readUser("fabrikam", rAlice), "secret", "x", nil); !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("other tenant's template: %v", err)
	}
}
