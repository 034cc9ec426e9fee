package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
)

// crmEngines opens a fresh, migrated database on each engine, with the
// tenants contoso and fabrikam, for the CRM record tests.
func crmEngines(t *testing.T, test func(t *testing.T, db *store.DB, clock *testenv.Clock)) {
	t.Helper()
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			clock := testenv.NewClock()
			db := openForTest(t, eng.DSN(t), clock.Now)
			if _, err := db.Migrate(t.Context()); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			for _, id := range []string{"contoso", "fabrikam"} {
				if _, err := db.CreateTenant(t.Context(), governance.Tenant{ID: id, Name: id}); err != nil {
					t.Fatalf("create tenant %s: %v", id, err)
				}
			}
			test(t, db, clock)
		})
	}
}

func crmRecord(kind, id, title string, fields ...store.CRMField) store.CRMRecord {
	return store.CRMRecord{Kind: kind, ExternalID: id, Title: title, Subtitle: "sub " + title, Fields: fields, URL: "https://crm.example/" + id}
}

func allCRMRecords(t *testing.T, db *store.DB, tenantID string, page int) []store.CRMRecord {
	t.Helper()
	var out []store.CRMRecord
	var after store.CRMKey
	for {
		recs, err := db.CRMRecords(t.Context(), tenantID, after, page)
		if err != nil {
			t.Fatalf("crm records of %s after %+v: %v", tenantID, after, err)
		}
		out = append(out, recs...)
		if len(recs) < page {
			return out
		}
		last := recs[len(recs)-1]
		after = store.CRMKey{Kind: last.Kind, ExternalID: last.ExternalID}
	}
}

func TestCRMUpsertCountsAndStamps(t *testing.T) {
	crmEngines(t, func(t *testing.T, db *store.DB, clock *testenv.Clock) {
		ctx := t.Context()
		first := clock.Now().UTC().Truncate(time.Microsecond)
		res, err := db.UpsertCRMRecords(ctx, "contoso", []store.CRMRecord{
			crmRecord("account", "a1", "Contoso", store.CRMField{Name: "industry", Value: "Retail"}, store.CRMField{Name: "city", Value: "Zürich"}),
			crmRecord("account", "a2", "Fabrikam"),
		})
		if err != nil || res.Created != 2 || res.Updated != 0 || res.Unchanged != 0 || !res.At.Equal(first) || res.Generation != 1 {
			t.Fatalf("first upsert = %+v, %v", res, err)
		}
		clock.Advance(time.Hour)
		res, err = db.UpsertCRMRecords(ctx, "contoso", []store.CRMRecord{
			crmRecord("account", "a1", "Contoso", store.CRMField{Name: "industry", Value: "Retail"}, store.CRMField{Name: "city", Value: "Zürich"}),
			crmRecord("account", "a2", "Fabrikam Inc"),
			crmRecord("contact", "a1", "Same id, other kind"),
		})
		want := []store.CRMOutcome{store.CRMUnchanged, store.CRMUpdated, store.CRMCreated}
		if err != nil || res.Created != 1 || res.Updated != 1 || res.Unchanged != 1 || !slices.Equal(res.Outcomes, want) || res.Generation != 2 {
			t.Fatalf("second upsert = %+v, %v", res, err)
		}
		got := allCRMRecords(t, db, "contoso", 100)
		if len(got) != 3 {
			t.Fatalf("records = %+v", got)
		}
		a1, a2, c1 := got[0], got[1], got[2]
		if a1.ExternalID != "a1" || !a1.UpdatedAt.Equal(first) || len(a1.Fields) != 2 || a1.Fields[1] != (store.CRMField{Name: "city", Value: "Zürich"}) {
			t.Errorf("unchanged record = %+v, want its first stamp and fields in order", a1)
		}
		if a2.Title != "Fabrikam Inc" || !a2.UpdatedAt.Equal(first.Add(time.Hour)) || len(a2.Fields) != 0 {
			t.Errorf("updated record = %+v", a2)
		}
		if c1.Kind != "contact" || c1.URL != "https://crm.example/a1" || c1.Subtitle != "sub Same id, other kind" {
			t.Errorf("record of another kind = %+v", c1)
		}
		// Nothing changed: the generation stays, so no index reloads.
		res, err = db.UpsertCRMRecords(ctx, "contoso", []store.CRMRecord{crmRecord("account", "a2", "Fabrikam Inc")})
		if err != nil || res.Unchanged != 1 || res.Generation != 2 {
			t.Fatalf("no-op upsert = %+v, %v", res, err)
		}
	})
}

