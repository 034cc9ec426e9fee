package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
)

func runManagedTeams(t *testing.T, migrated func(t *testing.T) (*store.DB, *testenv.Clock)) {
	t.Run("ManagedTeamLifecycle", func(t *testing.T) { db, c := migrated(t); testManagedTeamLifecycle(t, db, c) })
	t.Run("ManagedTeamsDue", func(t *testing.T) { db, c := migrated(t); testManagedTeamsDue(t, db, c) })
}

func managedTeam(tenant, id string, created time.Time, l governance.LifecycleState) governance.ManagedTeam {
	return governance.ManagedTeam{TenantID: tenant, TeamID: id, RequestID: "req-" + id, TemplateID: "project", TemplateVersion: 2,
		CreatedAt: created, Lifecycle: l}
}

func createManaged(t *testing.T, db *store.DB, teams ...governance.ManagedTeam) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		for _, m := range teams {
			if err := db.CreateManagedTeamTx(context.Background(), tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	must(t, err, "create managed teams")
}

// testManagedTeamLifecycle: a team's lifecycle is stored whole (a team
// that never expires too), saved optimistically, and neither read nor
// written by another tenant.
func testManagedTeamLifecycle(t *testing.T, db *store.DB, c *testenv.Clock) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	mkTenant(t, db, "fabrikam")
	now := c.Now().UTC().Truncate(time.Microsecond)
	full := governance.LifecycleState{ExpiresAt: now.Add(90 * governance.Day), WarnedDays: 7, RenewedAt: now.Add(-time.Hour),
		RenewedBy: userAlice, Attested: true, LastActivityAt: now.Add(-2 * time.Hour), InactiveWarnedAt: now.Add(-3 * time.Hour),
		ExpiryDueAt: now.Add(89 * governance.Day), ActivityDueAt: now.Add(30 * governance.Day)}
	createManaged(t, db, managedTeam("contoso", "team-1", now, full), managedTeam("contoso", "team-never", now, governance.LifecycleState{}))
	got, err := db.ManagedTeam(ctx, "contoso", "team-1")
	must(t, err, "read")
	want := managedTeam("contoso", "team-1", now, full)
	want.Version = 1
	sameJSON(t, got, want, "stored team")
	if !got.Lifecycle.ExpiryDueAt.Equal(full.ExpiryDueAt) || !got.Lifecycle.ActivityDueAt.Equal(full.ActivityDueAt) {
		t.Fatalf("due times %+v", got.Lifecycle)
	}
	never, err := db.ManagedTeam(ctx, "contoso", "team-never")
	must(t, err, "read the team that never expires")
	if never.Lifecycle != (governance.LifecycleState{}) || never.Version != 1 {
		t.Fatalf("a team without lifecycle reads %+v", never)
	}
	mustCode(t, db.InTx(ctx, func(tx *store.Tx) error {
		return db.CreateManagedTeamTx(ctx, tx, managedTeam("contoso", "team-1", now, full))
	}), governance.KindConflict, "managed_team_exists", "recording a team twice")

	// Save: the next version, with every field; a stale version conflicts.
	got.Lifecycle.ArchivedAt, got.Lifecycle.ExpiryDueAt, got.Lifecycle.ActivityDueAt = now, time.Time{}, time.Time{}
	var saved governance.ManagedTeam
	must(t, db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		saved, err = db.SaveManagedTeamTx(ctx, tx, got)
		return err
	}), "save")
	if saved.Version != 2 || !saved.Lifecycle.ArchivedAt.Equal(now) || !saved.Lifecycle.ExpiryDueAt.IsZero() || saved.RequestID != "req-team-1" {
		t.Fatalf("saved %+v", saved)
	}
	mustCode(t, db.InTx(ctx, func(tx *store.Tx) error { _, err := db.SaveManagedTeamTx(ctx, tx, got); return err }),
		governance.KindConflict, "managed_team_version_conflict", "a stale save")

	// Another tenant neither reads nor saves it.
	_, err = db.ManagedTeam(ctx, "fabrikam", "team-1")
	mustCode(t, err, governance.KindNotFound, "managed_team_not_found", "another tenant's read")
	foreign := saved
	foreign.TenantID = "fabrikam"
	mustKind(t, db.InTx(ctx, func(tx *store.Tx) error { _, err := db.SaveManagedTeamTx(ctx, tx, foreign); return err }),
		governance.KindNotFound, "another tenant's save")
	mustKind(t, db.InTx(ctx, func(tx *store.Tx) error { _, err := db.ManagedTeamTx(ctx, tx, "fabrikam", "team-1"); return err }),
		governance.KindNotFound, "another tenant's read in a transaction")
	again, err := db.ManagedTeam(ctx, "contoso", "team-1")
	must(t, err, "read after the foreign save")
	if again.Version != 2 {
		t.Fatalf("another tenant's save changed the team: %+v", again)
	}
}

