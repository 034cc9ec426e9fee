package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
)

// runWebhooks adds the webhook subscription and delivery-log subtests.
func runWebhooks(t *testing.T, migrated func(t *testing.T) (*store.DB, *testenv.Clock)) {
	t.Run("Webhooks", func(t *testing.T) { db, c := migrated(t); testWebhooks(t, db, c) })
	t.Run("WebhookDeliveries", func(t *testing.T) { db, c := migrated(t); testDeliveries(t, db, c) })
	t.Run("WebhookTenantIsolation", func(t *testing.T) { db, _ := migrated(t); testWebhookIsolation(t, db) })
	t.Run("WebhookChangesInATransaction", func(t *testing.T) { db, _ := migrated(t); testWebhookTx(t, db) })
	t.Run("WebhookDeliveryPaging", func(t *testing.T) { db, c := migrated(t); testDeliveryPaging(t, db, c) })
	t.Run("WebhookDeliveryRestart", func(t *testing.T) { db, _ := migrated(t); testDeliveryRestart(t, db) })
}

func mkWebhook(t *testing.T, db *store.DB, tenant, id string, events ...governance.WebhookEvent) governance.WebhookSubscription {
	t.Helper()
	s, err := db.CreateWebhook(context.Background(), governance.WebhookSubscription{
		TenantID: tenant, ID: id, URL: "https://hooks.example.com/" + id, Events: events,
		Description: "hook " + id, Enabled: true, CreatedBy: "user-1",
	})
	must(t, err, "create webhook "+id)
	return s
}

func testWebhooks(t *testing.T, db *store.DB, clock *testenv.Clock) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	_, err := db.CreateWebhook(ctx, governance.WebhookSubscription{TenantID: "nobody", ID: "wh1", URL: "https://x.example.com", Events: []governance.WebhookEvent{"*"}})
	mustKind(t, err, governance.KindNotFound, "webhook of a missing tenant")

	all := mkWebhook(t, db, "contoso", "wh-all", governance.EventAll)
	if all.Version != 1 || !all.CreatedAt.Equal(clock.Now().Truncate(time.Microsecond)) {
		t.Fatalf("created = %+v", all)
	}
	clock.Advance(time.Second)
	req := mkWebhook(t, db, "contoso", "wh-req", governance.EventRequestCreated, governance.EventRequestApproved)
	clock.Advance(time.Second)
	off := mkWebhook(t, db, "contoso", "wh-off", governance.EventRequestCreated)
	off.Enabled = false
	off, err = db.UpdateWebhook(ctx, off)
	must(t, err, "disable")
	_, err = db.CreateWebhook(ctx, governance.WebhookSubscription{TenantID: "contoso", ID: "wh-req", URL: "https://x.example.com", Events: []governance.WebhookEvent{"*"}})
	mustKind(t, err, governance.KindConflict, "duplicate webhook id")

	got, err := db.Webhook(ctx, "contoso", "wh-req")
	must(t, err, "get")
	if fmt.Sprint(got) != fmt.Sprint(req) {
		t.Fatalf("get = %+v, want %+v", got, req)
	}
	_, err = db.Webhook(ctx, "contoso", "nope")
	mustKind(t, err, governance.KindNotFound, "missing webhook")
	list, err := db.Webhooks(ctx, "contoso")
	must(t, err, "list")
	if len(list) != 3 || list[0].ID != "wh-all" || list[2].ID != "wh-off" {
		t.Fatalf("list = %+v", list)
	}

	subs := func(e governance.WebhookEvent) string {
		t.Helper()
		s, err := db.SubscribersOf(ctx, "contoso", e)
		must(t, err, "subscribers")
		var ids []string
		for _, w := range s {
			ids = append(ids, w.ID)
		}
		return fmt.Sprint(ids)
	}
	if got := subs(governance.EventRequestCreated); got != "[wh-all wh-req]" {
		t.Fatalf("subscribers of request.created = %s (disabled ones must not be listed)", got)
	}
	if got := subs(governance.EventTeamArchived); got != "[wh-all]" {
		t.Fatalf("subscribers of team.archived = %s", got)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		s, err := db.SubscribersOfTx(ctx, tx, "contoso", governance.EventRequestApproved)
		if err == nil && len(s) != 2 {
			err = fmt.Errorf("in tx: %d subscribers, want 2", len(s))
		}
		return err
	})
	must(t, err, "subscribers in tx")

	// Optimistic versioning: the second writer of the same version loses.
	clock.Advance(time.Minute)
	a, b := req, req
	a.URL, b.URL = "https://a.example.com/", "https://b.example.com/"
	a.Events = []governance.WebhookEvent{governance.EventTeamArchived}
	updated, err := db.UpdateWebhook(ctx, a)
	must(t, err, "first writer")
	_, err = db.UpdateWebhook(ctx, b)
	mustKind(t, err, governance.KindConflict, "second writer with the same version")
	if updated.Version != 2 || updated.URL != a.URL || !updated.UpdatedAt.After(updated.CreatedAt) || !updated.CreatedAt.Equal(req.CreatedAt) || updated.CreatedBy != "user-1" {
		t.Fatalf("updated = %+v", updated)
	}
	if got := subs(governance.EventRequestCreated); got != "[wh-all]" {
		t.Fatalf("after update, subscribers of request.created = %s", got)
	}
	_, err = db.UpdateWebhook(ctx, governance.WebhookSubscription{TenantID: "contoso", ID: "nope", Version: 1, Events: []governance.WebhookEvent{"*"}})
	mustKind(t, err, governance.KindNotFound, "update missing")

	must(t, db.DeleteWebhook(ctx, "contoso", "wh-off"), "delete")
	mustKind(t, db.DeleteWebhook(ctx, "contoso", "wh-off"), governance.KindNotFound, "delete twice")
}