func TestCRMUpsertRefusals(t *testing.T) {
	crmEngines(t, func(t *testing.T, db *store.DB, _ *testenv.Clock) {
		ctx := t.Context()
		_, err := db.UpsertCRMRecords(ctx, "contoso", []store.CRMRecord{crmRecord("account", "a1", "One"), crmRecord("account", "a1", "Again")})
		if err == nil {
			t.Fatal("a batch listing a key twice was accepted")
		}
		_, err = db.UpsertCRMRecords(ctx, "nobody", []store.CRMRecord{crmRecord("account", "a1", "One")})
		if governance.KindOf(err) != governance.KindNotFound {
			t.Fatalf("upsert for a missing tenant: %v, want not found", err)
		}
	})
}

func TestCRMPagingAndTenantIsolation(t *testing.T) {
	crmEngines(t, func(t *testing.T, db *store.DB, _ *testenv.Clock) {
		ctx := t.Context()
		var batch []store.CRMRecord
		for _, kind := range []string{"opportunity", "account", "contact"} {
			for _, id := range []string{"3", "1", "2", "10"} {
				batch = append(batch, crmRecord(kind, id, kind+" "+id))
			}
		}
		if _, err := db.UpsertCRMRecords(ctx, "contoso", batch); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpsertCRMRecords(ctx, "fabrikam", []store.CRMRecord{crmRecord("account", "1", "Fabrikam's own")}); err != nil {
			t.Fatal(err)
		}
		got := allCRMRecords(t, db, "contoso", 5) // pages end inside a kind and between kinds
		var keys []string
		for _, r := range got {
			keys = append(keys, r.Kind+"/"+r.ExternalID)
		}
		want := []string{"account/1", "account/10", "account/2", "account/3", "contact/1", "contact/10", "contact/2", "contact/3",
			"opportunity/1", "opportunity/10", "opportunity/2", "opportunity/3"}
		if !slices.Equal(keys, want) {
			t.Fatalf("keyset order = %v, want %v", keys, want)
		}
		other := allCRMRecords(t, db, "fabrikam", 5)
		if len(other) != 1 || other[0].Title != "Fabrikam's own" {
			t.Fatalf("fabrikam sees %+v", other)
		}
		if none := allCRMRecords(t, db, "nobody", 5); len(none) != 0 {
			t.Fatalf("a missing tenant sees %+v", none)
		}

		genBefore, err := db.CRMGeneration(ctx, "fabrikam")
		if err != nil {
			t.Fatal(err)
		}
		n, err := db.DeleteCRMRecords(ctx, "contoso", "contact")
		if err != nil || n != 4 {
			t.Fatalf("delete contacts = %d, %v", n, err)
		}
		if got := allCRMRecords(t, db, "contoso", 100); len(got) != 8 || got[4].Kind != "opportunity" {
			t.Fatalf("after deleting contacts: %d records", len(got))
		}
		if n, err := db.DeleteCRMRecords(ctx, "fabrikam", "contact"); err != nil || n != 0 {
			t.Fatalf("delete of nothing = %d, %v", n, err)
		}
		genAfter, err := db.CRMGeneration(ctx, "fabrikam")
		if err != nil || genAfter != genBefore {
			t.Fatalf("fabrikam's generation moved from %d to %d (%v) on contoso's delete or on deleting nothing", genBefore, genAfter, err)
		}
		if gen, err := db.CRMGeneration(ctx, "contoso"); err != nil || gen != 2 {
			t.Fatalf("contoso's generation = %d, %v, want 2 (one upsert, one delete)", gen, err)
		}
		if gen, err := db.CRMGeneration(ctx, "nobody"); err != nil || gen != 0 {
			t.Fatalf("generation of a tenant without records = %d, %v", gen, err)
		}

		if err := db.DeleteTenant(ctx, "contoso"); err != nil {
			t.Fatal(err)
		}
		if got := allCRMRecords(t, db, "contoso", 100); len(got) != 0 {
			t.Fatalf("deleting the tenant left %d records", len(got))
		}
		if gen, err := db.CRMGeneration(context.Background(), "contoso"); err != nil || gen != 0 {
			t.Fatalf("deleting the tenant left generation %d, %v", gen, err)
		}
	})
}
