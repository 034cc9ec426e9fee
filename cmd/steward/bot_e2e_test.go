package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/m365sim"
	"github.com/stewardhq/steward/m365sim/botconnector"
	"github.com/stewardhq/steward/m365sim/directory"
)

// cardsIn returns the Adaptive Cards the bot posted in a conversation
// (sends, replies and in-place updates), as raw JSON, in order.
func cardsIn(sim *m365sim.Server, convID string) (posted []string, updated []string) {
	for _, rec := range sim.Bot.Activities(convID) {
		atts, _ := rec.Activity["attachments"].([]any)
		for _, a := range atts {
			m, _ := a.(map[string]any)
			if m["contentType"] != "application/vnd.microsoft.card.adaptive" {
				continue
			}
			b, _ := json.Marshal(m["content"])
			if rec.Method == http.MethodPut {
				updated = append(updated, string(b))
			} else {
				posted = append(posted, string(b))
			}
		}
	}
	return posted, updated
}

// waitCard waits for a card in convID whose JSON contains every fragment.
func waitCard(t *testing.T, sim *m365sim.Server, convID, what string, update bool, fragments ...string) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		posted, updated := cardsIn(sim, convID)
		list := posted
		if update {
			list = updated
		}
		for _, c := range list {
			ok := true
			for _, f := range fragments {
				ok = ok && strings.Contains(c, f)
			}
			if ok {
				return c
			}
		}
	}
	posted, updated := cardsIn(sim, convID)
	t.Fatalf("no %s in %s: posted %v, updated %v", what, convID, posted, updated)
	return ""
}

