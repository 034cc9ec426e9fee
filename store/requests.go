package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
)

// A request is stored whole as JSON (doc) beside copies of the fields that
// queries filter on. request_pending_approvers holds the ids a pending
// request waits for; the caller computes them from the template's approval
// policy, so no policy logic lives here.

// RequestQuery selects a tenant's requests. Empty fields do not filter; set
// fields combine with AND.
type RequestQuery struct {
	RequesterID string
	States      []governance.RequestState
	// PendingFor lists a principal's id and the ids of its groups: a request
	// matches while it is pending and waits for any of them. At most
	// MaxPendingFor ids.
	PendingFor []string
	// Limit is the page size, 1 to 200; 0 means 50.
	Limit int
	// Before continues a listing: requests updated strictly before it. Pass
	// the last row's UpdatedAt, and its ID as BeforeID so that requests
	// updated at the same instant are not skipped.
	Before   time.Time
	BeforeID string
}

// Bounds of a RequestQuery.
const (
	RequestPageDefault = 50
	RequestPageMax     = 200
	// MaxPendingFor bounds PendingFor. The statement has a fixed number of
	// slots (pendingSlots) so that it stays one constant, checkable string;
	// more ids run as several statements whose results are merged.
	MaxPendingFor = 1024
	pendingSlots  = 64
	stateSlots    = 8 // every governance.RequestState fits
)

// requestsQuery is the one statement behind Requests. An empty or zero
// parameter switches its filter off; unused slots are "", which matches no
// state and no ref id. Rows are newest first; (updated_at, request_id) is the
// keyset.
const requestsQuery = `SELECT doc FROM requests WHERE tenant_id = $1
	AND ($2 = '' OR requester_id = $2)
	AND ($3 = 0 OR state IN ($4, $5, $6, $7, $8, $9, $10, $11))
	AND ($12 = 0 OR request_id IN (SELECT request_id FROM request_pending_approvers WHERE tenant_id = $1 AND ref_id IN (` +
	`$13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $34, $35, $36, ` +
	`$37, $38, $39, $40, $41, $42, $43, $44, $45, $46, $47, $48, $49, $50, $51, $52, $53, $54, $55, $56, $57, $58, $59, $60, ` +
	`$61, $62, $63, $64, $65, $66, $67, $68, $69, $70, $71, $72, $73, $74, $75, $76)))
	AND (updated_at < $77 OR (updated_at = $77 AND request_id < $78))
	ORDER BY updated_at DESC, request_id DESC LIMIT $79`

// noBefore is later than any stored row, for a listing's first page.
var noBefore = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

func checkRequest(r governance.Request) error {
	switch {
	case strings.TrimSpace(r.TenantID) == "" || strings.TrimSpace(r.ID) == "":
		return governance.Errorf(governance.KindInvalid, "request_invalid", "a request needs a tenant id and an id")
	case strings.TrimSpace(r.TemplateID) == "" || r.TemplateVersion < 1:
		return governance.Errorf(governance.KindInvalid, "request_invalid", "a request needs the template and the version it is made from")
	case strings.TrimSpace(r.RequesterID) == "":
		return governance.Errorf(governance.KindInvalid, "request_invalid", "a request needs a requester")
	case !r.State.Valid():
		return governance.Errorf(governance.KindInvalid, "request_invalid", "unknown request state %q", r.State)
	}
	return nil
}

