package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
)

// auditOf returns the tenant's audit events with action.
func auditOf(t *testing.T, e *env, tenant, action string) []governance.AuditEvent {
	t.Helper()
	chain, err := e.db.AuditChain(context.Background(), tenant, 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []governance.AuditEvent
	for _, a := range chain {
		if a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

// TestManagementIsAuditedAndScoped drives a subscription through its life
// as an integration manager: every change leaves an audit row (without the
// secret or the URL's capability), and another tenant reaches nothing.
func TestManagementIsAuditedAndScoped(t *testing.T) {
	e := sqliteEnv(t)
	ctx := context.Background()
	m := manager("contoso")
	const url = "https://hooks.example.com/catch/123/s3cr3t-path?token=abc"
	sub, secret, err := e.d.Subscribe(ctx, m, governance.WebhookSubscription{URL: url, Events: []governance.WebhookEvent{governance.EventAll}, Enabled: true, Description: "Zapier"})
	if err != nil {
		t.Fatal(err)
	}
	created := auditOf(t, e, "contoso", "webhook.created")
	if len(created) != 1 || created[0].SubjectID != sub.ID || created[0].Actor.ID != m.ID || created[0].Before != nil {
		t.Fatalf("created audit = %+v", created)
	}
	for _, leak := range []string{strings.TrimPrefix(secret, SecretPrefix), "s3cr3t-path", "token=abc"} {
		if bytes.Contains(created[0].After, []byte(leak)) {
			t.Fatalf("the audit row holds %q: %s", leak, created[0].After)
		}
	}
	if !bytes.Contains(created[0].After, []byte(`"urlOrigin":"https://hooks.example.com"`)) {
		t.Fatalf("the audit row does not say where the hook points: %s", created[0].After)
	}

	// List and get, in the tenant only.
	list, err := e.d.Subscriptions(ctx, m)
	if err != nil || len(list) != 1 || list[0].ID != sub.ID {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if list, err := e.d.Subscriptions(ctx, manager("fabrikam")); err != nil || len(list) != 0 {
		t.Fatalf("fabrikam lists %+v, %v", list, err)
	}
	if _, err := e.d.Subscription(ctx, manager("fabrikam"), sub.ID); !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("fabrikam gets contoso's subscription: %v", err)
	}

	// Update: a stale version conflicts; an invalid change is refused; a
	// good one is stored and audited with before and after.
	off, url2 := false, "https://hooks.example.com/other"
	_, err = e.d.Update(ctx, m, sub.ID, governance.WebhookChange{Version: 7, Enabled: &off})
	if code, _ := governance.Public(err); code != "webhook_version_conflict" {
		t.Fatalf("stale update: %v", err)
	}
	_, err = e.d.Update(ctx, m, sub.ID, governance.WebhookChange{Version: 1})
	if code, _ := governance.Public(err); code != "webhook_change_empty" {
		t.Fatalf("empty update: %v", err)
	}
	_, err = e.d.Update(ctx, m, sub.ID, governance.WebhookChange{Version: 1, Events: []governance.WebhookEvent{}})
	if code, _ := governance.Public(err); code != "webhook_events_required" {
		t.Fatalf("update to no events: %v", err)
	}
	_, err = e.d.Update(ctx, manager("fabrikam"), sub.ID, governance.WebhookChange{Version: 1, Enabled: &off})
	if !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("fabrikam updates contoso's subscription: %v", err)
	}
	up, err := e.d.Update(ctx, m, sub.ID, governance.WebhookChange{Version: 1, Enabled: &off, URL: &url2, Events: []governance.WebhookEvent{governance.EventTeamArchived}})
	if err != nil || up.Enabled || up.URL != url2 || up.Version != 2 || up.Description != "Zapier" || !slices.Equal(up.Events, []governance.WebhookEvent{governance.EventTeamArchived}) {
		t.Fatalf("update = %+v, %v", up, err)
	}
	updated := auditOf(t, e, "contoso", "webhook.updated")
	if len(updated) != 1 || !bytes.Contains(updated[0].Before, []byte(`"enabled":true`)) || !bytes.Contains(updated[0].After, []byte(`"enabled":false`)) {
		t.Fatalf("updated audit = %+v", updated)
	}

	// Delete: gone with its secret, audited with what it was.
	if err := e.d.Unsubscribe(ctx, manager("fabrikam"), sub.ID); !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("fabrikam deletes contoso's subscription: %v", err)
	}
	if err := e.d.Unsubscribe(ctx, m, sub.ID); err != nil {
		t.Fatal(err)
	}
	deleted := auditOf(t, e, "contoso", "webhook.deleted")
	if len(deleted) != 1 || deleted[0].After != nil || !bytes.Contains(deleted[0].Before, []byte(sub.ID)) {
		t.Fatalf("deleted audit = %+v", deleted)
	}
	if names, _ := e.d.vault.SecretNames(ctx, "contoso"); len(names) != 0 {
		t.Fatalf("the secret outlived its subscription: %v", names)
	}
	if got := auditOf(t, e, "fabrikam", "webhook.created"); len(got) != 0 {
		t.Fatalf("fabrikam's trail has contoso's changes: %+v", got)
	}
}

// TestManagementRoles: who may manage subscriptions.
func TestManagementRoles(t *testing.T) {
	e := sqliteEnv(t)
	ctx := context.Background()
	key := func(scopes ...string) governance.Principal {
		return governance.Principal{Kind: governance.PrincipalAPIKey, TenantID: "contoso", ID: "AbCd1234", Name: "Zapier", Scopes: scopes}
	}
	user := func(roles ...governance.Role) governance.Principal {
		return governance.Principal{Kind: governance.PrincipalUser, TenantID: "contoso", ID: "u", Roles: roles}
	}
	all := []governance.WebhookEvent{governance.EventAll}
	for _, tt := range []struct {
		name string
		p    governance.Principal
		code string // "" when allowed
	}{
		{"integration manager", user(governance.RoleIntegrationManager), ""},
		{"administrator", user(governance.RoleAdministrator), ""},
		{"key with webhooks:manage", key(governance.ScopeWebhooksManage), ""},
		{"catalog manager", user(governance.RoleCatalogManager), "role_required"},
		{"approver", user(governance.RoleApprover), "role_required"},
		{"key without webhooks:manage", key(governance.ScopeRequestsRead, governance.ScopeAuditRead), "scope_required"},
		{"nobody", governance.Principal{}, "sign_in_required"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sub, _, err := e.d.Subscribe(ctx, tt.p, governance.WebhookSubscription{URL: "https://hooks.example.com/" + strings.ReplaceAll(tt.name, " ", "-"), Events: all, Enabled: true})
			_, lerr := e.d.Subscriptions(ctx, tt.p)
			_, derr := e.d.Deliveries(ctx, tt.p, sub.ID, governance.Page{})
			for _, err := range []error{err, lerr, derr} {
				if code, _ := governance.Public(err); (tt.code == "") != (err == nil) || (err != nil && code != tt.code) {
					t.Fatalf("err %v, want code %q", err, tt.code)
				}
			}
			if tt.code == "" && sub.CreatedBy != tt.p.ID {
				t.Fatalf("created by %q, want %q", sub.CreatedBy, tt.p.ID)
			}
		})
	}
}

