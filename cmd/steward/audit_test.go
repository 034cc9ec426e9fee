package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
)

// auditFixture is a migrated database with two tenants' audit trails, and
// a CLI configured for it.
type auditFixture struct {
	db    *store.DB
	cli   *stewardCLI
	start time.Time // the first event's time; event i is i minutes later
}

func newAuditFixture(t *testing.T, e cliEngine) *auditFixture {
	t.Helper()
	dir := t.TempDir()
	dsn := e.dsn(t, dir)
	clock := testenv.NewClock()
	db, err := store.Open(t.Context(), dsn, store.Options{Now: clock.Now})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	createTenants(t, db, "contoso", "fabrikam")
	f := &auditFixture{db: db, cli: newStewardCLI(dsn, filepath.Join(dir, "keyring.json"), dir), start: clock.Now().UTC().Truncate(time.Microsecond)}
	for i := range 12 {
		actions := []string{"request.created", "request.approved", "template.updated"}
		_, err := db.RecordAudit(t.Context(), governance.AuditEvent{
			TenantID: "contoso", Actor: governance.AuditActor{Type: "user", ID: fmt.Sprintf("user-%d", i%2), Name: "Ada, \"the\" admin"},
			Action: actions[i%3], SubjectType: "request", SubjectID: fmt.Sprint(i),
			Before: json.RawMessage(fmt.Sprintf(`{"state":"draft","n":%d}`, i)), After: json.RawMessage(fmt.Sprintf(`{"state":"done","n":%d}`, i)),
			RequestID: fmt.Sprintf("req-%d", i),
		})
		if err != nil {
			t.Fatalf("record: %v", err)
		}
		clock.Advance(time.Minute)
	}
	for i := range 3 {
		if _, err := db.RecordAudit(t.Context(), governance.AuditEvent{TenantID: "fabrikam", Actor: governance.AuditActor{Type: "system", ID: "reconciler"},
			Action: "membership.repaired", SubjectType: "team", SubjectID: fmt.Sprint(i)}); err != nil {
			t.Fatalf("record: %v", err)
		}
	}
	return f
}

