package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
)

// runCatalog adds the template, request and role-assignment subtests.
func runCatalog(t *testing.T, migrated func(t *testing.T) (*store.DB, *testenv.Clock)) {
	t.Run("Templates", func(t *testing.T) { db, c := migrated(t); testTemplates(t, db, c) })
	t.Run("Requests", func(t *testing.T) { db, c := migrated(t); testRequests(t, db, c) })
	t.Run("RequestQueries", func(t *testing.T) { db, c := migrated(t); testRequestQueries(t, db, c) })
	t.Run("RequestPendingApprovers", func(t *testing.T) { db, _ := migrated(t); testPendingApprovers(t, db) })
	t.Run("RequestsNamed", func(t *testing.T) { db, _ := migrated(t); testRequestsNamed(t, db) })
	t.Run("RoleAssignments", func(t *testing.T) { db, _ := migrated(t); testRoles(t, db) })
	t.Run("CatalogTenantIsolation", func(t *testing.T) { db, _ := migrated(t); testCatalogIsolation(t, db) })
	t.Run("CatalogRollback", func(t *testing.T) { db, _ := migrated(t); testCatalogRollback(t, db) })
}

// Entra object ids of the people and groups below.
const (
	userAlice    = "0b0e8f8a-1c1d-4e4f-9a9b-000000000001"
	userBob      = "0b0e8f8a-1c1d-4e4f-9a9b-000000000002"
	userCarol    = "0b0e8f8a-1c1d-4e4f-9a9b-000000000003"
	groupLegal   = "6a6b6c6d-1111-4222-8333-000000000001"
	groupFinance = "6a6b6c6d-1111-4222-8333-000000000002"
)

// inTx runs fn in a write transaction and reports its error.
func inTx(t *testing.T, db *store.DB, fn func(tx *store.Tx) error) error {
	t.Helper()
	return db.InTx(context.Background(), fn)
}

func catalogTemplate(tenant, id, name, category string) governance.Template {
	return governance.Template{
		TenantID: tenant, ID: id, Name: name, Description: "Teams for " + name, Category: category,
		Audience: []string{groupFinance},
		Spec:     governance.TeamSpec{Visibility: "private", Channels: []governance.ChannelSpec{{Name: "Planning"}}},
		Policies: governance.TemplatePolicies{
			Naming: governance.NamingPolicy{Prefix: "PRJ-"},
			Approval: governance.ApprovalPolicy{Stages: []governance.ApprovalStage{
				{Name: "Legal", Approvers: []governance.ApproverRef{{Type: "group", ID: groupLegal}}},
			}},
		},
		UpdatedBy: userAlice,
	}
}

func mkTemplate(t *testing.T, db *store.DB, tenant, id, name, category string) governance.Template {
	t.Helper()
	var out governance.Template
	must(t, inTx(t, db, func(tx *store.Tx) error {
		var err error
		out, err = db.CreateTemplate(context.Background(), tx, catalogTemplate(tenant, id, name, category))
		return err
	}), "create template "+id)
	return out
}

func saveTemplate(t *testing.T, db *store.DB, tpl governance.Template) (governance.Template, error) {
	t.Helper()
	var out governance.Template
	err := inTx(t, db, func(tx *store.Tx) error {
		var err error
		out, err = db.SaveTemplate(context.Background(), tx, tpl)
		return err
	})
	return out, err
}

func mustCode(t *testing.T, err error, k governance.Kind, code, what string) {
	t.Helper()
	mustKind(t, err, k, what)
	var ge *governance.Error
	if !errors.As(err, &ge) || ge.Code != code {
		t.Fatalf("%s: got error %v, want code %s", what, err, code)
	}
}