// TestDeliveryLogAndResend: the log pages newest first; a delivery is
// resent only through its own subscription and tenant, once at a time,
// and each resend is audited.
func TestDeliveryLogAndResend(t *testing.T) {
	e := sqliteEnv(t)
	r := newReceiver(t)
	ctx := context.Background()
	m := manager("contoso")
	sub := r.subscribe(t, e, "contoso", "/gone", []int{410, 200}, governance.EventAll)
	other := r.subscribe(t, e, "contoso", "/other", nil, governance.EventTeamRenewed)
	emit(t, e, "contoso", governance.EventTeamArchived, map[string]string{"team_id": "t1"})
	d := settled(t, e, sub)
	for i := range 3 {
		emit(t, e, "contoso", governance.EventMembershipRepaired, map[string]int{"n": i})
	}

	first, err := e.d.Deliveries(ctx, m, sub.ID, governance.Page{Limit: 3})
	if err != nil || len(first.Items) != 3 || first.Next == nil || first.Items[0].Event != governance.EventMembershipRepaired {
		t.Fatalf("first page = %+v, %v", first, err)
	}
	second, err := e.d.Deliveries(ctx, m, sub.ID, governance.Page{Limit: 3, Before: first.Next.Before, BeforeID: first.Next.BeforeID})
	if err != nil || len(second.Items) != 1 || second.Next != nil || second.Items[0].ID != d.ID {
		t.Fatalf("second page = %+v, %v", second, err)
	}
	for _, tt := range []struct {
		page governance.Page
		code string
	}{
		{governance.Page{Limit: governance.DeliveryPageMax + 1}, "page_limit_invalid"},
		{governance.Page{Limit: -1}, "page_limit_invalid"},
		{governance.Page{BeforeID: "dl_x"}, "page_cursor_invalid"},
	} {
		if _, err := e.d.Deliveries(ctx, m, sub.ID, tt.page); !strings.Contains(err.Error(), tt.code) {
			t.Fatalf("page %+v: %v, want %s", tt.page, err, tt.code)
		}
	}
	if _, err := e.d.Deliveries(ctx, manager("fabrikam"), sub.ID, governance.Page{}); !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("fabrikam reads contoso's log: %v", err)
	}

	if _, err := e.d.Resend(ctx, m, other.ID, d.ID); !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("resend through another subscription: %v", err)
	}
	if _, err := e.d.Resend(ctx, manager("fabrikam"), sub.ID, d.ID); !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("resend by another tenant: %v", err)
	}
	got, err := e.d.Resend(ctx, m, sub.ID, d.ID)
	if err != nil || got.Status != governance.DeliveryPending || got.MessageID != d.MessageID {
		t.Fatalf("resend = %+v, %v", got, err)
	}
	if _, err := e.d.Resend(ctx, m, sub.ID, d.ID); !governance.IsKind(err, governance.KindConflict) {
		t.Fatalf("resend while pending: %v", err)
	}
	redelivered := auditOf(t, e, "contoso", "webhook.redelivered")
	if len(redelivered) != 1 || redelivered[0].SubjectID != d.ID || bytes.Contains(redelivered[0].After, []byte("team_id")) {
		t.Fatalf("redelivered audit = %+v", redelivered)
	}
	var state map[string]any
	if err := json.Unmarshal(redelivered[0].After, &state); err != nil || state["subscriptionId"] != sub.ID {
		t.Fatalf("redelivered state = %s", redelivered[0].After)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got, err := e.db.Delivery(ctx, "contoso", d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == governance.DeliverySucceeded && got.Attempt == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the resent delivery did not succeed: %+v", got)
		}
	}
}
