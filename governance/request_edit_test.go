package governance

import (
	"context"
	"testing"
)

func TestApproverEditsAndComments(t *testing.T) {
	ctx := context.Background()
	tpl := simpleTemplate(twoStages("any"))
	tpl.Policies.Naming.Prefix = "[Department]-"
	svc, m := newService(t, tpl)
	requester := user(alice)
	requester.Attributes = map[string]string{"Department": "Sales"}
	r, err := svc.Submit(ctx, requester, NewRequest{TemplateID: "project", Name: "Orion"})
	if err != nil || r.DisplayName != "Sales-Orion" {
		t.Fatalf("submit: %+v %v", r, err)
	}
	approver := user(bob)
	approver.Attributes = map[string]string{"Department": "IT"}
	name, desc := "Orion Launch", "Launch of Orion"
	if _, err := svc.Edit(ctx, user(dave), r.ID, r.Version, RequestChanges{Name: &name}); KindOf(err) != KindForbidden {
		t.Fatalf("a non-approver edited: %v", err)
	}
	if _, err := svc.Edit(ctx, approver, r.ID, r.Version+1, RequestChanges{Name: &name}); KindOf(err) != KindConflict {
		t.Fatalf("stale edit: %v", err)
	}
	edited, err := svc.Edit(ctx, approver, r.ID, r.Version, RequestChanges{Name: &name, Description: &desc, Members: []string{carol}})
	if err != nil {
		t.Fatal(err)
	}
	// The requester's department still builds the name, not the approver's.
	if edited.DisplayName != "Sales-Orion Launch" || edited.Description != desc || len(edited.Members) != 1 || edited.State != StatePending {
		t.Fatalf("edited %+v", edited)
	}
	if got := m.pending[r.ID]; len(got) != 2 {
		t.Fatalf("editing must keep the approvers waiting: %v", got)
	}
	bad := "CEO news"
	if _, err := svc.Edit(ctx, approver, r.ID, edited.Version, RequestChanges{Name: &bad}); KindOf(err) != KindInvalid {
		t.Fatalf("an edit must respect the naming policy: %v", err)
	}

	if _, err := svc.Comment(ctx, user(dave), r.ID, "me too"); KindOf(err) != KindForbidden {
		t.Fatalf("a stranger commented: %v", err)
	}
	if _, err := svc.Comment(ctx, approver, r.ID, "  "); KindOf(err) != KindInvalid {
		t.Fatalf("empty comment: %v", err)
	}
	c, err := svc.Comment(ctx, approver, r.ID, "Please add the finance lead")
	if err != nil || len(c.Comments) != 1 || c.Comments[0].Author != bob {
		t.Fatalf("approver comment: %+v %v", c, err)
	}
	c, err = svc.Comment(ctx, requester, r.ID, "Done")
	if err != nil || len(c.Comments) != 2 {
		t.Fatalf("requester comment: %+v %v", c, err)
	}
	var actions []string
	for _, e := range m.audit {
		actions = append(actions, e.Action)
	}
	want := []string{"request.created", "request.edited", "request.commented", "request.commented"}
	if len(actions) != len(want) {
		t.Fatalf("audit %v, want %v", actions, want)
	}
	for i := range want {
		if actions[i] != want[i] {
			t.Fatalf("audit %v, want %v", actions, want)
		}
	}
}

// TestStrangersSeeNoRequest: to someone with no part in a request of their
// own tenant, every workflow method answers not found, as reading does, so
// request ids cannot be probed.
func TestStrangersSeeNoRequest(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t, simpleTemplate(twoStages("any")))
	r, err := svc.Submit(ctx, user(alice), NewRequest{TemplateID: "project", Name: "Pluto"})
	if err != nil {
		t.Fatal(err)
	}
	stranger := user("66666666-6666-4666-8666-666666666666")
	name := "x"
	for what, err := range map[string]error{
		"decide": func() error { _, err := svc.Decide(ctx, stranger, r.ID, r.Version, true, ""); return err }(),
		"cancel": func() error { _, err := svc.Cancel(ctx, stranger, r.ID, ""); return err }(),
		"edit": func() error {
			_, err := svc.Edit(ctx, stranger, r.ID, r.Version, RequestChanges{Name: &name})
			return err
		}(),
		"comment": func() error { _, err := svc.Comment(ctx, stranger, r.ID, "hi"); return err }(),
	} {
		if e, ok := err.(*Error); !ok || e.Code != "request_not_found" {
			t.Errorf("%s by a stranger: %v, want request_not_found", what, err)
		}
	}
}