// testManagedTeamsDue: the due queries list the teams due at a moment,
// longest due first, within the limit, and only the tenant's own.
func testManagedTeamsDue(t *testing.T, db *store.DB, c *testenv.Clock) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	mkTenant(t, db, "fabrikam")
	now := c.Now().UTC().Truncate(time.Microsecond)
	var teams []governance.ManagedTeam
	for i := range 6 {
		// Expiry due 5h ago, 4h ago, ... 1h from now; activity due the other way round.
		teams = append(teams, managedTeam("contoso", fmt.Sprintf("team-%d", i), now, governance.LifecycleState{
			ExpiresAt: now.Add(time.Hour), ExpiryDueAt: now.Add(time.Duration(i-5) * time.Hour), ActivityDueAt: now.Add(time.Duration(-i) * time.Hour)}))
	}
	teams = append(teams,
		managedTeam("contoso", "never", now, governance.LifecycleState{}),
		managedTeam("fabrikam", "fab", now, governance.LifecycleState{ExpiryDueAt: now.Add(-48 * time.Hour), ActivityDueAt: now.Add(-48 * time.Hour)}))
	createManaged(t, db, teams...)
	ids := func(ts []governance.ManagedTeam, err error) string {
		t.Helper()
		must(t, err, "due query")
		var out []string
		for _, m := range ts {
			out = append(out, m.TeamID)
		}
		return fmt.Sprint(out)
	}
	if got := ids(db.ExpiryDue(ctx, "contoso", now, 100)); got != "[team-0 team-1 team-2 team-3 team-4 team-5]" {
		t.Fatalf("expiry due now: %s", got)
	}
	if got := ids(db.ExpiryDue(ctx, "contoso", now.Add(-150*time.Minute), 2)); got != "[team-0 team-1]" {
		t.Fatalf("expiry due earlier, limit 2: %s", got)
	}
	if got := ids(db.ActivityDue(ctx, "contoso", now.Add(-3*time.Hour), 100)); got != "[team-5 team-4 team-3]" {
		t.Fatalf("activity due 3h ago: %s", got)
	}
	if got := ids(db.ExpiryDue(ctx, "fabrikam", now, 100)); got != "[fab]" {
		t.Fatalf("fabrikam's due teams: %s", got)
	}
	if got := ids(db.ActivityDue(ctx, "nobody", now, 100)); got != "[]" {
		t.Fatalf("an unknown tenant's due teams: %s", got)
	}
	for _, n := range []int{0, store.ManagedTeamDueMax + 1} {
		_, err := db.ExpiryDue(ctx, "contoso", now, n)
		mustKind(t, err, governance.KindInvalid, fmt.Sprintf("limit %d", n))
	}
	must(t, db.DeleteTenant(ctx, "contoso"), "delete tenant")
	if got := ids(db.ExpiryDue(ctx, "contoso", now, 100)); got != "[]" {
		t.Fatalf("due teams after the tenant was deleted: %s", got)
	}
}