// TestBotEndToEnd is issue 6's walk through Teams, with the simulator as
// the channel: the requester and the approver install the app and get the
// welcome card; a request with two approval stages brings the first
// approver an approval card (Universal Actions); the approver presses
// Approve (adaptiveCard/action) and gets the card in its new state back;
// the second stage's approver is asked in turn and approves; the posted
// cards are updated in place, the team is provisioned, and the requester
// gets the completion card.
func TestBotEndToEnd(t *testing.T) {
	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Options{TeamOperationDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close(context.Background())
	contoso := demoTenant(t, sim, "Contoso")
	appID := contoso.AppID
	admin, requester, approver := contoso.people(sim)

	dir := t.TempDir()
	secretFile := contoso.writeSecret(t, dir)
	const teamsAppID = "5e7ea4d0-57e3-4c1a-9d2e-7e5a1f0c0042"
	env := map[string]string{
		"STEWARD_DEV_MODE": "true", "STEWARD_DATA_DIR": dir, "STEWARD_LISTEN": "127.0.0.1:0",
		"STEWARD_SIMULATOR": "false", "STEWARD_LOGIN_URL": sim.LoginURL(), "STEWARD_GRAPH_URL": sim.GraphURL(),
		"STEWARD_BOT_OPENID_METADATA_URL": sim.BotOpenIDMetadataURL(), "STEWARD_APP_ID": appID,
		"STEWARD_TEAMS_APP_ID": teamsAppID, "STEWARD_BOT_TENANT_ID": contoso.ID, "STEWARD_BOT_SECRET_FILE": secretFile,
		"STEWARD_BOT_SERVICE_URLS": sim.ServiceURL(),
	}
	ctx := context.Background()
	contoso.register(t, env, secretFile)
	base, stop := startRun(t, env, "dev")
	defer stop()
	if _, err := sim.Dir.SetBotEndpoint(appID, base+"/api/messages"); err != nil {
		t.Fatal(err)
	}

	// Both install the app in their personal scope: a welcome each.
	convs := map[string]botconnector.Conversation{}
	for _, u := range []directory.User{requester, approver, admin} {
		conv, err := sim.Bot.PersonalConversation(contoso.ID, appID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		convs[u.ID] = conv
		if st, body, err := sim.Bot.Deliver(ctx, contoso.ID, appID, sim.Bot.InstallationUpdate(conv, u, "add")); err != nil || st >= 300 {
			t.Fatalf("install for %s: %d %s %v", u.DisplayName, st, body, err)
		}
		waitCard(t, sim, conv.ID, "welcome card", false, "Steward")
	}

	token, err := sim.Entra.IssueUserToken(contoso.ID, admin.ID, appID, appID, []string{"access_as_user"})
	if err != nil {
		t.Fatal(err)
	}
	tpl := map[string]any{"id": "project", "name": "Project", "spec": map[string]any{"visibility": "private",
		"channels": []map[string]any{{"name": "Planning"}}},
		"policies": map[string]any{"approval": map[string]any{"stages": []map[string]any{
			{"name": "Manager", "approvers": []map[string]any{{"type": "user", "id": approver.ID}}},
			{"name": "IT", "approvers": []map[string]any{{"type": "user", "id": admin.ID}}},
		}}}}
	if st := apiCall(t, "POST", base+"/api/v1/templates", token, tpl, nil); st != http.StatusCreated {
		t.Fatalf("create template: %d", st)
	}
	reqToken, err := sim.Entra.IssueUserToken(contoso.ID, requester.ID, appID, appID, []string{"access_as_user"})
	if err != nil {
		t.Fatal(err)
	}
	var req struct {
		ID, State, TeamID, DisplayName, FailureReason string
		Version                                       int64
	}
	if st := apiCall(t, "POST", base+"/api/v1/requests", reqToken, map[string]any{"templateId": "project", "name": "Heron"}, &req); st != http.StatusCreated || req.State != "pending" {
		t.Fatalf("submit: %d %s", st, req.State)
	}

	// The approver's card: Universal Actions, refreshable.
	card := waitCard(t, sim, convs[approver.ID].ID, "approval card", false, `"verb":"approve"`, req.ID, `"refresh"`)
	if !strings.Contains(card, `"type":"Action.Execute"`) {
		t.Fatalf("approval card without Action.Execute: %s", card)
	}
	value := botconnector.CardActionValue("approve", map[string]any{"requestId": req.ID, "version": req.Version})
	st, body, err := sim.Bot.Deliver(ctx, contoso.ID, appID, sim.Bot.Invoke(approver, convs[approver.ID], botconnector.InvokeAdaptiveCardAction, value))
	if err != nil || st != http.StatusOK {
		t.Fatalf("approve: %d %s %v", st, body, err)
	}
	var answer struct {
		StatusCode int             `json:"statusCode"`
		Type       string          `json:"type"`
		Value      json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.StatusCode != 200 || answer.Type != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("approve answered %s (%v)", body, err)
	}
	if strings.Contains(string(answer.Value), `"verb":"approve"`) {
		t.Fatalf("the refreshed card still offers Approve: %s", answer.Value)
	}
	// Stage 2: IT's approver is asked now, and approves in the card.
	waitCard(t, sim, convs[admin.ID].ID, "second-stage approval card", false, `"verb":"approve"`, req.ID)
	apiCall(t, "GET", base+"/api/v1/requests/"+req.ID, reqToken, nil, &req)
	value = botconnector.CardActionValue("approve", map[string]any{"requestId": req.ID, "version": req.Version})
	if st, body, err := sim.Bot.Deliver(ctx, contoso.ID, appID, sim.Bot.Invoke(admin, convs[admin.ID], botconnector.InvokeAdaptiveCardAction, value)); err != nil || st != http.StatusOK || !strings.Contains(string(body), `"statusCode":200`) {
		t.Fatalf("second approval: %d %s %v", st, body, err)
	}
	// The cards posted earlier are updated in place once decided.
	waitCard(t, sim, convs[approver.ID].ID, "updated approval card", true, req.ID)
	waitCard(t, sim, convs[admin.ID].ID, "updated approval card", true, req.ID)

	for deadline := time.Now().Add(30 * time.Second); req.State != "completed" && req.State != "failed" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		apiCall(t, "GET", base+"/api/v1/requests/"+req.ID, reqToken, nil, &req)
	}
	if req.State != "completed" || req.TeamID == "" {
		t.Fatalf("request %s: %s %q", req.ID, req.State, req.FailureReason)
	}
	waitCard(t, sim, convs[requester.ID].ID, "completion card", false, req.DisplayName, "https://teams.microsoft.com/l/team/", req.TeamID)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}