// refIDs lowercases (Entra object ids are case-insensitive GUIDs), drops
// empty ids and removes duplicates.
func refIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id = strings.ToLower(strings.TrimSpace(id)); id != "" {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CreateRequest stores r inside tx at version 1, stamped with tx.Now, and
// records pending (user and group ids of the current stage's approvers) as
// what it waits for when r is pending; pending is ignored otherwise.
// Errors: KindInvalid request_invalid, KindConflict request_exists,
// KindNotFound template_not_found (no such template version or tenant).
func (db *DB) CreateRequest(ctx context.Context, tx *Tx, r governance.Request, pending []string) (governance.Request, error) {
	if err := checkRequest(r); err != nil {
		return governance.Request{}, err
	}
	r.Version, r.CreatedAt, r.UpdatedAt = 1, tx.Now, tx.Now
	doc, err := encodeDoc(r, "request")
	if err != nil {
		return governance.Request{}, err
	}
	// DO NOTHING keeps a PostgreSQL transaction usable after a duplicate id.
	res, err := tx.ExecContext(ctx, `INSERT INTO requests (tenant_id, request_id, template_id, template_version, state, requester_id, display_name, display_name_folded, mail_nickname, doc, created_at, updated_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (tenant_id, request_id) DO NOTHING`,
		r.TenantID, r.ID, r.TemplateID, r.TemplateVersion, string(r.State), r.RequesterID, r.DisplayName,
		governance.FoldForMatch(r.DisplayName), r.MailNickname, doc, r.CreatedAt, r.UpdatedAt, r.Version)
	switch {
	case isForeignKeyViolation(err):
		return governance.Request{}, notFound("template_not_found", "template %q has no version %d", r.TemplateID, r.TemplateVersion)
	case err != nil:
		return governance.Request{}, classify("create request", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return governance.Request{}, conflict("request_exists", "a request with id %q already exists", r.ID)
	}
	if err := writePending(ctx, tx, r, pending); err != nil {
		return governance.Request{}, err
	}
	return r, nil
}

// SaveRequest stores r inside tx if r.Version is still the stored version,
// and returns it at the next version with UpdatedAt tx.Now. pending replaces
// what the request waits for (see CreateRequest). A request keeps its
// template version and requester.
// Errors: KindInvalid request_invalid or request_immutable, KindNotFound
// request_not_found, KindConflict request_version_conflict (someone saved
// it first: reload it and apply the change again).
func (db *DB) SaveRequest(ctx context.Context, tx *Tx, r governance.Request, pending []string) (governance.Request, error) {
	if err := checkRequest(r); err != nil {
		return governance.Request{}, err
	}
	var templateID, requesterID string
	var templateVersion int
	var created time.Time
	var version int64
	err := tx.QueryRowContext(ctx, `SELECT template_id, template_version, requester_id, created_at, version FROM requests WHERE tenant_id = $1 AND request_id = $2`,
		r.TenantID, r.ID).Scan(&templateID, &templateVersion, &requesterID, &created, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return governance.Request{}, notFound("request_not_found", "there is no request %q", r.ID)
	}
	if err != nil {
		return governance.Request{}, classify("save request", err)
	}
	if version != r.Version {
		return governance.Request{}, requestVersionConflict(r.ID, version)
	}
	if templateID != r.TemplateID || templateVersion != r.TemplateVersion || requesterID != r.RequesterID {
		return governance.Request{}, governance.Errorf(governance.KindInvalid, "request_immutable",
			"a request keeps the template version it was made from and its requester")
	}
	r.Version, r.CreatedAt, r.UpdatedAt = version+1, created.UTC(), tx.Now
	doc, err := encodeDoc(r, "request")
	if err != nil {
		return governance.Request{}, err
	}
	// The version guard matters on PostgreSQL, where another transaction may
	// have saved between the read above and this write.
	res, err := tx.ExecContext(ctx, `UPDATE requests SET state = $4, display_name = $5, display_name_folded = $6, mail_nickname = $7, doc = $8, updated_at = $9, version = $10
		WHERE tenant_id = $1 AND request_id = $2 AND version = $3`,
		r.TenantID, r.ID, version, string(r.State), r.DisplayName, governance.FoldForMatch(r.DisplayName), r.MailNickname, doc, r.UpdatedAt, r.Version)
	if err != nil {
		return governance.Request{}, classify("save request", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return governance.Request{}, staleOrMissing(ctx, tx, "request", `SELECT version FROM requests WHERE tenant_id = $1 AND request_id = $2`, r.TenantID, r.ID)
	}
	if err := writePending(ctx, tx, r, pending); err != nil {
		return governance.Request{}, err
	}
	return r, nil
}

func requestVersionConflict(id string, now int64) error {
	return conflict("request_version_conflict",
		"request %q was changed by someone else (now at version %d): reload it and apply your change again", id, now)
}

// writePending replaces the ids r waits for: pending while r is pending,
// none otherwise.
func writePending(ctx context.Context, tx *Tx, r governance.Request, pending []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM request_pending_approvers WHERE tenant_id = $1 AND request_id = $2`, r.TenantID, r.ID); err != nil {
		return classify("clear pending approvers", err)
	}
	if r.State != governance.StatePending {
		return nil
	}
	for _, id := range refIDs(pending) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO request_pending_approvers (tenant_id, request_id, ref_id) VALUES ($1, $2, $3)`, r.TenantID, r.ID, id); err != nil {
			return classify("record pending approvers", err)
		}
	}
	return nil
}

func decodeRequest(doc string) (governance.Request, error) {
	var r governance.Request
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		return governance.Request{}, fmt.Errorf("decode request: %w", err)
	}
	return r, nil
}

func readRequest(ctx context.Context, q querier, tenantID, id string) (governance.Request, error) {
	var doc string
	err := q.QueryRowContext(ctx, `SELECT doc FROM requests WHERE tenant_id = $1 AND request_id = $2`, tenantID, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return governance.Request{}, notFound("request_not_found", "there is no request %q", id)
	}
	if err != nil {
		return governance.Request{}, classify("get request", err)
	}
	r, err := decodeRequest(doc)
	return r, classify("get request", err)
}

// Request returns one request. Errors: KindNotFound request_not_found.
func (db *DB) Request(ctx context.Context, tenantID, id string) (governance.Request, error) {
	return readRequest(ctx, db.reader, tenantID, id)
}