func sameJSON(t *testing.T, got, want any, what string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func testTemplates(t *testing.T, db *store.DB, clock *testenv.Clock) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	v1 := mkTemplate(t, db, "contoso", "project", "Project", "Work")
	if v1.Version != 1 || !v1.CreatedAt.Equal(clock.Now().Truncate(time.Microsecond)) || !v1.UpdatedAt.Equal(v1.CreatedAt) {
		t.Fatalf("created = %+v, want version 1 stamped with the injected clock", v1)
	}
	got, err := db.Template(ctx, "contoso", "project")
	must(t, err, "get")
	sameJSON(t, got, v1, "get after create")

	err = inTx(t, db, func(tx *store.Tx) error {
		_, err := db.CreateTemplate(ctx, tx, catalogTemplate("contoso", "project", "Again", ""))
		return err
	})
	mustCode(t, err, governance.KindConflict, "template_exists", "duplicate template id")
	err = inTx(t, db, func(tx *store.Tx) error {
		_, err := db.CreateTemplate(ctx, tx, catalogTemplate("nobody", "project", "Project", ""))
		return err
	})
	mustKind(t, err, governance.KindNotFound, "template of a missing tenant")
	bad := catalogTemplate("contoso", "bad", " ", "")
	err = inTx(t, db, func(tx *store.Tx) error { _, err := db.CreateTemplate(ctx, tx, bad); return err })
	mustKind(t, err, governance.KindInvalid, "invalid template")
	err = inTx(t, db, func(tx *store.Tx) error {
		_, err := db.CreateTemplate(ctx, tx, catalogTemplate("contoso", "", "No id", ""))
		return err
	})
	mustKind(t, err, governance.KindInvalid, "template without an id")

	clock.Advance(time.Hour)
	edit := v1
	edit.Name, edit.UpdatedBy = "Project v2", userBob
	v2, err := saveTemplate(t, db, edit)
	must(t, err, "save v2")
	if v2.Version != 2 || v2.Name != "Project v2" || !v2.CreatedAt.Equal(v1.CreatedAt) || !v2.UpdatedAt.Equal(clock.Now().Truncate(time.Microsecond)) {
		t.Fatalf("v2 = %+v", v2)
	}
	stale := v1
	stale.Name = "Lost update"
	_, err = saveTemplate(t, db, stale)
	mustCode(t, err, governance.KindConflict, "template_version_conflict", "save with a stale version")
	missing := catalogTemplate("contoso", "nope", "Nope", "")
	missing.Version = 1
	_, err = saveTemplate(t, db, missing)
	mustCode(t, err, governance.KindNotFound, "template_not_found", "save a missing template")
	invalid := v2
	invalid.Spec.Visibility = "secret"
	_, err = saveTemplate(t, db, invalid)
	mustKind(t, err, governance.KindInvalid, "save an invalid template")

	head, err := db.Template(ctx, "contoso", "project")
	must(t, err, "head")
	sameJSON(t, head, v2, "head after save")
	old, err := db.TemplateVersion(ctx, "contoso", "project", 1)
	must(t, err, "version 1")
	sameJSON(t, old, v1, "version 1 after save")
	_, err = db.TemplateVersion(ctx, "contoso", "project", 3)
	mustCode(t, err, governance.KindNotFound, "template_version_not_found", "version 3")
	_, err = db.Template(ctx, "contoso", "nope")
	mustCode(t, err, governance.KindNotFound, "template_not_found", "missing template")
	versions, err := db.TemplateVersions(ctx, "contoso", "project")
	must(t, err, "versions")
	if len(versions) != 2 || versions[0].Version != 1 || versions[0].CreatedBy != userAlice || versions[1].Version != 2 ||
		versions[1].CreatedBy != userBob || !versions[1].CreatedAt.Equal(v2.UpdatedAt) || !versions[0].CreatedAt.Equal(v1.CreatedAt) {
		t.Fatalf("versions = %+v", versions)
	}
	_, err = db.TemplateVersions(ctx, "contoso", "nope")
	mustKind(t, err, governance.KindNotFound, "versions of a missing template")

	// Listing: latest of each, by category then name, retired only on request.
	mkTemplate(t, db, "contoso", "clubs", "Clubs", "Social")
	mkTemplate(t, db, "contoso", "ads", "Advertising", "work")
	old2 := mkTemplate(t, db, "contoso", "old", "Old project", "Work")
	old2.Retired = true
	_, err = saveTemplate(t, db, old2)
	must(t, err, "retire")
	list := func(includeRetired bool) string {
		t.Helper()
		ts, err := db.Templates(ctx, "contoso", includeRetired)
		must(t, err, "list templates")
		var ids []string
		for _, tpl := range ts {
			ids = append(ids, fmt.Sprintf("%s@%d", tpl.ID, tpl.Version))
		}
		return strings.Join(ids, " ")
	}
	if got := list(false); got != "clubs@1 ads@1 project@2" {
		t.Fatalf("templates = %s", got)
	}
	if got := list(true); got != "clubs@1 ads@1 old@2 project@2" {
		t.Fatalf("templates with retired = %s", got)
	}
}

