package governance

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"
)

// NewRequest is what a requester submits.
type NewRequest struct {
	TemplateID    string
	Name          string // as typed; the naming policy builds the final name
	Description   string
	Owners        []string
	Members       []string
	Guests        []string
	Fields        map[string]string
	Justification string
}

// Submit validates a request against its template and policies and records
// it: pending when approval is needed, approved (with provisioning queued)
// when the template needs none or the requester is auto-approved.
//
// Errors: KindUnauthenticated, KindForbidden (role), KindNotFound (template
// absent or not visible to p), KindInvalid (name, fields, membership),
// KindConflict (a live request or team already has that name).
func (s *RequestService) Submit(ctx context.Context, p Principal, in NewRequest) (Request, error) {
	if err := p.Require(RoleEndUser); err != nil {
		return Request{}, err
	}
	if p.Kind == PrincipalAPIKey && !ScopeAllowed(p, ScopeRequestsWrite) {
		return Request{}, Errorf(KindForbidden, "scope_required", "this API key needs the scope %s", ScopeRequestsWrite)
	}
	var out Request
	err := s.tx.InTx(ctx, func(w Work) error {
		tpl, err := w.Template(ctx, p.TenantID, in.TemplateID)
		if err != nil || !tpl.VisibleTo(p) {
			// Not visible and absent look the same: the catalog is not probed.
			return Errorf(KindNotFound, "template_not_found", "there is no template %q in your catalog", in.TemplateID)
		}
		now := w.Now()
		r := Request{
			TenantID: p.TenantID, ID: s.ids(), TemplateID: tpl.ID, TemplateVersion: tpl.Version,
			RequesterID: p.ID, RequesterName: p.Name, Requested: in.Name, Description: strings.TrimSpace(in.Description),
			Owners: union(nil, in.Owners), Members: union(nil, in.Members), Guests: union(nil, in.Guests),
			Fields: in.Fields, Justification: strings.TrimSpace(in.Justification), State: StateDraft,
			RequesterAttributes: p.Attributes,
			CreatedAt:           now, UpdatedAt: now,
		}
		if len(r.Owners) == 0 && p.Kind == PrincipalUser {
			r.Owners = []string{p.ID} // whoever asks for a team owns it unless they name owners
		}
		if err := r.CheckFields(tpl.Fields); err != nil {
			return err
		}
		if err := s.checkName(ctx, &r, tpl); err != nil {
			return err
		}
		if err := s.checkPeople(ctx, r, tpl); err != nil {
			return err
		}
		if err := checkDuplicate(ctx, w, r); err != nil {
			return err
		}
		pol := tpl.Policies.Approval
		created := "request.created"
		switch {
		case !pol.Required() || pol.AutoApproves(p):
			if err := r.Move(StateApproved, now); err != nil {
				return err
			}
		default:
			if err := r.Move(StatePending, now); err != nil {
				return err
			}
			r.Stage, r.StageStarted = 0, now
		}
		if out, err = w.CreateRequest(ctx, r, r.PendingFor(pol)); err != nil {
			return err
		}
		if err := w.Audit(ctx, requestAudit(p, created, nil, &out)); err != nil {
			return err
		}
		if err := w.Emit(ctx, p.TenantID, EventRequestCreated, out); err != nil {
			return err
		}
		if out.State == StateApproved {
			return s.approved(ctx, w, p, out)
		}
		return nil
	})
	return out, err
}

// RetryProvisioning runs provisioning again for a failed request, for an
// administrator once the cause (a permission, a throttled tenant) is fixed.
// Provisioning steps are idempotent, so what was created is reused.
//
// Errors: KindNotFound, KindForbidden, KindConflict (not failed, stale version).
func (s *RequestService) RetryProvisioning(ctx context.Context, p Principal, requestID string, version int64) (Request, error) {
	if err := p.Require(RoleAdministrator); err != nil {
		return Request{}, err
	}
	var out Request
	err := s.tx.InTx(ctx, func(w Work) error {
		r, err := w.Request(ctx, p.TenantID, requestID)
		if err != nil {
			return err
		}
		if r.Version != version {
			return Errorf(KindConflict, "request_version_conflict", "this request changed since you opened it: reload it")
		}
		if r.State != StateFailed {
			return Errorf(KindConflict, "request_not_failed", "only a failed provisioning can be retried; this request is %s", r.State)
		}
		before := r
		if err := r.Move(StateProvisioning, w.Now()); err != nil {
			return err
		}
		r.FailureReason = ""
		r.ProvisioningAttempt = max(r.ProvisioningAttempt, 1) + 1
		if out, err = w.SaveRequest(ctx, r, nil); err != nil {
			return err
		}
		if err := w.Audit(ctx, requestAudit(p, "request.provisioning_retried", &before, &out)); err != nil {
			return err
		}
		return w.EnqueueProvisioning(ctx, out.TenantID, out.ID, out.ProvisioningAttempt)
	})
	return out, err
}

