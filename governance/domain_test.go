package governance

import (
	"strings"
	"testing"
	"time"
)

const (
	alice   = "11111111-1111-4111-8111-111111111111"
	bob     = "22222222-2222-4222-8222-222222222222"
	carol   = "33333333-3333-4333-8333-333333333333"
	dave    = "44444444-4444-4444-8444-444444444444"
	guest   = "55555555-5555-4555-8555-555555555555"
	apprGrp = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
	execGrp = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
)

func user(id string, groups ...string) Principal {
	return Principal{Kind: PrincipalUser, TenantID: "contoso", ID: id, Name: id[:4], Groups: groups}
}

func TestPrincipalRoles(t *testing.T) {
	p := user(alice)
	if !p.Has(RoleEndUser) || p.Has(RoleApprover) {
		t.Fatal("a plain user is exactly an end user")
	}
	admin := user(bob)
	admin.Roles = []Role{RoleAdministrator}
	for _, r := range Roles {
		if !admin.Has(r) {
			t.Fatalf("administrator lacks %s", r)
		}
	}
	if err := p.Require(RoleCatalogManager); KindOf(err) != KindForbidden || !strings.Contains(err.Error(), "catalog_manager") {
		t.Fatalf("Require: %v", err)
	}
	if err := (Principal{}).Require(RoleEndUser); KindOf(err) != KindUnauthenticated {
		t.Fatalf("zero principal: %v", err)
	}
	if err := admin.Require(RoleIntegrationManager); err != nil {
		t.Fatal(err)
	}
}

func TestEffectiveRoles(t *testing.T) {
	assign := []RoleAssignment{
		{Role: RoleApprover, SubjectType: "group", SubjectID: apprGrp},
		{Role: RoleCatalogManager, SubjectType: "user", SubjectID: strings.ToUpper(carol)},
	}
	tests := []struct {
		name   string
		user   string
		entra  []string
		groups []string
		want   string
	}{
		{"nobody special", alice, nil, nil, "[end_user]"},
		{"global admin by name", alice, []string{"Global Administrator"}, nil, "[end_user administrator]"},
		{"teams admin by wids id", alice, []string{EntraTeamsAdministratorID}, nil, "[end_user administrator]"},
		{"other Entra roles give nothing", alice, []string{"User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1"}, nil, "[end_user]"},
		{"group assignment", bob, nil, []string{apprGrp}, "[end_user approver]"},
		{"user assignment, case-insensitive id", carol, nil, nil, "[end_user catalog_manager]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EffectiveRoles(tt.user, tt.entra, tt.groups, assign)
			if s := strings.ReplaceAll(strings.Trim(strings.Join(rolesStr(got), " "), " "), "  ", " "); "["+s+"]" != tt.want {
				t.Fatalf("got [%s], want %s", s, tt.want)
			}
		})
	}
	for _, bad := range []RoleAssignment{
		{Role: "owner", SubjectType: "user", SubjectID: alice},
		{Role: RoleEndUser, SubjectType: "user", SubjectID: alice},
		{Role: RoleApprover, SubjectType: "team", SubjectID: alice},
		{Role: RoleApprover, SubjectType: "user", SubjectID: "alice"},
	} {
		if KindOf(bad.Validate()) != KindInvalid {
			t.Errorf("assignment %+v accepted", bad)
		}
	}
}

func rolesStr(rs []Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

func twoStages(rule string) ApprovalPolicy {
	return ApprovalPolicy{
		Stages: []ApprovalStage{
			{Name: "Manager", Rule: rule, Approvers: []ApproverRef{{Type: "user", ID: bob}, {Type: "group", ID: apprGrp}}},
			{Name: "IT", Approvers: []ApproverRef{{Type: "user", ID: dave}}},
		},
		EscalateAfterHours: 48, EscalateTo: []ApproverRef{{Type: "group", ID: execGrp}}, ReminderAfterHours: 24,
	}
}

func TestApprovalAnyAndAll(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		rule      string
		deciders  []Principal
		approve   []bool
		outcomes  []Outcome
		finalNote string
	}{
		{"any", []Principal{user(carol, apprGrp)}, []bool{true}, []Outcome{OutcomeNext}, "one group member completes an any stage"},
		{"all", []Principal{user(carol, apprGrp), user(bob)}, []bool{true, true}, []Outcome{OutcomePending, OutcomeNext}, "all: the group and bob"},
		{"all", []Principal{user(carol, apprGrp), user(bob)}, []bool{true, false}, []Outcome{OutcomePending, OutcomeRejected}, "a rejection rejects"},
		{"all", []Principal{user(bob, apprGrp)}, []bool{true}, []Outcome{OutcomeNext}, "one person can satisfy both refs they match"},
	} {
		t.Run(tc.rule+" "+tc.finalNote, func(t *testing.T) {
			pol := twoStages(tc.rule)
			if err := pol.validateErr(); err != nil {
				t.Fatal(err)
			}
			var ds []Decision
			for i, p := range tc.deciders {
				if err := pol.CanDecide(p, alice, 0, ds, false); err != nil {
					t.Fatalf("decider %d: %v", i, err)
				}
				ds = append(ds, pol.NewDecision(p, 0, tc.approve[i], "", now))
				if got := pol.Evaluate(0, ds); got != tc.outcomes[i] {
					t.Fatalf("after decision %d: %s, want %s", i, got, tc.outcomes[i])
				}
			}
		})
	}
	pol := twoStages("any")
	ds := []Decision{pol.NewDecision(user(dave), 1, true, "ok", now)}
	if got := pol.Evaluate(1, ds); got != OutcomeApproved {
		t.Fatalf("last stage: %s", got)
	}
}