func catalogRequest(tenant, id, requester string, state governance.RequestState, name string) governance.Request {
	return governance.Request{
		TenantID: tenant, ID: id, TemplateID: "project", TemplateVersion: 1, State: state,
		RequesterID: requester, Requested: name, DisplayName: "PRJ-" + name, MailNickname: "prj-" + strings.ToLower(name),
		Owners: []string{requester}, Members: []string{}, Fields: map[string]string{"code": "X1"},
	}
}

func createRequest(t *testing.T, db *store.DB, r governance.Request, pending ...string) governance.Request {
	t.Helper()
	var out governance.Request
	must(t, inTx(t, db, func(tx *store.Tx) error {
		var err error
		out, err = db.CreateRequest(context.Background(), tx, r, pending)
		return err
	}), "create request "+r.ID)
	return out
}

func saveRequest(t *testing.T, db *store.DB, r governance.Request, pending ...string) (governance.Request, error) {
	t.Helper()
	var out governance.Request
	err := inTx(t, db, func(tx *store.Tx) error {
		var err error
		out, err = db.SaveRequest(context.Background(), tx, r, pending)
		return err
	})
	return out, err
}

func testRequests(t *testing.T, db *store.DB, clock *testenv.Clock) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	mkTemplate(t, db, "contoso", "project", "Project", "Work")
	r1 := createRequest(t, db, catalogRequest("contoso", "req-1", userAlice, governance.StatePending, "Launch"), groupLegal)
	if r1.Version != 1 || !r1.CreatedAt.Equal(clock.Now().Truncate(time.Microsecond)) || !r1.UpdatedAt.Equal(r1.CreatedAt) {
		t.Fatalf("created = %+v", r1)
	}
	got, err := db.Request(ctx, "contoso", "req-1")
	must(t, err, "get")
	sameJSON(t, got, r1, "get after create")

	create := func(r governance.Request) error {
		return inTx(t, db, func(tx *store.Tx) error { _, err := db.CreateRequest(ctx, tx, r, nil); return err })
	}
	mustCode(t, create(catalogRequest("contoso", "req-1", userBob, governance.StateDraft, "Again")), governance.KindConflict, "request_exists", "duplicate request id")
	wrongVersion := catalogRequest("contoso", "req-2", userBob, governance.StateDraft, "X")
	wrongVersion.TemplateVersion = 9
	mustCode(t, create(wrongVersion), governance.KindNotFound, "template_not_found", "request of a missing template version")
	mustKind(t, create(catalogRequest("contoso", "req-3", userBob, "limbo", "X")), governance.KindInvalid, "unknown state")
	mustKind(t, create(catalogRequest("contoso", "req-4", "", governance.StateDraft, "X")), governance.KindInvalid, "no requester")
	mustKind(t, create(catalogRequest("nobody", "req-5", userBob, governance.StateDraft, "X")), governance.KindNotFound, "request of a missing tenant")

	// Two writers save the same version at once: one wins, one conflicts.
	clock.Advance(time.Minute)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := r1
			r.Justification = fmt.Sprintf("writer %d", i)
			_, errs[i] = saveRequest(t, db, r, groupLegal)
		}()
	}
	wg.Wait()
	conflicts := 0
	for _, err := range errs {
		switch {
		case err == nil:
		case governance.IsKind(err, governance.KindConflict):
			conflicts++
		default:
			t.Fatalf("concurrent save: %v", err)
		}
	}
	if conflicts != 1 {
		t.Fatalf("concurrent saves of one version: %d conflicts (%v), want exactly 1", conflicts, errs)
	}
	after, err := db.Request(ctx, "contoso", "req-1")
	must(t, err, "reread")
	if after.Version != 2 || !strings.HasPrefix(after.Justification, "writer ") || !after.CreatedAt.Equal(r1.CreatedAt) ||
		!after.UpdatedAt.Equal(clock.Now().Truncate(time.Microsecond)) {
		t.Fatalf("after the race: %+v", after)
	}
	_, err = saveRequest(t, db, r1)
	mustCode(t, err, governance.KindConflict, "request_version_conflict", "save a stale version")
	_, err = saveRequest(t, db, catalogRequest("contoso", "req-9", userAlice, governance.StateDraft, "X"))
	mustCode(t, err, governance.KindNotFound, "request_not_found", "save a missing request")
	moved := after
	moved.TemplateVersion = 2
	_, err = saveRequest(t, db, moved)
	mustCode(t, err, governance.KindInvalid, "request_immutable", "change the template version")

	// Read-modify-write in one transaction.
	clock.Advance(time.Minute)
	var saved governance.Request
	must(t, inTx(t, db, func(tx *store.Tx) error {
		r, err := db.RequestTx(ctx, tx, "contoso", "req-1")
		if err != nil {
			return err
		}
		if err := r.Move(governance.StateApproved, tx.Now); err != nil {
			return err
		}
		saved, err = db.SaveRequest(ctx, tx, r, nil)
		return err
	}), "read-modify-write")
	if saved.Version != 3 || saved.State != governance.StateApproved {
		t.Fatalf("saved = %+v", saved)
	}
	got, err = db.Request(ctx, "contoso", "req-1")
	must(t, err, "get saved")
	sameJSON(t, got, saved, "get after save")
	err = inTx(t, db, func(tx *store.Tx) error { _, err := db.RequestTx(ctx, tx, "contoso", "nope"); return err })
	mustCode(t, err, governance.KindNotFound, "request_not_found", "RequestTx of a missing request")
}

