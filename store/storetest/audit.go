package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
)

// runAudit registers the audit trail's conformance subtests.
func runAudit(t *testing.T, migrated func(t *testing.T) (*store.DB, *testenv.Clock)) {
	t.Run("AuditChainVerifies", func(t *testing.T) { db, c := migrated(t); testAuditChain(t, db, c) })
	t.Run("AuditConcurrentAppendsNoGapNoFork", func(t *testing.T) { db, _ := migrated(t); testAuditConcurrent(t, db) })
	t.Run("AuditTenantIsolation", func(t *testing.T) { db, _ := migrated(t); testAuditIsolation(t, db) })
	t.Run("AuditFilters", func(t *testing.T) { db, c := migrated(t); testAuditFilters(t, db, c) })
	t.Run("AuditAppendOnly", func(t *testing.T) { db, _ := migrated(t); testAuditAppendOnly(t, db) })
	t.Run("AuditTamperingDetected", func(t *testing.T) { db, _ := migrated(t); testAuditTampering(t, db) })
}

func auditEvent(tenant string, i int) governance.AuditEvent {
	return governance.AuditEvent{
		TenantID:    tenant,
		Actor:       governance.AuditActor{Type: governance.AuditActorUser, ID: fmt.Sprintf("user-%d", i%3), Name: fmt.Sprintf("User %d", i%3)},
		Action:      []string{"request.created", "request.approved", "template.updated"}[i%3],
		SubjectType: []string{"request", "request", "template"}[i%3],
		SubjectID:   fmt.Sprintf("s-%d", i%5),
		Before:      json.RawMessage(fmt.Sprintf(`{"n": %d, "state": "old"}`, i)),
		After:       json.RawMessage(fmt.Sprintf(`{"state": "new", "n": %d, "tags": ["a", "<b>"]}`, i+1)),
		RequestID:   fmt.Sprintf("req-%d", i),
	}
}

// fullChain reads a tenant's whole trail in small batches, as verification
// does.
func fullChain(t *testing.T, db *store.DB, tenant string) []governance.AuditEvent {
	t.Helper()
	var all []governance.AuditEvent
	from := int64(1)
	for {
		batch, err := db.AuditChain(context.Background(), tenant, from, 7)
		must(t, err, "read chain of "+tenant)
		all = append(all, batch...)
		if len(batch) < 7 {
			return all
		}
		from = batch[len(batch)-1].Seq + 1
	}
}

func mustVerify(t *testing.T, db *store.DB, tenant string, want int) []governance.AuditEvent {
	t.Helper()
	chain := fullChain(t, db, tenant)
	if len(chain) != want {
		t.Fatalf("%s has %d audit events, want %d", tenant, len(chain), want)
	}
	for i, e := range chain {
		if e.Seq != int64(i+1) {
			t.Fatalf("%s: event %d has seq %d: gap or duplicate", tenant, i, e.Seq)
		}
	}
	if breaks := governance.VerifyAuditChain(tenant, chain); len(breaks) > 0 {
		t.Fatalf("%s's chain does not verify: %v", tenant, breaks)
	}
	return chain
}

