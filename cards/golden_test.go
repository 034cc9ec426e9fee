package cards

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenCase is one card × a representative input, pinned in
// testdata/<name>.json.
type goldenCase struct {
	name string
	card Card
}

func goldenCases() []goldenCase {
	many := make([]RequestView, 12)
	for i := range many {
		many[i] = fixtureView(i+1, []governance.RequestState{governance.StatePending, governance.StateCompleted, governance.StateRejected}[i%3])
	}
	repair := governance.MembershipRepair{TeamID: fixtureTeam().ID, Owners: []string{"Megan Bowen"}, Members: []string{"Lee Gu", "Alex Wilber"},
		Failed: map[string]string{"Diego Siciliani": "the account is disabled"}}
	return []goldenCase{
		{"request_summary", RequestSummary("en-US", NewRequestView(fixtureRequest(), "Project", fixtureLink("req-42")))},
		{"request_summary_fr", RequestSummary("fr-FR", NewRequestView(fixtureRequest(), "Projet", fixtureLink("req-42")))},
		{"approval_pending", Approval("en", fixtureApproval(governance.StatePending))},
		{"approval_pending_fr", Approval("fr-CA", fixtureApproval(governance.StatePending))},
		{"approval_approved", Approval("en", fixtureApproval(governance.StateApproved))},
		{"approval_rejected", Approval("en", fixtureApproval(governance.StateRejected))},
		{"approval_rejected_fr", Approval("fr", fixtureApproval(governance.StateRejected))},
		{"approval_cancelled", Approval("en", fixtureApproval(governance.StateCancelled))},
		{"provisioning_complete", ProvisioningComplete("en", "PRJ-Projet Étoile", fixtureTeam().Link, []string{"General", "Design", "Launch plan"})},
		{"provisioning_complete_fr", ProvisioningComplete("fr", "PRJ-Projet Étoile", fixtureTeam().Link, []string{"Général", "Conception"})},
		{"provisioning_failed", ProvisioningFailed("en", fixtureView(42, governance.StateFailed), "Microsoft Graph refused the team name: it is already used", stewardTab(TabApprovals))},
		{"expiry_warning", ExpiryWarning("en", fixtureTeam(), created.Add(7*24*time.Hour), 7)},
		{"expiry_warning_fr", ExpiryWarning("fr-FR", fixtureTeam(), created.Add(24*time.Hour), 1)},
		{"membership_repaired", MembershipRepaired("en", fixtureTeam(), repair)},
		{"membership_repaired_fr", MembershipRepaired("fr", fixtureTeam(), repair)},
		{"welcome", Welcome("en", "Adèle")},
		{"welcome_fr", Welcome("fr", "Adèle")},
		{"help", Help("en")},
		{"request_list", RequestList("en", many, stewardTab(TabRequests))},
		{"request_list_empty_fr", RequestList("fr", nil, stewardTab(TabRequests))},
		{"error", Error("en", "This request changed since the card was sent. Refresh and try again.")},
		{"error_fr", Error("fr", "")},
		{"record_account", RecordCard("en", fixtureRecord("account"))},
		{"record_contact_fr", RecordCard("fr", fixtureRecord("contact"))},
		{"request_team_form", RequestTeamForm("en", fixtureTemplates, "Projet Étoile", "")},
		{"request_team_form_fr", RequestTeamForm("fr", fixtureTemplates[:1], "", "Lancement")},
		{"share_template", ShareTemplate("en", fixtureTemplates)},
	}
}

func stewardTab(entity string) string {
	link, err := Steward{AppID: "5b6f0a52-6c3c-4c55-9f0e-8a4f3c1d2e7a", BaseURL: "https://steward.example.com"}.Tab(entity, "", "My requests")
	if err != nil {
		panic(err)
	}
	return link
}

// TestGolden compares every card with its golden file; -update rewrites
// them.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.card.JSON()
			if err != nil {
				t.Fatalf("JSON: %v", err)
			}
			checkGolden(t, c.name, b)
		})
	}
	t.Run("record_preview", func(t *testing.T) {
		b, err := RecordPreview("en", fixtureRecord("opportunity")).JSON()
		if err != nil {
			t.Fatalf("JSON: %v", err)
		}
		checkGolden(t, "preview_record_opportunity", b)
	})
}

// checkGolden compares got, indented, with testdata/name.json.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("indent: %v", err)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cards -update to create it)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("%s differs from the golden file (run go test ./cards -update if the change is intended)\ngot:\n%s", path, pretty.Bytes())
	}
}