func requestIDs(rs []governance.Request) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return strings.Join(out, " ")
}

func testRequestQueries(t *testing.T, db *store.DB, clock *testenv.Clock) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	mkTemplate(t, db, "contoso", "project", "Project", "Work")
	// Oldest to newest update; r2 and r3 share an instant, so paging must
	// break the tie.
	createRequest(t, db, catalogRequest("contoso", "r1", userAlice, governance.StateDraft, "One"))
	clock.Advance(time.Second)
	must(t, inTx(t, db, func(tx *store.Tx) error {
		if _, err := db.CreateRequest(ctx, tx, catalogRequest("contoso", "r2", userBob, governance.StatePending, "Two"), []string{userCarol}); err != nil {
			return err
		}
		_, err := db.CreateRequest(ctx, tx, catalogRequest("contoso", "r3", userAlice, governance.StatePending, "Three"), []string{groupLegal})
		return err
	}), "r2 and r3")
	clock.Advance(time.Second)
	createRequest(t, db, catalogRequest("contoso", "r4", userBob, governance.StateApproved, "Four"), groupLegal)
	clock.Advance(time.Second)
	createRequest(t, db, catalogRequest("contoso", "r5", userAlice, governance.StateCompleted, "Five"))

	query := func(q store.RequestQuery) string {
		t.Helper()
		rs, err := db.Requests(ctx, "contoso", q)
		must(t, err, fmt.Sprintf("query %+v", q))
		return requestIDs(rs)
	}
	tests := []struct {
		name string
		q    store.RequestQuery
		want string
	}{
		{"all, newest first", store.RequestQuery{}, "r5 r4 r3 r2 r1"},
		{"requester", store.RequestQuery{RequesterID: userAlice}, "r5 r3 r1"},
		{"states", store.RequestQuery{States: []governance.RequestState{governance.StatePending, governance.StateApproved}}, "r4 r3 r2"},
		{"requester and state", store.RequestQuery{RequesterID: userBob, States: []governance.RequestState{governance.StatePending}}, "r2"},
		{"pending for a group", store.RequestQuery{PendingFor: []string{userAlice, groupLegal}}, "r3"},
		{"pending for a user", store.RequestQuery{PendingFor: []string{userCarol}}, "r2"},
		{"pending for, ids in another case", store.RequestQuery{PendingFor: []string{strings.ToUpper(groupLegal), strings.ToUpper(userCarol)}}, "r3 r2"},
		{"pending for nobody named", store.RequestQuery{PendingFor: []string{""}}, ""},
		{"pending for, with many groups", store.RequestQuery{PendingFor: manyGroups(150, groupLegal, userCarol)}, "r3 r2"},
		{"pending for, many groups and a page of one", store.RequestQuery{PendingFor: manyGroups(150, groupLegal, userCarol), Limit: 1}, "r3"},
		{"pending for and requester", store.RequestQuery{PendingFor: []string{groupLegal, userCarol}, RequesterID: userBob}, "r2"},
		{"limit", store.RequestQuery{Limit: 2}, "r5 r4"},
	}
	for _, tc := range tests {
		if got := query(tc.q); got != tc.want {
			t.Errorf("%s: got [%s], want [%s]", tc.name, got, tc.want)
		}
	}

	// Paging one at a time visits every request once, ties included.
	var seen []string
	q := store.RequestQuery{Limit: 1}
	for range 10 {
		page, err := db.Requests(ctx, "contoso", q)
		must(t, err, "page")
		if len(page) == 0 {
			break
		}
		last := page[len(page)-1]
		seen = append(seen, last.ID)
		q.Before, q.BeforeID = last.UpdatedAt, last.ID
	}
	if got := strings.Join(seen, " "); got != "r5 r4 r3 r2 r1" {
		t.Fatalf("paged = %s", got)
	}
	r4, _ := db.Request(ctx, "contoso", "r4")
	if got := query(store.RequestQuery{Before: r4.UpdatedAt}); got != "r3 r2 r1" {
		t.Fatalf("before r4 = %s", got)
	}
	if got := query(store.RequestQuery{Before: r4.UpdatedAt.In(time.FixedZone("CET", 3600))}); got != "r3 r2 r1" {
		t.Fatalf("before r4 in another zone = %s", got)
	}

	for name, q := range map[string]store.RequestQuery{
		"limit too high":   {Limit: 201},
		"negative limit":   {Limit: -1},
		"unknown state":    {States: []governance.RequestState{"limbo"}},
		"too many pending": {PendingFor: manyGroups(store.MaxPendingFor + 1)},
	} {
		_, err := db.Requests(ctx, "contoso", q)
		mustCode(t, err, governance.KindInvalid, "request_query_invalid", name)
	}
}

