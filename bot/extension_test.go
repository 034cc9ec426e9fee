package bot

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stewardhq/steward/crm"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/m365sim/botconnector"
)

// path reads a nested value of a decoded JSON answer.
func jsonAt(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestMessagingExtensionSearch(t *testing.T) {
	s := newSurface(t, nil)
	s.crm.records = []crm.Record{
		{Kind: crm.KindAccount, ID: "a1", Title: "Contoso Pharma", Subtitle: "Lyon", Fields: []crm.Field{{Name: "Owner", Value: "Adele"}}, URL: "https://crm.example/a1"},
		{Kind: crm.KindAccount, ID: "a2", Title: "Contoso Retail"},
		{Kind: crm.KindContact, ID: "c1", Title: "Connie Contoso"},
	}
	tests := []struct {
		name    string
		value   any
		crmErr  error
		status  int
		typ     string // composeExtension.type
		titles  []string
		text    string // composeExtension.text contains
		query   *crm.Query
		errCode string
	}{
		{name: "accounts by prefix", value: botconnector.QueryValue(CommandSearchAccounts, "query", "contoso"), status: 200, typ: "result",
			titles: []string{"Contoso Pharma", "Contoso Retail"}, query: &crm.Query{Kind: crm.KindAccount, Text: "contoso", Limit: 25}},
		{name: "contacts only", value: botconnector.QueryValue(CommandSearchContacts, "query", "con"), status: 200, typ: "result", titles: []string{"Connie Contoso"}},
		{name: "initial run lists a few recent ones", value: map[string]any{"commandId": CommandSearchAccounts,
			"parameters": []any{map[string]any{"name": "initialRun", "value": "true"}}}, status: 200, typ: "result",
			titles: []string{"Contoso Pharma", "Contoso Retail"}, query: &crm.Query{Kind: crm.KindAccount, Text: "", Limit: 10}},
		{name: "nothing matches", value: botconnector.QueryValue(CommandSearchOpportunities, "query", "zzz"), status: 200, typ: "message", text: "No record matches"},
		{name: "CRM down", value: botconnector.QueryValue(CommandSearchAccounts, "query", "x"), crmErr: governance.Errorf(governance.KindUnavailable, "crm_unavailable", "down"),
			status: 200, typ: "message", text: "does not answer"},
		{name: "query too long", value: botconnector.QueryValue(CommandSearchAccounts, "query", "x"), crmErr: governance.Errorf(governance.KindInvalid, "crm_query_too_long", "a search has at most 200 characters"),
			status: 200, typ: "message", text: "at most 200 characters"},
		{name: "unknown command", value: botconnector.QueryValue("searchEverything", "query", "x"), status: 400, errCode: CodeCommandUnknown},
		{name: "no value", value: nil, status: 400, errCode: CodeValueInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.crm.err, s.crm.got = tc.crmErr, nil
			status, body, raw := s.invoke(t, 0, InvokeComposeExtensionQuery, "", tc.value)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, raw)
			}
			if tc.errCode != "" {
				if body["code"] != tc.errCode {
					t.Fatalf("code %v, want %s", body["code"], tc.errCode)
				}
				return
			}
			if got := jsonAt(body, "composeExtension", "type"); got != tc.typ {
				t.Fatalf("type %v, want %s: %s", got, tc.typ, raw)
			}
			if tc.text != "" && !strings.Contains(jsonAt(body, "composeExtension", "text").(string), tc.text) {
				t.Errorf("text: %s", raw)
			}
			if tc.typ == "result" {
				if jsonAt(body, "composeExtension", "attachmentLayout") != "list" {
					t.Errorf("layout: %s", raw)
				}
				atts, _ := jsonAt(body, "composeExtension", "attachments").([]any)
				var titles []string
				for i := range atts {
					if jsonAt(atts, i, "contentType") != ContentTypeAdaptiveCard || jsonAt(atts, i, "content", "type") != "AdaptiveCard" ||
						jsonAt(atts, i, "preview", "contentType") != "application/vnd.microsoft.card.thumbnail" {
						t.Errorf("attachment %d: %v", i, atts[i])
					}
					titles = append(titles, jsonAt(atts, i, "preview", "content", "title").(string))
				}
				if strings.Join(titles, "|") != strings.Join(tc.titles, "|") {
					t.Errorf("titles %v, want %v", titles, tc.titles)
				}
			}
			if tc.query != nil && (len(s.crm.got) != 1 || s.crm.got[0] != *tc.query || s.crm.tenant != "contoso") {
				t.Errorf("searched %+v in %s, want %+v in contoso", s.crm.got, s.crm.tenant, *tc.query)
			}
		})
	}
	t.Run("no CRM connected", func(t *testing.T) {
		s := newSurface(t, func(_ *surface, o *HandlerOptions) { o.CRM = nil })
		_, body, raw := s.invoke(t, 0, InvokeComposeExtensionQuery, "fr-FR", botconnector.QueryValue(CommandSearchAccounts, "query", "x"))
		if jsonAt(body, "composeExtension", "type") != "message" || !strings.Contains(raw, "Aucun CRM") {
			t.Fatalf("%s", raw)
		}
	})
}

