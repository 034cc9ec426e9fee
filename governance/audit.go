package governance

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Actor types of an audit event.
const (
	AuditActorUser   = "user"
	AuditActorApp    = "app"
	AuditActorSystem = "system"
	AuditActorAPIKey = "api_key"
)

// AuditActor is who caused a state change: a signed-in user, an app
// (another service acting with its own identity), Steward itself (jobs,
// reconcilers) or an API key.
type AuditActor struct {
	Type string `json:"type"` // user | app | system | api_key
	ID   string `json:"id"`
	Name string `json:"name,omitempty"` // display name at the time, for readers; not an identity
}

// AuditEvent is one entry of a tenant's append-only audit trail: one state
// change with who made it, when, and the subject before and after.
//
// Entries form a hash chain per tenant: each one's PrevHash is the Hash of
// the entry before it (AuditGenesis for Seq 1), and Hash covers every other
// field (see CanonicalBytes). Editing, removing, reordering or moving an
// entry to another tenant therefore breaks the chain, which
// VerifyAuditChain reports.
type AuditEvent struct {
	TenantID string
	// Seq numbers a tenant's events 1, 2, 3... without gaps; it is the
	// order of the trail (At is the time of the transaction that wrote the
	// event, and concurrent transactions may commit in another order).
	Seq int64
	// ID is a random 128-bit hex id, unique per tenant, for references from
	// elsewhere (notifications, support tickets) that must not reveal Seq.
	ID          string
	At          time.Time // UTC, microsecond precision
	Actor       AuditActor
	Action      string // dotted, e.g. "request.created", "template.updated"
	SubjectType string // e.g. "request", "template", "team"
	SubjectID   string
	// Before and After are the subject's state as JSON (nil when there is
	// none: nothing before a creation, nothing after a deletion). The store
	// keeps them in canonical form (see AuditCanonicalJSON).
	Before, After json.RawMessage
	RequestID     string // correlation id of the HTTP request or job
	PrevHash      []byte // SHA-256 Hash of the previous event, or AuditGenesis
	Hash          []byte // SHA-256 of CanonicalBytes
}

// auditDomain versions the canonical encoding: a future encoding gets a new
// tag, so old and new hashes can never be confused.
const auditDomain = "steward-audit-v1"

// CanonicalBytes is the deterministic encoding the hash covers: every field
// except Hash, TenantID, Seq and PrevHash included, so an event cannot be
// reordered, moved across tenants or dropped without breaking the chain.
//
// The encoding is length-prefixed binary rather than JSON: a domain tag,
// then each field in a fixed order, strings as an 8-byte big-endian length
// and the bytes, Seq and At (Unix microseconds) as 8-byte big-endian
// integers. Length prefixes make the encoding unambiguous (no value can
// spill into the next field) without any escaping rules to get wrong.
//
// Before and After are canonicalised first (AuditCanonicalJSON: keys sorted,
// no insignificant whitespace), so semantically equal JSON hashes the same
// whatever engine or client formatted it. Each is preceded by a marker byte:
// 0 absent, 1 JSON, 2 not valid JSON (hashed as is, so even a malformed
// value is covered; Validate refuses such values before they are stored).
func (e AuditEvent) CanonicalBytes() []byte {
	var b bytes.Buffer
	str := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		b.Write(n[:])
		b.WriteString(s)
	}
	i64 := func(v int64) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(v))
		b.Write(n[:])
	}
	doc := func(raw json.RawMessage) {
		if raw == nil {
			b.WriteByte(0)
			return
		}
		if c, err := AuditCanonicalJSON(raw); err == nil {
			b.WriteByte(1)
			str(string(c))
			return
		}
		b.WriteByte(2)
		str(string(raw))
	}
	str(auditDomain)
	str(e.TenantID)
	i64(e.Seq)
	str(e.ID)
	i64(e.At.UnixMicro())
	str(e.Actor.Type)
	str(e.Actor.ID)
	str(e.Actor.Name)
	str(e.Action)
	str(e.SubjectType)
	str(e.SubjectID)
	doc(e.Before)
	doc(e.After)
	str(e.RequestID)
	str(string(e.PrevHash))
	return b.Bytes()
}

// ComputeHash returns SHA-256(CanonicalBytes()): the Hash e must carry.
func (e AuditEvent) ComputeHash() []byte {
	sum := sha256.Sum256(e.CanonicalBytes())
	return sum[:]
}

