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
