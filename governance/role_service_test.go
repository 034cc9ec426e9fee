package governance

import (
	"context"
	"testing"
)

func TestRoleService(t *testing.T) {
	ctx := context.Background()
	m := newMemStore()
	svc := NewRoleService(m)
	admin := user(dave)
	admin.Roles = []Role{RoleAdministrator}
	grant := RoleAssignment{Role: RoleApprover, SubjectType: "group", SubjectID: "AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA", TenantID: "fabrikam"}

	if _, err := svc.Assign(ctx, user(alice), grant); KindOf(err) != KindForbidden {
		t.Fatalf("a non-administrator assigned a role: %v", err)
	}
	key := Principal{Kind: PrincipalAPIKey, TenantID: "contoso", ID: "key-1", Scopes: Scopes}
	if _, err := svc.Assign(ctx, key, grant); KindOf(err) != KindForbidden {
		t.Fatalf("an API key with every scope assigned a role: %v", err)
	}
	a, err := svc.Assign(ctx, admin, grant)
	if err != nil {
		t.Fatal(err)
	}
	if a.TenantID != "contoso" || a.AssignedBy != dave || a.SubjectID != apprGrp {
		t.Fatalf("assignment %+v: the tenant comes from the administrator, ids are lowercased", a)
	}
	if _, err := svc.Assign(ctx, admin, grant); err != nil {
		t.Fatalf("assigning twice: %v", err)
	}
	if _, err := svc.Assign(ctx, admin, RoleAssignment{Role: "owner", SubjectType: "user", SubjectID: alice}); KindOf(err) != KindInvalid {
		t.Fatalf("unknown role: %v", err)
	}
	list, err := svc.List(ctx, admin)
	if err != nil || len(list) != 1 {
		t.Fatalf("list %v %v", list, err)
	}
	// The assignment takes effect through EffectiveRoles.
	if roles := EffectiveRoles(carol, nil, []string{apprGrp}, list); len(roles) != 2 || roles[1] != RoleApprover {
		t.Fatalf("effective roles %v", roles)
	}
	if err := svc.Unassign(ctx, admin, RoleApprover, "group", apprGrp); err != nil {
		t.Fatal(err)
	}
	if err := svc.Unassign(ctx, admin, RoleApprover, "group", apprGrp); KindOf(err) != KindNotFound {
		t.Fatalf("unassign twice: %v", err)
	}
	if len(m.audit) != 3 || m.audit[0].Action != "role.assigned" || m.audit[2].Action != "role.unassigned" {
		t.Fatalf("audit %+v", m.audit)
	}
}
