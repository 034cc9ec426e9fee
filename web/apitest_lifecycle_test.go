package web

import (
	"context"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/store"
)

// Managed teams of the scenarios.
const (
	teamExpiring   = "e0000000-0000-4000-8000-000000000001" // Contoso's, 180 days, attestation; alice owns it
	teamEverlast   = "e0000000-0000-4000-8000-000000000002" // Contoso's, never expires; alice owns it
	teamOwnersDown = "e0000000-0000-4000-8000-000000000003" // Contoso's; Graph answers 503 for its owners
	teamFabManaged = "e0000000-0000-4000-8000-000000000004" // Fabrikam's
)

// scenarioOwners is an in-process TeamOwners answering as graph.Client
// does (errors classified by graph.Classify).
type scenarioOwners struct{}

func (scenarioOwners) TeamOwnerIDs(_ context.Context, tenantID, teamID string) ([]string, error) {
	if teamID == teamOwnersDown {
		return nil, graph.Classify(&graph.Error{Method: "GET", Path: "/groups/x/owners", Status: 503}, "list team owners")
	}
	owners := map[string]map[string][]string{
		"contoso":  {teamExpiring: {idAlice}, teamEverlast: {idAlice}, teamOwnersDown: {idAlice}},
		"fabrikam": {teamFabManaged: {idFabrikam}},
	}
	ids, ok := owners[tenantID][teamID]
	if !ok {
		return nil, graph.Classify(&graph.Error{Method: "GET", Path: "/groups/x/owners", Status: 404}, "list team owners")
	}
	return ids, nil
}

