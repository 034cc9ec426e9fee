package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
)

// testWebhookTx: the transactional variants commit with their transaction
// or not at all, and stay within their tenant.
func testWebhookTx(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "alpha")
	mkTenant(t, db, "bravo")
	boom := errors.New("roll back")
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := db.CreateWebhookTx(ctx, tx, governance.WebhookSubscription{TenantID: "alpha", ID: "wh-rb", URL: "https://x.example.com", Events: []governance.WebhookEvent{"*"}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("rolled-back create: %v", err)
	}
	_, err = db.Webhook(ctx, "alpha", "wh-rb")
	mustKind(t, err, governance.KindNotFound, "webhook of a rolled-back transaction")

	wh := mkWebhook(t, db, "alpha", "wh1", governance.EventAll)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		got, err := db.WebhookTx(ctx, tx, "alpha", "wh1")
		if err != nil || got.URL != wh.URL {
			return fmt.Errorf("read in tx: %+v, %v", got, err)
		}
		if _, err := db.WebhookTx(ctx, tx, "bravo", "wh1"); !governance.IsKind(err, governance.KindNotFound) {
			return fmt.Errorf("bravo reads alpha's webhook in a tx: %v", err)
		}
		got.Description = "changed"
		if _, err := db.UpdateWebhookTx(ctx, tx, got); err != nil {
			return err
		}
		if err := db.DeleteWebhookTx(ctx, tx, "bravo", "wh1"); !governance.IsKind(err, governance.KindNotFound) {
			return fmt.Errorf("bravo deletes alpha's webhook in a tx: %v", err)
		}
		if err := db.DeleteWebhookTx(ctx, tx, "alpha", "wh1"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("rolled-back update and delete: %v", err)
	}
	got, err := db.Webhook(ctx, "alpha", "wh1")
	must(t, err, "webhook after a rolled-back delete")
	if got.Description != wh.Description || got.Version != wh.Version {
		t.Fatalf("a rolled-back update stuck: %+v", got)
	}
}

// testDeliveryPaging: rows of one transaction share a CreatedAt; the
// keyset cursor still visits each row exactly once.
func testDeliveryPaging(t *testing.T, db *store.DB, clock *testenv.Clock) {
	ctx := context.Background()
	mkTenant(t, db, "alpha")
	mkTenant(t, db, "bravo")
	mkWebhook(t, db, "alpha", "wh1", governance.EventAll)
	mkWebhook(t, db, "bravo", "wh1", governance.EventAll)
	var want []string
	for batch := range 3 {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for i := range 3 {
				id := fmt.Sprintf("dl-%d-%d", batch, i)
				if _, err := db.CreateDeliveryTx(ctx, tx, governance.WebhookDelivery{TenantID: "alpha", ID: id, SubscriptionID: "wh1",
					Event: governance.EventRequestCreated, MessageID: "msg_" + id, Status: governance.DeliveryPending}); err != nil {
					return err
				}
				want = append([]string{id}, want...)
			}
			return nil
		})
		must(t, err, "create a batch of deliveries")
		clock.Advance(time.Second)
	}
	_, err := db.CreateDelivery(ctx, governance.WebhookDelivery{TenantID: "bravo", ID: "dl-b", SubscriptionID: "wh1", MessageID: "m", Status: governance.DeliveryPending})
	must(t, err, "bravo's delivery")
	var got []string
	var before time.Time
	beforeID := ""
	for range 10 {
		page, err := db.DeliveryPage(ctx, "alpha", "wh1", 2, before, beforeID)
		must(t, err, "page")
		for _, d := range page {
			got = append(got, d.ID)
		}
		if len(page) < 2 {
			break
		}
		before, beforeID = page[len(page)-1].CreatedAt, page[len(page)-1].ID
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("paged %v, want %v", got, want)
	}
	if page, _ := db.DeliveryPage(ctx, "bravo", "wh1", 10, time.Time{}, ""); len(page) != 1 || page[0].ID != "dl-b" {
		t.Fatalf("bravo's log = %+v", page)
	}
}

// testDeliveryRestart: only a settled delivery restarts, once, within its
// tenant.
func testDeliveryRestart(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "alpha")
	mkTenant(t, db, "bravo")
	mkWebhook(t, db, "alpha", "wh1", governance.EventAll)
	d, err := db.CreateDelivery(ctx, governance.WebhookDelivery{TenantID: "alpha", ID: "dl1", SubscriptionID: "wh1", Event: governance.EventTeamArchived,
		MessageID: "msg_1", Status: governance.DeliveryPending})
	must(t, err, "delivery")
	restart := func(tenant string) (governance.WebhookDelivery, error) {
		var out governance.WebhookDelivery
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			out, err = db.RestartDeliveryTx(ctx, tx, tenant, "dl1")
			return err
		})
		return out, err
	}
	_, err = restart("alpha")
	mustCode(t, err, governance.KindConflict, "webhook_delivery_in_progress", "restart a pending delivery")
	d.Attempt, d.Status, d.Error, d.ResponseCode = 3, governance.DeliveryFailed, "the endpoint answered 500", 500
	_, err = db.UpdateDelivery(ctx, d)
	must(t, err, "fail the delivery")
	_, err = restart("bravo")
	mustKind(t, err, governance.KindNotFound, "bravo restarts alpha's delivery")
	err = db.InTx(ctx, func(tx *store.Tx) error { _, err := db.RestartDeliveryTx(ctx, tx, "alpha", "nope"); return err })
	mustKind(t, err, governance.KindNotFound, "restart a missing delivery")

	// Two restarts at once: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = restart("alpha") }()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !governance.IsKind(err, governance.KindConflict):
			t.Fatalf("concurrent restart: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent restarts won, want 1", won)
	}
	got, err := db.Delivery(ctx, "alpha", "dl1")
	must(t, err, "delivery after restart")
	if got.Status != governance.DeliveryPending || got.Error != "" || got.Attempt != 3 || got.MessageID != "msg_1" || got.NextAttemptAt.IsZero() {
		t.Fatalf("restarted delivery = %+v", got)
	}
}
