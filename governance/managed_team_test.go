package governance

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// AddManagedTeam records the team among the unit's side effects.
func (w memWork) AddManagedTeam(_ context.Context, t ManagedTeam) error {
	key := "managed/" + t.TenantID + "/" + t.TeamID
	if slices.Contains(w.jobs, key) {
		return Errorf(KindConflict, "managed_team_exists", "team %q is already managed", t.TeamID)
	}
	w.jobs = append(w.jobs, key)
	t.Version = 1
	w.managed[t.TenantID+"/"+t.TeamID] = t
	return nil
}

func system(tenant string) Principal {
	p := Provisioner
	p.TenantID = tenant
	return p
}

// TestProvisioningOutcomes: only the system provisions; a request moves
// approved → provisioning → completed once, with its managed team, audit
// row and webhook; a second report changes nothing.
func TestProvisioningOutcomes(t *testing.T) {
	ctx := context.Background()
	svc, m := newService(t, simpleTemplate(ApprovalPolicy{}))
	r, err := svc.Submit(ctx, user(alice), NewRequest{TemplateID: "project", Name: "Launchpad", Members: []string{bob}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.BeginProvisioning(ctx, user(alice), r.ID, 1); !IsKind(err, KindForbidden) {
		t.Fatalf("a user began provisioning: %v", err)
	}
	start, err := svc.BeginProvisioning(ctx, system("contoso"), r.ID, 1)
	if err != nil || start.Done || start.Request.State != StateProvisioning || start.Template.Version != 3 {
		t.Fatalf("begin = %+v, %v", start, err)
	}
	// Another tenant's system principal cannot see the request.
	if _, err := svc.BeginProvisioning(ctx, system("fabrikam"), r.ID, 1); !IsKind(err, KindNotFound) {
		t.Fatalf("fabrikam began contoso's provisioning: %v", err)
	}
	done, err := svc.Provisioned(ctx, system("contoso"), r.ID, TeamOutcome{TeamID: "team-1", Notes: []string{"n"}})
	if err != nil || done.State != StateCompleted || done.TeamID != "team-1" {
		t.Fatalf("provisioned = %+v, %v", done, err)
	}
	again, err := svc.Provisioned(ctx, system("contoso"), r.ID, TeamOutcome{TeamID: "team-1"})
	if err != nil || again.Version != done.Version {
		t.Fatalf("second report changed the request: %+v %v", again, err)
	}
	if !slices.Contains(m.jobs, "managed/contoso/team-1") || fmt.Sprint(m.emitted) != "[request.created request.approved team.provisioned]" {
		t.Fatalf("jobs %v, webhooks %v", m.jobs, m.emitted)
	}
	// A job of an older attempt, or for a finished request, has nothing to do.
	if st, err := svc.BeginProvisioning(ctx, system("contoso"), r.ID, 1); err != nil || !st.Done {
		t.Fatalf("begin after completion = %+v, %v", st, err)
	}
	if _, err := svc.ProvisioningFailed(ctx, system("contoso"), r.ID, "late failure"); !IsKind(err, KindConflict) {
		t.Fatalf("a completed request failed: %v", err)
	}
}

func TestRecordMembershipRepair(t *testing.T) {
	ctx := context.Background()
	svc, m := newService(t, simpleTemplate(ApprovalPolicy{}))
	team := ManagedTeam{TenantID: "contoso", TeamID: "team-1", RequestID: "req-1", TemplateID: "project", TemplateVersion: 3}
	if err := svc.RecordMembershipRepair(ctx, user(alice), team, MembershipRepair{Members: []string{bob}}); !IsKind(err, KindForbidden) {
		t.Fatalf("a user recorded a repair: %v", err)
	}
	if err := svc.RecordMembershipRepair(ctx, system("contoso"), team, MembershipRepair{}); !IsKind(err, KindInvalid) {
		t.Fatalf("an empty repair: %v", err)
	}
	if err := svc.RecordMembershipRepair(ctx, system("contoso"), team, MembershipRepair{Owners: []string{alice}, Members: []string{bob}}); err != nil {
		t.Fatal(err)
	}
	last := m.audit[len(m.audit)-1]
	if last.Action != "membership.repaired" || last.SubjectID != "team-1" || last.Actor.Type != AuditActorSystem || fmt.Sprint(m.emitted) != "[membership.repaired]" {
		t.Fatalf("audit %+v, webhooks %v", last, m.emitted)
	}
}
