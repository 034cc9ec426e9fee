package governance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// auditTestChain builds a valid chain of n events for tenant, as the store
// would.
func auditTestChain(tenant string, n int) []AuditEvent {
	prev := AuditGenesis(tenant)
	var out []AuditEvent
	for i := range n {
		e := AuditEvent{
			TenantID: tenant, Seq: int64(i + 1), ID: fmt.Sprintf("%032x", i),
			At:     time.Date(2026, 11, 22, 9, 30, i, 123456000, time.UTC),
			Actor:  AuditActor{Type: AuditActorUser, ID: "u1", Name: "Ada"},
			Action: "request.created", SubjectType: "request", SubjectID: fmt.Sprint(i),
			After: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), RequestID: "r", PrevHash: prev,
		}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

func TestAuditHashCoversEveryField(t *testing.T) {
	base := auditTestChain("contoso", 1)[0]
	base.Before = json.RawMessage(`{"a":1}`)
	h := base.ComputeHash()
	if !bytes.Equal(h, base.ComputeHash()) {
		t.Fatal("hash is not deterministic")
	}
	edits := map[string]func(e *AuditEvent){
		"tenant":       func(e *AuditEvent) { e.TenantID = "fabrikam" },
		"seq":          func(e *AuditEvent) { e.Seq = 2 },
		"id":           func(e *AuditEvent) { e.ID = "x" },
		"at":           func(e *AuditEvent) { e.At = e.At.Add(time.Microsecond) },
		"actor type":   func(e *AuditEvent) { e.Actor.Type = AuditActorApp },
		"actor id":     func(e *AuditEvent) { e.Actor.ID = "u2" },
		"actor name":   func(e *AuditEvent) { e.Actor.Name = "Bob" },
		"action":       func(e *AuditEvent) { e.Action = "request.approved" },
		"subject type": func(e *AuditEvent) { e.SubjectType = "template" },
		"subject id":   func(e *AuditEvent) { e.SubjectID = "other" },
		"before":       func(e *AuditEvent) { e.Before = json.RawMessage(`{"a":2}`) },
		"before gone":  func(e *AuditEvent) { e.Before = nil },
		"after":        func(e *AuditEvent) { e.After = json.RawMessage(`{"n":1}`) },
		"request id":   func(e *AuditEvent) { e.RequestID = "r2" },
		"prev hash":    func(e *AuditEvent) { e.PrevHash = AuditGenesis("x") },
		// Length prefixes: moving bytes between adjacent fields changes the hash.
		"field boundary": func(e *AuditEvent) { e.SubjectType, e.SubjectID = "requestx", "" },
	}
	base.SubjectID = "x"
	h = base.ComputeHash()
	for name, edit := range edits {
		e := base
		edit(&e)
		if bytes.Equal(e.ComputeHash(), h) {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
	// Hash itself is not covered: it is the output.
	e := base
	e.Hash = []byte("anything")
	if !bytes.Equal(e.ComputeHash(), h) {
		t.Error("the hash covers the Hash field")
	}
}

func TestAuditCanonicalJSON(t *testing.T) {
	a := AuditEvent{TenantID: "t", After: json.RawMessage(`{ "b": [1, 2.50, {"y":true,"x":null}], "a": "<&>" }`)}
	b := AuditEvent{TenantID: "t", After: json.RawMessage(`{"a":"<&>","b":[1,2.50,{"x":null,"y":true}]}`)}
	if !bytes.Equal(a.ComputeHash(), b.ComputeHash()) {
		t.Fatal("semantically equal JSON hashes differently")
	}
	c, err := AuditCanonicalJSON(a.After)
	if err != nil || string(c) != `{"a":"<&>","b":[1,2.50,{"x":null,"y":true}]}` {
		t.Fatalf("canonical = %s, %v", c, err)
	}
	for _, bad := range []string{``, `{`, `{} {}`, `{"a":1}x`} {
		if _, err := AuditCanonicalJSON(json.RawMessage(bad)); err == nil {
			t.Errorf("%q accepted as JSON", bad)
		}
	}
	// Absent, JSON null and invalid JSON are three different states.
	hashes := map[string]bool{}
	for _, raw := range []json.RawMessage{nil, json.RawMessage(`null`), json.RawMessage(`nul`)} {
		hashes[string(AuditEvent{After: raw}.ComputeHash())] = true
	}
	if len(hashes) != 3 {
		t.Fatal("absent, null and invalid after states collide")
	}
}

func TestAuditGenesisPerTenant(t *testing.T) {
	if bytes.Equal(AuditGenesis("a"), AuditGenesis("b")) || len(AuditGenesis("a")) != 32 {
		t.Fatal("genesis must be a SHA-256 per tenant")
	}
}

func TestVerifyAuditChain(t *testing.T) {
	breaksOf := func(events []AuditEvent) string {
		var s []string
		for _, b := range VerifyAuditChain("contoso", events) {
			s = append(s, b.String())
		}
		return strings.Join(s, " | ")
	}
	for _, tc := range []struct {
		name   string
		mutate func(c []AuditEvent) []AuditEvent
		want   []string // fragments, in order; none for a valid chain
	}{
		{"valid", func(c []AuditEvent) []AuditEvent { return c }, nil},
		{"empty", func([]AuditEvent) []AuditEvent { return nil }, nil},
		{"edited", func(c []AuditEvent) []AuditEvent { c[2].Actor.ID = "mallory"; return c }, []string{"seq 3: hash mismatch: row edited"}},
		{"two edits, both reported", func(c []AuditEvent) []AuditEvent {
			c[1].After = json.RawMessage(`{"n":99}`)
			c[4].Action = "request.deleted"
			return c
		}, []string{"seq 2: hash mismatch", "seq 5: hash mismatch"}},
		{"removed", func(c []AuditEvent) []AuditEvent { return append(c[:2], c[3:]...) }, []string{"seq 4: sequence gap: 4 follows 2"}},
		{"first removed", func(c []AuditEvent) []AuditEvent { return c[1:] }, []string{"seq 2: sequence gap: the chain starts at 2"}},
		{"swapped", func(c []AuditEvent) []AuditEvent { c[1], c[2] = c[2], c[1]; return c }, []string{
			"seq 3: sequence gap: 3 follows 1", "seq 2: sequence out of order: 2 follows 3", "seq 2: prev_hash mismatch", "seq 4: prev_hash mismatch"}},
		{"rehashed after an edit", func(c []AuditEvent) []AuditEvent {
			c[1].SubjectID = "forged"
			c[1].Hash = c[1].ComputeHash()
			return c
		}, []string{"seq 3: prev_hash mismatch"}},
		{"other tenant", func([]AuditEvent) []AuditEvent { return auditTestChain("fabrikam", 2) }, []string{
			"seq 1: tenant mismatch", "seq 1: prev_hash mismatch", "seq 2: tenant mismatch"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := breaksOf(tc.mutate(auditTestChain("contoso", 6)))
			rest := got
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("breaks %q lack %q (in order)", got, w)
				}
				rest = rest[i+len(w):]
			}
			if len(tc.want) == 0 && got != "" {
				t.Fatalf("valid chain reported %q", got)
			}
		})
	}
	// In batches, the verifier gives the same answer as in one go.
	chain := auditTestChain("contoso", 10)
	v := NewAuditVerifier("contoso")
	if b := append(v.Add(chain[:4]...), v.Add(chain[4:]...)...); len(b) != 0 || v.Count() != 10 || !bytes.Equal(v.Head(), chain[9].Hash) {
		t.Fatalf("batched verify: %v, count %d", b, v.Count())
	}
}

func TestAuditEventValidate(t *testing.T) {
	ok := AuditEvent{TenantID: "t", Actor: AuditActor{Type: "user", ID: "u"}, Action: "request.created"}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(e *AuditEvent){
		"no tenant":       func(e *AuditEvent) { e.TenantID = "" },
		"actor type":      func(e *AuditEvent) { e.Actor.Type = "robot" },
		"no actor id":     func(e *AuditEvent) { e.Actor.ID = "" },
		"undotted action": func(e *AuditEvent) { e.Action = "created" },
		"upper action":    func(e *AuditEvent) { e.Action = "Request.Created" },
		"subject type":    func(e *AuditEvent) { e.SubjectType = "Request Type" },
		"bad before":      func(e *AuditEvent) { e.Before = json.RawMessage(`{`) },
		"long request id": func(e *AuditEvent) { e.RequestID = strings.Repeat("x", 300) },
	} {
		e := ok
		edit(&e)
		if err := e.Validate(); !IsKind(err, KindInvalid) {
			t.Errorf("%s: err = %v, want KindInvalid", name, err)
		}
	}
}

func TestAuditFilterValidate(t *testing.T) {
	now := time.Now()
	for _, f := range []AuditFilter{{}, {Limit: 1000, Action: "request.*"}, {Action: "request.created", ActorID: "u", SubjectType: "request", SubjectID: "1"}, {Since: now, Until: now.Add(time.Second)}} {
		if err := f.Validate(); err != nil {
			t.Errorf("%+v: %v", f, err)
		}
	}
	for _, tc := range []struct {
		f    AuditFilter
		want string
	}{
		{AuditFilter{Limit: 1001}, "limit 1001 is out of range"},
		{AuditFilter{Limit: -1}, "limit -1"},
		{AuditFilter{AfterSeq: -1}, "after_seq"},
		{AuditFilter{Action: "request"}, `action "request" is invalid`},
		{AuditFilter{Action: "request*"}, "invalid"},
		{AuditFilter{Action: "*"}, "invalid"},
		{AuditFilter{SubjectID: "1"}, "needs its subject type"},
		{AuditFilter{Since: now, Until: now}, "must be after since"},
	} {
		err := tc.f.Validate()
		if !IsKind(err, KindInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want KindInvalid saying %q", tc.f, err, tc.want)
		}
	}
	if (AuditFilter{}).EffectiveLimit() != AuditDefaultLimit {
		t.Error("default limit")
	}
	if e, p := (AuditFilter{Action: "request.*"}).ActionPrefix(); e != "" || p != "request." {
		t.Errorf("prefix = %q, %q", e, p)
	}
}
