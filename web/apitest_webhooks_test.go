package web

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stewardhq/steward/governance"
)

// TestAPIWebhookScenarios covers outgoing webhooks: list, create (the
// secret shown once), get, update, the delivery log, redelivery and
// delete, each error class, the audit rows each change writes, and that
// one tenant's managers never reach another's webhooks.
func TestAPIWebhookScenarios(t *testing.T) {
	e := newAPIEnv(t)
	ctx := context.Background()
	bearer := map[string]string{"WWW-Authenticate": "Bearer"}
	hook := "/api/v1/webhooks/" + e.hookSub
	var created, fabrikamHook string // ids made by the scenarios below
	stored := func(t *testing.T, tenant, id string) governance.WebhookSubscription {
		t.Helper()
		s, err := e.db.Webhook(ctx, tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// A delivery still waiting for its attempt: resending it would race
	// the job that will make it.
	if _, err := e.db.CreateDelivery(ctx, governance.WebhookDelivery{TenantID: "contoso", ID: "dl_pending", SubscriptionID: e.hookSub,
		Event: governance.EventTeamRenewed, MessageID: "msg_pending", Payload: []byte(`{}`), Status: governance.DeliveryPending}); err != nil {
		t.Fatal(err)
	}
	const create = `{"url":"https://hooks.example.com/catch/42/abc?token=s3cr3t","events":["request.created","request.approved"],"description":"Zapier"}`
	runAPI(t, e, []apiScenario{
		// listWebhooks
		{name: "list without credentials", method: "GET", path: "/api/v1/webhooks", status: 401, header: bearer},
		{name: "list as a catalog manager", token: "catalog", method: "GET", path: "/api/v1/webhooks", status: 403, contains: []string{"role_required"}},
		{name: "list as an approver", token: "approver", method: "GET", path: "/api/v1/webhooks", status: 403, contains: []string{"role_required"}},
		{name: "list with a key lacking webhooks:manage", token: "apikey-write", method: "GET", path: "/api/v1/webhooks", status: 403, contains: []string{"scope_required", "webhooks:manage"}},
		{name: "list", token: "integrations", method: "GET", path: "/api/v1/webhooks", status: 200,
			contains:   []string{`"id":"` + e.hookSub + `"`, `"url":"http://127.0.0.1:1/hook"`, `"events":["*"]`, `"enabled":true`, `"version":1`},
			notContain: []string{"whsec_", "secret"}},
		{name: "list with webhooks:manage", token: "apikey-hooks", method: "GET", path: "/api/v1/webhooks", status: 200, contains: []string{e.hookSub}},
		{name: "another tenant's list", token: "fabrikam-admin", method: "GET", path: "/api/v1/webhooks", status: 200,
			contains: []string{`"items":[]`}, notContain: []string{e.hookSub, "127.0.0.1"}},

		// createWebhook
		{name: "create without credentials", method: "POST", path: "/api/v1/webhooks", body: create, status: 401, header: bearer},
		{name: "create as an end user", token: "alice", method: "POST", path: "/api/v1/webhooks", body: create, status: 403, contains: []string{"role_required"}},
		{name: "create with a key lacking webhooks:manage", token: "apikey-read", method: "POST", path: "/api/v1/webhooks", body: create, status: 403, contains: []string{"scope_required"}},
		{name: "create: unknown field", token: "integrations", method: "POST", path: "/api/v1/webhooks", body: `{"url":"https://hooks.example.com/x","events":["*"],"secret":"mine"}`, status: 400,
			contains: []string{"body_unknown_field", "secret"}},
		{name: "create: no events", token: "integrations", method: "POST", path: "/api/v1/webhooks", body: `{"url":"https://hooks.example.com/x"}`, status: 400,
			contains: []string{"webhook_events_required"}},
		{name: "create: unknown event", token: "integrations", method: "POST", path: "/api/v1/webhooks", body: `{"url":"https://hooks.example.com/x","events":["team.exploded"]}`, status: 400,
			contains: []string{"webhook_event_unknown", "team.exploded", "request.created"}},
		{name: "create: plain http", token: "integrations", method: "POST", path: "/api/v1/webhooks", body: `{"url":"http://hooks.example.com/x","events":["*"]}`, status: 400,
			contains: []string{"webhook_url_invalid", "use https://"}},
		{name: "create: the cloud metadata address", token: "integrations", method: "POST", path: "/api/v1/webhooks", body: `{"url":"https://169.254.169.254/latest","events":["*"]}`, status: 400,
			contains: []string{"webhook_url_invalid", "not a public address"}},
		{name: "create: the cloud metadata address, in French", token: "integrations", method: "POST", path: "/api/v1/webhooks", body: `{"url":"https://169.254.169.254/latest","events":["*"]}`,
			reqHeader: map[string]string{"Accept-Language": "fr-FR"}, status: 400, header: map[string]string{"Content-Language": "fr"},
			contains: []string{"webhook_url_invalid", "n’est pas une adresse publique"}},
		{name: "create: wrong type", token: "integrations", method: "POST", path: "/api/v1/webhooks", body: `{"url":"https://hooks.example.com/x","events":["*"],"enabled":"yes"}`, status: 400,
			contains: []string{"body_field_invalid", `\"enabled\" must be true or false`}},
		{name: "create: events not a list", token: "integrations", method: "POST", path: "/api/v1/webhooks", body: `{"url":"https://hooks.example.com/x","events":"*"}`, status: 400,
			contains: []string{"body_field_invalid", `\"events\" must be a JSON array`}},
		{name: "create: events not a list, in French", token: "integrations", method: "POST", path: "/api/v1/webhooks", body: `{"url":"https://hooks.example.com/x","events":"*"}`,
			reqHeader: map[string]string{"Accept-Language": "fr"}, status: 400, contains: []string{"body_field_invalid", "doit être un tableau JSON"}},
		{name: "create: too large", token: "integrations", method: "POST", path: "/api/v1/webhooks", body: `{"url":"` + strings.Repeat("a", 70<<10) + `"}`, status: 413,
			contains: []string{"body_too_large", "larger than 64 KiB"}},
		{name: "create: too large, in French", token: "integrations", method: "POST", path: "/api/v1/webhooks", body: `{"url":"` + strings.Repeat("a", 70<<10) + `"}`,
			reqHeader: map[string]string{"Accept-Language": "fr"}, status: 413, header: map[string]string{"Content-Language": "fr"},
			contains: []string{"body_too_large", "dépasse 64\u00a0Kio"}},
		{name: "create", token: "integrations", method: "POST", path: "/api/v1/webhooks", body: create, status: 201,
			header:   map[string]string{"Location": "/api/v1/webhooks/wh_"},
			contains: []string{`"secret":"whsec_`, `"enabled":true`, `"description":"Zapier"`, `"createdBy":"` + idIntegr + `"`, `"events":["request.created","request.approved"]`},
			check: func(t *testing.T, e *apiEnv, body string) {
				var v CreatedWebhook
				if err := json.Unmarshal([]byte(body), &v); err != nil {
					t.Fatal(err)
				}
				created = v.ID
				if s := stored(t, "contoso", created); s.URL != "https://hooks.example.com/catch/42/abc?token=s3cr3t" || !s.Enabled {
					t.Fatalf("stored %+v", s)
				}
				e.audited(t, "webhook.created", created)
			}},
		{name: "create with webhooks:manage, disabled", token: "apikey-hooks", method: "POST", path: "/api/v1/webhooks",
			body: `{"url":"https://hooks.example.com/zap","events":["*"],"enabled":false}`, status: 201,
			contains: []string{`"enabled":false`, `"createdBy":"IjKl9012"`}},
		{name: "another tenant creates in its own tenant", token: "fabrikam-admin", method: "POST", path: "/api/v1/webhooks",
			body: `{"url":"https://hooks.example.com/fabrikam","events":["*"]}`, status: 201,
			after: func(t *testing.T, e *apiEnv) {
				subs, err := e.db.Webhooks(ctx, "fabrikam")
				if err != nil || len(subs) != 1 {
					t.Fatalf("fabrikam's webhooks: %+v, %v", subs, err)
				}
				fabrikamHook = subs[0].ID
			}},
	})

	runAPI(t, e, []apiScenario{
		// getWebhook
		{name: "get", token: "integrations", method: "GET", path: "/api/v1/webhooks/" + created, status: 200,
			contains: []string{`"id":"` + created + `"`, "token=s3cr3t"}, notContain: []string{"whsec_", `"secret"`}},
		{name: "get as an end user", token: "carol", method: "GET", path: hook, status: 403},
		{name: "get another tenant's", token: "fabrikam-admin", method: "GET", path: hook, status: 404, contains: []string{"webhook_not_found"}, notContain: []string{"127.0.0.1"}},
		{name: "an integration manager gets another tenant's", token: "integrations", method: "GET", path: "/api/v1/webhooks/" + fabrikamHook, status: 404,
			notContain: []string{"hooks.example.com/fabrikam"}},
		{name: "get an absent webhook", token: "integrations", method: "GET", path: "/api/v1/webhooks/wh_nothing", status: 404, contains: []string{"webhook_not_found"}},

		// updateWebhook
		{name: "update needs a version", token: "integrations", method: "PATCH", path: hook, body: `{"enabled":false}`, status: 400, contains: []string{"webhook_version_required"}},
		{name: "update needs a change", token: "integrations", method: "PATCH", path: hook, body: `{"version":1}`, status: 400, contains: []string{"webhook_change_empty"}},
		{name: "update: stale version", token: "integrations", method: "PATCH", path: hook, body: `{"version":5,"enabled":false}`, status: 409,
			contains: []string{"webhook_version_conflict", "version 1"}},
		{name: "update: invalid URL", token: "integrations", method: "PATCH", path: hook, body: `{"version":1,"url":"https://user:pw@hooks.example.com/"}`, status: 400,
			contains: []string{"webhook_url_invalid", "user name and password"}},
		{name: "update: no events", token: "integrations", method: "PATCH", path: hook, body: `{"version":1,"events":[]}`, status: 400, contains: []string{"webhook_events_required"}},
		{name: "update: unknown field", token: "integrations", method: "PATCH", path: hook, body: `{"version":1,"tenantId":"fabrikam"}`, status: 400, contains: []string{"body_unknown_field"}},
		{name: "update as a catalog manager", token: "catalog", method: "PATCH", path: hook, body: `{"version":1,"enabled":false}`, status: 403},
		{name: "update another tenant's", token: "fabrikam-admin", method: "PATCH", path: hook, body: `{"version":1,"enabled":false}`, status: 404},
		{name: "an integration manager updates another tenant's", token: "integrations", method: "PATCH", path: "/api/v1/webhooks/" + fabrikamHook,
			body: `{"version":1,"url":"https://evil.example.com/"}`, status: 404,
			after: func(t *testing.T, e *apiEnv) {
				if s := stored(t, "fabrikam", fabrikamHook); s.URL != "https://hooks.example.com/fabrikam" || s.Version != 1 {
					t.Fatalf("fabrikam's webhook changed: %+v", s)
				}
			}},
		{name: "update", token: "integrations", method: "PATCH", path: hook, body: `{"version":1,"enabled":false,"description":"paused"}`, status: 200,
			contains: []string{`"enabled":false`, `"description":"paused"`, `"version":2`, `"url":"http://127.0.0.1:1/hook"`},
			after: func(t *testing.T, e *apiEnv) {
				if s := stored(t, "contoso", e.hookSub); s.Enabled || s.Version != 2 {
					t.Fatalf("stored %+v", s)
				}
				e.audited(t, "webhook.updated", e.hookSub)
			}},
		{name: "update with webhooks:manage", token: "apikey-hooks", method: "PATCH", path: hook, body: `{"version":2,"enabled":true}`, status: 200,
			contains: []string{`"enabled":true`, `"version":3`}},

		// listWebhookDeliveries
		{name: "deliveries", token: "integrations", method: "GET", path: hook + "/deliveries", status: 200,
			contains: []string{`"id":"` + e.hookDelivery + `"`, `"status":"failed"`, `"responseCode":500`, `"messageId":"msg_failed"`,
				`"payload":{"type":"team.archived","data":{"teamId":"t-1"}}`, `"next":null`}},
		{name: "deliveries, paged", token: "integrations", method: "GET", path: hook + "/deliveries?limit=1", status: 200, contains: []string{`"next":{"before":"`, `"beforeId":"`}},
		{name: "deliveries: limit 0", token: "integrations", method: "GET", path: hook + "/deliveries?limit=0", status: 400, contains: []string{"page_limit_invalid"}},
		{name: "deliveries: limit 101", token: "integrations", method: "GET", path: hook + "/deliveries?limit=101", status: 400, contains: []string{"page_limit_invalid"}},
		{name: "deliveries: half a cursor", token: "integrations", method: "GET", path: hook + "/deliveries?beforeId=dl_x", status: 400, contains: []string{"page_cursor_invalid"}},
		{name: "deliveries: bad before", token: "integrations", method: "GET", path: hook + "/deliveries?before=yesterday&beforeId=dl_x", status: 400, contains: []string{"page_cursor_invalid"}},
		{name: "deliveries of a new webhook", token: "integrations", method: "GET", path: "/api/v1/webhooks/" + created + "/deliveries", status: 200,
			contains: []string{`"items":[]`, `"next":null`}},
		{name: "deliveries of an absent webhook", token: "integrations", method: "GET", path: "/api/v1/webhooks/wh_nothing/deliveries", status: 404, contains: []string{"webhook_not_found"}},
		{name: "deliveries of another tenant's", token: "fabrikam-admin", method: "GET", path: hook + "/deliveries", status: 404, notContain: []string{"t-1", "msg_failed"}},
		{name: "deliveries as an end user", token: "alice", method: "GET", path: hook + "/deliveries", status: 403},

		// redeliverWebhook
		{name: "redeliver through another webhook", token: "integrations", method: "POST", path: "/api/v1/webhooks/" + created + "/deliveries/" + e.hookDelivery + "/redeliver", status: 404,
			contains: []string{"webhook_delivery_not_found"}},
		{name: "redeliver another tenant's", token: "fabrikam-admin", method: "POST", path: hook + "/deliveries/" + e.hookDelivery + "/redeliver", status: 404},
		{name: "redeliver an absent delivery", token: "integrations", method: "POST", path: hook + "/deliveries/dl_nothing/redeliver", status: 404, contains: []string{"webhook_delivery_not_found"}},
		{name: "redeliver as an approver", token: "approver", method: "POST", path: hook + "/deliveries/" + e.hookDelivery + "/redeliver", status: 403},
		{name: "redeliver", token: "integrations", method: "POST", path: hook + "/deliveries/" + e.hookDelivery + "/redeliver", status: 202,
			contains: []string{`"status":"pending"`, `"messageId":"msg_failed"`},
			after: func(t *testing.T, e *apiEnv) {
				d, err := e.db.Delivery(ctx, "contoso", e.hookDelivery)
				if err != nil || d.Status == governance.DeliveryFailed && d.Attempt == 8 {
					t.Fatalf("delivery after redeliver: %+v, %v", d, err)
				}
				e.audited(t, "webhook.redelivered", e.hookDelivery)
			}},
		{name: "redeliver while it is being attempted", token: "integrations", method: "POST", path: hook + "/deliveries/dl_pending/redeliver", status: 409,
			contains: []string{"webhook_delivery_in_progress"}},

		// deleteWebhook
		{name: "delete without credentials", method: "DELETE", path: "/api/v1/webhooks/" + created, status: 401, header: bearer},
		{name: "delete as an end user", token: "bob", method: "DELETE", path: "/api/v1/webhooks/" + created, status: 403},
		{name: "delete with a key lacking webhooks:manage", token: "apikey-read", method: "DELETE", path: "/api/v1/webhooks/" + created, status: 403},
		{name: "delete another tenant's", token: "fabrikam-admin", method: "DELETE", path: "/api/v1/webhooks/" + created, status: 404},
		{name: "an integration manager deletes another tenant's", token: "integrations", method: "DELETE", path: "/api/v1/webhooks/" + fabrikamHook, status: 404,
			after: func(t *testing.T, e *apiEnv) { stored(t, "fabrikam", fabrikamHook) }},
		{name: "delete", token: "integrations", method: "DELETE", path: "/api/v1/webhooks/" + created, status: 204,
			after: func(t *testing.T, e *apiEnv) {
				if _, err := e.db.Webhook(ctx, "contoso", created); !governance.IsKind(err, governance.KindNotFound) {
					t.Fatalf("still stored: %v", err)
				}
				e.audited(t, "webhook.deleted", created)
			}},
		{name: "delete twice", token: "integrations", method: "DELETE", path: "/api/v1/webhooks/" + created, status: 404, contains: []string{"webhook_not_found"}},
	})

	// The trail records every change without the secret or the URL's
	// capability (its path and query).
	chain, err := e.db.AuditChain(ctx, "contoso", 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range chain {
		if strings.HasPrefix(a.Action, "webhook.") {
			actions = append(actions, a.Action)
			for _, leak := range []string{"whsec_", "s3cr3t", "/catch/42"} {
				if strings.Contains(string(a.Before)+string(a.After), leak) {
					t.Fatalf("audit event %s holds %q: %s %s", a.Action, leak, a.Before, a.After)
				}
			}
		}
	}
	want := []string{"webhook.created", "webhook.created", "webhook.created", "webhook.updated", "webhook.updated", "webhook.redelivered", "webhook.deleted"}
	if !slices.Equal(actions, want) {
		t.Fatalf("webhook audit actions %v, want %v", actions, want)
	}
}
