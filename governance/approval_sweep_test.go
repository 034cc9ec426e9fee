package governance

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestSweepApprovals(t *testing.T) {
	ctx := context.Background()
	svc, m := newService(t, simpleTemplate(twoStages("any"))) // remind after 24 h, escalate to execGrp after 48 h
	r, err := svc.Submit(ctx, user(alice), NewRequest{TemplateID: "project", Name: "Juno"})
	if err != nil {
		t.Fatal(err)
	}
	sweep := func(after time.Duration) SweepResult {
		t.Helper()
		m.now = r.StageStarted.Add(after)
		res, err := svc.SweepApprovals(ctx, "contoso")
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := sweep(23 * time.Hour); res.Reminded+res.Escalated != 0 || res.Checked != 1 {
		t.Fatalf("nothing is due before 24 h: %+v", res)
	}
	if res := sweep(25 * time.Hour); res.Reminded != 1 || res.Escalated != 0 {
		t.Fatalf("a reminder is due: %+v", res)
	}
	if res := sweep(26 * time.Hour); res.Reminded != 0 {
		t.Fatalf("the reminder is sent once: %+v", res)
	}
	if slices.Contains(m.pending[r.ID], execGrp) {
		t.Fatal("escalation approvers before the escalation")
	}
	if res := sweep(49 * time.Hour); res.Escalated != 1 {
		t.Fatalf("escalation is due: %+v", res)
	}
	if !slices.Contains(m.pending[r.ID], execGrp) {
		t.Fatalf("after escalation the executives see the request: %v", m.pending[r.ID])
	}
	// An escalation approver may now decide, and completes the stage alone.
	cur := m.requests[r.ID]
	next, err := svc.Decide(ctx, user(dave, execGrp), r.ID, cur.Version, true, "escalated, approved")
	if err != nil || next.Stage != 1 || next.Reminded || next.Escalated {
		t.Fatalf("escalation decision: %+v %v", next, err)
	}
	var actions []string
	for _, e := range m.audit {
		actions = append(actions, e.Action)
	}
	if !slices.Contains(actions, "request.approval_reminder") || !slices.Contains(actions, "request.approval_escalated") {
		t.Fatalf("audit %v", actions)
	}
	for _, e := range m.audit {
		if e.Action == "request.approval_reminder" && (e.Actor.Type != "system" || e.TenantID != "contoso") {
			t.Fatalf("sweep audit actor %+v", e)
		}
	}
}