// tamper edits a row after dropping the append-only guard, as someone with
// the database owner's rights could.
func (f *auditFixture) tamper(t *testing.T, seq int) {
	t.Helper()
	drop := []string{`DROP TRIGGER audit_events_no_update`}
	if f.db.Engine() == store.Postgres {
		drop = []string{`DROP TRIGGER audit_events_append_only ON audit_events`}
	}
	ctx := t.Context()
	for _, q := range drop {
		if _, err := f.db.Writer().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := f.db.Writer().ExecContext(ctx, `UPDATE audit_events SET actor_id = 'mallory' WHERE tenant_id = 'contoso' AND seq = $1`, seq); err != nil {
		t.Fatalf("tamper: %v", err)
	}
}

func TestAuditVerify(t *testing.T) {
	for _, e := range cliEngines() {
		t.Run(e.name, func(t *testing.T) {
			f := newAuditFixture(t, e)
			out := f.cli.mustRun(t, "audit", "verify")
			for _, want := range []string{"tenant contoso: ok: 12 events, head ", "tenant fabrikam: ok: 3 events, head "} {
				if !strings.Contains(out, want) {
					t.Fatalf("verify output lacks %q:\n%s", want, out)
				}
			}
			if out := f.cli.mustRun(t, "audit", "verify", "--tenant", "fabrikam"); strings.Contains(out, "contoso") || !strings.Contains(out, "fabrikam: ok: 3 events") {
				t.Fatalf("verify --tenant fabrikam:\n%s", out)
			}
			if _, _, err := f.cli.run(t, "audit", "verify", "--tenant", "nobody"); !governance.IsKind(err, governance.KindNotFound) {
				t.Fatalf("verify of a missing tenant: %v", err)
			}

			f.tamper(t, 5)
			stdout, _, err := f.cli.run(t, "audit", "verify")
			if err == nil || exitCode(err) != 1 {
				t.Fatalf("verify after tampering: err = %v, want exit status 1\n%s", err, stdout)
			}
			if !strings.Contains(err.Error(), "tenant contoso at seq 5") || strings.Contains(err.Error(), "fabrikam") {
				t.Fatalf("error %q does not name tenant contoso and seq 5 (only)", err)
			}
			for _, want := range []string{"tenant contoso: BROKEN at seq 5: hash mismatch: row edited", "tenant fabrikam: ok: 3 events"} {
				if !strings.Contains(stdout, want) {
					t.Fatalf("verify output lacks %q:\n%s", want, stdout)
				}
			}
			if _, _, err := f.cli.run(t, "audit", "verify", "--tenant", "fabrikam"); err != nil {
				t.Fatalf("an untouched tenant verifies: %v", err)
			}
		})
	}
}

func TestAuditExport(t *testing.T) {
	for _, e := range cliEngines() {
		t.Run(e.name, func(t *testing.T) {
			f := newAuditFixture(t, e)
			// CSV: a header, then every event; commas, quotes and JSON survive.
			out := f.cli.mustRun(t, "audit", "export", "--tenant", "contoso", "--format", "csv")
			recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatalf("export is not CSV: %v\n%s", err, out)
			}
			if len(recs) != 13 || strings.Join(recs[0], ",") != strings.Join(governance.AuditCSVHeader, ",") {
				t.Fatalf("CSV has %d rows, header %v", len(recs), recs[0])
			}
			row := map[string]string{}
			for i, h := range recs[0] {
				row[h] = recs[3][i]
			}
			if row["seq"] != "3" || row["actor_name"] != `Ada, "the" admin` || row["action"] != "template.updated" ||
				row["before"] != `{"n":2,"state":"draft"}` || row["after"] != `{"n":2,"state":"done"}` || len(row["hash"]) != 64 ||
				row["at"] != f.start.Add(2*time.Minute).Format(time.RFC3339Nano) {
				t.Fatalf("CSV row 3 = %v", row)
			}

			// JSON: an array of events that still verify as a chain.
			out = f.cli.mustRun(t, "audit", "export", "--tenant", "contoso", "--format", "json")
			var evs []governance.AuditRecord
			if err := json.Unmarshal([]byte(out), &evs); err != nil {
				t.Fatalf("export is not a JSON array: %v\n%s", err, out)
			}
			if len(evs) != 12 || evs[0].Seq != 1 || evs[11].Seq != 12 || string(evs[4].After) != `{"n":4,"state":"done"}` || evs[4].Actor.ID != "user-0" {
				t.Fatalf("JSON export = %+v", evs)
			}

			for _, tc := range []struct {
				name string
				args []string
				want string // seqs
			}{
				{"per user", []string{"--actor", "user-1"}, "2,4,6,8,10,12"},
				{"action", []string{"--action", "request.approved"}, "2,5,8,11"},
				{"action prefix", []string{"--action", "request.*"}, "1,2,4,5,7,8,10,11"},
				{"time window", []string{"--since", f.start.Add(3 * time.Minute).Format(time.RFC3339Nano), "--until", f.start.Add(6 * time.Minute).Format(time.RFC3339Nano)}, "4,5,6"},
				{"combined", []string{"--actor", "user-0", "--action", "request.*", "--since", f.start.Add(4 * time.Minute).Format(time.RFC3339Nano)}, "5,7,11"},
				{"nothing", []string{"--actor", "nobody"}, ""},
			} {
				t.Run(tc.name, func(t *testing.T) {
					out := f.cli.mustRun(t, append([]string{"audit", "export", "--tenant", "contoso", "--format", "json"}, tc.args...)...)
					var evs []governance.AuditRecord
					if err := json.Unmarshal([]byte(out), &evs); err != nil {
						t.Fatalf("not JSON: %v\n%s", err, out)
					}
					var seqs []string
					for _, e := range evs {
						seqs = append(seqs, fmt.Sprint(e.Seq))
					}
					if got := strings.Join(seqs, ","); got != tc.want {
						t.Fatalf("seqs = %q, want %q", got, tc.want)
					}
					csvOut := f.cli.mustRun(t, append([]string{"audit", "export", "--tenant", "contoso", "--format", "csv"}, tc.args...)...)
					if n := strings.Count(csvOut, "\n"); n != len(evs)+1 {
						t.Fatalf("CSV has %d lines for %d events", n, len(evs))
					}
				})
			}
			// Tenants stay apart.
			out = f.cli.mustRun(t, "audit", "export", "--tenant", "fabrikam", "--format", "json")
			if strings.Contains(out, "contoso") || strings.Count(out, `"tenantId":"fabrikam"`) != 3 {
				t.Fatalf("fabrikam export:\n%s", out)
			}
		})
	}
}

