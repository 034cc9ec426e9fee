package store_test

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
)

// seatsFixture writes, for contoso, activity of five people over time and,
// for fabrikam, activity that must never be counted for contoso.
func seatsFixture(t *testing.T, db *store.DB, clock *testenv.Clock) {
	t.Helper()
	ctx := t.Context()
	for _, tn := range []string{"contoso", "fabrikam"} {
		tpl := governance.Template{TenantID: tn, ID: "project", Name: "Project", Spec: governance.TeamSpec{Visibility: "private"}}
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := db.CreateTemplate(ctx, tx, tpl); return err }); err != nil {
			t.Fatal(err)
		}
	}
	request := func(tenant, id, requester string, state governance.RequestState) {
		t.Helper()
		r := governance.Request{TenantID: tenant, ID: id, TemplateID: "project", TemplateVersion: 1, RequesterID: requester,
			State: state, DisplayName: id}
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := db.CreateRequest(ctx, tx, r, nil); return err }); err != nil {
			t.Fatal(err)
		}
	}
	audit := func(tenant, actorType, actor, action string) {
		t.Helper()
		if _, err := db.RecordAudit(ctx, governance.AuditEvent{TenantID: tenant, At: clock.Now(),
			Actor: governance.AuditActor{Type: actorType, ID: actor}, Action: action, SubjectType: "request", SubjectID: "r"}); err != nil {
			t.Fatal(err)
		}
	}
	session := func(tenant, user string, hash byte) {
		t.Helper()
		now := clock.Now().UTC()
		idHash := strings.Repeat(string(rune('a'+hash)), 64)
		if err := db.CreateWebSession(ctx, governance.WebSession{TenantID: tenant, IDHash: idHash, UserID: user, Claims: []byte(`{}`),
			CSRF: "c", CreatedAt: now, IdleUntil: now.Add(2 * time.Hour), ExpiresAt: now.Add(12 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}

	// 40 days ago: an old requester and an old approver, outside the window.
	request("contoso", "old", "user-old", governance.StateCompleted)
	audit("contoso", governance.AuditActorUser, "approver-old", "request.decided")
	clock.Advance(40 * 24 * time.Hour)

	// Within the window.
	request("contoso", "r1", "User-A", governance.StatePending) // case differs from the session below
	request("contoso", "r2", "user-b", governance.StateFailed)
	request("contoso", "r3", "user-b", governance.StateFailed)
	audit("contoso", governance.AuditActorUser, "approver-c", "request.rejected")
	audit("contoso", governance.AuditActorUser, "approver-d", "request.stage_approved")
	audit("contoso", governance.AuditActorUser, "user-e", "template.created")          // not a use that takes a seat
	audit("contoso", governance.AuditActorAPIKey, "key-1", "request.decided")          // not a person
	audit("contoso", governance.AuditActorSystem, "approval-sweep", "request.decided") // not a person
	session("contoso", "user-a", 1)
	session("contoso", "viewer-f", 2)
	request("fabrikam", "f1", "fab-1", governance.StatePending)
	audit("fabrikam", governance.AuditActorUser, "fab-2", "request.decided")
	session("fabrikam", "fab-3", 3)
}

func TestActivePeople(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			clock := testenv.NewClock()
			start := clock.Now()
			db := openForTest(t, eng.DSN(t), clock.Now)
			if _, err := db.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"contoso", "fabrikam"} {
				if _, err := db.CreateTenant(t.Context(), governance.Tenant{ID: id, Name: id}); err != nil {
					t.Fatal(err)
				}
			}
			seatsFixture(t, db, clock)
			for _, tt := range []struct {
				name   string
				tenant string
				since  time.Time
				want   int
			}{
				// user-a (requester and session), user-b, approver-c, approver-d, viewer-f.
				{"last 30 days", "contoso", clock.Now().Add(-30 * 24 * time.Hour), 5},
				// and user-old, approver-old.
				{"since the start", "contoso", start, 7},
				{"nothing after now", "contoso", clock.Now().Add(time.Hour + 2*time.Hour), 0},
				{"other tenant", "fabrikam", start, 3},
				{"unknown tenant", "nobody", start, 0},
			} {
				t.Run(tt.name, func(t *testing.T) {
					got, err := db.ActivePeople(t.Context(), tt.tenant, tt.since)
					if err != nil {
						t.Fatal(err)
					}
					if got != tt.want {
						t.Errorf("ActivePeople(%s) = %d, want %d", tt.tenant, got, tt.want)
					}
				})
			}
			t.Run("request counts", func(t *testing.T) {
				got, err := db.RequestCountsByState(t.Context(), "contoso")
				if err != nil {
					t.Fatal(err)
				}
				want := map[governance.RequestState]int{governance.StateCompleted: 1, governance.StatePending: 1, governance.StateFailed: 2}
				if !maps.Equal(got, want) {
					t.Errorf("counts = %v, want %v", got, want)
				}
				got, err = db.RequestCountsByState(t.Context(), "nobody")
				if err != nil || len(got) != 0 {
					t.Errorf("counts of an unknown tenant = %v, %v; want none", got, err)
				}
			})
		})
	}
}