// manyGroups returns n made-up group ids followed by extra. The made-up ids
// sort between userCarol and groupLegal, so that those two land in different
// statements when the ids are matched in chunks.
func manyGroups(n int, extra ...string) []string {
	out := make([]string, 0, n+len(extra))
	for i := range n {
		out = append(out, fmt.Sprintf("1f9f9f9f-0000-4000-8000-%012d", i))
	}
	return append(out, extra...)
}

func testPendingApprovers(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	mkTemplate(t, db, "contoso", "project", "Project", "Work")
	waiting := func(refs ...string) string {
		t.Helper()
		rs, err := db.Requests(ctx, "contoso", store.RequestQuery{PendingFor: refs})
		must(t, err, "waiting for")
		return requestIDs(rs)
	}
	// A draft waits for nobody, whatever the caller passes.
	draft := createRequest(t, db, catalogRequest("contoso", "req-1", userAlice, governance.StateDraft, "Launch"), groupLegal)
	if got := waiting(groupLegal); got != "" {
		t.Fatalf("a draft waits for %s", got)
	}
	// Submitted: stage 1 waits for the legal group (listed twice, in two cases).
	draft.State = governance.StatePending
	pending, err := saveRequest(t, db, draft, groupLegal, strings.ToUpper(groupLegal), "")
	must(t, err, "submit")
	if got := waiting(groupLegal); got != "req-1" {
		t.Fatalf("pending for legal = %q", got)
	}
	// Stage 2 waits for Bob, no longer for legal.
	pending.Stage = 1
	stage2, err := saveRequest(t, db, pending, userBob)
	must(t, err, "next stage")
	if got := waiting(groupLegal); got != "" {
		t.Fatalf("legal still sees a request past its stage: %s", got)
	}
	if got := waiting(userBob); got != "req-1" {
		t.Fatalf("pending for bob = %q", got)
	}
	// Approved: nobody.
	stage2.State = governance.StateApproved
	_, err = saveRequest(t, db, stage2, userBob)
	must(t, err, "approve")
	if got := waiting(userBob, groupLegal); got != "" {
		t.Fatalf("an approved request still waits for %s", got)
	}
}