// seedManagedTeams adds the scenarios' lifecycle template and managed teams,
// as provisioning would have recorded them.
func seedManagedTeams(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := db.CreateTemplate(ctx, tx, governance.Template{TenantID: "contoso", ID: "expiring", Name: "Expiring project",
			Spec:     governance.TeamSpec{Visibility: "private"},
			Policies: governance.TemplatePolicies{Lifecycle: governance.LifecyclePolicy{ExpireAfterDays: 180, RenewalAttestation: true}}}); err != nil {
			return err
		}
		expiring := governance.LifecycleState{ExpiresAt: now.Add(20 * governance.Day), WarnedDays: 30, ExpiryDueAt: now.Add(13 * governance.Day)}
		for _, m := range []governance.ManagedTeam{
			{TenantID: "contoso", TeamID: teamExpiring, RequestID: "req-x1", TemplateID: "expiring", TemplateVersion: 1, CreatedAt: now, Lifecycle: expiring},
			{TenantID: "contoso", TeamID: teamEverlast, RequestID: "req-x2", TemplateID: "open", TemplateVersion: 1, CreatedAt: now},
			{TenantID: "contoso", TeamID: teamOwnersDown, RequestID: "req-x3", TemplateID: "expiring", TemplateVersion: 1, CreatedAt: now, Lifecycle: expiring},
			{TenantID: "fabrikam", TeamID: teamFabManaged, RequestID: "req-f1", TemplateID: "fab", TemplateVersion: 1, CreatedAt: now},
		} {
			if err := db.CreateManagedTeamTx(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAPILifecycleScenarios(t *testing.T) {
	e := newAPIEnv(t)
	lifecycle := "/api/v1/teams/" + teamExpiring + "/lifecycle"
	renew := "/api/v1/teams/" + teamExpiring + "/renew"
	runAPI(t, e, []apiScenario{
		{name: "the owner reads the lifecycle", token: "alice", method: "GET", path: lifecycle, status: 200,
			contains:   []string{`"state":"active"`, `"expiresAt":"`, `"lastWarningDaysBefore":30`, `"templateId":"expiring"`, `"version":1`},
			notContain: []string{"renewedAt", "archivedAt"}},
		{name: "an administrator reads it", token: "admin", method: "GET", path: lifecycle, status: 200},
		{name: "a key with requests:read reads it", token: "apikey-read", method: "GET", path: lifecycle, status: 200},
		{name: "a key without requests:read", token: "apikey-hooks", method: "GET", path: lifecycle, status: 403, contains: []string{"scope_required"}},
		{name: "someone who does not own it", token: "bob", method: "GET", path: lifecycle, status: 403, contains: []string{"team_owner_required"}},
		{name: "another tenant", token: "fabrikam-admin", method: "GET", path: lifecycle, status: 404, contains: []string{"managed_team_not_found"},
			notContain: []string{"expiring"}},
		{name: "a team Steward does not manage", token: "admin", method: "GET", path: "/api/v1/teams/" + teamFalcon + "/lifecycle", status: 404},
		{name: "a team of the other tenant's, as its owner", token: "fabrikam-user", method: "GET", path: "/api/v1/teams/" + teamFabManaged + "/lifecycle", status: 200,
			contains: []string{`"state":"active"`}, notContain: []string{"expiresAt"}},

		{name: "renewing needs a body", token: "alice", method: "POST", path: renew, status: 400, contains: []string{"body_required"}},
		{name: "renewing refuses unknown fields", token: "alice", method: "POST", path: renew, body: `{"attested":true}`, status: 400,
			contains: []string{"body_unknown_field"}},
		{name: "the template requires attestation", token: "alice", method: "POST", path: renew, body: `{}`, status: 400,
			contains: []string{"renewal_attestation_required", "confirm that the team's owners and members are still right"}},
		{name: "in French", token: "alice", method: "POST", path: renew, body: `{"attest":false}`, reqHeader: map[string]string{"Accept-Language": "fr"},
			status: 400, contains: []string{"confirmez que les propriétaires et les membres"}},
		{name: "a member cannot renew", token: "bob", method: "POST", path: renew, body: `{"attest":true}`, status: 403, contains: []string{"team_owner_required"}},
		{name: "an API key cannot renew", token: "apikey-write", method: "POST", path: renew, body: `{"attest":true}`, status: 403,
			contains: []string{"renewal_person_required"}},
		{name: "another tenant's administrator cannot", token: "fabrikam-admin", method: "POST", path: renew, body: `{"attest":true}`, status: 404},
		{name: "owners unreadable", token: "alice", method: "POST", path: "/api/v1/teams/" + teamOwnersDown + "/renew", body: `{"attest":true}`,
			status: 503, contains: []string{"graph_unavailable"}},
		{name: "the owner renews, attesting", token: "alice", method: "POST", path: renew, body: `{"attest":true}`, status: 200,
			contains:   []string{`"renewedBy":"` + idAlice + `"`, `"attested":true`, `"version":2`, `"state":"active"`},
			notContain: []string{"lastWarningDaysBefore"},
			after: func(t *testing.T, e *apiEnv) {
				m, err := e.db.ManagedTeam(context.Background(), "contoso", teamExpiring)
				if err != nil {
					t.Fatal(err)
				}
				if d := time.Until(m.Lifecycle.ExpiresAt) - 180*governance.Day; d < -time.Minute || d > time.Minute {
					t.Fatalf("expires %s", m.Lifecycle.ExpiresAt)
				}
				evs, err := e.db.AuditEvents(context.Background(), "contoso", governance.AuditFilter{Action: "team.renewed"})
				if err != nil || len(evs) != 1 || evs[0].SubjectID != teamExpiring || evs[0].Actor.ID != idAlice || evs[0].Before == nil {
					t.Fatalf("audit %+v %v", evs, err)
				}
			}},
		{name: "an administrator renews a team they do not own", token: "admin", method: "POST", path: renew, body: `{"attest":true}`, status: 200,
			contains: []string{`"renewedBy":"` + idAdmin + `"`, `"version":3`}},
		{name: "a team that never expires", token: "alice", method: "POST", path: "/api/v1/teams/" + teamEverlast + "/renew", body: `{"attest":true}`,
			status: 409, contains: []string{"team_never_expires"}},
	})
}