// AuditGenesis is the PrevHash of a tenant's first event. It depends on the
// tenant id, so a whole chain cannot be replayed under another tenant.
func AuditGenesis(tenantID string) []byte {
	sum := sha256.Sum256([]byte("steward-audit-genesis\x00" + tenantID))
	return sum[:]
}

// AuditCanonicalJSON re-encodes a JSON value with object keys sorted, no
// insignificant whitespace and no HTML escaping. Numbers keep their literal
// spelling (1.0 and 1 stay different): re-formatting them could change a
// value, and what is hashed must be what was written.
func AuditCanonicalJSON(raw json.RawMessage) (json.RawMessage, error) {
	if !json.Valid(raw) { // also refuses trailing data, which Decode would ignore
		return nil, fmt.Errorf("not valid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	// encoding/json writes map keys in sorted order.
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

var (
	auditActionPattern  = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	auditPrefixPattern  = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.\*$`)
	auditSubjectPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

const auditMaxText = 256

// Validate reports what is wrong with an event about to be appended, as a
// KindInvalid error. Seq, ID, At and the hashes are the store's to set and
// are not checked.
func (e AuditEvent) Validate() error {
	bad := func(code, format string, args ...any) error {
		return Errorf(KindInvalid, code, format, args...)
	}
	switch {
	case e.TenantID == "":
		return bad("audit_tenant_missing", "an audit event needs a tenant id")
	case e.Actor.Type != AuditActorUser && e.Actor.Type != AuditActorApp && e.Actor.Type != AuditActorSystem && e.Actor.Type != AuditActorAPIKey:
		return bad("audit_actor_invalid", "audit actor type %q is invalid: use user, app, system or api_key", e.Actor.Type)
	case e.Actor.ID == "" || len(e.Actor.ID) > auditMaxText:
		return bad("audit_actor_invalid", "an audit event needs an actor id of 1 to %d characters", auditMaxText)
	case len(e.Actor.Name) > auditMaxText:
		return bad("audit_actor_invalid", "the audit actor name is longer than %d characters", auditMaxText)
	case !auditActionPattern.MatchString(e.Action) || len(e.Action) > auditMaxText:
		return bad("audit_action_invalid", "audit action %q is invalid: use dotted lowercase words such as request.created", e.Action)
	case e.SubjectType != "" && !auditSubjectPattern.MatchString(e.SubjectType):
		return bad("audit_subject_invalid", "audit subject type %q is invalid: use one lowercase word such as request or template", e.SubjectType)
	case len(e.SubjectID) > auditMaxText || len(e.RequestID) > auditMaxText:
		return bad("audit_field_too_long", "audit subject and request ids must be at most %d characters", auditMaxText)
	}
	for _, d := range []struct {
		name string
		doc  json.RawMessage
	}{{"before", e.Before}, {"after", e.After}} {
		if d.doc == nil {
			continue
		}
		if _, err := AuditCanonicalJSON(d.doc); err != nil {
			return bad("audit_json_invalid", "the audit event's %s state is not valid JSON: %v", d.name, err)
		}
	}
	return nil
}

// AuditBreak is one place where a tenant's chain does not verify.
type AuditBreak struct {
	Seq    int64
	Reason string // e.g. "hash mismatch: row edited"
}

// String reads "seq N: reason", for logs and the CLI.
func (b AuditBreak) String() string { return fmt.Sprintf("seq %d: %s", b.Seq, b.Reason) }

// AuditVerifier checks a tenant's chain incrementally, so a long trail can
// be verified in batches without holding it in memory. Feed it the events in
// Seq order, from Seq 1.
type AuditVerifier struct {
	tenantID string
	prevHash []byte
	lastSeq  int64
	count    int64
}

// NewAuditVerifier starts verifying tenantID's chain from its genesis.
func NewAuditVerifier(tenantID string) *AuditVerifier {
	return &AuditVerifier{tenantID: tenantID, prevHash: AuditGenesis(tenantID)}
}

// Add checks the next events and returns every break they show. Each event
// is checked against its own content (Hash), its tenant, the Seq and the
// stored Hash of the event before it; a break does not stop the check, so
// one call reports every damaged row.
func (v *AuditVerifier) Add(events ...AuditEvent) []AuditBreak {
	var out []AuditBreak
	for _, e := range events {
		report := func(format string, args ...any) {
			out = append(out, AuditBreak{Seq: e.Seq, Reason: fmt.Sprintf(format, args...)})
		}
		if e.TenantID != v.tenantID {
			report("tenant mismatch: the row belongs to tenant %q: moved across tenants", e.TenantID)
		}
		gap := false
		switch want := v.lastSeq + 1; {
		case e.Seq == want:
		case e.Seq > want:
			gap = true
			if v.lastSeq == 0 {
				report("sequence gap: the chain starts at %d instead of 1: rows removed", e.Seq)
			} else {
				report("sequence gap: %d follows %d: rows removed", e.Seq, v.lastSeq)
			}
		default:
			report("sequence out of order: %d follows %d", e.Seq, v.lastSeq)
		}
		if !bytes.Equal(e.ComputeHash(), e.Hash) {
			report("hash mismatch: row edited")
		}
		// After a gap the previous hash cannot match: the gap already says why.
		if !gap && !bytes.Equal(e.PrevHash, v.prevHash) {
			report("prev_hash mismatch: row removed or reordered")
		}
		// The highest Seq seen stays the reference, so one row out of place
		// is reported once, not as a gap after it too.
		v.prevHash, v.lastSeq = e.Hash, max(v.lastSeq, e.Seq)
		v.count++
	}
	return out
}

// Count is the number of events checked so far.
func (v *AuditVerifier) Count() int64 { return v.count }

// Head is the stored Hash of the last event checked (the genesis before
// any). Recording it somewhere else lets an operator detect a trail that
// was cut short, which a chain alone cannot show.
func (v *AuditVerifier) Head() []byte { return v.prevHash }

// HeadHex is Head in hex.
func (v *AuditVerifier) HeadHex() string { return hex.EncodeToString(v.prevHash) }

// VerifyAuditChain checks a tenant's whole chain, given in Seq order from
// Seq 1, and reports every break (not just the first).
func VerifyAuditChain(tenantID string, events []AuditEvent) []AuditBreak {
	return NewAuditVerifier(tenantID).Add(events...)
}

// Audit filter limits.
const (
	AuditDefaultLimit = 100
	AuditMaxLimit     = 1000
)

// AuditFilter selects events of one tenant: the company-wide view with no
// actor, a per-user view with ActorID. Events come in Seq order; AfterSeq
// pages (keyset): pass the last Seq of one page to get the next.
type AuditFilter struct {
	ActorID string
	// Action is an exact action ("request.approved") or a prefix ending in
	// ".*" ("request.*" matches every request action).
	Action      string
	SubjectType string
	SubjectID   string
	Since       time.Time // inclusive; zero for no bound
	Until       time.Time // exclusive; zero for no bound
	AfterSeq    int64
	Limit       int // 1 to AuditMaxLimit; 0 means AuditDefaultLimit
}

// Validate reports what is wrong with f as a KindInvalid error.
func (f AuditFilter) Validate() error {
	bad := func(format string, args ...any) error {
		return Errorf(KindInvalid, "audit_filter_invalid", format, args...)
	}
	switch {
	case f.Limit < 0 || f.Limit > AuditMaxLimit:
		return bad("limit %d is out of range: use 1 to %d (0 for the default %d)", f.Limit, AuditMaxLimit, AuditDefaultLimit)
	case f.AfterSeq < 0:
		return bad("after_seq %d is negative: use 0 for the first page", f.AfterSeq)
	case f.Action != "" && !auditActionPattern.MatchString(f.Action) && !auditPrefixPattern.MatchString(f.Action):
		return bad("action %q is invalid: use an action such as request.approved or a prefix such as request.*", f.Action)
	case f.SubjectType != "" && !auditSubjectPattern.MatchString(f.SubjectType):
		return bad("subject type %q is invalid: use one lowercase word such as request", f.SubjectType)
	case f.SubjectID != "" && f.SubjectType == "":
		return bad("a subject id needs its subject type")
	case len(f.ActorID) > auditMaxText || len(f.SubjectID) > auditMaxText:
		return bad("actor and subject ids must be at most %d characters", auditMaxText)
	case !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since):
		return bad("until (%s) must be after since (%s)", f.Until.UTC().Format(time.RFC3339), f.Since.UTC().Format(time.RFC3339))
	}
	return nil
}

// EffectiveLimit is Limit with the default applied.
func (f AuditFilter) EffectiveLimit() int {
	if f.Limit == 0 {
		return AuditDefaultLimit
	}
	return f.Limit
}

// ActionPrefix splits Action into an exact action or a prefix: for
// "request.*" it returns ("", "request."), for "request.created"
// ("request.created", "").
func (f AuditFilter) ActionPrefix() (exact, prefix string) {
	if p, ok := strings.CutSuffix(f.Action, "*"); ok {
		return "", p
	}
	return f.Action, ""
}