func TestApprovalWhoMayDecide(t *testing.T) {
	pol := twoStages("all")
	now := time.Now()
	tests := []struct {
		name      string
		p         Principal
		stage     int
		decisions []Decision
		escalated bool
		code      string
	}{
		{"listed user", user(bob), 0, nil, false, ""},
		{"group member", user(carol, apprGrp), 0, nil, false, ""},
		{"requester in the approval group", user(alice, apprGrp), 0, nil, false, "approval_own_request"},
		{"stranger", user(dave), 0, nil, false, "approval_not_approver"},
		{"second stage's approver on the first", user(dave), 0, nil, false, "approval_not_approver"},
		{"twice", user(bob), 0, []Decision{{Stage: 0, Approver: bob, Approve: true, At: now}}, false, "approval_already_decided"},
		{"escalation approver before escalation", user(dave, execGrp), 0, nil, false, "approval_not_approver"},
		{"escalation approver after escalation", user(dave, execGrp), 0, nil, true, ""},
		{"no such stage", user(bob), 5, nil, false, "approval_not_pending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := pol.CanDecide(tt.p, alice, tt.stage, tt.decisions, tt.escalated)
			var code string
			if e, ok := err.(*Error); ok {
				code = e.Code
			}
			if code != tt.code {
				t.Fatalf("got %v, want code %q", err, tt.code)
			}
		})
	}
	// An escalation approver completes an "all" stage alone.
	d := pol.NewDecision(user(dave, execGrp), 0, true, "", now)
	if !d.Escalation || pol.Evaluate(0, []Decision{d}) != OutcomeNext {
		t.Fatalf("escalation decision %+v", d)
	}
}

func TestApprovalDueActionsAndAutoApprove(t *testing.T) {
	pol := twoStages("any")
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	if r, e := pol.DueActions(t0, t0.Add(23*time.Hour), false, false); r || e {
		t.Fatal("nothing is due before 24 h")
	}
	if r, e := pol.DueActions(t0, t0.Add(25*time.Hour), false, false); !r || e {
		t.Fatal("a reminder is due after 24 h")
	}
	if r, e := pol.DueActions(t0, t0.Add(49*time.Hour), true, false); r || !e {
		t.Fatal("after a reminder, escalation is due at 48 h")
	}
	pol.AutoApprove = []AutoApproveRule{{RequesterInGroup: execGrp}}
	if !pol.AutoApproves(user(alice, execGrp)) || pol.AutoApproves(user(alice)) {
		t.Fatal("auto-approve by group")
	}
	if (ApprovalPolicy{}).Required() {
		t.Fatal("no stages means no approval")
	}
}

func (a ApprovalPolicy) validateErr() error {
	var p problems
	a.validate(&p)
	return p.err("approval_invalid")
}

func TestApprovalPolicyValidation(t *testing.T) {
	bad := ApprovalPolicy{
		Stages:             []ApprovalStage{{Name: "", Rule: "most", Approvers: []ApproverRef{{Type: "role", ID: "x"}}}},
		AutoApprove:        []AutoApproveRule{{RequesterInGroup: "sales"}},
		EscalateAfterHours: 10,
	}
	err := bad.validateErr()
	for _, want := range []string{"needs a name", `rule must be "any" or "all"`, `"user" or a "group"`, "not an Entra object id", "auto-approve", "escalate to"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation lacks %q: %v", want, err)
		}
	}
}