// RequestTx is Request inside tx, for read-modify-write: read, change, then
// SaveRequest in the same transaction. Errors: as Request.
func (db *DB) RequestTx(ctx context.Context, tx *Tx, tenantID, id string) (governance.Request, error) {
	return readRequest(ctx, tx, tenantID, id)
}

func collectRequests(rows *sql.Rows, op string) ([]governance.Request, error) {
	defer rows.Close()
	var out []governance.Request
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, classify(op, err)
		}
		r, err := decodeRequest(doc)
		if err != nil {
			return nil, classify(op, err)
		}
		out = append(out, r)
	}
	return out, classify(op, rows.Err())
}

// Requests lists the tenant's requests that match q, most recently updated
// first, one page at a time. Errors: KindInvalid request_query_invalid
// (limit out of range, unknown state, too many PendingFor ids).
func (db *DB) Requests(ctx context.Context, tenantID string, q RequestQuery) ([]governance.Request, error) {
	return requests(ctx, db.reader, tenantID, q)
}

// RequestsTx is Requests inside tx (see TemplateVersionTx).
func (db *DB) RequestsTx(ctx context.Context, tx *Tx, tenantID string, q RequestQuery) ([]governance.Request, error) {
	return requests(ctx, tx, tenantID, q)
}

func requests(ctx context.Context, rq querier, tenantID string, q RequestQuery) ([]governance.Request, error) {
	const op = "list requests"
	limit := q.Limit
	if limit == 0 {
		limit = RequestPageDefault
	}
	if limit < 1 || limit > RequestPageMax {
		return nil, governance.Errorf(governance.KindInvalid, "request_query_invalid", "limit %d is out of range: use 1 to %d", q.Limit, RequestPageMax)
	}
	states := make([]string, 0, stateSlots)
	for _, s := range q.States {
		if !s.Valid() {
			return nil, governance.Errorf(governance.KindInvalid, "request_query_invalid", "unknown request state %q", s)
		}
		if !slices.Contains(states, string(s)) {
			states = append(states, string(s))
		}
	}
	refs := refIDs(q.PendingFor)
	switch {
	case len(refs) > MaxPendingFor:
		return nil, governance.Errorf(governance.KindInvalid, "request_query_invalid", "at most %d principal and group ids can be matched at once", MaxPendingFor)
	case len(q.PendingFor) > 0 && len(refs) == 0:
		return nil, nil // waiting for nobody named: nothing, never everything
	}
	before := noBefore
	if !q.Before.IsZero() {
		before = q.Before.UTC()
	}
	args := make([]any, 0, 79)
	args = append(args, tenantID, q.RequesterID, len(states))
	for i := range stateSlots {
		args = append(args, slot(states, i))
	}
	run := func(chunk []string) ([]governance.Request, error) {
		a := append(slices.Clone(args), len(chunk))
		for i := range pendingSlots {
			a = append(a, slot(chunk, i))
		}
		a = append(a, before, q.BeforeID, limit)
		rows, err := rq.QueryContext(ctx, requestsQuery, a...)
		if err != nil {
			return nil, classify(op, err)
		}
		return collectRequests(rows, op)
	}
	if len(refs) <= pendingSlots {
		return run(refs)
	}
	// Each chunk's page holds that chunk's newest matches, so the newest of
	// their union are the page.
	seen := map[string]bool{}
	var out []governance.Request
	for chunk := range slices.Chunk(refs, pendingSlots) {
		page, err := run(chunk)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			if !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b governance.Request) int {
		if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return out[:min(len(out), limit)], nil
}

func slot(vals []string, i int) string {
	if i < len(vals) {
		return vals[i]
	}
	return ""
}

// RequestsNamed returns the tenant's requests whose display name folds to
// folded (governance.FoldForMatch), leaving out rejected and cancelled ones:
// the live and completed requests a new name would duplicate. Oldest first.
func (db *DB) RequestsNamed(ctx context.Context, tenantID, folded string) ([]governance.Request, error) {
	return requestsNamed(ctx, db.reader, tenantID, folded)
}

// RequestsNamedTx is RequestsNamed inside tx, so a duplicate check and the
// write it guards see the same data.
func (db *DB) RequestsNamedTx(ctx context.Context, tx *Tx, tenantID, folded string) ([]governance.Request, error) {
	return requestsNamed(ctx, tx, tenantID, folded)
}

func requestsNamed(ctx context.Context, q querier, tenantID, folded string) ([]governance.Request, error) {
	if governance.FoldForMatch(folded) == "" {
		return nil, nil // no name duplicates another
	}
	// Folding is idempotent, so a caller's already-folded name is unchanged.
	rows, err := q.QueryContext(ctx, `SELECT doc FROM requests WHERE tenant_id = $1 AND display_name_folded = $2 AND state <> $3 AND state <> $4
		ORDER BY created_at, request_id`,
		tenantID, governance.FoldForMatch(folded), string(governance.StateRejected), string(governance.StateCancelled))
	if err != nil {
		return nil, classify("list requests by name", err)
	}
	return collectRequests(rows, "list requests by name")
}
