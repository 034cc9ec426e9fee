package work_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/work"
)

// TestReaderOverSQLite runs the read service over the real store: paging,
// approvals, visibility and the catalog, through work.Reader.
func TestReaderOverSQLite(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), true)
	e.template(t, governance.ApprovalPolicy{Stages: []governance.ApprovalStage{{Name: "Manager", Approvers: []governance.ApproverRef{{Type: "user", ID: bob}}}}})
	for _, name := range []string{"Apollo", "Gemini", "Mercury"} {
		if _, err := e.svc.Submit(ctx, user(alice), governance.NewRequest{TemplateID: "project", Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	rd := work.NewReader(e.db)
	svc := governance.NewReadService(rd, rd)

	first, err := svc.MyRequests(ctx, user(alice), governance.Page{Limit: 2})
	if err != nil || len(first.Items) != 2 || first.Next == nil {
		t.Fatalf("first page: %+v %v", first, err)
	}
	second, err := svc.MyRequests(ctx, user(alice), governance.Page{Limit: 2, Before: first.Next.Before, BeforeID: first.Next.BeforeID})
	if err != nil || len(second.Items) != 1 || second.Next != nil || second.Items[0].ID == first.Items[1].ID {
		t.Fatalf("second page: %+v %v", second, err)
	}
	approvals, err := svc.Approvals(ctx, user(bob), governance.Page{})
	if err != nil || len(approvals.Items) != 3 {
		t.Fatalf("bob's approvals: %+v %v", approvals, err)
	}
	if _, err := svc.Request(ctx, user(bob), "req-1"); err != nil {
		t.Fatalf("approver reads the request: %v", err)
	}
	stranger := user("33333333-3333-4333-8333-333333333333")
	if _, err := svc.Request(ctx, stranger, "req-1"); !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("stranger: %v", err)
	}
	other := user(alice)
	other.TenantID = "fabrikam"
	if _, err := svc.Request(ctx, other, "req-1"); !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("other tenant: %v", err)
	}
	cat, err := svc.Catalog(ctx, user(alice), false)
	if err != nil || len(cat) != 1 || cat[0].ID != "project" {
		t.Fatalf("catalog: %+v %v", cat, err)
	}
}