func testRequestsNamed(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	mkTemplate(t, db, "contoso", "project", "Project", "Work")
	named := func(id string, state governance.RequestState, display string) {
		t.Helper()
		r := catalogRequest("contoso", id, userAlice, state, "x")
		r.DisplayName = display
		createRequest(t, db, r)
	}
	named("live", governance.StatePending, "Équipe Ventes")
	named("done", governance.StateCompleted, "  EQUIPE   ventes ")
	named("draft", governance.StateDraft, "équipe ventes")
	named("cancelled", governance.StateCancelled, "Equipe Ventes")
	named("rejected", governance.StateRejected, "Équipe Ventes")
	named("other", governance.StatePending, "Équipe Achats")
	named("unnamed", governance.StateDraft, "")
	rs, err := db.RequestsNamed(ctx, "contoso", "equipe ventes")
	must(t, err, "named")
	if got := requestIDs(rs); got != "done draft live" {
		t.Fatalf("requests named equipe ventes = [%s], want done, draft and live (oldest first, then by id)", got)
	}
	rs, err = db.RequestsNamed(ctx, "contoso", "Équipe  Ventes")
	must(t, err, "named, unfolded")
	if len(rs) != 3 {
		t.Fatalf("an unfolded name found %d requests, want 3", len(rs))
	}
	rs, err = db.RequestsNamed(ctx, "contoso", "")
	must(t, err, "empty name")
	if len(rs) != 0 {
		t.Fatalf("the empty name matched %s", requestIDs(rs))
	}
	must(t, inTx(t, db, func(tx *store.Tx) error {
		rs, err := db.RequestsNamedTx(ctx, tx, "contoso", "equipe achats")
		if err == nil && requestIDs(rs) != "other" {
			err = fmt.Errorf("in tx: got [%s]", requestIDs(rs))
		}
		return err
	}), "named in tx")
}

func testRoles(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	assign := func(a governance.RoleAssignment) error {
		return inTx(t, db, func(tx *store.Tx) error { return db.AssignRole(ctx, tx, a) })
	}
	unassign := func(tenant string, role governance.Role, typ, id string) error {
		return inTx(t, db, func(tx *store.Tx) error { return db.UnassignRole(ctx, tx, tenant, role, typ, id) })
	}
	list := func() string {
		t.Helper()
		as, err := db.RoleAssignments(ctx, "contoso")
		must(t, err, "list roles")
		var out []string
		for _, a := range as {
			if a.TenantID != "contoso" {
				t.Fatalf("assignment of another tenant: %+v", a)
			}
			out = append(out, fmt.Sprintf("%s:%s:%s:%s", a.Role, a.SubjectType, a.SubjectID, a.AssignedBy))
		}
		return strings.Join(out, " ")
	}
	approver := governance.RoleAssignment{TenantID: "contoso", Role: governance.RoleApprover, SubjectType: "user", SubjectID: userBob, AssignedBy: userAlice}
	must(t, assign(approver), "assign")
	again := approver
	again.SubjectID, again.AssignedBy = strings.ToUpper(userBob), userCarol
	must(t, assign(again), "assign again, id in another case")
	must(t, assign(governance.RoleAssignment{TenantID: "contoso", Role: governance.RoleCatalogManager, SubjectType: "group", SubjectID: groupFinance, AssignedBy: userAlice}), "assign to a group")
	want := "approver:user:" + userBob + ":" + userAlice + " catalog_manager:group:" + groupFinance + ":" + userAlice
	if got := list(); got != want {
		t.Fatalf("roles = %s, want %s", got, want)
	}
	mustCode(t, assign(governance.RoleAssignment{TenantID: "contoso", Role: governance.RoleEndUser, SubjectType: "user", SubjectID: userBob}), governance.KindInvalid, "role_implicit", "assign end_user")
	mustKind(t, assign(governance.RoleAssignment{TenantID: "contoso", Role: "king", SubjectType: "user", SubjectID: userBob}), governance.KindInvalid, "unknown role")
	mustKind(t, assign(governance.RoleAssignment{TenantID: "nobody", Role: governance.RoleApprover, SubjectType: "user", SubjectID: userBob}), governance.KindNotFound, "missing tenant")

	must(t, unassign("contoso", governance.RoleApprover, "user", strings.ToUpper(userBob)), "unassign")
	mustCode(t, unassign("contoso", governance.RoleApprover, "user", userBob), governance.KindNotFound, "role_assignment_not_found", "unassign twice")
	mustKind(t, unassign("contoso", governance.RoleCatalogManager, "user", groupFinance), governance.KindNotFound, "unassign with the wrong subject type")
	if got := list(); got != "catalog_manager:group:"+groupFinance+":"+userAlice {
		t.Fatalf("roles after unassign = %s", got)
	}
}