func testAuditChain(t *testing.T, db *store.DB, clock *testenv.Clock) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	var appended []governance.AuditEvent
	for i := range 50 {
		clock.Advance(time.Second)
		e := auditEvent("contoso", i)
		var got governance.AuditEvent
		// Half go through the caller's transaction, as domain changes do.
		if i%2 == 0 {
			must(t, db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				got, err = db.AppendAudit(ctx, tx, e)
				return err
			}), "append in tx")
		} else {
			var err error
			got, err = db.RecordAudit(ctx, e)
			must(t, err, "record")
		}
		if got.Seq != int64(i+1) || len(got.ID) != 32 || !got.At.Equal(clock.Now().UTC().Truncate(time.Microsecond)) {
			t.Fatalf("appended %+v: want seq %d, a 128-bit hex id, at the injected clock", got, i+1)
		}
		appended = append(appended, got)
	}
	chain := mustVerify(t, db, "contoso", 50)
	for i, e := range chain {
		a := appended[i]
		if e.ID != a.ID || !e.At.Equal(a.At) || e.Actor != a.Actor || e.Action != a.Action || e.SubjectID != a.SubjectID ||
			e.RequestID != a.RequestID || !bytes.Equal(e.Hash, a.Hash) || !bytes.Equal(e.PrevHash, a.PrevHash) {
			t.Fatalf("stored event %d = %+v, appended %+v", i+1, e, a)
		}
		if string(e.Before) != fmt.Sprintf(`{"n":%d,"state":"old"}`, i) || string(e.After) != fmt.Sprintf(`{"n":%d,"state":"new","tags":["a","<b>"]}`, i+1) {
			t.Fatalf("event %d state stored as %s -> %s, want canonical JSON", i+1, e.Before, e.After)
		}
	}
	if !bytes.Equal(chain[0].PrevHash, governance.AuditGenesis("contoso")) {
		t.Fatal("seq 1 does not chain to the tenant's genesis")
	}
	// A creation has no before, a deletion no after: both stay absent.
	created, err := db.RecordAudit(ctx, governance.AuditEvent{TenantID: "contoso", Actor: governance.AuditActor{Type: "system", ID: "reconciler"},
		Action: "membership.repaired", After: json.RawMessage(`{"members":3}`)})
	must(t, err, "record without before")
	got, err := db.AuditChain(ctx, "contoso", created.Seq, 1)
	must(t, err, "read it back")
	if len(got) != 1 || got[0].Before != nil || string(got[0].After) != `{"members":3}` {
		t.Fatalf("read back %+v", got)
	}
	mustVerify(t, db, "contoso", 51)

	_, err = db.RecordAudit(ctx, governance.AuditEvent{TenantID: "nobody", Actor: governance.AuditActor{Type: "system", ID: "x"}, Action: "request.created"})
	mustKind(t, err, governance.KindNotFound, "event of a missing tenant")
	_, err = db.RecordAudit(ctx, governance.AuditEvent{TenantID: "contoso", Actor: governance.AuditActor{Type: "robot", ID: "x"}, Action: "request.created"})
	mustKind(t, err, governance.KindInvalid, "unknown actor type")
	_, err = db.RecordAudit(ctx, governance.AuditEvent{TenantID: "contoso", Actor: governance.AuditActor{Type: "user", ID: "x"}, Action: "request.created", After: json.RawMessage(`{"a":`)})
	mustKind(t, err, governance.KindInvalid, "malformed after state")
	_, err = db.AuditChain(ctx, "contoso", 1, 0)
	mustKind(t, err, governance.KindInvalid, "zero batch")
	mustVerify(t, db, "contoso", 51)
}

// testAuditConcurrent appends from many goroutines at once: the trail must
// come out numbered 1..N with no gap and one chain.
func testAuditConcurrent(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	const writers, each = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := db.RecordAudit(ctx, auditEvent("contoso", w*each+i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err, "concurrent record")
	}
	chain := mustVerify(t, db, "contoso", writers*each)
	ids := map[string]bool{}
	for _, e := range chain {
		ids[e.ID] = true
	}
	if len(ids) != writers*each {
		t.Fatalf("%d distinct event ids for %d events", len(ids), writers*each)
	}
}

func testAuditIsolation(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "alpha")
	mkTenant(t, db, "bravo")
	for i := range 5 {
		_, err := db.RecordAudit(ctx, auditEvent("alpha", i))
		must(t, err, "alpha record")
	}
	alphaBefore := mustVerify(t, db, "alpha", 5)
	evs, err := db.AuditEvents(ctx, "bravo", governance.AuditFilter{})
	must(t, err, "bravo lists")
	if len(evs) != 0 {
		t.Fatalf("bravo sees %d of alpha's events", len(evs))
	}
	evs, err = db.AuditEvents(ctx, "bravo", governance.AuditFilter{ActorID: "user-1"})
	must(t, err, "bravo lists by alpha's actor")
	if len(evs) != 0 {
		t.Fatalf("bravo sees %d of alpha's events by actor", len(evs))
	}
	for i := range 3 {
		_, err := db.RecordAudit(ctx, auditEvent("bravo", i))
		must(t, err, "bravo record")
	}
	bravo := mustVerify(t, db, "bravo", 3)
	if bytes.Equal(bravo[0].PrevHash, alphaBefore[0].PrevHash) {
		t.Fatal("bravo's genesis equals alpha's")
	}
	alphaAfter := mustVerify(t, db, "alpha", 5)
	if !bytes.Equal(alphaAfter[4].Hash, alphaBefore[4].Hash) {
		t.Fatal("bravo's appends changed alpha's head")
	}
	// Alpha's chain does not verify as bravo's: the tenant is in every hash.
	if breaks := governance.VerifyAuditChain("bravo", alphaAfter); len(breaks) == 0 {
		t.Fatal("alpha's chain verified as bravo's")
	}
	// Removing a tenant removes its trail (the only delete there is).
	must(t, db.DeleteTenant(ctx, "bravo"), "delete bravo")
	mkTenant(t, db, "bravo")
	if evs := fullChain(t, db, "bravo"); len(evs) != 0 {
		t.Fatalf("bravo's trail survived its tenant: %d events", len(evs))
	}
	mustVerify(t, db, "alpha", 5)
}

