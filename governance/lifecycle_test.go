package governance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

func (w memWork) ManagedTeam(_ context.Context, tid, id string) (ManagedTeam, error) {
	t, ok := w.managed[tid+"/"+id]
	if !ok {
		return t, Errorf(KindNotFound, "managed_team_not_found", "team %q is not managed by Steward", id)
	}
	return t, nil
}

func (w memWork) SaveManagedTeam(_ context.Context, t ManagedTeam) (ManagedTeam, error) {
	cur, ok := w.managed[t.TenantID+"/"+t.TeamID]
	if !ok {
		return t, Errorf(KindNotFound, "managed_team_not_found", "team %q is not managed by Steward", t.TeamID)
	}
	if cur.Version != t.Version {
		return t, Errorf(KindConflict, "managed_team_version_conflict", "stale")
	}
	t.Version++
	w.managed[t.TenantID+"/"+t.TeamID] = t
	return t, nil
}

// ManagedTeam makes memStore the service's ManagedTeamReader.
func (m *memStore) ManagedTeam(ctx context.Context, tid, id string) (ManagedTeam, error) {
	return memWork{m, &memState{managed: m.managed}}.ManagedTeam(ctx, tid, id)
}

// memOwners are the teams' owners, by team id.
type memOwners map[string][]string

func (o memOwners) TeamOwnerIDs(_ context.Context, tenantID, teamID string) ([]string, error) {
	ids, ok := o[teamID]
	if !ok || tenantID != "contoso" {
		return nil, Errorf(KindNotFound, "graph_not_found", "Microsoft Graph has no such object")
	}
	return ids, nil
}

func lifecycleTemplate(pol LifecyclePolicy) Template {
	t := simpleTemplate(ApprovalPolicy{})
	t.Policies.Lifecycle = pol
	return t
}

