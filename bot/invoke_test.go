package bot

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/cards"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/m365sim/botconnector"
)

// invoke sends an invoke from users[i] and decodes the answer.
func (s *surface) invoke(t *testing.T, i int, name, locale string, value any) (int, map[string]any, string) {
	t.Helper()
	a := s.activity(t, i, TypeInvoke, locale)
	a.Name = name
	b, err := json.Marshal(value)
	if err != nil {
		t.Fatal(err)
	}
	a.Value = b
	status, body := s.post(t, a)
	var m map[string]any
	if len(body) > 0 {
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("answer %s: %v", body, err)
		}
	}
	return status, m, string(body)
}

// TestUniversalActions drives adaptiveCard/action invokes against the real
// request workflow: decisions are the service's, whatever the card says.
func TestUniversalActions(t *testing.T) {
	s := newSurface(t, nil)
	s.renew.expiry = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	const requester, approver, stranger = 0, 1, 2
	req := s.pending
	data := func(version int64, extra map[string]any) map[string]any {
		d := map[string]any{"requestId": req.ID, "version": version}
		for k, v := range extra {
			d[k] = v
		}
		return d
	}
	tests := []struct {
		name       string
		user       int
		locale     string
		value      any
		statusCode int
		code       string   // error code, for error answers
		contains   []string // in the card, for card answers
		lacks      []string
	}{
		{name: "no verb", user: approver, value: map[string]any{"action": map[string]any{"type": "Action.Execute"}}, statusCode: 400, code: "action_invalid"},
		{name: "unknown verb", user: approver, value: botconnector.CardActionValue("delete", data(req.Version, nil)), statusCode: 400, code: "verb_unknown"},
		{name: "data of the wrong shape", user: approver, value: botconnector.CardActionValue(cards.VerbApprove, map[string]any{"requestId": req.ID, "version": "one"}), statusCode: 400, code: "action_data_invalid"},
		{name: "no request id", user: approver, value: botconnector.CardActionValue(cards.VerbApprove, map[string]any{}), statusCode: 400, code: "request_id_missing"},
		{name: "stranger approves", user: stranger, value: botconnector.CardActionValue(cards.VerbApprove, data(req.Version, nil)), statusCode: 404, code: "request_not_found"},
		{name: "requester approves own request", user: requester, value: botconnector.CardActionValue(cards.VerbApprove, data(req.Version, nil)), statusCode: 403, code: "approval_own_request"},
		{name: "another tenant's request id", user: approver, value: botconnector.CardActionValue(cards.VerbApprove, map[string]any{"requestId": s.foreign.ID, "version": s.foreign.Version}), statusCode: 404, code: "request_not_found"},
		{name: "stranger refreshes", user: stranger, value: botconnector.CardActionValue(cards.VerbRefresh, map[string]any{"requestId": req.ID}), statusCode: 404, code: "request_not_found"},
		{name: "requester refreshes: read-only summary", user: requester, value: botconnector.CardActionValue(cards.VerbRefresh, map[string]any{"requestId": req.ID}), statusCode: 200,
			contains: []string{"Team request: Apollo launch", "Waiting for approval"}, lacks: []string{`"verb":"approve"`}},
		{name: "approver refreshes: actionable card", user: approver, value: botconnector.CardActionValue(cards.VerbRefresh, map[string]any{"requestId": req.ID}), statusCode: 200,
			contains: []string{"Approval needed: Apollo launch", `"verb":"approve"`, `"userIds":["` + botconnector.MemberID(s.bs.tenant, s.bs.users[approver].ID) + `"]`}},
		{name: "approver comments", user: approver, value: botconnector.CardActionValue(cards.VerbComment, data(req.Version, map[string]any{"comment": "Which budget?"})), statusCode: 200,
			contains: []string{"Your comment is added.", `"verb":"approve"`}},
		{name: "stale card gets the current one", user: approver, locale: "fr-FR", value: botconnector.CardActionValue(cards.VerbApprove, data(req.Version, nil)), statusCode: 200,
			contains: []string{"Cette demande a changé", `"verb":"approve"`}},
		{name: "renew without attestation", user: requester, value: botconnector.CardActionValue(cards.VerbRenew, map[string]any{"teamId": "team-1", "attest": "false"}), statusCode: 400, code: "renewal_attestation_required"},
		{name: "renew", user: requester, value: botconnector.CardActionValue(cards.VerbRenew, map[string]any{"teamId": "team-1", "attest": "true"}), statusCode: 200,
			contains: []string{"Team renewed", "September 1, 2026"}},
		{name: "renew without a team", user: requester, value: botconnector.CardActionValue(cards.VerbRenew, map[string]any{}), statusCode: 400, code: "team_id_missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, raw := s.invoke(t, tc.user, InvokeAdaptiveCardAction, tc.locale, tc.value)
			if status != http.StatusOK {
				t.Fatalf("HTTP %d: %s", status, raw)
			}
			if got := int(body["statusCode"].(float64)); got != tc.statusCode {
				t.Fatalf("statusCode %d, want %d: %s", got, tc.statusCode, raw)
			}
			if tc.code != "" {
				v, _ := body["value"].(map[string]any)
				if body["type"] != TypeErrorResponse || v["code"] != tc.code || v["message"] == "" {
					t.Fatalf("want error %q, got %s", tc.code, raw)
				}
				return
			}
			if body["type"] != ContentTypeAdaptiveCard {
				t.Fatalf("type %v: %s", body["type"], raw)
			}
			for _, want := range tc.contains {
				if !strings.Contains(raw, want) {
					t.Errorf("card lacks %s: %s", want, raw)
				}
			}
			for _, not := range tc.lacks {
				if strings.Contains(raw, not) {
					t.Errorf("card has %s: %s", not, raw)
				}
			}
		})
	}
	// Refused actions changed nothing; the one valid decision decides.
	cur, err := s.h.o.Reads.Request(t.Context(), s.principal(requester), req.ID)
	if err != nil || cur.State != governance.StatePending || len(cur.Comments) != 1 {
		t.Fatalf("after refusals: %+v, %v", cur, err)
	}
	_, body, raw := s.invoke(t, approver, InvokeAdaptiveCardAction, "", botconnector.CardActionValue(cards.VerbApprove,
		map[string]any{"requestId": req.ID, "version": cur.Version, "comment": "Go ahead"}))
	if body["statusCode"].(float64) != 200 || !strings.Contains(raw, "Request approved: Apollo launch") || !strings.Contains(raw, "Go ahead") || strings.Contains(raw, `"verb":"approve"`) {
		t.Fatalf("approve: %s", raw)
	}
	if cur, _ = s.h.o.Reads.Request(t.Context(), s.principal(requester), req.ID); cur.State != governance.StateApproved {
		t.Fatalf("state %s after approval", cur.State)
	}
	if fab, err := s.h.o.Reads.Request(t.Context(), governance.Principal{Kind: governance.PrincipalUser, TenantID: "fabrikam", ID: s.foreign.RequesterID}, s.foreign.ID); err != nil || fab.State != governance.StatePending {
		t.Fatalf("Fabrikam's request: %+v %v", fab, err)
	}
}

func TestUnsupportedInvoke(t *testing.T) {
	s := newSurface(t, nil)
	status, body, raw := s.invoke(t, 0, "signin/verifyState", "", map[string]any{})
	if status != http.StatusNotImplemented || body["code"] != CodeInvokeUnsupported {
		t.Fatalf("got %d %s", status, raw)
	}
}