func TestRequestStateMachine(t *testing.T) {
	all := []RequestState{StateDraft, StatePending, StateApproved, StateRejected, StateProvisioning, StateCompleted, StateFailed, StateCancelled}
	allowed := map[[2]RequestState]bool{
		{StateDraft, StatePending}: true, {StateDraft, StateApproved}: true, {StateDraft, StateCancelled}: true,
		{StatePending, StateApproved}: true, {StatePending, StateRejected}: true, {StatePending, StateCancelled}: true,
		{StateApproved, StateProvisioning}: true, {StateApproved, StateCancelled}: true,
		{StateProvisioning, StateCompleted}: true, {StateProvisioning, StateFailed}: true,
		{StateFailed, StateProvisioning}: true, {StateFailed, StateCancelled}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if CanMove(from, to) != allowed[[2]RequestState{from, to}] {
				t.Errorf("CanMove(%s, %s) = %v", from, to, !allowed[[2]RequestState{from, to}])
			}
		}
	}
	for _, s := range []RequestState{StateRejected, StateCompleted, StateCancelled} {
		if !s.Final() {
			t.Errorf("%s should be final", s)
		}
	}
	r := Request{State: StateCompleted}
	if err := r.Move(StateProvisioning, time.Now()); KindOf(err) != KindConflict || !strings.Contains(err.Error(), "completed") {
		t.Fatalf("moving a completed request: %v", err)
	}
	if RequestState("shipped").Valid() || !StateFailed.Valid() {
		t.Fatal("Valid")
	}
}

func TestRequestMembership(t *testing.T) {
	tp := TemplatePolicies{Membership: MembershipPolicy{PermanentOwners: []string{dave}, MinOwners: 2, MinMembers: 3}}
	isGuest := func(id string) bool { return id == guest }
	domain := func(string) string { return "partner.example" }
	tests := []struct {
		name string
		r    Request
		tp   func(TemplatePolicies) TemplatePolicies
		want []string
	}{
		{"ok with the permanent owner", Request{Owners: []string{alice}, Members: []string{bob}}, nil, nil},
		{"too few owners", Request{Members: []string{bob, carol}}, nil, []string{"at least 2 owners; add 1 more"}},
		{"too few members", Request{Owners: []string{alice}}, nil, []string{"at least 3 members (owners included); add 1 more"}},
		{"guest refused", Request{Owners: []string{alice}, Members: []string{bob}, Guests: []string{guest}}, nil, []string{"guests are not allowed"}},
		{"guest from an allowed domain", Request{Owners: []string{alice}, Members: []string{bob}, Guests: []string{guest}},
			func(tp TemplatePolicies) TemplatePolicies {
				tp.Guests = GuestPolicy{Allowed: true, AllowedDomains: []string{"PARTNER.example"}}
				return tp
			}, nil},
		{"guest from another domain", Request{Owners: []string{alice}, Members: []string{bob}, Guests: []string{guest}},
			func(tp TemplatePolicies) TemplatePolicies {
				tp.Guests = GuestPolicy{Allowed: true, AllowedDomains: []string{"other.example"}}
				return tp
			}, []string{"not from an allowed domain"}},
		{"guest owner", Request{Owners: []string{alice, guest}, Members: []string{bob}},
			func(tp TemplatePolicies) TemplatePolicies { tp.Guests = GuestPolicy{Allowed: true}; return tp },
			[]string{"a guest cannot be an owner"}},
		{"not a GUID", Request{Owners: []string{alice}, Members: []string{"bob@contoso"}}, nil, []string{`"bob@contoso" is not an Entra user id`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := tp
			if tt.tp != nil {
				pol = tt.tp(pol)
			}
			err := tt.r.CheckMembership(pol, isGuest, domain)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("got %v, want %q", err, w)
				}
			}
		})
	}
}

func TestRequestFields(t *testing.T) {
	fields := []RequestField{{ID: "project_code", Label: "Project code", Required: true}, {ID: "region", Label: "Region", Choices: []string{"EMEA", "AMER"}}}
	if err := (Request{Fields: map[string]string{"project_code": "P-1", "region": "EMEA"}}).CheckFields(fields); err != nil {
		t.Fatal(err)
	}
	err := (Request{Fields: map[string]string{"region": "APAC", "colour": "red"}}).CheckFields(fields)
	for _, w := range []string{"Project code is required", "Region must be one of: EMEA, AMER", `no question "colour"`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("got %v, want %q", err, w)
		}
	}
}