func testAuditFilters(t *testing.T, db *store.DB, clock *testenv.Clock) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	start := clock.Now().UTC().Truncate(time.Microsecond)
	for i := range 30 {
		_, err := db.RecordAudit(ctx, auditEvent("contoso", i)) // event i at start + i minutes
		must(t, err, "record")
		clock.Advance(time.Minute)
	}
	seqs := func(f governance.AuditFilter) string {
		t.Helper()
		evs, err := db.AuditEvents(ctx, "contoso", f)
		must(t, err, fmt.Sprintf("list %+v", f))
		var s []string
		for _, e := range evs {
			s = append(s, fmt.Sprint(e.Seq))
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		name string
		f    governance.AuditFilter
		want string
	}{
		{"company-wide, limited", governance.AuditFilter{Limit: 4}, "1,2,3,4"},
		{"next page", governance.AuditFilter{Limit: 4, AfterSeq: 4}, "5,6,7,8"},
		{"per user", governance.AuditFilter{ActorID: "user-2", Limit: 5}, "3,6,9,12,15"},
		{"exact action", governance.AuditFilter{Action: "request.approved", Limit: 3}, "2,5,8"},
		{"action prefix", governance.AuditFilter{Action: "request.*", Limit: 4}, "1,2,4,5"},
		{"prefix is not a substring", governance.AuditFilter{Action: "request.create.*"}, ""},
		{"subject", governance.AuditFilter{SubjectType: "template", SubjectID: "s-0"}, "6,21"},
		{"since inclusive, until exclusive", governance.AuditFilter{Since: start.Add(10 * time.Minute), Until: start.Add(13 * time.Minute)}, "11,12,13"},
		{"whole-second bounds", governance.AuditFilter{Since: start.Add(10 * time.Minute).Truncate(time.Second), Until: start.Add(12 * time.Minute).Truncate(time.Second)}, "11,12"},
		{"bounds in another zone", governance.AuditFilter{Since: start.Add(10 * time.Minute).In(time.FixedZone("x", -5*3600)), Until: start.Add(11 * time.Minute).In(time.FixedZone("y", 3600))}, "11"},
		{"since a fraction before", governance.AuditFilter{Since: start.Add(28*time.Minute - time.Microsecond)}, "29,30"},
		{"combined", governance.AuditFilter{ActorID: "user-0", Action: "request.*", Since: start.Add(5 * time.Minute)}, "7,10,13,16,19,22,25,28"},
		{"none", governance.AuditFilter{ActorID: "nobody"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := seqs(tc.f); got != tc.want {
				t.Fatalf("seqs = %q, want %q", got, tc.want)
			}
		})
	}
	if evs, _ := db.AuditEvents(ctx, "contoso", governance.AuditFilter{}); len(evs) != 30 {
		t.Fatalf("default limit returned %d of 30", len(evs))
	}
	for _, f := range []governance.AuditFilter{{Limit: 1001}, {Limit: -1}, {Action: "Request"}, {AfterSeq: -1}, {Since: start, Until: start}} {
		_, err := db.AuditEvents(ctx, "contoso", f)
		mustKind(t, err, governance.KindInvalid, fmt.Sprintf("filter %+v", f))
	}
}

// execRaw runs SQL as someone with database access but not through the
// store would: the triggers are what stops them.
func execRaw(db *store.DB, query string, args ...any) error {
	_, err := db.Writer().ExecContext(context.Background(), query, args...)
	return err
}

func testAuditAppendOnly(t *testing.T, db *store.DB) {
	ctx := context.Background()
	mkTenant(t, db, "contoso")
	for i := range 3 {
		_, err := db.RecordAudit(ctx, auditEvent("contoso", i))
		must(t, err, "record")
	}
	for _, q := range []string{
		`UPDATE audit_events SET after_json = '{"state":"forged"}' WHERE tenant_id = 'contoso' AND seq = 2`,
		`UPDATE audit_events SET actor_id = 'someone-else' WHERE tenant_id = 'contoso'`,
		`DELETE FROM audit_events WHERE tenant_id = 'contoso' AND seq = 2`,
		`DELETE FROM audit_events WHERE tenant_id = 'contoso'`,
	} {
		err := execRaw(db, q)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: got %v, want the append-only trigger to refuse it", q, err)
		}
	}
	if db.Engine() == store.Postgres {
		if err := execRaw(db, `TRUNCATE audit_events`); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("TRUNCATE: got %v, want it refused", err)
		}
	}
	mustVerify(t, db, "contoso", 3)
	// The tenant's removal still takes its trail along.
	must(t, db.DeleteTenant(ctx, "contoso"), "delete tenant with a trail")
}

// dropAuditGuard removes the append-only triggers, as an attacker with
// owner rights could, so the test can tamper and check verification.
func dropAuditGuard(t *testing.T, db *store.DB) {
	t.Helper()
	stmts := []string{`DROP TRIGGER audit_events_no_update`, `DROP TRIGGER audit_events_no_delete`}
	if db.Engine() == store.Postgres {
		stmts = []string{`DROP TRIGGER audit_events_append_only ON audit_events`}
	}
	for _, q := range stmts {
		must(t, execRaw(db, q), q)
	}
}

