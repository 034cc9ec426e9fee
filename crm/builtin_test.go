package crm

import (
	"testing"
	"time"

	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
)

// TestTenantIsolation: the same ids and words in two tenants never mix,
// through the store or the index, before and after imports and deletes.
func TestTenantIsolation(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB, clock *testenv.Clock) {
		b := NewBuiltin(db, IndexOptions{Now: clock.Now})
		mustImport(t, b, "contoso", KindAccount, "csv", "id,name,city\nA-1,Contoso Secret Project,Paris\nA-2,Shared Name,Paris\n")
		// fabrikam's index is loaded (empty) before contoso's import lands.
		if got := mustSearch(t, b, "fabrikam", Query{Text: "contoso"}); len(got) != 0 {
			t.Fatalf("fabrikam sees %s", ids(got))
		}
		mustImport(t, b, "fabrikam", KindAccount, "json", `[{"id": "A-1", "name": "Fabrikam Own", "city": "Paris"}]`)
		for _, tc := range []struct {
			name, tenant string
			q            Query
			want         string
		}{
			{"own words", "contoso", Query{Text: "secret"}, "account/A-1"},
			{"other tenant's words", "fabrikam", Query{Text: "secret"}, ""},
			{"other tenant's shared name", "fabrikam", Query{Text: "shared"}, ""},
			{"same id, own record", "fabrikam", Query{Text: "paris"}, "account/A-1"},
			{"recent", "fabrikam", Query{}, "account/A-1"},
			{"unknown tenant", "nobody", Query{Text: "paris"}, ""},
			{"unknown tenant recent", "nobody", Query{}, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := mustSearch(t, b, tc.tenant, tc.q)
				if ids(got) != tc.want {
					t.Fatalf("%s searching %+v got %s, want %s", tc.tenant, tc.q, ids(got), tc.want)
				}
				for _, r := range got {
					if r.TenantID != tc.tenant {
						t.Fatalf("%s got a record of %s", tc.tenant, r.TenantID)
					}
				}
			})
		}
		if got := mustSearch(t, b, "fabrikam", Query{Text: "paris"}); got[0].Title != "Fabrikam Own" {
			t.Fatalf("fabrikam's A-1 = %+v", got[0])
		}
		// A fresh index loads each tenant from the store alone.
		fresh := NewBuiltin(db, IndexOptions{Now: clock.Now})
		if got := mustSearch(t, fresh, "fabrikam", Query{Text: "paris"}); ids(got) != "account/A-1" || got[0].Title != "Fabrikam Own" {
			t.Fatalf("reloaded fabrikam sees %+v", got)
		}
		if n, err := b.Delete(t.Context(), "fabrikam", KindAccount); err != nil || n != 1 {
			t.Fatalf("delete fabrikam's accounts = %d, %v", n, err)
		}
		if got := mustSearch(t, b, "contoso", Query{Text: "paris"}); ids(got) != "account/A-2 account/A-1" {
			t.Fatalf("contoso after fabrikam's delete: %s", ids(got))
		}
	})
}

// TestReplicasCatchUp: an index sees another replica's import once
// CheckEvery has passed, and not before (a search costs no store read).
func TestReplicasCatchUp(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB, clock *testenv.Clock) {
		a := NewBuiltin(db, IndexOptions{Now: clock.Now, CheckEvery: time.Minute})
		b := NewBuiltin(db, IndexOptions{Now: clock.Now, CheckEvery: time.Minute})
		mustImport(t, a, "contoso", KindAccount, "csv", "id,name\nA-1,Contoso\n")
		if got := mustSearch(t, b, "contoso", Query{Text: "contoso"}); ids(got) != "account/A-1" {
			t.Fatalf("b's first search: %s", ids(got))
		}
		mustImport(t, a, "contoso", KindAccount, "csv", "id,name\nA-2,Contoso Two\n")
		if got := mustSearch(t, b, "contoso", Query{Text: "contoso"}); ids(got) != "account/A-1" {
			t.Fatalf("b checked the store before CheckEvery: %s", ids(got))
		}
		clock.Advance(time.Minute)
		if got := mustSearch(t, b, "contoso", Query{Text: "contoso"}); ids(got) != "account/A-1 account/A-2" {
			t.Fatalf("b after CheckEvery: %s", ids(got))
		}
		// b imports next: it starts from the store's state, not its own.
		mustImport(t, a, "contoso", KindAccount, "csv", "id,name\nA-3,Contoso Three\n")
		mustImport(t, b, "contoso", KindContact, "csv", "id,name\nC-1,Contoso Person\n")
		if got := mustSearch(t, b, "contoso", Query{Text: "contoso"}); len(got) != 4 {
			t.Fatalf("b after its own import: %s", ids(got))
		}
		if n, err := b.Delete(t.Context(), "contoso", KindContact); err != nil || n != 1 {
			t.Fatalf("delete = %d, %v", n, err)
		}
		clock.Advance(time.Minute)
		if got := mustSearch(t, a, "contoso", Query{Text: "contoso"}); ids(got) != "account/A-1 account/A-2 account/A-3" {
			t.Fatalf("a after b's import and delete: %s", ids(got))
		}
	})
}

// TestEviction: past MaxRecords the least recently searched tenant leaves
// memory, and comes back from the store when searched again.
func TestEviction(t *testing.T) {
	db, clock := sqliteDB(t)
	b := NewBuiltin(db, IndexOptions{Now: clock.Now, MaxRecords: 3})
	mustImport(t, b, "contoso", KindAccount, "csv", "id,name\nA-1,One\nA-2,Two\n")
	mustImport(t, b, "fabrikam", KindAccount, "csv", "id,name\nA-1,Other\n")
	if !b.idx.resident("contoso") || !b.idx.resident("fabrikam") {
		t.Fatal("3 records did not fit MaxRecords 3")
	}
	mustImport(t, b, "fabrikam", KindAccount, "csv", "id,name\nA-2,Another\n")
	if b.idx.resident("contoso") || !b.idx.resident("fabrikam") {
		t.Fatal("the least recently used tenant stayed past MaxRecords")
	}
	if got := mustSearch(t, b, "contoso", Query{}); len(got) != 2 {
		t.Fatalf("contoso after eviction: %s", ids(got))
	}
	if b.idx.resident("fabrikam") {
		t.Fatal("loading contoso again did not evict fabrikam")
	}
}