// testCatalogIsolation proves that naming another tenant's template, request
// or role assignment never reads, changes or deletes it.
func testCatalogIsolation(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "alpha")
	mkTenant(t, db, "bravo")
	tpl := mkTemplate(t, db, "alpha", "project", "Project", "Work")
	req := createRequest(t, db, catalogRequest("alpha", "req-1", userAlice, governance.StatePending, "Launch"), groupLegal, userBob)
	role := governance.RoleAssignment{TenantID: "alpha", Role: governance.RoleApprover, SubjectType: "group", SubjectID: groupLegal}
	must(t, inTx(t, db, func(tx *store.Tx) error { return db.AssignRole(ctx, tx, role) }), "alpha role")

	_, err := db.Template(ctx, "bravo", "project")
	mustKind(t, err, governance.KindNotFound, "bravo reads alpha's template")
	_, err = db.TemplateVersion(ctx, "bravo", "project", 1)
	mustKind(t, err, governance.KindNotFound, "bravo reads alpha's template version")
	_, err = db.TemplateVersions(ctx, "bravo", "project")
	mustKind(t, err, governance.KindNotFound, "bravo lists alpha's template versions")
	err = inTx(t, db, func(tx *store.Tx) error { _, err := db.TemplateTx(ctx, tx, "bravo", "project"); return err })
	mustKind(t, err, governance.KindNotFound, "bravo reads alpha's template in a tx")
	if ts, err := db.Templates(ctx, "bravo", true); err != nil || len(ts) != 0 {
		t.Fatalf("bravo lists templates %+v (%v)", ts, err)
	}
	evilTpl := tpl
	evilTpl.TenantID, evilTpl.Name = "bravo", "Hijacked"
	_, err = saveTemplate(t, db, evilTpl)
	mustKind(t, err, governance.KindNotFound, "bravo saves alpha's template")

	_, err = db.Request(ctx, "bravo", "req-1")
	mustKind(t, err, governance.KindNotFound, "bravo reads alpha's request")
	err = inTx(t, db, func(tx *store.Tx) error { _, err := db.RequestTx(ctx, tx, "bravo", "req-1"); return err })
	mustKind(t, err, governance.KindNotFound, "bravo reads alpha's request in a tx")
	evilReq := req
	evilReq.TenantID, evilReq.State = "bravo", governance.StateCancelled
	_, err = saveRequest(t, db, evilReq)
	mustKind(t, err, governance.KindNotFound, "bravo saves alpha's request")
	err = inTx(t, db, func(tx *store.Tx) error {
		_, err := db.CreateRequest(ctx, tx, catalogRequest("bravo", "req-2", userBob, governance.StateDraft, "X"), nil)
		return err
	})
	mustKind(t, err, governance.KindNotFound, "bravo requests from alpha's template")
	for name, q := range map[string]store.RequestQuery{
		"all": {}, "pending for legal": {PendingFor: []string{groupLegal, userBob}}, "requester": {RequesterID: userAlice},
	} {
		if rs, err := db.Requests(ctx, "bravo", q); err != nil || len(rs) != 0 {
			t.Fatalf("bravo lists alpha's requests (%s): [%s] %v", name, requestIDs(rs), err)
		}
	}
	if rs, err := db.RequestsNamed(ctx, "bravo", "prj-launch"); err != nil || len(rs) != 0 {
		t.Fatalf("bravo finds alpha's request by name: [%s] %v", requestIDs(rs), err)
	}

	err = inTx(t, db, func(tx *store.Tx) error {
		return db.UnassignRole(ctx, tx, "bravo", governance.RoleApprover, "group", groupLegal)
	})
	mustKind(t, err, governance.KindNotFound, "bravo unassigns alpha's role")
	if as, err := db.RoleAssignments(ctx, "bravo"); err != nil || len(as) != 0 {
		t.Fatalf("bravo lists alpha's roles %+v (%v)", as, err)
	}

	// Bravo may use the same ids; they are its own.
	mkTemplate(t, db, "bravo", "project", "Bravo project", "Work")
	createRequest(t, db, catalogRequest("bravo", "req-1", userBob, governance.StatePending, "Bravo"), groupLegal)
	if rs, _ := db.Requests(ctx, "bravo", store.RequestQuery{PendingFor: []string{groupLegal}}); requestIDs(rs) != "req-1" || rs[0].RequesterID != userBob {
		t.Fatalf("bravo's own pending requests = %+v", rs)
	}

	// Alpha's rows are exactly as they were.
	gotTpl, err := db.Template(ctx, "alpha", "project")
	must(t, err, "alpha template after")
	sameJSON(t, gotTpl, tpl, "alpha's template")
	gotReq, err := db.Request(ctx, "alpha", "req-1")
	must(t, err, "alpha request after")
	sameJSON(t, gotReq, req, "alpha's request")
	if rs, _ := db.Requests(ctx, "alpha", store.RequestQuery{PendingFor: []string{groupLegal}}); requestIDs(rs) != "req-1" || rs[0].RequesterID != userAlice {
		t.Fatalf("alpha's pending requests = %+v", rs)
	}
	if as, _ := db.RoleAssignments(ctx, "alpha"); len(as) != 1 {
		t.Fatalf("alpha's roles = %+v", as)
	}

	// Deleting alpha takes its catalog with it and leaves bravo whole.
	must(t, db.DeleteTenant(ctx, "alpha"), "delete alpha")
	mkTenant(t, db, "alpha")
	_, err = db.Template(ctx, "alpha", "project")
	mustKind(t, err, governance.KindNotFound, "template survived its tenant")
	if rs, _ := db.Requests(ctx, "alpha", store.RequestQuery{PendingFor: []string{groupLegal}}); len(rs) != 0 {
		t.Fatalf("requests survived their tenant: %+v", rs)
	}
	if as, _ := db.RoleAssignments(ctx, "alpha"); len(as) != 0 {
		t.Fatalf("roles survived their tenant: %+v", as)
	}
	if _, err := db.Request(ctx, "bravo", "req-1"); err != nil {
		t.Fatalf("bravo's request gone after deleting alpha: %v", err)
	}
}

