package crm

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestImportCSV(t *testing.T) {
	db, clock := sqliteDB(t)
	b := NewBuiltin(db, IndexOptions{Now: clock.Now})
	csv := "\uFEFFID,Name,Industry,City,Website,Account Manager,url\n" +
		"A-1,Contoso Ltd,Retail,Zürich,https://contoso.example,Megan,https://crm.example/a/1\n" +
		"A-2,\"Fabrikam, Inc.\",Manufacturing,,,,\n"
	res := mustImport(t, b, "contoso", KindAccount, "csv", csv)
	if res.Created != 2 || res.Updated != 0 || len(res.Rejected) != 0 {
		t.Fatalf("result = %+v", res)
	}
	got := mustSearch(t, b, "contoso", Query{Text: "contoso"})
	want := Record{
		TenantID: "contoso", Kind: KindAccount, ID: "A-1", Title: "Contoso Ltd", Subtitle: "Retail · Zürich",
		Fields: []Field{{"industry", "Retail"}, {"city", "Zürich"}, {"website", "https://contoso.example"}, {"Account Manager", "Megan"}},
		URL:    "https://crm.example/a/1", UpdatedAt: clock.Now().UTC().Truncate(time.Microsecond),
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("record = %+v\nwant     %+v", got, want)
	}
	if got := mustSearch(t, b, "contoso", Query{Text: "fabrikam inc"}); ids(got) != "account/A-2" || got[0].Subtitle != "Manufacturing" {
		t.Fatalf("quoted comma: %+v", got)
	}
}

func TestImportJSON(t *testing.T) {
	db, clock := sqliteDB(t)
	b := NewBuiltin(db, IndexOptions{Now: clock.Now})
	doc := `[
  {"id": "O-1", "name": "Contoso renewal", "account": "Contoso", "amount": 125000.5, "stage": "Proposal",
   "close_date": "2026-03-31", "priority": true, "notes": null, "Region": "EMEA"},
  {"id": 42, "name": "Fabrikam pilot", "stage": "Qualify"}
]`
	res := mustImport(t, b, "contoso", KindOpportunity, "json", doc)
	if res.Created != 2 || len(res.Rejected) != 0 {
		t.Fatalf("result = %+v", res)
	}
	got := mustSearch(t, b, "contoso", Query{Text: "renewal"})
	wantFields := []Field{{"account", "Contoso"}, {"amount", "125000.5"}, {"stage", "Proposal"}, {"close_date", "2026-03-31"},
		{"priority", "true"}, {"Region", "EMEA"}}
	if len(got) != 1 || got[0].Subtitle != "Contoso · Proposal · 125000.5" || !reflect.DeepEqual(got[0].Fields, wantFields) {
		t.Fatalf("record = %+v", got)
	}
	if got := mustSearch(t, b, "contoso", Query{Text: "42"}); ids(got) != "opportunity/42" {
		t.Fatalf("numeric id: %s", ids(got))
	}
}

func TestImportUpsertUpdates(t *testing.T) {
	db, clock := sqliteDB(t)
	b := NewBuiltin(db, IndexOptions{Now: clock.Now})
	mustImport(t, b, "contoso", KindContact, "csv", "id,name,email\nC-1,Jane Doe,jane@contoso.com\nC-2,John Roe,john@contoso.com\n")
	clock.Advance(time.Hour)
	res := mustImport(t, b, "contoso", KindContact, "csv", "id,name,email\nC-1,Jane Smith,jane@contoso.com\nC-2,John Roe,john@contoso.com\nC-3,Ann Lee,\n")
	if res.Created != 1 || res.Updated != 1 || res.Unchanged != 1 {
		t.Fatalf("result = %+v, want 1 created, 1 updated, 1 unchanged", res)
	}
	if got := mustSearch(t, b, "contoso", Query{Text: "doe"}); len(got) != 0 {
		t.Fatalf("the old name still matches: %s", ids(got))
	}
	got := mustSearch(t, b, "contoso", Query{Text: "jane smith"})
	if ids(got) != "contact/C-1" || !got[0].UpdatedAt.Equal(clock.Now().UTC().Truncate(time.Microsecond)) {
		t.Fatalf("updated record = %+v", got)
	}
	// A fresh index (another replica, a restart) reads the same from the store.
	other := NewBuiltin(db, IndexOptions{Now: clock.Now})
	if got := mustSearch(t, other, "contoso", Query{Kind: KindContact}); ids(got) != "contact/C-1 contact/C-3 contact/C-2" {
		t.Fatalf("reloaded, most recent first: %s", ids(got))
	}
}