// visibleRequest loads a request and its template version for p, or
// request_not_found when p may not see it (requestVisibleTo).
func visibleRequest(ctx context.Context, w Work, p Principal, id string) (Request, Template, error) {
	r, err := w.Request(ctx, p.TenantID, id)
	if IsKind(err, KindNotFound) {
		return Request{}, Template{}, requestNotFound(id)
	}
	if err != nil {
		return Request{}, Template{}, err
	}
	tpl, err := w.TemplateVersion(ctx, r.TenantID, r.TemplateID, r.TemplateVersion)
	if err != nil {
		return Request{}, Template{}, err
	}
	if !requestVisibleTo(p, r, tpl.Policies.Approval) {
		return Request{}, Template{}, requestNotFound(id)
	}
	return r, tpl, nil
}

// checkName applies the template's naming policy to r.Requested, filling in
// the final display name and a mail nickname unused in the directory.
func (s *RequestService) checkName(ctx context.Context, r *Request, tpl Template) error {
	res := tpl.Policies.Naming.Apply(NamingInput{Requested: r.Requested, Requester: r.RequesterAttributes, Fields: r.Fields})
	if !res.Valid() {
		return res.Err()
	}
	if utf8.RuneCountInString(res.DisplayName) == 0 {
		return Errorf(KindInvalid, "name_empty", "give the team a name")
	}
	nick, err := UniqueMailNickname(ctx, res.MailNickname, func(ctx context.Context, n string) (bool, error) {
		return s.dir.MailNicknameTaken(ctx, r.TenantID, n)
	})
	if err != nil {
		return err
	}
	r.DisplayName, r.MailNickname = res.DisplayName, nick
	return nil
}

// checkPeople applies the template's membership and guest policies.
func (s *RequestService) checkPeople(ctx context.Context, r Request, tpl Template) error {
	guestDomains := map[string]string{}
	isGuest := func(id string) bool {
		g, d, err := s.dir.IsGuest(ctx, r.TenantID, id)
		if err == nil && g {
			guestDomains[id] = d
		}
		return err == nil && g
	}
	return r.CheckMembership(tpl.Policies, isGuest, func(id string) string { return guestDomains[id] })
}

// checkDuplicate refuses a second live team request with the same name.
func checkDuplicate(ctx context.Context, w Work, r Request) error {
	same, err := w.RequestsNamed(ctx, r.TenantID, FoldForMatch(r.DisplayName))
	if err != nil {
		return err
	}
	for _, o := range same {
		if o.ID != r.ID {
			return Errorf(KindConflict, "request_name_duplicate",
				"a team named %q already exists or is requested (request %s): choose another name", o.DisplayName, o.ID)
		}
	}
	return nil
}

// approved queues provisioning for a request that just became approved.
func (s *RequestService) approved(ctx context.Context, w Work, p Principal, r Request) error {
	if err := w.Audit(ctx, requestAudit(p, "request.approved", nil, &r)); err != nil {
		return err
	}
	if err := w.Emit(ctx, r.TenantID, EventRequestApproved, r); err != nil {
		return err
	}
	return w.EnqueueProvisioning(ctx, r.TenantID, r.ID, 1)
}

// PendingFor lists who can act on a pending request now: the current
// stage's approver refs, plus the escalation refs once escalated. The store
// indexes them so "approvals waiting for me" is one query.
func (r Request) PendingFor(pol ApprovalPolicy) []string {
	if r.State != StatePending || r.Stage >= len(pol.Stages) {
		return nil
	}
	var ids []string
	for _, a := range pol.Stages[r.Stage].Approvers {
		ids = append(ids, a.ID)
	}
	if r.Escalated {
		for _, a := range pol.EscalateTo {
			ids = append(ids, a.ID)
		}
	}
	return union(nil, ids)
}

