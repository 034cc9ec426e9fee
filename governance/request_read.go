package governance

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Page bounds of the request listings.
const (
	RequestPageDefault = 50
	RequestPageMax     = 100
)

// Page asks for one page of a listing: at most Limit rows (0: the default)
// updated before the cursor (zero: from the newest).
type Page struct {
	Limit    int
	Before   time.Time
	BeforeID string
}

// Cursor continues a listing where a page ended.
type Cursor struct {
	Before   time.Time `json:"before"`
	BeforeID string    `json:"beforeId"`
}

// RequestPage is one page of requests, newest update first; Next is nil on
// the last page.
type RequestPage struct {
	Items []Request `json:"items"`
	Next  *Cursor   `json:"next"`
}

// ReadService answers the read side of the workflow: the catalog, one
// request, and the request listings. Visibility is decided here, never by a
// handler: what a principal may not see is reported as absent.
type ReadService struct {
	requests  RequestReader
	templates TemplateReader
}

// NewReadService wires the read side.
func NewReadService(requests RequestReader, templates TemplateReader) *ReadService {
	return &ReadService{requests: requests, templates: templates}
}

func requestNotFound(id string) error {
	return Errorf(KindNotFound, "request_not_found", "there is no request %q", id)
}

func templateNotFound(id string) error {
	return Errorf(KindNotFound, "template_not_found", "there is no template %q in your catalog", id)
}

// Request returns one request if p may see it: its requester, its owners
// and members, the approvers of any stage of its template version (and the
// escalation approvers once escalated), whoever decided it, administrators,
// and API keys with requests:read. To anyone else it does not exist.
//
// Errors: KindUnauthenticated, KindForbidden (scope_required), KindNotFound
// (request_not_found).
func (s *ReadService) Request(ctx context.Context, p Principal, id string) (Request, error) {
	if err := RequireScope(p, ScopeRequestsRead, RoleEndUser); err != nil {
		return Request{}, err
	}
	r, err := s.requests.Request(ctx, p.TenantID, id)
	if IsKind(err, KindNotFound) {
		return Request{}, requestNotFound(id)
	}
	if err != nil {
		return Request{}, err
	}
	if r.TenantID != p.TenantID {
		return Request{}, requestNotFound(id)
	}
	ok, err := s.canSee(ctx, p, r)
	if err != nil {
		return Request{}, err
	}
	if !ok {
		return Request{}, requestNotFound(id)
	}
	return r, nil
}

