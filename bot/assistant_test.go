package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stewardhq/steward/governance"
)

// TestAssistant sends messages as Teams does and reads the replies the bot
// posted in the chat through the (simulated) Bot Connector.
func TestAssistant(t *testing.T) {
	s := newSurface(t, nil)
	const requester, approver, stranger = 0, 1, 2
	tests := []struct {
		name     string
		user     int
		locale   string
		text     string
		value    any // a submitted card form instead of text
		contains []string
		lacks    []string
	}{
		{name: "help", user: requester, text: "help", contains: []string{"What Steward can do", "my requests"}},
		{name: "aide", user: requester, locale: "fr-FR", text: "<at>Steward</at> aide", contains: []string{"Ce que Steward sait faire"}},
		{name: "not understood", user: requester, text: "the weather is nice", contains: []string{"didn't understand", "What Steward can do"}},
		{name: "pas compris", user: requester, locale: "fr-CA", text: "il fait beau", contains: []string{"Désolé, je n’ai pas compris"}},
		{name: "new team with a purpose", user: requester, text: "I need a team for Q3 launch", contains: []string{
			"Request a new team", `"value":"project"`, `"value":"open"`, `"value":"Q3 launch"`, "Open the New team tab", "/entity/5e1f0000-0000-4000-a000-00000000a5e1/new"}},
		{name: "mes demandes", user: requester, locale: "fr-FR", text: "mes demandes", contains: []string{"Vos demandes", "Apollo launch", "En attente d’approbation"}},
		{name: "approvals for an approver", user: approver, text: "approvals", contains: []string{"Approval needed: Apollo launch", `"verb":"approve"`}},
		{name: "approvals for nobody", user: stranger, text: "approbations", locale: "fr-FR", contains: []string{"Aucune demande n’attend votre décision."}, lacks: []string{"attachments"}},
		{name: "status of own request", user: requester, text: "status " + s.pending.ID, contains: []string{"Team request: Apollo launch", "Waiting for approval"}},
		{name: "status of a request not visible", user: stranger, text: "status " + s.pending.ID, contains: []string{"Something went wrong", "there is no request"}},
		{name: "status of another tenant's request", user: requester, text: "statut " + s.foreign.ID, locale: "fr-FR", contains: []string{"Un problème est survenu"}, lacks: []string{"Secret plan"}},
		{name: "status without id", user: requester, text: "status", contains: []string{"Which request?"}},
		{name: "form submitted from the chat", user: requester, value: map[string]any{"form": "requestTeam", "templateId": "open", "displayName": "Book club"},
			contains: []string{"Request submitted: Book club", "Team request: Book club"}},
		{name: "form refused", user: requester, value: map[string]any{"form": "requestTeam", "templateId": "open", "displayName": "Apollo launch"},
			contains: []string{"Something went wrong", "already exists or is requested"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := s.activity(t, tc.user, TypeMessage, tc.locale)
			before := len(s.replies(tc.user))
			a.Text = tc.text
			if tc.value != nil {
				a.Value, _ = json.Marshal(tc.value)
			}
			status, body := s.post(t, a)
			if status != 200 || len(body) != 0 {
				t.Fatalf("answer %d %s, want 200 and no body", status, body)
			}
			if n := len(s.replies(tc.user)) - before; n != 1 {
				t.Fatalf("%d replies, want 1", n)
			}
			got := s.lastReply(t, tc.user)
			if !strings.Contains(got, `"replyToId":"`+a.ID+`"`) {
				t.Errorf("not a reply to the message: %s", got)
			}
			for _, want := range tc.contains {
				if !strings.Contains(got, want) {
					t.Errorf("reply lacks %s: %s", want, got)
				}
			}
			for _, not := range tc.lacks {
				if strings.Contains(got, not) {
					t.Errorf("reply has %s: %s", not, got)
				}
			}
		})
	}
	t.Run("at most five approval cards", func(t *testing.T) {
		for i := range 6 {
			if _, err := s.requests.Submit(t.Context(), s.principal(requester), governance.NewRequest{TemplateID: "project", Name: fmt.Sprintf("Batch %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		a := s.activity(t, approver, TypeMessage, "")
		a.Text = "approvals"
		s.post(t, a)
		var reply struct {
			Text        string       `json:"text"`
			Attachments []Attachment `json:"attachments"`
		}
		if err := json.Unmarshal([]byte(s.lastReply(t, approver)), &reply); err != nil {
			t.Fatal(err)
		}
		if len(reply.Attachments) != MaxApprovalCards || !strings.Contains(reply.Text, "Here are the first 5") || !strings.Contains(reply.Text, "/approvals") {
			t.Fatalf("%d cards, text %q", len(reply.Attachments), reply.Text)
		}
	})
}