// testCatalogRollback proves that writes in a rolled-back transaction leave
// nothing behind.
func testCatalogRollback(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	kept := mkTemplate(t, db, "contoso", "kept", "Kept", "Work")
	errAbort := errors.New("abort")
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := db.CreateTemplate(ctx, tx, catalogTemplate("contoso", "project", "Project", "Work")); err != nil {
			return err
		}
		edit := kept
		edit.Name = "Edited"
		if _, err := db.SaveTemplate(ctx, tx, edit); err != nil {
			return err
		}
		if _, err := db.CreateRequest(ctx, tx, catalogRequest("contoso", "req-1", userAlice, governance.StatePending, "Launch"), []string{groupLegal}); err != nil {
			return err
		}
		if err := db.AssignRole(ctx, tx, governance.RoleAssignment{TenantID: "contoso", Role: governance.RoleApprover, SubjectType: "user", SubjectID: userBob}); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want the abort", err)
	}
	_, err = db.Template(ctx, "contoso", "project")
	mustKind(t, err, governance.KindNotFound, "template of a rolled-back transaction")
	got, err := db.Template(ctx, "contoso", "kept")
	must(t, err, "kept template")
	sameJSON(t, got, kept, "template edited in a rolled-back transaction")
	if vs, _ := db.TemplateVersions(ctx, "contoso", "kept"); len(vs) != 1 {
		t.Fatalf("versions after rollback = %+v", vs)
	}
	_, err = db.Request(ctx, "contoso", "req-1")
	mustKind(t, err, governance.KindNotFound, "request of a rolled-back transaction")
	if rs, _ := db.Requests(ctx, "contoso", store.RequestQuery{PendingFor: []string{groupLegal}}); len(rs) != 0 {
		t.Fatalf("pending approvers of a rolled-back transaction: %+v", rs)
	}
	if as, _ := db.RoleAssignments(ctx, "contoso"); len(as) != 0 {
		t.Fatalf("role of a rolled-back transaction: %+v", as)
	}
}