func TestImportRejectsRows(t *testing.T) {
	db, clock := sqliteDB(t)
	b := NewBuiltin(db, IndexOptions{Now: clock.Now})
	long := strings.Repeat("x", MaxNameRunes+1)
	csv := "id,name,email,url,amount\n" + // 1
		"C-1,Jane,jane@contoso.com,,\n" + // 2 fine
		",No id,,,\n" + // 3
		"C-3,,,,\n" + // 4
		"C-4,Bad mail,jane-at-contoso,,\n" + // 5
		"C-5,Script,,javascript:alert(1),\n" + // 6
		"C-6,Too many,,,,extra\n" + // 7
		"C-1,Jane again,,,\n" + // 8 duplicate of line 2
		"C-7," + long + ",,,\n" + // 9
		"C-8,\"Two\nlines\",,,\n" + // 10-11: fine, a quoted newline
		"C-9,Money,,,lots\n" + // 12: amount is not a known contact column: kept as text
		"C-\x0010,Nul,,,\n" // 13
	res := mustImport(t, b, "contoso", KindContact, "csv", csv)
	want := []RowError{
		{Line: 3, Field: "id", Message: "is required"},
		{Line: 4, Field: "name", Message: "is required"},
		{Line: 5, Field: "email", Message: "must be an email address, e.g. jane@contoso.com"},
		{Line: 6, Field: "url", Message: "must be an http or https URL, e.g. https://crm.example.com/record/42"},
		{Line: 7, Message: "has 6 values but the header names 5 columns"},
		{Line: 8, Field: "id", Message: `"C-1" already appears on line 2`},
		{Line: 9, Field: "name", Message: fmt.Sprintf("is longer than %d characters", MaxNameRunes)},
		{Line: 13, Field: "id", Message: "contains a control character"},
	}
	if !reflect.DeepEqual(res.Rejected, want) || res.RejectedRows != len(want) || res.Created != 3 {
		t.Fatalf("rejected:\n%+v\nwant\n%+v\n(result %+v)", res.Rejected, want, res)
	}
	if got := mustSearch(t, b, "contoso", Query{}); ids(got) != "contact/C-1 contact/C-8 contact/C-9" {
		t.Fatalf("imported: %s", ids(got))
	}

	doc := "[\n" +
		`{"id": "A-1", "name": "Fine", "industry": "Retail"},` + "\n" + // 2
		`"not an object",` + "\n" + // 3
		`{"id": "A-2", "name": "Nested", "tags": ["a"]},` + "\n" + // 4
		`{"id": "A-3", "name": "Twice", "Name": "again"},` + "\n" + // 5
		"\n" +
		`  {"id": "A-4", "name": "Site", "website": "contoso.com"}` + "\n" + // 7
		"]"
	res = mustImport(t, b, "contoso", KindAccount, "json", doc)
	want = []RowError{
		{Line: 3, Message: "must be a JSON object"},
		{Line: 4, Message: `field "tags" must be a string, a number, true, false or null`},
		{Line: 5, Message: `names the field "name" twice`},
		{Line: 7, Field: "website", Message: "must be an http or https URL, e.g. https://crm.example.com/record/42"},
	}
	if !reflect.DeepEqual(res.Rejected, want) || res.Created != 1 {
		t.Fatalf("json rejected:\n%+v\nwant\n%+v", res.Rejected, want)
	}
}

