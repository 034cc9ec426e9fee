package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stewardhq/steward/governance"
)

// TestAPIAuditScenarios covers the audit views: the company's trail for
// administrators, everyone's own, and the CSV and JSON exports.
func TestAPIAuditScenarios(t *testing.T) {
	e := newAPIEnv(t)
	// A name chosen to run as a formula when a spreadsheet opens the export.
	if _, err := e.db.RecordAudit(context.Background(), governance.AuditEvent{TenantID: "contoso", Action: "user.signed_in",
		Actor: governance.AuditActor{Type: governance.AuditActorUser, ID: idCarol, Name: `=HYPERLINK("http://evil.example","x")`}}); err != nil {
		t.Fatal(err)
	}
	bearer := map[string]string{"WWW-Authenticate": "Bearer"}
	runAPI(t, e, []apiScenario{
		// listAudit
		{name: "company trail without credentials", method: "GET", path: "/api/v1/audit", status: 401, header: bearer},
		{name: "company trail as an end user", token: "alice", method: "GET", path: "/api/v1/audit", status: 403, contains: []string{"role_required"}},
		{name: "company trail as a catalog manager", token: "catalog", method: "GET", path: "/api/v1/audit", status: 403},
		{name: "company trail with a key lacking audit:read", token: "apikey-write", method: "GET", path: "/api/v1/audit", status: 403, contains: []string{"scope_required"}},
		{name: "company trail", token: "admin", method: "GET", path: "/api/v1/audit", status: 200,
			contains:   []string{`"seq":1`, `"action":"role.assigned"`, `"id":"` + idAlice + `"`, `"id":"` + idCarol + `"`, `"hash":"`, `"nextAfterSeq":null`},
			notContain: []string{"Fabrikam secret plan"}},
		{name: "company trail by actor and action prefix", token: "admin", method: "GET", path: "/api/v1/audit?actor=" + idAlice + "&action=request.*", status: 200,
			contains: []string{`"id":"` + idAlice + `"`, `"subjectType":"request"`}, notContain: []string{`"role.assigned"`, idCarol}},
		{name: "company trail by subject", token: "admin", method: "GET", path: "/api/v1/audit?subjectType=request&subjectId=req-2", status: 200,
			contains: []string{`"subjectId":"req-2"`}, notContain: []string{`"subjectId":"req-1"`}},
		{name: "company trail, paged", token: "admin", method: "GET", path: "/api/v1/audit?limit=1", status: 200, contains: []string{`"seq":1`, `"nextAfterSeq":1`}},
		{name: "company trail, next page", token: "admin", method: "GET", path: "/api/v1/audit?limit=1&afterSeq=1", status: 200, contains: []string{`"seq":2`, `"nextAfterSeq":2`}, notContain: []string{`"seq":1,`}},
		{name: "company trail in a window", token: "admin", method: "GET", path: "/api/v1/audit?since=2000-01-01T00:00:00Z&until=2001-01-01T00:00:00Z", status: 200,
			contains: []string{`"items":[]`, `"nextAfterSeq":null`}},
		{name: "another tenant's trail", token: "fabrikam-admin", method: "GET", path: "/api/v1/audit", status: 200,
			contains: []string{"Fabrikam secret plan"}, notContain: []string{idAlice, "Apollo", "role.assigned"}},
		{name: "bad limit", token: "admin", method: "GET", path: "/api/v1/audit?limit=0", status: 400, contains: []string{"audit_filter_invalid"}},
		{name: "limit over the maximum", token: "admin", method: "GET", path: "/api/v1/audit?limit=1001", status: 400, contains: []string{"audit_filter_invalid"}},
		{name: "bad afterSeq", token: "admin", method: "GET", path: "/api/v1/audit?afterSeq=-1", status: 400, contains: []string{"audit_filter_invalid"}},
		{name: "bad since", token: "admin", method: "GET", path: "/api/v1/audit?since=yesterday", status: 400, contains: []string{"audit_filter_invalid", "since"}},
		{name: "until before since", token: "admin", method: "GET", path: "/api/v1/audit?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", status: 400, contains: []string{"audit_filter_invalid"}},
		{name: "bad action", token: "admin", method: "GET", path: "/api/v1/audit?action=DROP", status: 400, contains: []string{"audit_filter_invalid"}},
		{name: "subject id without type", token: "admin", method: "GET", path: "/api/v1/audit?subjectId=req-1", status: 400, contains: []string{"audit_filter_invalid"}},

		// listMyAudit
		{name: "own trail without credentials", method: "GET", path: "/api/v1/audit/mine", status: 401, header: bearer},
		{name: "own trail", token: "alice", method: "GET", path: "/api/v1/audit/mine", status: 200,
			contains: []string{`"id":"` + idAlice + `"`, `"action":"request.`}, notContain: []string{idAdmin + `","name"`, idCarol, "role.assigned"}},
		{name: "own trail ignores an actor filter", token: "alice", method: "GET", path: "/api/v1/audit/mine?actor=" + idAdmin, status: 200,
			contains: []string{`"id":"` + idAlice + `"`}, notContain: []string{"role.assigned"}},
		{name: "own trail of someone who did nothing", token: "bob", method: "GET", path: "/api/v1/audit/mine", status: 200, contains: []string{`"items":[]`}},
		{name: "own trail with a key lacking audit:read", token: "apikey-read", method: "GET", path: "/api/v1/audit/mine", status: 403, contains: []string{"scope_required"}},
		{name: "own trail: bad filter", token: "alice", method: "GET", path: "/api/v1/audit/mine?until=soon", status: 400, contains: []string{"audit_filter_invalid"}},

		// exportAudit
		{name: "export without credentials", method: "GET", path: "/api/v1/audit/export", status: 401, header: bearer},
		{name: "export as an end user", token: "alice", method: "GET", path: "/api/v1/audit/export", status: 403, contains: []string{"role_required"}},
		{name: "export: unknown format", token: "admin", method: "GET", path: "/api/v1/audit/export?format=xlsx", status: 400, contains: []string{"export_format_invalid"}},
		{name: "export: unknown scope", token: "admin", method: "GET", path: "/api/v1/audit/export?scope=all", status: 400, contains: []string{"scope_invalid"}},
		{name: "export: bad filter", token: "admin", method: "GET", path: "/api/v1/audit/export?since=now", status: 400, contains: []string{"audit_filter_invalid"}},
		{name: "export as CSV", token: "admin", method: "GET", path: "/api/v1/audit/export?format=csv", status: 200,
			header:   map[string]string{"Content-Type": "text/csv", "Content-Disposition": "attachment; filename=audit.csv"},
			contains: []string{"tenant_id,seq,id,at,actor_type", "role.assigned", `'=HYPERLINK(`}, notContain: []string{`,=HYPERLINK`, `,"=HYPERLINK`, "fabrikam"},
			after: func(t *testing.T, e *apiEnv) {
				recs := exportRecords(t, e, "admin", "/api/v1/audit/export")
				if len(recs) < 4 || recs[1][1] != "1" || recs[1][0] != "contoso" {
					t.Fatalf("CSV export %q", recs)
				}
			}},
		{name: "export as JSON", token: "admin", method: "GET", path: "/api/v1/audit/export?format=json&action=request.*", status: 200,
			header:   map[string]string{"Content-Type": "application/json", "Content-Disposition": "attachment; filename=audit.json"},
			contains: []string{`"subjectType":"request"`}, notContain: []string{"role.assigned", "'="}},
		{name: "export own trail", token: "alice", method: "GET", path: "/api/v1/audit/export?scope=mine&format=json", status: 200,
			header:   map[string]string{"Content-Disposition": "attachment; filename=audit-mine.json"},
			contains: []string{idAlice}, notContain: []string{"role.assigned", idCarol}},
		{name: "export of another tenant", token: "fabrikam-admin", method: "GET", path: "/api/v1/audit/export", status: 200,
			contains: []string{"fabrikam"}, notContain: []string{"contoso", idAlice}},
	})
}

