package cards

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
)

// decode is a card's JSON as generic values.
func decode(t *testing.T, c Card) map[string]any {
	t.Helper()
	b, err := c.JSON()
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return m
}

func TestEveryCardIsAdaptiveCard15(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			m := decode(t, c.card)
			if m["$schema"] != "http://adaptivecards.io/schemas/adaptive-card.json" || m["type"] != "AdaptiveCard" || m["version"] != "1.5" {
				t.Fatalf("header: $schema %v, type %v, version %v", m["$schema"], m["type"], m["version"])
			}
			if body, _ := m["body"].([]any); len(body) == 0 {
				t.Fatal("empty body")
			}
			// Also usable as an attachment's content directly.
			if _, err := json.Marshal(map[string]any{"content": c.card}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRefreshUserIDsAtMost60(t *testing.T) {
	for _, n := range []int{0, 1, 59, 60, 61, 250} {
		v := fixtureApproval(governance.StatePending)
		v.ApproverIDs = approvers(n)
		card := Approval("en", v).Adaptive()
		if card.Refresh == nil {
			t.Fatalf("%d approvers: no refresh", n)
		}
		want := min(n, MaxRefreshUsers)
		if got := len(card.Refresh.UserIDs); got != want {
			t.Fatalf("%d approvers: %d userIds, want %d", n, got, want)
		}
		for i, id := range card.Refresh.UserIDs {
			if id != v.ApproverIDs[i] {
				t.Fatalf("%d approvers: userIds[%d] = %s, want the first 60 in order", n, i, id)
			}
		}
		if card.Refresh.Action.Verb != VerbRefresh || card.Refresh.Action.Data["requestId"] != v.Request.ID {
			t.Fatalf("refresh action %+v", card.Refresh.Action)
		}
		// userIds is always present, even empty: Teams then offers a
		// manual refresh instead of refreshing for everyone.
		if !strings.Contains(string(must(Approval("en", v).JSON())), `"userIds":[`) {
			t.Fatalf("%d approvers: userIds missing from the JSON", n)
		}
	}
}

func TestApprovalActionsCarryIDAndVersion(t *testing.T) {
	v := fixtureApproval(governance.StatePending)
	v.Version = 1234567890123
	m := decode(t, Approval("en", v))
	verbs := map[string]bool{}
	for _, a := range m["actions"].([]any) {
		a := a.(map[string]any)
		if a["type"] != "Action.Execute" {
			continue
		}
		verbs[a["verb"].(string)] = true
		b, _ := json.Marshal(a["data"])
		var d ActionData
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		if d.RequestID != v.Request.ID || d.Version != v.Version {
			t.Errorf("%s data = %+v, want request %s version %d", a["verb"], d, v.Request.ID, v.Version)
		}
	}
	for _, verb := range []string{VerbApprove, VerbReject, VerbComment} {
		if !verbs[verb] {
			t.Errorf("no %s action", verb)
		}
	}
	if !strings.Contains(string(must(Approval("en", v).JSON())), `"id":"`+InputComment+`"`) {
		t.Error("no comment input")
	}
}

func TestDecidedApprovalHasNoActionsButSteward(t *testing.T) {
	for _, s := range []governance.RequestState{governance.StateApproved, governance.StateRejected, governance.StateCancelled,
		governance.StateProvisioning, governance.StateCompleted, governance.StateFailed} {
		t.Run(string(s), func(t *testing.T) {
			card := Approval("en", fixtureApproval(s)).Adaptive()
			if card.Refresh != nil {
				t.Error("a decided card still refreshes")
			}
			if len(card.Actions) != 1 {
				t.Fatalf("actions %+v", card.Actions)
			}
			if a, ok := card.Actions[0].(ActionOpenURL); !ok || a.Title != "Open in Steward" {
				t.Fatalf("action %+v, want Open in Steward", card.Actions[0])
			}
			b := string(must(Approval("en", fixtureApproval(s)).JSON()))
			if strings.Contains(b, "Input.") || strings.Contains(b, "Action.Execute") {
				t.Errorf("decided card has inputs or Execute actions: %s", b)
			}
		})
	}
	b := string(must(Approval("en", fixtureApproval(governance.StateRejected)).JSON()))
	for _, want := range []string{"Rejected by", "Megan Bowen", "Mar 15, 2026 at 11:26 UTC", "Use the existing Étoile team"} {
		if !strings.Contains(b, want) {
			t.Errorf("rejected card lacks %q", want)
		}
	}
}

func TestRequestListShowsAtMost10(t *testing.T) {
	for _, n := range []int{0, 3, 10, 11, 40} {
		vs := make([]RequestView, n)
		for i := range vs {
			vs[i] = fixtureView(i, governance.StatePending)
		}
		card := RequestList("en", vs, stewardTab(TabRequests)).Adaptive()
		rows := 0
		for _, e := range card.Body {
			if _, ok := e.(ColumnSet); ok {
				rows++
			}
		}
		if rows != min(n, MaxListRows) {
			t.Errorf("%d requests: %d rows", n, rows)
		}
		more := strings.Contains(string(must(RequestList("en", vs, stewardTab(TabRequests)).JSON())), "Showing the latest 10 of")
		if more != (n > MaxListRows) {
			t.Errorf("%d requests: 'showing 10 of' shown = %v", n, more)
		}
		if len(card.Actions) != 1 || card.Actions[0].(ActionOpenURL).URL != stewardTab(TabRequests) {
			t.Errorf("%d requests: actions %+v", n, card.Actions)
		}
	}
}

func TestExpiryWarningRenewsWithAttestation(t *testing.T) {
	card := ExpiryWarning("en", fixtureTeam(), created, 30).Adaptive()
	var toggle *InputToggle
	for _, e := range card.Body {
		if tg, ok := e.(InputToggle); ok {
			toggle = &tg
		}
	}
	if toggle == nil || toggle.ID != InputAttest || !toggle.IsRequired || toggle.ErrorMessage == "" ||
		toggle.Title != "I confirm this team is still needed and its members are right" {
		t.Fatalf("attestation %+v", toggle)
	}
	renew, ok := card.Actions[0].(ActionExecute)
	if !ok || renew.Verb != VerbRenew || renew.Data["teamId"] != fixtureTeam().ID {
		t.Fatalf("renew action %+v", card.Actions[0])
	}
}

func TestInvalidInput(t *testing.T) {
	pending := fixtureApproval(governance.StatePending)
	noVersion := pending
	noVersion.Version = 0
	draft := fixtureApproval(governance.StateDraft)
	noLink := fixtureView(1, governance.StatePending)
	noLink.Link = ""
	badState := fixtureView(1, "shipped")
	cases := []struct {
		name string
		card Card
		want string
	}{
		{"approval without version", Approval("en", noVersion), "no version"},
		{"approval of a draft", Approval("en", draft), "draft"},
		{"summary without link", RequestSummary("en", noLink), "no link"},
		{"summary with unknown state", RequestSummary("en", badState), `unknown state "shipped"`},
		{"complete without link", ProvisioningComplete("en", "Team", "", nil), "name and a link"},
		{"failed without reason", ProvisioningFailed("en", fixtureView(1, governance.StateFailed), " ", ""), "without a reason"},
		{"expiry in the past", ExpiryWarning("en", fixtureTeam(), created, -2), "expired 2 days ago"},
		{"expiry without date", ExpiryWarning("en", fixtureTeam(), time.Time{}, 3), "without an expiry date"},
		{"empty repair", MembershipRepaired("en", fixtureTeam(), governance.MembershipRepair{}), "names nobody"},
		{"list without link", RequestList("en", nil, ""), "link to all"},
		{"list with a bad row", RequestList("en", []RequestView{noLink}, "https://x"), "no link"},
		{"record of unknown kind", RecordCard("en", fixtureRecord("lead")), `kind "lead"`},
		{"record without title", RecordCard("en", Record{Kind: "account", ID: "1"}), "id and a title"},
		{"form with duplicate template", RequestTeamForm("en", []TemplateOption{{ID: "a", Name: "A"}, {ID: "a", Name: "B"}}, "", ""), "offered twice"},
		{"share with unnamed template", ShareTemplate("en", []TemplateOption{{ID: "a"}}), "id and a name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := c.card.JSON()
			if !errors.Is(err, ErrInvalid) || b != nil {
				t.Fatalf("JSON = %s, %v; want ErrInvalid", b, err)
			}
			if !strings.HasPrefix(err.Error(), "cards: ") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q lacks %q", err, c.want)
			}
			if _, err := json.Marshal(c.card); err == nil {
				t.Fatal("marshalling an invalid card succeeded")
			}
		})
	}
	if _, err := RecordPreview("en", fixtureRecord("lead")).JSON(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("preview of unknown kind: %v", err)
	}
}