// TestDialogs: the request and share dialogs, from the compose box
// (composeExtension/fetchTask, submitAction) and from card buttons
// (task/fetch, task/submit).
func TestDialogs(t *testing.T) {
	s := newSurface(t, nil)
	message := map[string]any{"commandId": CommandRequestTeam, "commandContext": "message",
		"messagePayload": map[string]any{"body": map[string]any{"contentType": "html", "content": "<p>Q3 launch &amp; events</p><p>Plan the <b>launch</b></p>"}}}
	submit := func(cmd string, data map[string]any) map[string]any { return botconnector.ActionValue(cmd, data) }
	tests := []struct {
		name     string
		invoke   string
		value    any
		status   int
		kind     string   // composeExtension result, task continue or task message
		contains []string // in the answer
		lacks    []string
	}{
		{name: "request form from a message", invoke: InvokeComposeExtensionFetch, value: message, status: 200, kind: "continue",
			contains: []string{`"value":"Q3 launch & events"`, "Plan the launch", `"title":"Project — A team for a project","value":"project"`, `"value":"open"`, `"form":"requestTeam"`}},
		{name: "share form", invoke: InvokeComposeExtensionFetch, value: botconnector.ActionValue(CommandShareTemplate, nil), status: 200, kind: "continue",
			contains: []string{"Share a template", `"form":"shareTemplate"`}},
		{name: "unknown action command", invoke: InvokeComposeExtensionFetch, value: botconnector.ActionValue("deleteTeam", nil), status: 400, contains: []string{CodeCommandUnknown}},
		{name: "request submitted from the compose box", invoke: InvokeComposeExtensionSubmit, status: 200, kind: "result",
			value:    submit(CommandRequestTeam, map[string]any{"form": "requestTeam", "templateId": "open", "displayName": "Marketing hub", "description": "Campaigns"}),
			contains: []string{"Team request: Marketing hub", "Open community"}},
		{name: "duplicate name shows the form again", invoke: InvokeComposeExtensionSubmit, status: 200, kind: "continue",
			value:    submit(CommandRequestTeam, map[string]any{"form": "requestTeam", "templateId": "open", "displayName": "Apollo launch"}),
			contains: []string{"already exists or is requested", `"value":"Apollo launch"`}},
		{name: "template of another tenant is not in the catalog", invoke: InvokeComposeExtensionSubmit, status: 200, kind: "continue",
			value:    submit(CommandRequestTeam, map[string]any{"form": "requestTeam", "templateId": "fab", "displayName": "Sneaky"}),
			contains: []string{"no template", `"value":"Sneaky"`}},
		{name: "template shared into the compose box", invoke: InvokeComposeExtensionSubmit, status: 200, kind: "result",
			value:    submit(CommandShareTemplate, map[string]any{"form": "shareTemplate", "templateId": "project"}),
			contains: []string{"Request a team from the template **Project**", `"msteams":{"type":"task/fetch"}`, `"templateId":"project"`}},
		{name: "unknown template to share", invoke: InvokeComposeExtensionSubmit, status: 200, kind: "continue",
			value: submit(CommandShareTemplate, map[string]any{"form": "shareTemplate", "templateId": "fab"}), contains: []string{"no longer in your catalog"}},
		{name: "card button opens the form on its template", invoke: InvokeTaskFetch, status: 200, kind: "continue",
			value:    botconnector.TaskValue(map[string]any{"msteams": map[string]any{"type": "task/fetch"}, "form": "requestTeam", "templateId": "project"}),
			contains: []string{`"value":"project"`}, lacks: []string{`"value":"open"`}},
		{name: "dialog submitted", invoke: InvokeTaskSubmit, status: 200, kind: "message",
			value:    botconnector.TaskValue(map[string]any{"form": "requestTeam", "templateId": "project", "displayName": "Orion"}),
			contains: []string{"Request submitted: Orion"}},
		{name: "unknown form", invoke: InvokeTaskFetch, status: 400, value: botconnector.TaskValue(map[string]any{"form": "other"}), contains: []string{CodeFormUnknown}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, raw := s.invoke(t, 0, tc.invoke, "", tc.value)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, raw)
			}
			switch tc.kind {
			case "result":
				if jsonAt(body, "composeExtension", "type") != "result" || jsonAt(body, "composeExtension", "attachments", 0, "contentType") != ContentTypeAdaptiveCard {
					t.Fatalf("want a composeExtension result: %s", raw)
				}
			case "continue":
				if jsonAt(body, "task", "type") != "continue" || jsonAt(body, "task", "value", "card", "contentType") != ContentTypeAdaptiveCard ||
					jsonAt(body, "task", "value", "title") == "" || jsonAt(body, "task", "value", "height") == nil {
					t.Fatalf("want a task continue: %s", raw)
				}
			case "message":
				if jsonAt(body, "task", "type") != "message" {
					t.Fatalf("want a task message: %s", raw)
				}
			}
			for _, want := range tc.contains {
				if !strings.Contains(raw, want) {
					t.Errorf("answer lacks %s: %s", want, raw)
				}
			}
			for _, not := range tc.lacks {
				if strings.Contains(raw, not) {
					t.Errorf("answer has %s: %s", not, raw)
				}
			}
		})
	}
	page, err := s.h.o.Reads.MyRequests(t.Context(), s.principal(0), governance.Page{})
	if err != nil || len(page.Items) != 3 {
		t.Fatalf("requests after the dialogs: %d, %v (want Apollo, Marketing hub, Orion)", len(page.Items), err)
	}
	_ = http.StatusOK
}
