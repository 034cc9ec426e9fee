package crm

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestWords(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		parts    bool
		want     []string
	}{
		{"accents", "Zürich Café ÉTÉ", false, []string{"zurich", "cafe", "ete"}},
		{"ligatures", "Straße Œuvre", false, []string{"strasse", "oeuvre"}},
		{"decomposed accent", "Cafe\u0301", false, []string{"cafe"}},
		{"separators", "jane.doe@contoso.com OPP-0042", false, []string{"jane", "doe", "contoso", "com", "opp", "0042"}},
		{"apostrophe joins", "O'Brien L’Oréal", false, []string{"obrien", "loreal"}},
		{"apostrophe pieces", "L'Oréal", true, []string{"loreal", "l", "oreal"}},
		{"stray apostrophes", "'quoted' ''", false, []string{"quoted"}},
		{"nothing", " -- ", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := appendWords(nil, tc.in, tc.parts); !slices.Equal(got, tc.want) {
				t.Fatalf("words(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// searchFixture imports a few records of every kind into contoso.
func searchFixture(t *testing.T) *Builtin {
	t.Helper()
	db, clock := sqliteDB(t)
	b := NewBuiltin(db, IndexOptions{Now: clock.Now})
	mustImport(t, b, "contoso", KindAccount, "csv", "id,name,industry,city,owner\n"+
		"A-1,Contoso Pharmaceuticals,Health,Zürich,Megan Bowen\n"+
		"A-2,Contoso,Retail,Paris,Alex Wilber\n"+
		"A-3,Northwind Traders,Retail,Contoso City,Megan Bowen\n"+
		"A-4,Alpine Contoso Ski,Sport,Genève,Alex Wilber\n"+
		"A-5,Café Müller,Food,Köln,Alex Wilber\n"+
		"A-6,L'Oréal Paris,Beauty,Paris,Megan Bowen\n")
	clock.Advance(time.Minute)
	mustImport(t, b, "contoso", KindOpportunity, "csv", "id,name,account,stage,amount\n"+
		"O-1,Contoso renewal 2026,Contoso,Proposal,125000\n"+
		"O-2,Northwind expansion,Northwind Traders,Qualify,40000\n")
	clock.Advance(time.Minute)
	mustImport(t, b, "contoso", KindContact, "csv", "id,name,email,title,account\n"+
		"C-1,Jane Contoso-Smith,jane@fabrikam.com,Buyer,Fabrikam\n"+
		"C-2,Zoë Renée,zoe@contoso.com,CFO,Contoso\n")
	return b
}

func TestSearchRankingAndMatching(t *testing.T) {
	b := searchFixture(t)
	for _, tc := range []struct {
		name string
		q    Query
		want string
	}{
		// Titles starting with the query, shortest first; then titles with
		// a word starting with it; then records matched by other fields.
		{"ranking", Query{Text: "contoso"},
			"account/A-2 opportunity/O-1 account/A-1 account/A-4 contact/C-1 contact/C-2 account/A-3"},
		{"prefix", Query{Text: "cont"},
			"account/A-2 opportunity/O-1 account/A-1 account/A-4 contact/C-1 contact/C-2 account/A-3"},
		{"phrase beats words", Query{Text: "contoso ph"}, "account/A-1"},
		{"words in any order", Query{Text: "ski alpine"}, "account/A-4"},
		{"all words must match", Query{Text: "contoso retail"}, "account/A-2 account/A-3"},
		{"no match", Query{Text: "contoso zzz"}, ""},
		{"accent in record", Query{Text: "zurich"}, "account/A-1"},
		{"accent in query", Query{Text: "MÜLLER café"}, "account/A-5"},
		{"accent both", Query{Text: "genève"}, "account/A-4"},
		{"diaeresis", Query{Text: "zoe renee"}, "contact/C-2"},
		{"apostrophe piece", Query{Text: "oreal"}, "account/A-6"},
		{"apostrophe joined", Query{Text: "loreal"}, "account/A-6"},
		{"key field", Query{Text: "megan"}, "account/A-6 account/A-3 account/A-1"},
		{"email", Query{Text: "jane@fabrikam"}, "contact/C-1"},
		{"id", Query{Text: "o-2"}, "opportunity/O-2 opportunity/O-1"}, // O-1: "o" its id, "2" its title's 2026,
		{"kind filter", Query{Text: "contoso", Kind: KindContact}, "contact/C-1 contact/C-2"},
		{"limit", Query{Text: "contoso", Limit: 2}, "account/A-2 opportunity/O-1"},
		{"empty text is most recent", Query{Limit: 3}, "contact/C-1 contact/C-2 opportunity/O-1"},
		{"empty text of a kind", Query{Kind: KindOpportunity}, "opportunity/O-1 opportunity/O-2"},
		{"punctuation only", Query{Text: "--", Kind: KindOpportunity}, "opportunity/O-1 opportunity/O-2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(mustSearch(t, b, "contoso", tc.q)); got != tc.want {
				t.Fatalf("search %+v\n got %s\nwant %s", tc.q, got, tc.want)
			}
		})
	}
}

func TestSearchLimits(t *testing.T) {
	db, clock := sqliteDB(t)
	b := NewBuiltin(db, IndexOptions{Now: clock.Now})
	var sb strings.Builder
	sb.WriteString("id,name\n")
	for i := range 80 {
		fmt.Fprintf(&sb, "A-%02d,Account %02d\n", i, i)
	}
	mustImport(t, b, "contoso", KindAccount, "csv", sb.String())
	for _, tc := range []struct {
		name  string
		limit int
		want  int
	}{
		{"default", 0, DefaultLimit},
		{"asked", 7, 7},
		{"capped", 1000, MaxLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustSearch(t, b, "contoso", Query{Text: "acc", Limit: tc.limit})
			if len(got) != tc.want || got[0].ID != "A-00" {
				t.Fatalf("limit %d: %d results starting %s, want %d starting A-00", tc.limit, len(got), ids(got[:1]), tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name string
		q    Query
		code string
	}{
		{"negative limit", Query{Limit: -1}, "crm_query_limit_invalid"},
		{"unknown kind", Query{Kind: "lead"}, "crm_query_kind_unknown"},
		{"too long", Query{Text: strings.Repeat("é", MaxQueryRunes+1)}, "crm_query_too_long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.Search(t.Context(), "contoso", tc.q)
			wantCode(t, err, tc.code)
		})
	}
}

func TestSearchResultsAreCopies(t *testing.T) {
	b := searchFixture(t)
	got := mustSearch(t, b, "contoso", Query{Text: "zurich"})
	got[0].Fields[0].Value = "changed by a caller"
	if again := mustSearch(t, b, "contoso", Query{Text: "zurich"}); again[0].Fields[0].Value != "Health" {
		t.Fatalf("a caller changed the index: %+v", again[0].Fields)
	}
}

// TestConcurrentSearchAndImport runs under -race: searches read while
// imports swap snapshots.
func TestConcurrentSearchAndImport(t *testing.T) {
	b := searchFixture(t)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 20 {
				if w == 0 {
					mustImport(t, b, "contoso", KindContact, "csv", fmt.Sprintf("id,name\nX-%d,Extra %d\n", i, i))
					continue
				}
				if got := mustSearch(t, b, "contoso", Query{Text: "contoso"}); len(got) != 7 {
					t.Errorf("search during imports: %s", ids(got))
				}
			}
		})
	}
	wg.Wait()
	if got := mustSearch(t, b, "contoso", Query{Text: "extra", Limit: 50}); len(got) != 20 {
		t.Fatalf("after imports: %d extras", len(got))
	}
}