func testDeliveries(t *testing.T, db *store.DB, clock *testenv.Clock) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	mkWebhook(t, db, "contoso", "wh1", governance.EventAll)
	mkWebhook(t, db, "contoso", "wh2", governance.EventAll)
	payload := []byte(`{"type":"request.created","data":{"id":"r1"}}` + "\x00\xff")
	var made []governance.WebhookDelivery
	for i := range 5 {
		d, err := db.CreateDelivery(ctx, governance.WebhookDelivery{
			TenantID: "contoso", ID: fmt.Sprintf("dl-%d", i), SubscriptionID: "wh1", Event: governance.EventRequestCreated,
			MessageID: fmt.Sprintf("msg_%d", i), Payload: payload, Status: governance.DeliveryPending,
		})
		must(t, err, "create delivery")
		made = append(made, d)
		clock.Advance(time.Second)
	}
	_, err := db.CreateDelivery(ctx, governance.WebhookDelivery{TenantID: "contoso", ID: "dl-x", SubscriptionID: "wh2", Event: governance.EventTeamArchived, MessageID: "msg_x", Status: governance.DeliveryPending})
	must(t, err, "delivery of wh2")
	_, err = db.CreateDelivery(ctx, governance.WebhookDelivery{TenantID: "contoso", ID: "dl-0", SubscriptionID: "wh1", MessageID: "m", Status: governance.DeliveryPending})
	mustKind(t, err, governance.KindConflict, "duplicate delivery id")
	_, err = db.CreateDelivery(ctx, governance.WebhookDelivery{TenantID: "contoso", ID: "dl-y", SubscriptionID: "nope", MessageID: "m", Status: governance.DeliveryPending})
	mustKind(t, err, governance.KindNotFound, "delivery of a missing subscription")

	// A delivery created in a rolled-back transaction does not exist.
	errRollback := fmt.Errorf("roll back")
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := db.CreateDeliveryTx(ctx, tx, governance.WebhookDelivery{TenantID: "contoso", ID: "dl-rb", SubscriptionID: "wh1", MessageID: "m", Status: governance.DeliveryPending}); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("rolled-back tx: %v", err)
	}
	_, err = db.Delivery(ctx, "contoso", "dl-rb")
	mustKind(t, err, governance.KindNotFound, "delivery of a rolled-back tx")

	got, err := db.Delivery(ctx, "contoso", "dl-0")
	must(t, err, "get delivery")
	if !bytes.Equal(got.Payload, payload) || got.Status != governance.DeliveryPending || !got.NextAttemptAt.IsZero() || got.Event != governance.EventRequestCreated {
		t.Fatalf("delivery = %+v", got)
	}
	next := clock.Now().Add(time.Minute).Truncate(time.Microsecond)
	got.Attempt, got.Status, got.ResponseCode, got.Error, got.Duration, got.NextAttemptAt = 1, governance.DeliveryRetrying, 503, "endpoint answered 503", 1500*time.Millisecond, next
	_, err = db.UpdateDelivery(ctx, got)
	must(t, err, "update delivery")
	again, err := db.Delivery(ctx, "contoso", "dl-0")
	must(t, err, "reread delivery")
	if again.Attempt != 1 || again.Status != governance.DeliveryRetrying || again.ResponseCode != 503 || again.Duration != 1500*time.Millisecond ||
		!again.NextAttemptAt.Equal(next) || again.Error != "endpoint answered 503" || !again.CreatedAt.Equal(made[0].CreatedAt) {
		t.Fatalf("updated delivery = %+v", again)
	}
	_, err = db.UpdateDelivery(ctx, governance.WebhookDelivery{TenantID: "contoso", ID: "nope"})
	mustKind(t, err, governance.KindNotFound, "update missing delivery")

	ids := func(ds []governance.WebhookDelivery) string {
		var s []string
		for _, d := range ds {
			s = append(s, d.ID)
		}
		return fmt.Sprint(s)
	}
	page, err := db.Deliveries(ctx, "contoso", "wh1", 2, time.Time{})
	must(t, err, "first page")
	if ids(page) != "[dl-4 dl-3]" {
		t.Fatalf("first page = %s", ids(page))
	}
	page, err = db.Deliveries(ctx, "contoso", "wh1", 2, page[len(page)-1].CreatedAt)
	must(t, err, "second page")
	if ids(page) != "[dl-2 dl-1]" {
		t.Fatalf("second page = %s", ids(page))
	}
	page, err = db.Deliveries(ctx, "contoso", "wh1", 0, time.Time{})
	must(t, err, "all")
	if len(page) != 5 {
		t.Fatalf("all = %s", ids(page))
	}

	// Deleting the subscription deletes its log; deleting the tenant, everything.
	must(t, db.DeleteWebhook(ctx, "contoso", "wh1"), "delete webhook")
	_, err = db.Delivery(ctx, "contoso", "dl-0")
	mustKind(t, err, governance.KindNotFound, "delivery of a deleted webhook")
	must(t, db.DeleteTenant(ctx, "contoso"), "delete tenant")
	mkTenant(t, db, "contoso")
	if l, _ := db.Webhooks(ctx, "contoso"); len(l) != 0 {
		t.Fatalf("webhooks survived their tenant: %+v", l)
	}
	_, err = db.Delivery(ctx, "contoso", "dl-x")
	mustKind(t, err, governance.KindNotFound, "delivery survived its tenant")
}