func testAuditTampering(t *testing.T, db *store.DB) {
	ctx := context.Background()
	dropAuditGuard(t, db)
	sqlTamper := func(stmts ...string) func(t *testing.T) {
		return func(t *testing.T) {
			for _, q := range stmts {
				must(t, execRaw(db, q), q)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T)
		// want maps every seq that must be reported to a fragment of its reason.
		want map[int64]string
	}{
		{"edited state", sqlTamper(`UPDATE audit_events SET after_json = '{"state":"forged"}' WHERE tenant_id = 'contoso' AND seq = 7`),
			map[int64]string{7: "hash mismatch: row edited"}},
		{"edited actor", sqlTamper(`UPDATE audit_events SET actor_id = 'mallory' WHERE tenant_id = 'contoso' AND seq = 3`),
			map[int64]string{3: "hash mismatch"}},
		{"edited and hash recomputed", func(t *testing.T) {
			chain := fullChain(t, db, "contoso")
			e := chain[7]
			e.After = json.RawMessage(`{"state":"forged"}`)
			e.Hash = e.ComputeHash()
			must(t, execRaw(db, `UPDATE audit_events SET after_json = $1, hash = $2 WHERE tenant_id = 'contoso' AND seq = 8`, string(e.After), e.Hash), "forge")
		}, map[int64]string{9: "prev_hash mismatch"}},
		{"deleted middle row", sqlTamper(`DELETE FROM audit_events WHERE tenant_id = 'contoso' AND seq = 5`),
			map[int64]string{6: "sequence gap: 6 follows 4"}},
		{"deleted first row", sqlTamper(`DELETE FROM audit_events WHERE tenant_id = 'contoso' AND seq = 1`),
			map[int64]string{2: "starts at 2"}},
		{"deleted and renumbered", sqlTamper(
			`DELETE FROM audit_events WHERE tenant_id = 'contoso' AND seq = 5`,
			`UPDATE audit_events SET seq = 5 WHERE tenant_id = 'contoso' AND seq = 6`,
			`UPDATE audit_events SET seq = 6 WHERE tenant_id = 'contoso' AND seq = 7`),
			map[int64]string{5: "prev_hash mismatch", 6: "hash mismatch", 8: "sequence gap: 8 follows 6"}},
		{"reordered rows", sqlTamper(
			`UPDATE audit_events SET seq = 1000 WHERE tenant_id = 'contoso' AND seq = 4`,
			`UPDATE audit_events SET seq = 4 WHERE tenant_id = 'contoso' AND seq = 5`,
			`UPDATE audit_events SET seq = 5 WHERE tenant_id = 'contoso' AND seq = 1000`),
			map[int64]string{4: "hash mismatch", 5: "hash mismatch", 6: "prev_hash mismatch"}},
		{"row moved from another tenant", sqlTamper(
			`UPDATE audit_events SET tenant_id = 'contoso', seq = 11 WHERE tenant_id = 'fabrikam' AND seq = 1`),
			map[int64]string{11: "hash mismatch"}},
		{"hash swapped", sqlTamper(
			`UPDATE audit_events SET hash = (SELECT hash FROM audit_events WHERE tenant_id = 'contoso' AND seq = 2) WHERE tenant_id = 'contoso' AND seq = 8`),
			map[int64]string{8: "hash mismatch", 9: "prev_hash mismatch"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Removing the tenants is the one delete the trail allows.
			must(t, execRaw(db, `DELETE FROM tenants WHERE tenant_id IN ('contoso', 'fabrikam')`), "reset")
			mkTenant(t, db, "contoso")
			mkTenant(t, db, "fabrikam")
			for i := range 10 {
				_, err := db.RecordAudit(ctx, auditEvent("contoso", i))
				must(t, err, "record")
			}
			_, err := db.RecordAudit(ctx, auditEvent("fabrikam", 0))
			must(t, err, "record fabrikam")
			mustVerify(t, db, "contoso", 10)
			tc.tamper(t)
			breaks := governance.VerifyAuditChain("contoso", fullChain(t, db, "contoso"))
			got := map[int64]string{}
			for _, b := range breaks {
				got[b.Seq] += b.Reason + "; "
			}
			for seq, frag := range tc.want {
				if !strings.Contains(got[seq], frag) {
					t.Errorf("seq %d: breaks %v, want one saying %q", seq, breaks, frag)
				}
			}
			for seq := range got {
				if _, ok := tc.want[seq]; !ok {
					t.Errorf("unexpected break at seq %d: %v", seq, breaks)
				}
			}
		})
	}
}