func (s *ReadService) canSee(ctx context.Context, p Principal, r Request) (bool, error) {
	if visibleWithoutPolicy(p, r) {
		return true, nil
	}
	if p.Kind != PrincipalUser {
		return false, nil
	}
	tpl, err := s.templates.TemplateVersion(ctx, r.TenantID, r.TemplateID, r.TemplateVersion)
	if IsKind(err, KindNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return requestVisibleTo(p, r, tpl.Policies.Approval), nil
}

// visibleWithoutPolicy covers everyone who sees a request whatever its
// template says: API keys (their scope was checked) and administrators,
// its requester, owners and members, and whoever decided it.
func visibleWithoutPolicy(p Principal, r Request) bool {
	if p.TenantID != r.TenantID {
		return false
	}
	same := func(id string) bool { return strings.EqualFold(id, p.ID) }
	switch {
	case p.Kind == PrincipalAPIKey, p.Has(RoleAdministrator):
		return true
	case p.Kind != PrincipalUser:
		return false
	}
	return same(r.RequesterID) || slices.ContainsFunc(r.Owners, same) || slices.ContainsFunc(r.Members, same) ||
		slices.ContainsFunc(r.Decisions, func(d Decision) bool { return same(d.Approver) })
}

// requestVisibleTo is the one visibility rule for requests: everyone
// visibleWithoutPolicy lists, plus the approvers of any stage of the
// request's template version (and escalation approvers once escalated).
// The read and the workflow services both use it, so a request that does
// not exist for someone reads as not found everywhere, never as forbidden.
func requestVisibleTo(p Principal, r Request, pol ApprovalPolicy) bool {
	if visibleWithoutPolicy(p, r) {
		return true
	}
	if p.Kind != PrincipalUser || p.TenantID != r.TenantID {
		return false
	}
	for _, st := range pol.Stages {
		if len(st.matching(p)) > 0 {
			return true
		}
	}
	return r.Escalated && len(matchingRefs(pol.EscalateTo, p)) > 0
}

// MyRequests lists the requests p made.
//
// Errors: KindUnauthenticated, KindForbidden (scope_required), KindInvalid
// (page out of range).
func (s *ReadService) MyRequests(ctx context.Context, p Principal, page Page) (RequestPage, error) {
	if err := RequireScope(p, ScopeRequestsRead, RoleEndUser); err != nil {
		return RequestPage{}, err
	}
	return s.list(ctx, p, RequestQuery{RequesterID: p.ID}, page)
}

// Approvals lists the pending requests waiting for p's decision (as a user
// or through one of p's groups).
//
// Errors: as MyRequests.
func (s *ReadService) Approvals(ctx context.Context, p Principal, page Page) (RequestPage, error) {
	if err := RequireScope(p, ScopeRequestsRead, RoleEndUser); err != nil {
		return RequestPage{}, err
	}
	refs := append([]string{p.ID}, p.Groups...)
	return s.list(ctx, p, RequestQuery{PendingFor: refs, States: []RequestState{StatePending}}, page)
}

// AllRequests lists every request of p's tenant, optionally in some states,
// for administrators and API keys with requests:read.
//
// Errors: KindUnauthenticated, KindForbidden (role_required,
// scope_required), KindInvalid (unknown state, page out of range).
func (s *ReadService) AllRequests(ctx context.Context, p Principal, states []RequestState, page Page) (RequestPage, error) {
	if err := RequireScope(p, ScopeRequestsRead, RoleAdministrator); err != nil {
		return RequestPage{}, err
	}
	for _, st := range states {
		if !st.Valid() {
			return RequestPage{}, Errorf(KindInvalid, "request_state_invalid",
				"unknown request state %q: use draft, pending, approved, rejected, provisioning, completed, failed or cancelled", st)
		}
	}
	return s.list(ctx, p, RequestQuery{States: states}, page)
}

func (s *ReadService) list(ctx context.Context, p Principal, q RequestQuery, page Page) (RequestPage, error) {
	limit, err := page.Size(RequestPageDefault, RequestPageMax)
	if err != nil {
		return RequestPage{}, err
	}
	// One row more than asked says whether another page follows.
	q.Limit, q.Before, q.BeforeID = limit+1, page.Before, page.BeforeID
	rows, err := s.requests.Requests(ctx, p.TenantID, q)
	if err != nil {
		return RequestPage{}, err
	}
	out := RequestPage{Items: []Request{}}
	for _, r := range rows {
		if r.TenantID == p.TenantID && len(out.Items) < limit {
			out.Items = append(out.Items, r)
		}
	}
	if len(rows) > limit && len(out.Items) > 0 {
		last := out.Items[len(out.Items)-1]
		out.Next = &Cursor{Before: last.UpdatedAt, BeforeID: last.ID}
	}
	return out, nil
}

// Catalog lists the templates p may request from. Catalog managers (and
// administrators) see every template, and retired ones with includeRetired.
//
// Errors: KindUnauthenticated, KindForbidden (scope_required, role_required
// for includeRetired).
func (s *ReadService) Catalog(ctx context.Context, p Principal, includeRetired bool) ([]Template, error) {
	if err := RequireScope(p, ScopeTemplatesRead, RoleEndUser); err != nil {
		return nil, err
	}
	manager := p.Kind == PrincipalUser && p.Has(RoleCatalogManager)
	if includeRetired && !manager {
		return nil, Errorf(KindForbidden, "role_required", "only catalog managers see retired templates")
	}
	all, err := s.templates.Templates(ctx, p.TenantID, includeRetired)
	if err != nil {
		return nil, err
	}
	out := []Template{}
	for _, t := range all {
		if t.TenantID == p.TenantID && (manager || t.VisibleTo(p)) {
			out = append(out, t)
		}
	}
	return out, nil
}

// Template returns the latest version of a template p may see (as in
// Catalog). To anyone else it does not exist.
//
// Errors: KindUnauthenticated, KindForbidden (scope_required), KindNotFound
// (template_not_found).
func (s *ReadService) Template(ctx context.Context, p Principal, id string) (Template, error) {
	if err := RequireScope(p, ScopeTemplatesRead, RoleEndUser); err != nil {
		return Template{}, err
	}
	t, err := s.templates.Template(ctx, p.TenantID, id)
	if IsKind(err, KindNotFound) {
		return Template{}, templateNotFound(id)
	}
	if err != nil {
		return Template{}, err
	}
	manager := p.Kind == PrincipalUser && p.Has(RoleCatalogManager)
	if t.TenantID != p.TenantID || !(manager || t.VisibleTo(p)) {
		return Template{}, templateNotFound(id)
	}
	return t, nil
}

// PreviewName applies a template's naming policy to what p typed, with p's
// directory attributes, as the request form does on every keystroke. The
// result lists violations; it is not an error for a name to be invalid.
//
// Errors: as Template; KindInvalid (name_preview_too_long).
func (s *ReadService) PreviewName(ctx context.Context, p Principal, templateID, name string, fields map[string]string) (NamingResult, error) {
	if len(name) > 4*MaxDisplayNameLength {
		return NamingResult{}, Errorf(KindInvalid, "name_preview_too_long", "a team name has at most %d characters", MaxDisplayNameLength)
	}
	t, err := s.Template(ctx, p, templateID)
	if err != nil {
		return NamingResult{}, err
	}
	return t.Policies.Naming.Apply(NamingInput{Requested: name, Requester: p.Attributes, Fields: fields}), nil
}