func TestImportRefusesWholeFile(t *testing.T) {
	// The real limits take seconds to reach under -race: lower ones show
	// the checks work, TestImportAtTheLimits that the edge is inclusive.
	const testMaxBytes, testMaxRows = 64 << 10, 100
	db, clock := sqliteDB(t)
	b := NewBuiltin(db, IndexOptions{Now: clock.Now})
	b.maxBytes, b.maxRows = testMaxBytes, testMaxRows
	rows := func(n int) string {
		var sb strings.Builder
		sb.WriteString("id,name\n")
		for i := range n {
			fmt.Fprintf(&sb, "%d,n\n", i)
		}
		return sb.String()
	}
	for _, tc := range []struct {
		name, format string
		kind         Kind
		data         string
		code         string
	}{
		{"unknown kind", "csv", "lead", "id,name\n1,x\n", "crm_import_kind_unknown"},
		{"unknown format", "xlsx", KindAccount, "id,name\n1,x\n", "crm_import_format_unknown"},
		{"too large", "csv", KindAccount, "id,name\n1," + strings.Repeat("x", testMaxBytes), "crm_import_too_large"},
		{"too many rows", "csv", KindAccount, rows(testMaxRows + 1), "crm_import_too_many_rows"},
		{"too many json rows", "json", KindAccount, "[" + strings.Repeat(`{"id":"1","name":"x"},`, testMaxRows) + `{"id":"2","name":"y"}]`, "crm_import_too_many_rows"},
		{"empty csv", "csv", KindAccount, "", "crm_import_empty"},
		{"empty json", "json", KindAccount, "  ", "crm_import_empty"},
		{"no header id", "csv", KindAccount, "name,city\nContoso,Paris\n", "crm_import_missing_column"},
		{"no header name", "csv", KindAccount, "ID,Title\n1,x\n", "crm_import_missing_column"},
		{"data row as header", "csv", KindAccount, "A-1,Contoso\nA-2,Fabrikam\n", "crm_import_missing_column"},
		{"duplicate column", "csv", KindAccount, "id,name,City,city\n1,x,a,b\n", "crm_import_column_invalid"},
		{"unnamed column", "csv", KindAccount, "id,name,\n1,x,y\n", "crm_import_column_invalid"},
		{"too many columns", "csv", KindAccount, "id,name" + strings.Repeat(",c", MaxImportColumns) + "\n", "crm_import_too_many_columns"},
		{"bad quote", "csv", KindAccount, "id,name\n1,\"unterminated\n2,x\n", "crm_import_malformed"},
		{"json object", "json", KindAccount, `{"id": "1", "name": "x"}`, "crm_import_not_array"},
		{"json truncated", "json", KindAccount, `[{"id": "1", "name": "x"}`, "crm_import_malformed"},
		{"json syntax", "json", KindAccount, "[\n{\"id\": \"1\",, \"name\": \"x\"}]", "crm_import_malformed"},
		{"json trailing", "json", KindAccount, `[{"id": "1", "name": "x"}] []`, "crm_import_malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.Import(t.Context(), "contoso", tc.kind, tc.format, strings.NewReader(tc.data))
			wantCode(t, err, tc.code)
			if gen, err := db.CRMGeneration(t.Context(), "contoso"); err != nil || gen != 0 {
				t.Fatalf("a refused file wrote to the store (generation %d, %v)", gen, err)
			}
		})
	}
}

func TestImportMalformedSaysWhere(t *testing.T) {
	db, clock := sqliteDB(t)
	b := NewBuiltin(db, IndexOptions{Now: clock.Now})
	_, err := b.Import(t.Context(), "contoso", KindAccount, "json", strings.NewReader("[\n{\"id\": \"1\", \"name\": \"x\"},\n{\"id\": \"2\" \"name\": \"y\"}\n]"))
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("error = %v, want it to name line 3", err)
	}
}