// provisionedTeam runs a request through provisioning, so the team is
// recorded as Provisioned records it.
func provisionedTeam(t *testing.T, svc *RequestService, teamID string) {
	t.Helper()
	ctx := context.Background()
	r, err := svc.Submit(ctx, user(alice), NewRequest{TemplateID: "project", Name: "Life " + teamID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.BeginProvisioning(ctx, system("contoso"), r.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Provisioned(ctx, system("contoso"), r.ID, TeamOutcome{TeamID: teamID}); err != nil {
		t.Fatal(err)
	}
}

func TestLifecyclePolicyWarnings(t *testing.T) {
	for _, tt := range []struct {
		pol  LifecyclePolicy
		want string
	}{
		{LifecyclePolicy{ExpireAfterDays: 365}, "[30 7 1]"},
		{LifecyclePolicy{ExpireAfterDays: 10}, "[7 1]"},
		{LifecyclePolicy{ExpireAfterDays: 90, WarnDaysBefore: []int{1, 14, 14, 60}}, "[60 14 1]"},
		{LifecyclePolicy{}, "[30 7 1]"},
	} {
		if got := fmt.Sprint(tt.pol.Warnings()); got != tt.want {
			t.Errorf("%+v: warnings %s, want %s", tt.pol, got, tt.want)
		}
	}
	if (LifecyclePolicy{}).ExpiryAction() != ExpiryArchive || (LifecyclePolicy{OnExpiry: "delete"}).ExpiryAction() != ExpiryDelete {
		t.Error("expiry action")
	}
}

// TestExpiryStepAt: each threshold falls due in turn, once; a reconciler
// that was away past several gets only the nearest; past expiry the team
// is to be archived or deleted; an ended team has nothing due.
func TestExpiryStepAt(t *testing.T) {
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pol := LifecyclePolicy{ExpireAfterDays: 100, OnExpiry: "delete"}
	team := ManagedTeam{CreatedAt: created}
	team.startLifecycle(pol)
	exp := created.Add(100 * Day)
	if !team.Lifecycle.ExpiresAt.Equal(exp) || !team.Lifecycle.ExpiryDueAt.Equal(exp.Add(-30*Day)) {
		t.Fatalf("lifecycle %+v", team.Lifecycle)
	}
	at := func(daysBefore float64) time.Time { return exp.Add(-time.Duration(daysBefore * float64(Day))) }
	for _, tt := range []struct {
		warned int
		now    time.Time
		want   ExpiryStep
	}{
		{0, at(31), ExpiryStep{}},
		{0, at(30), ExpiryStep{WarnDays: 30}},
		{30, at(29), ExpiryStep{}},
		{30, at(7), ExpiryStep{WarnDays: 7}},
		{0, at(3), ExpiryStep{WarnDays: 7}},
		{0, at(0.5), ExpiryStep{WarnDays: 1}},
		{1, at(0.5), ExpiryStep{}},
		{1, at(0), ExpiryStep{Expire: ExpiryDelete}},
		{0, at(-3), ExpiryStep{Expire: ExpiryDelete}},
	} {
		team.Lifecycle.WarnedDays = tt.warned
		if got := team.ExpiryStepAt(pol, tt.now); got != tt.want {
			t.Errorf("warned %d, %s before expiry: %+v, want %+v", tt.warned, exp.Sub(tt.now), got, tt.want)
		}
	}
	team.Lifecycle.WarnedDays = 7
	if due := team.Lifecycle.nextExpiryDue(pol); !due.Equal(at(1)) {
		t.Errorf("after the 7-day warning the next is due %s", due)
	}
	team.Lifecycle.WarnedDays = 1
	if due := team.Lifecycle.nextExpiryDue(pol); !due.Equal(exp) {
		t.Errorf("after the last warning the expiry is due %s", due)
	}
	team.Lifecycle.ArchivedAt = exp
	if step := team.ExpiryStepAt(pol, at(-1)); step != (ExpiryStep{}) || !team.Lifecycle.nextExpiryDue(pol).IsZero() {
		t.Errorf("an ended team: %+v", step)
	}
	never := ManagedTeam{CreatedAt: created}
	never.startLifecycle(LifecyclePolicy{InactivityDays: 60})
	if !never.Lifecycle.ExpiresAt.IsZero() || !never.Lifecycle.ExpiryDueAt.IsZero() || !never.Lifecycle.ActivityDueAt.Equal(created.Add(60*Day)) {
		t.Errorf("a team that never expires: %+v", never.Lifecycle)
	}
}

// TestProvisionedStartsLifecycle: the managed team Provisioned records
// expires ExpireAfterDays after its creation, with its first warning due.
func TestProvisionedStartsLifecycle(t *testing.T) {
	svc, m := newService(t, lifecycleTemplate(LifecyclePolicy{ExpireAfterDays: 180, InactivityDays: 90}))
	provisionedTeam(t, svc, "team-1")
	team := m.managed["contoso/team-1"]
	l := team.Lifecycle
	if !team.CreatedAt.Equal(m.now) || !l.ExpiresAt.Equal(m.now.Add(180*Day)) || !l.ExpiryDueAt.Equal(m.now.Add(150*Day)) ||
		!l.ActivityDueAt.Equal(m.now.Add(90*Day)) || team.TemplateVersion != 3 {
		t.Fatalf("managed team %+v", team)
	}
}

// TestRenew: an owner renews (attesting when the template asks), an
// administrator renews any team of the tenant; nobody else, no API key,
// and no other tenant can. A renewal pushes the expiry from now and
// starts the warnings over, audited with before and after.
func TestRenew(t *testing.T) {
	ctx := context.Background()
	svc, m := newService(t, lifecycleTemplate(LifecyclePolicy{ExpireAfterDays: 90, RenewalAttestation: true}))
	provisionedTeam(t, svc, "team-1")
	life := NewLifecycleService(m, m, memOwners{"team-1": {alice}})
	admin := user(dave)
	admin.Roles = []Role{RoleAdministrator}
	other := user(carol)
	other.TenantID = "fabrikam"
	other.Roles = []Role{RoleAdministrator}
	key := Principal{Kind: PrincipalAPIKey, TenantID: "contoso", ID: "AbCd1234", Scopes: []string{ScopeRequestsRead, ScopeRequestsWrite}}

	m.now = m.now.Add(80 * Day)
	for _, tt := range []struct {
		name   string
		p      Principal
		team   string
		attest bool
		kind   Kind
		code   string
	}{
		{"nobody", Principal{}, "team-1", true, KindUnauthenticated, "sign_in_required"},
		{"a member who does not own it", user(bob), "team-1", true, KindForbidden, "team_owner_required"},
		{"an API key", key, "team-1", true, KindForbidden, "renewal_person_required"},
		{"the system", system("contoso"), "team-1", true, KindForbidden, "renewal_person_required"},
		{"another tenant's administrator", other, "team-1", true, KindNotFound, "managed_team_not_found"},
		{"an unknown team", admin, "team-9", true, KindNotFound, "managed_team_not_found"},
		{"the owner without attesting", user(alice), "team-1", false, KindInvalid, "renewal_attestation_required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := life.Renew(ctx, tt.p, tt.team, tt.attest)
			if KindOf(err) != tt.kind || errCode(err) != tt.code {
				t.Fatalf("renew: %v, want %v %s", err, tt.kind, tt.code)
			}
		})
	}
	if len(m.emitted) != 3 { // request.created, request.approved, team.provisioned
		t.Fatalf("a refused renewal emitted: %v", m.emitted)
	}
	got, err := life.Renew(ctx, user(alice), "team-1", true)
	if err != nil {
		t.Fatal(err)
	}
	l := got.Lifecycle
	if !l.ExpiresAt.Equal(m.now.Add(90*Day)) || l.RenewedBy != alice || !l.Attested || l.WarnedDays != 0 ||
		!l.ExpiryDueAt.Equal(m.now.Add(60*Day)) || got.Version != 2 {
		t.Fatalf("renewed %+v", got)
	}
	last := m.audit[len(m.audit)-1]
	if last.Action != "team.renewed" || last.SubjectID != "team-1" || last.Before == nil || last.After == nil || last.Actor.ID != alice ||
		m.emitted[len(m.emitted)-1] != EventTeamRenewed {
		t.Fatalf("audit %+v, webhooks %v", last, m.emitted)
	}
	// An administrator need not own it.
	if _, err := life.Renew(ctx, admin, "team-1", true); err != nil {
		t.Fatalf("administrator: %v", err)
	}
	// Reading the lifecycle: owners, administrators, keys with requests:read.
	for _, p := range []Principal{user(alice), admin, key} {
		if tm, err := life.Team(ctx, p, "team-1"); err != nil || tm.TeamID != "team-1" {
			t.Fatalf("%s reads the lifecycle: %v", p.ID, err)
		}
	}
	if _, err := life.Team(ctx, user(bob), "team-1"); errCode(err) != "team_owner_required" {
		t.Fatalf("a non-owner reads the lifecycle: %v", err)
	}
	if _, err := life.Team(ctx, Principal{Kind: PrincipalAPIKey, TenantID: "contoso", ID: "k", Scopes: []string{ScopeWebhooksManage}}, "team-1"); errCode(err) != "scope_required" {
		t.Fatalf("a key without requests:read: %v", err)
	}
	// Without Graph, owners cannot be checked; administrators still renew.
	noGraph := NewLifecycleService(m, m, nil)
	if _, err := noGraph.Renew(ctx, user(alice), "team-1", true); errCode(err) != "teams_not_configured" {
		t.Fatalf("without Graph: %v", err)
	}
	if _, err := noGraph.Renew(ctx, admin, "team-1", true); err != nil {
		t.Fatal(err)
	}
	// An ended team cannot be renewed.
	if _, err := life.RecordTeamEnd(ctx, system("contoso"), "team-1", TeamArchived); err != nil {
		t.Fatal(err)
	}
	if _, err := life.Renew(ctx, user(alice), "team-1", true); errCode(err) != "team_ended" {
		t.Fatalf("renewing an archived team: %v", err)
	}
}

func TestRenewNeverExpiring(t *testing.T) {
	svc, m := newService(t, lifecycleTemplate(LifecyclePolicy{InactivityDays: 30}))
	provisionedTeam(t, svc, "team-1")
	life := NewLifecycleService(m, m, memOwners{"team-1": {alice}})
	if _, err := life.Renew(context.Background(), user(alice), "team-1", true); errCode(err) != "team_never_expires" {
		t.Fatalf("renewing a team that never expires: %v", err)
	}
}

// TestExpiryChecks: as time passes, each warning is recorded once, with
// its audit row and webhook naming the owners; past expiry the step says
// to archive, and RecordTeamEnd ends the lifecycle once.
func TestExpiryChecks(t *testing.T) {
	ctx := context.Background()
	svc, m := newService(t, lifecycleTemplate(LifecyclePolicy{ExpireAfterDays: 60, WarnDaysBefore: []int{14, 2}}))
	provisionedTeam(t, svc, "team-1")
	life := NewLifecycleService(m, m, memOwners{"team-1": {alice}})
	if _, _, err := life.RecordExpiryCheck(ctx, user(alice), "team-1", nil); KindOf(err) != KindForbidden {
		t.Fatalf("a user recorded a check: %v", err)
	}
	start := m.now
	var warned []int
	for day := 1; day <= 59; day++ {
		m.now = start.Add(time.Duration(day) * Day)
		for range 2 { // a second cycle the same day changes nothing
			_, step, err := life.RecordExpiryCheck(ctx, system("contoso"), "team-1", []string{alice})
			if err != nil {
				t.Fatal(err)
			}
			if step.Expire != "" {
				t.Fatalf("day %d: expire before the expiry", day)
			}
			if step.WarnDays > 0 {
				warned = append(warned, step.WarnDays)
			}
		}
	}
	if fmt.Sprint(warned) != "[14 2]" {
		t.Fatalf("warnings %v, want [14 2]", warned)
	}
	var actions []string
	for _, e := range m.audit {
		if e.SubjectType == "team" {
			actions = append(actions, e.Action)
		}
	}
	if fmt.Sprint(actions) != "[team.expiring team.expiring]" || slices.Index(m.emitted, EventTeamExpiring) < 0 {
		t.Fatalf("audit %v, webhooks %v", actions, m.emitted)
	}
	m.now = start.Add(60 * Day)
	team, step, err := life.RecordExpiryCheck(ctx, system("contoso"), "team-1", nil)
	if err != nil || step.Expire != ExpiryArchive || team.Lifecycle.Ended() {
		t.Fatalf("at expiry: %+v %+v %v", team, step, err)
	}
	if _, err := life.RecordTeamEnd(ctx, system("contoso"), "team-1", "shredded"); KindOf(err) != KindInvalid {
		t.Fatalf("unknown end: %v", err)
	}
	if _, err := life.RecordTeamEnd(ctx, system("fabrikam"), "team-1", TeamArchived); KindOf(err) != KindNotFound {
		t.Fatalf("another tenant's reconciler: %v", err)
	}
	for range 2 {
		team, err = life.RecordTeamEnd(ctx, system("contoso"), "team-1", TeamArchived)
		if err != nil || !team.Lifecycle.ArchivedAt.Equal(m.now) || !team.Lifecycle.ExpiryDueAt.IsZero() {
			t.Fatalf("archived: %+v %v", team, err)
		}
	}
	if n := len(slices.DeleteFunc(slices.Clone(m.emitted), func(e WebhookEvent) bool { return e != EventTeamArchived })); n != 1 {
		t.Fatalf("team.archived sent %d times: %v", n, m.emitted)
	}
	if _, step, _ := life.RecordExpiryCheck(ctx, system("contoso"), "team-1", nil); step != (ExpiryStep{}) {
		t.Fatalf("an archived team has a step: %+v", step)
	}
}

// TestExpiryBackfill: a team recorded before expiry was tracked gets its
// expiry at its first check, never sooner than its first warning.
func TestExpiryBackfill(t *testing.T) {
	ctx := context.Background()
	svc, m := newService(t, lifecycleTemplate(LifecyclePolicy{ExpireAfterDays: 30, WarnDaysBefore: []int{7}}))
	created := m.now.Add(-100 * Day)
	m.managed["contoso/old"] = ManagedTeam{TenantID: "contoso", TeamID: "old", TemplateID: "project", TemplateVersion: 3, CreatedAt: created,
		Version: 1, Lifecycle: LifecycleState{ExpiryDueAt: created}}
	_ = svc
	life := NewLifecycleService(m, m, nil)
	team, step, err := life.RecordExpiryCheck(ctx, system("contoso"), "old", nil)
	if err != nil || !team.Lifecycle.ExpiresAt.Equal(m.now.Add(7*Day)) || step.WarnDays != 7 || !team.Lifecycle.ExpiryDueAt.Equal(team.Lifecycle.ExpiresAt) {
		t.Fatalf("backfilled %+v, step %+v, %v", team.Lifecycle, step, err)
	}
	// With no warning shorter than the lifetime, an old team is past its
	// expiry at once: the expiry is saved and the step says to act.
	_, m2 := newService(t, lifecycleTemplate(LifecyclePolicy{ExpireAfterDays: 1}))
	m2.managed["contoso/old"] = ManagedTeam{TenantID: "contoso", TeamID: "old", TemplateID: "project", TemplateVersion: 3, CreatedAt: created,
		Version: 1, Lifecycle: LifecycleState{ExpiryDueAt: created}}
	team, step, err = NewLifecycleService(m2, m2, nil).RecordExpiryCheck(ctx, system("contoso"), "old", nil)
	if err != nil || step.Expire != ExpiryArchive || !m2.managed["contoso/old"].Lifecycle.ExpiresAt.Equal(created.Add(Day)) || team.Version != 2 {
		t.Fatalf("backfilled past expiry: %+v, step %+v, %v", team, step, err)
	}
}

// TestActivityChecks: a team silent for InactivityDays is warned once per
// period of silence; a message or a renewal counts as activity.
func TestActivityChecks(t *testing.T) {
	ctx := context.Background()
	svc, m := newService(t, lifecycleTemplate(LifecyclePolicy{InactivityDays: 30}))
	provisionedTeam(t, svc, "team-1")
	life := NewLifecycleService(m, m, nil)
	start := m.now
	check := func(seen time.Time) (ManagedTeam, bool) {
		t.Helper()
		team, warned, err := life.RecordActivity(ctx, system("contoso"), "team-1", seen, []string{alice})
		if err != nil {
			t.Fatal(err)
		}
		return team, warned
	}
	m.now = start.Add(20 * Day)
	msg := start.Add(10 * Day)
	if team, warned := check(msg); warned || !team.Lifecycle.ActivityDueAt.Equal(msg.Add(30*Day)) || !team.Lifecycle.LastActivityAt.Equal(msg) {
		t.Fatalf("active team: %+v warned=%v", team.Lifecycle, warned)
	}
	m.now = msg.Add(30 * Day)
	team, warned := check(msg)
	if !warned || !team.Lifecycle.InactiveWarnedAt.Equal(m.now) || !team.Lifecycle.ActivityDueAt.Equal(m.now.Add(30*Day)) {
		t.Fatalf("inactive team: %+v warned=%v", team.Lifecycle, warned)
	}
	if m.emitted[len(m.emitted)-1] != EventTeamInactive || m.audit[len(m.audit)-1].Action != "team.inactive" {
		t.Fatalf("webhooks %v", m.emitted)
	}
	// A check repeated within the period does not warn again, and an
	// older message seen later changes nothing backwards.
	warnedAt := m.now
	m.now = m.now.Add(Day)
	if team, warned := check(start); warned || !team.Lifecycle.LastActivityAt.Equal(msg) || !team.Lifecycle.ActivityDueAt.Equal(warnedAt.Add(30*Day)) {
		t.Fatalf("repeated check: %+v %v", team.Lifecycle, warned)
	}
	// Another period of silence: another warning.
	m.now = warnedAt.Add(30 * Day)
	if _, warned := check(msg); !warned {
		t.Fatal("no warning after a second period of silence")
	}
	if _, _, err := life.RecordActivity(ctx, user(alice), "team-1", time.Time{}, nil); KindOf(err) != KindForbidden {
		t.Fatalf("a user recorded activity: %v", err)
	}
	// A team whose policy tracks no inactivity is not checked again.
	_, m2 := newService(t, lifecycleTemplate(LifecyclePolicy{}))
	m2.managed["contoso/t"] = ManagedTeam{TenantID: "contoso", TeamID: "t", TemplateID: "project", TemplateVersion: 3, Version: 1,
		CreatedAt: m2.now, Lifecycle: LifecycleState{ActivityDueAt: m2.now}}
	team, warned, err := NewLifecycleService(m2, m2, nil).RecordActivity(ctx, system("contoso"), "t", time.Time{}, nil)
	if err != nil || warned || !team.Lifecycle.ActivityDueAt.IsZero() {
		t.Fatalf("untracked: %+v %v %v", team.Lifecycle, warned, err)
	}
}

// errCode is err's stable code ("" when it has none).
func errCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