func TestRecordPreview(t *testing.T) {
	var p struct{ Title, Text string }
	if err := json.Unmarshal(must(RecordPreview("fr", fixtureRecord("opportunity")).JSON()), &p); err != nil {
		t.Fatal(err)
	}
	if p.Title != "Contoso Pharmaceuticals" || p.Text != "Opportunité · Lyon, France" {
		t.Fatalf("preview %+v", p)
	}
}

func TestLocale(t *testing.T) {
	cases := map[string]string{"en": "en", "en-US": "en", "fr": "fr", "fr-FR": "fr", "fr-CA": "fr", "FR_be": "fr",
		"de-DE": "en", "": "en", "french": "en", " fr-CH ": "fr"}
	for locale, want := range cases {
		t.Run(locale, func(t *testing.T) {
			if got := lang(locale); got != want {
				t.Fatalf("lang(%q) = %q, want %q", locale, got, want)
			}
			if got := Help(locale).Adaptive().Lang; got != want {
				t.Fatalf("card lang %q, want %q", got, want)
			}
		})
	}
}

// TestCatalogue checks every message has both languages with the same
// format verbs, and that the French uses typographic apostrophes.
func TestCatalogue(t *testing.T) {
	verbs := regexp.MustCompile(`%[a-z]`)
	for id, m := range catalogue {
		t.Run(id, func(t *testing.T) {
			if strings.TrimSpace(m[0]) == "" || strings.TrimSpace(m[1]) == "" {
				t.Fatalf("missing text: %q", m)
			}
			if e, f := verbs.FindAllString(m[0], -1), verbs.FindAllString(m[1], -1); strings.Join(e, "") != strings.Join(f, "") {
				t.Errorf("verbs differ: %v vs %v", e, f)
			}
			if strings.Contains(m[1], "'") {
				t.Errorf("French uses a straight apostrophe: %q", m[1])
			}
			if strings.Contains(m[1], " :") {
				t.Errorf("French colon after a breaking space: %q", m[1])
			}
		})
	}
}

func TestFrenchCardsAreFrench(t *testing.T) {
	for _, c := range goldenCases() {
		if !strings.HasSuffix(c.name, "_fr") {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			b := string(must(c.card.JSON()))
			for _, english := range []string{"Open in Steward", "Approve", "Team name", "Request", "Welcome", "Something went wrong"} {
				if strings.Contains(b, `"`+english+`"`) {
					t.Errorf("French card contains %q", english)
				}
			}
		})
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestWelcomeWithoutName(t *testing.T) {
	for locale, want := range map[string]string{"en": "Welcome to Steward", "fr": "Bienvenue dans Steward"} {
		if got := Welcome(locale, " ").Adaptive().Body[0].(TextBlock).Text; got != want {
			t.Errorf("%s: heading %q, want %q", locale, got, want)
		}
	}
}