func TestImportUnknownTenant(t *testing.T) {
	db, clock := sqliteDB(t)
	b := NewBuiltin(db, IndexOptions{Now: clock.Now})
	_, err := b.Import(t.Context(), "nobody", KindAccount, "csv", strings.NewReader("id,name\n1,x\n"))
	wantCode(t, err, "tenant_not_found")
}

func TestImportTenantFull(t *testing.T) {
	db, clock := sqliteDB(t)
	b := NewBuiltin(db, IndexOptions{Now: clock.Now, MaxTenantRecords: 3})
	mustImport(t, b, "contoso", KindAccount, "csv", "id,name\n1,a\n2,b\n")
	// Updating existing records is always allowed; adding two more is not.
	mustImport(t, b, "contoso", KindAccount, "csv", "id,name\n1,a2\n2,b2\n3,c\n")
	_, err := b.Import(t.Context(), "contoso", KindContact, "csv", strings.NewReader("id,name\n1,x\n"))
	wantCode(t, err, "crm_import_tenant_full")
	if got := mustSearch(t, b, "contoso", Query{}); len(got) != 3 {
		t.Fatalf("records = %s", ids(got))
	}
	n, err := b.Delete(t.Context(), "contoso", KindAccount)
	if err != nil || n != 3 {
		t.Fatalf("delete = %d, %v", n, err)
	}
	mustImport(t, b, "contoso", KindContact, "csv", "id,name\n1,x\n")
	if got := mustSearch(t, b, "contoso", Query{}); ids(got) != "contact/1" {
		t.Fatalf("after delete and import: %s", ids(got))
	}
	if _, err := b.Delete(t.Context(), "contoso", "lead"); err == nil {
		t.Fatal("deleting an unknown kind succeeded")
	}
}

func TestRejectedReportIsBounded(t *testing.T) {
	db, clock := sqliteDB(t)
	b := NewBuiltin(db, IndexOptions{Now: clock.Now})
	var sb strings.Builder
	sb.WriteString("id,name\n")
	for i := range MaxRejectedReported + 5 {
		fmt.Fprintf(&sb, "%d,\n", i)
	}
	res := mustImport(t, b, "contoso", KindAccount, "csv", sb.String())
	if len(res.Rejected) != MaxRejectedReported || res.RejectedRows != MaxRejectedReported+5 ||
		!slices.IsSortedFunc(res.Rejected, func(a, b RowError) int { return a.Line - b.Line }) || res.Rejected[0].Line != 2 {
		t.Fatalf("reported %d of %d rejections", len(res.Rejected), res.RejectedRows)
	}
}

func TestImportAtTheLimits(t *testing.T) {
	db, clock := sqliteDB(t)
	b := NewBuiltin(db, IndexOptions{Now: clock.Now})
	if b.maxBytes != MaxImportBytes || b.maxRows != MaxImportRows {
		t.Fatalf("NewBuiltin limits = %d bytes, %d rows", b.maxBytes, b.maxRows)
	}
	var sb strings.Builder
	sb.WriteString("id,name\n")
	for i := range 50 {
		fmt.Fprintf(&sb, "%d,n\n", i)
	}
	b.maxBytes, b.maxRows = sb.Len(), 50
	if res := mustImport(t, b, "contoso", KindAccount, "csv", sb.String()); res.Created != 50 {
		t.Fatalf("a file of exactly the limits: %+v", res)
	}
	doc := "[" + strings.Repeat(`{"id":"1","name":"x"},`, 49) + `{"id":"1","name":"x"}]`
	b.maxBytes = len(doc)
	if res := mustImport(t, b, "contoso", KindContact, "json", doc); res.Created != 1 || res.RejectedRows != 49 {
		t.Fatalf("a JSON file of exactly the limits: %+v", res)
	}
}
