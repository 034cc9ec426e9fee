package storetest

import (
	"context"
	"testing"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
)

func runCheckpoints(t *testing.T, migrated func(t *testing.T) (*store.DB, *testenv.Clock)) {
	t.Run("ProvisionCheckpoints", func(t *testing.T) { db, _ := migrated(t); testCheckpoints(t, db) })
}

// testCheckpoints: a checkpoint is saved, replaced, read back only by its
// own tenant, refused for a request that does not exist, and deleted with
// its tenant.
func testCheckpoints(t *testing.T, db *store.DB) {
	ctx := context.Background()
	for _, tn := range []string{"contoso", "fabrikam"} {
		mkTenant(t, db, tn)
		mkTemplate(t, db, tn, "project", "Project", "Work")
		createRequest(t, db, catalogRequest(tn, "req-1", userAlice, governance.StateApproved, "Launch"))
	}
	_, err := db.Checkpoint(ctx, "contoso", "req-1")
	mustCode(t, err, governance.KindNotFound, "checkpoint_not_found", "no checkpoint yet")
	must(t, db.SaveCheckpoint(ctx, "contoso", "req-1", []byte(`{"groupId":"g1"}`)), "save")
	must(t, db.SaveCheckpoint(ctx, "contoso", "req-1", []byte(`{"groupId":"g1","teamReady":true}`)), "replace")
	doc, err := db.Checkpoint(ctx, "contoso", "req-1")
	must(t, err, "get")
	if string(doc) != `{"groupId":"g1","teamReady":true}` {
		t.Fatalf("doc = %s", doc)
	}
	// Same request id in another tenant: a different (absent) checkpoint.
	_, err = db.Checkpoint(ctx, "fabrikam", "req-1")
	mustCode(t, err, governance.KindNotFound, "checkpoint_not_found", "other tenant's checkpoint")
	mustKind(t, db.SaveCheckpoint(ctx, "contoso", "req-404", []byte(`{}`)), governance.KindNotFound, "checkpoint of a missing request")
	mustKind(t, db.SaveCheckpoint(ctx, "nobody", "req-1", []byte(`{}`)), governance.KindNotFound, "checkpoint of a missing tenant")
	must(t, db.DeleteTenant(ctx, "contoso"), "delete tenant")
	_, err = db.Checkpoint(ctx, "contoso", "req-1")
	mustKind(t, err, governance.KindNotFound, "checkpoint after tenant deletion")
}