// Decide records an approver's verdict. The request keeps the template
// version it was made from, so changing a template's approvers later does not
// change who decides requests already in flight. version is the request
// version the approver saw (optimistic concurrency: two approvers acting at
// once cannot both move the same stage).
//
// Errors: KindNotFound, KindForbidden (not an approver, own request),
// KindConflict (not pending, already decided, stale version).
func (s *RequestService) Decide(ctx context.Context, p Principal, requestID string, version int64, approve bool, comment string) (Request, error) {
	if err := p.Require(RoleEndUser); err != nil {
		return Request{}, err
	}
	if utf8.RuneCountInString(comment) > 2000 {
		return Request{}, Errorf(KindInvalid, "comment_too_long", "a comment has at most 2000 characters")
	}
	var out Request
	err := s.tx.InTx(ctx, func(w Work) error {
		r, tpl, err := visibleRequest(ctx, w, p, requestID)
		if err != nil {
			return err
		}
		if r.Version != version {
			return Errorf(KindConflict, "request_version_conflict", "this request changed since you opened it: reload it and decide again")
		}
		if r.State != StatePending {
			return Errorf(KindConflict, "request_not_pending", "this request is %s: there is nothing to decide", r.State)
		}
		pol := tpl.Policies.Approval
		if err := pol.CanDecide(p, r.RequesterID, r.Stage, r.Decisions, r.Escalated); err != nil {
			return err
		}
		before := r
		now := w.Now()
		r.Decisions = append(slices.Clone(r.Decisions), pol.NewDecision(p, r.Stage, approve, strings.TrimSpace(comment), now))
		r.UpdatedAt = now
		action := "request.decided"
		switch pol.Evaluate(r.Stage, r.Decisions) {
		case OutcomeRejected:
			if err := r.Move(StateRejected, now); err != nil {
				return err
			}
			action = "request.rejected"
		case OutcomeNext:
			r.Stage, r.StageStarted, r.Reminded, r.Escalated = r.Stage+1, now, false, false
			action = "request.stage_approved"
		case OutcomeApproved:
			if err := r.Move(StateApproved, now); err != nil {
				return err
			}
			action = "request.stage_approved"
		}
		if out, err = w.SaveRequest(ctx, r, r.PendingFor(pol)); err != nil {
			return err
		}
		if err := w.Audit(ctx, requestAudit(p, action, &before, &out)); err != nil {
			return err
		}
		switch {
		case out.State == StateRejected:
			return w.Emit(ctx, out.TenantID, EventRequestRejected, out)
		case out.State == StateApproved:
			return s.approved(ctx, w, p, out)
		case out.Stage != before.Stage:
			// The next stage's approvers are asked now (Teams cards,
			// webhooks), as the first stage's were on creation.
			return w.Emit(ctx, out.TenantID, EventRequestStageAdvanced, out)
		}
		return nil
	})
	return out, err
}

// Cancel withdraws a request that is not provisioned yet. The requester may
// cancel their own; an administrator any.
//
// Errors: KindNotFound, KindForbidden, KindConflict (state).
func (s *RequestService) Cancel(ctx context.Context, p Principal, requestID string, reason string) (Request, error) {
	if err := p.Require(RoleEndUser); err != nil {
		return Request{}, err
	}
	var out Request
	err := s.tx.InTx(ctx, func(w Work) error {
		r, _, err := visibleRequest(ctx, w, p, requestID)
		if err != nil {
			return err
		}
		if !strings.EqualFold(r.RequesterID, p.ID) && !p.Has(RoleAdministrator) {
			return Errorf(KindForbidden, "request_not_yours", "only the requester or an administrator can cancel this request")
		}
		before := r
		now := w.Now()
		if err := r.Move(StateCancelled, now); err != nil {
			return err
		}
		if reason = strings.TrimSpace(reason); reason != "" {
			r.Comments = append(slices.Clone(r.Comments), Comment{Author: p.ID, Name: p.Name, Text: reason, At: now})
		}
		if out, err = w.SaveRequest(ctx, r, nil); err != nil {
			return err
		}
		if err := w.Audit(ctx, requestAudit(p, "request.cancelled", &before, &out)); err != nil {
			return err
		}
		return w.Emit(ctx, out.TenantID, EventRequestCancelled, out)
	})
	return out, err
}