// TestAuditExportPages exports more events than one page holds.
func TestAuditExportPages(t *testing.T) {
	f := newAuditFixture(t, cliEngines()[0])
	for range auditBatch + 5 {
		if _, err := f.db.RecordAudit(t.Context(), governance.AuditEvent{TenantID: "fabrikam", Actor: governance.AuditActor{Type: "system", ID: "bulk"}, Action: "team.archived"}); err != nil {
			t.Fatal(err)
		}
	}
	out := f.cli.mustRun(t, "audit", "export", "--tenant", "fabrikam", "--format", "csv", "--action", "team.archived")
	if n := strings.Count(out, "\n"); n != auditBatch+6 {
		t.Fatalf("CSV has %d lines, want a header and %d events", n, auditBatch+5)
	}
	if out := f.cli.mustRun(t, "audit", "verify", "--tenant", "fabrikam"); !strings.Contains(out, fmt.Sprintf("ok: %d events", auditBatch+8)) {
		t.Fatalf("verify across batches:\n%s", out)
	}
}

func TestAuditUsage(t *testing.T) {
	f := newAuditFixture(t, cliEngines()[0])
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no verb", []string{"audit"}, "say what to do"},
		{"unknown verb", []string{"audit", "scrub"}, "say what to do"},
		{"export without tenant", []string{"audit", "export", "--format", "csv"}, "say which tenant: --tenant ID"},
		{"export without format", []string{"audit", "export", "--tenant", "contoso"}, "--format csv or --format json"},
		{"export bad format", []string{"audit", "export", "--tenant", "contoso", "--format", "xml"}, `(got "xml")`},
		{"bad since", []string{"audit", "export", "--tenant", "contoso", "--format", "csv", "--since", "yesterday"}, `--since "yesterday" is not an RFC 3339 time`},
		{"bad until", []string{"audit", "export", "--tenant", "contoso", "--format", "csv", "--until", "2026-13-01"}, "--until"},
		{"until before since", []string{"audit", "export", "--tenant", "contoso", "--format", "csv", "--since", "2026-11-02T00:00:00Z", "--until", "2026-11-01T00:00:00Z"}, "must be after since"},
		{"bad action", []string{"audit", "export", "--tenant", "contoso", "--format", "csv", "--action", "Request Created"}, "use an action such as request.approved"},
		{"export flags on verify", []string{"audit", "verify", "--format", "csv"}, "--format: export only"},
		{"extra argument", []string{"audit", "verify", "contoso"}, "unexpected arguments"},
		{"unknown flag", []string{"audit", "verify", "--tenants", "x"}, "flag provided but not defined"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := f.cli.run(t, tc.args...)
			if exitCode(err) != 2 || err == nil {
				t.Fatalf("err = %v, want a usage error (exit status 2)", err)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Fatalf("stderr lacks %q:\n%s", tc.want, stderr)
			}
			if stdout != "" {
				t.Fatalf("a usage error wrote to stdout:\n%s", stdout)
			}
		})
	}
	if _, _, err := f.cli.run(t, "audit", "export", "--tenant", "nobody", "--format", "csv"); !governance.IsKind(err, governance.KindNotFound) {
		t.Fatalf("export of a missing tenant: %v", err)
	}
	if out := f.cli.mustRun(t, "audit", "--help"); !strings.Contains(out, "Usage: steward audit") {
		t.Fatalf("--help:\n%s", out)
	}
}