// testWebhookIsolation proves that naming another tenant's webhook or
// delivery by its id never reads, changes or deletes it.
func testWebhookIsolation(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "alpha")
	mkTenant(t, db, "bravo")
	wh := mkWebhook(t, db, "alpha", "wh1", governance.EventAll)
	_, err := db.CreateDelivery(ctx, governance.WebhookDelivery{TenantID: "alpha", ID: "dl1", SubscriptionID: "wh1", Event: governance.EventTeamArchived, MessageID: "msg_1", Payload: []byte("{}"), Status: governance.DeliveryPending})
	must(t, err, "alpha delivery")

	_, err = db.Webhook(ctx, "bravo", "wh1")
	mustKind(t, err, governance.KindNotFound, "bravo reads alpha's webhook")
	if l, _ := db.Webhooks(ctx, "bravo"); len(l) != 0 {
		t.Fatalf("bravo lists %d webhooks", len(l))
	}
	if l, _ := db.SubscribersOf(ctx, "bravo", governance.EventTeamArchived); len(l) != 0 {
		t.Fatalf("bravo has alpha's subscribers: %+v", l)
	}
	evil := wh
	evil.TenantID, evil.URL = "bravo", "https://evil.example.com"
	_, err = db.UpdateWebhook(ctx, evil)
	mustKind(t, err, governance.KindNotFound, "bravo updates alpha's webhook")
	mustKind(t, db.DeleteWebhook(ctx, "bravo", "wh1"), governance.KindNotFound, "bravo deletes alpha's webhook")
	_, err = db.CreateDelivery(ctx, governance.WebhookDelivery{TenantID: "bravo", ID: "dl2", SubscriptionID: "wh1", MessageID: "m", Status: governance.DeliveryPending})
	mustKind(t, err, governance.KindNotFound, "bravo delivers to alpha's webhook")
	_, err = db.Delivery(ctx, "bravo", "dl1")
	mustKind(t, err, governance.KindNotFound, "bravo reads alpha's delivery")
	_, err = db.UpdateDelivery(ctx, governance.WebhookDelivery{TenantID: "bravo", ID: "dl1", Status: governance.DeliveryFailed})
	mustKind(t, err, governance.KindNotFound, "bravo updates alpha's delivery")
	if l, _ := db.Deliveries(ctx, "bravo", "wh1", 10, time.Time{}); len(l) != 0 {
		t.Fatalf("bravo lists alpha's deliveries: %+v", l)
	}
	// Same ids in bravo are bravo's own.
	mkWebhook(t, db, "bravo", "wh1", governance.EventRequestCreated)
	got, err := db.Webhook(ctx, "alpha", "wh1")
	must(t, err, "alpha webhook after")
	if fmt.Sprint(got) != fmt.Sprint(wh) {
		t.Fatalf("alpha's webhook changed: %+v", got)
	}
	d, err := db.Delivery(ctx, "alpha", "dl1")
	must(t, err, "alpha delivery after")
	if d.Status != governance.DeliveryPending {
		t.Fatalf("alpha's delivery changed: %+v", d)
	}
}