// exportRecords downloads a CSV export and parses it.
func exportRecords(t *testing.T, e *apiEnv, token, path string) [][]string {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	recs, err := csv.NewReader(strings.NewReader(rec.Body.String())).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v\n%s", err, rec.Body.String())
	}
	return recs
}

// TestAuditExportPages: the export reads past one page of the trail, and
// its JSON is one array of every event.
func TestAuditExportPages(t *testing.T) {
	e := newAPIEnv(t)
	for range governance.AuditMaxLimit + 5 {
		if _, err := e.db.RecordAudit(context.Background(), governance.AuditEvent{TenantID: "contoso", Action: "user.signed_in",
			Actor: governance.AuditActor{Type: governance.AuditActorUser, ID: idBob}}); err != nil {
			t.Fatal(err)
		}
	}
	req := httptest.NewRequest("GET", "/api/v1/audit/export?format=json&actor="+idBob, nil)
	req.Header.Set("Authorization", "Bearer admin")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	var got []AuditRecord
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || len(got) != governance.AuditMaxLimit+5 {
		t.Fatalf("%d events, %v", len(got), err)
	}
	if recs := exportRecords(t, e, "admin", "/api/v1/audit/export?actor="+idBob); len(recs) != governance.AuditMaxLimit+6 {
		t.Fatalf("%d CSV rows", len(recs))
	}
}

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{"": "", "Alice": "Alice", "=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "a=b": "a=b"} {
		if got := governance.CSVSafe(in); got != want {
			t.Errorf("CSVSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
