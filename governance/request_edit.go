package governance

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"
)

// RequestChanges are the parts of a pending request an approver may change
// before deciding. Nil fields are left as they are.
type RequestChanges struct {
	Name        *string
	Description *string
	Owners      []string // nil: unchanged
	Members     []string // nil: unchanged
}

// canSteer reports whether p may edit or comment on a pending request as an
// approver: one of the current stage's approvers (escalation included), or
// an administrator.
func canSteer(p Principal, r Request, pol ApprovalPolicy) bool {
	if p.Has(RoleAdministrator) {
		return true
	}
	for _, ref := range r.PendingFor(pol) {
		if strings.EqualFold(ref, p.ID) || p.InGroup(ref) {
			return true
		}
	}
	return false
}

// Edit applies an approver's changes to a pending request; the naming,
// membership and duplicate rules run again. version is the request version
// the approver saw.
//
// Errors: KindNotFound, KindForbidden (not an approver of the current stage),
// KindConflict (not pending, stale version, duplicate name), KindInvalid.
func (s *RequestService) Edit(ctx context.Context, p Principal, requestID string, version int64, c RequestChanges) (Request, error) {
	if err := p.Require(RoleEndUser); err != nil {
		return Request{}, err
	}
	var out Request
	err := s.tx.InTx(ctx, func(w Work) error {
		r, tpl, err := s.pendingFor(ctx, w, p, requestID, version)
		if err != nil {
			return err
		}
		before := r
		if c.Name != nil {
			r.Requested = *c.Name
		}
		if c.Description != nil {
			r.Description = strings.TrimSpace(*c.Description)
		}
		if c.Owners != nil {
			r.Owners = union(nil, c.Owners)
		}
		if c.Members != nil {
			r.Members = union(nil, c.Members)
		}
		if c.Name != nil {
			if err := s.checkName(ctx, &r, tpl); err != nil {
				return err
			}
			if err := checkDuplicate(ctx, w, r); err != nil {
				return err
			}
		}
		if c.Owners != nil || c.Members != nil {
			if err := s.checkPeople(ctx, r, tpl); err != nil {
				return err
			}
		}
		if utf8.RuneCountInString(r.Description) > maxDescriptionLength {
			return Errorf(KindInvalid, "request_invalid", "the description must be at most %d characters", maxDescriptionLength)
		}
		r.UpdatedAt = w.Now()
		if out, err = w.SaveRequest(ctx, r, r.PendingFor(tpl.Policies.Approval)); err != nil {
			return err
		}
		return w.Audit(ctx, requestAudit(p, "request.edited", &before, &out))
	})
	return out, err
}

// Comment adds a note to a request: by its requester at any time, and by
// the current approvers or an administrator while it is pending.
//
// Errors: KindNotFound, KindForbidden, KindInvalid (empty or too long).
func (s *RequestService) Comment(ctx context.Context, p Principal, requestID, text string) (Request, error) {
	if err := p.Require(RoleEndUser); err != nil {
		return Request{}, err
	}
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > 2000 {
		return Request{}, Errorf(KindInvalid, "comment_invalid", "a comment has 1 to 2000 characters")
	}
	var out Request
	err := s.tx.InTx(ctx, func(w Work) error {
		r, tpl, err := visibleRequest(ctx, w, p, requestID)
		if err != nil {
			return err
		}
		if !strings.EqualFold(r.RequesterID, p.ID) {
			if r.State != StatePending || !canSteer(p, r, tpl.Policies.Approval) {
				return Errorf(KindForbidden, "request_comment_forbidden", "only the requester, the current approvers and administrators can comment on this request")
			}
		}
		before := r
		r.Comments = append(slices.Clone(r.Comments), Comment{Author: p.ID, Name: p.Name, Text: text, At: w.Now()})
		r.UpdatedAt = w.Now()
		if out, err = w.SaveRequest(ctx, r, r.PendingFor(tpl.Policies.Approval)); err != nil {
			return err
		}
		return w.Audit(ctx, requestAudit(p, "request.commented", &before, &out))
	})
	return out, err
}

// pendingFor loads a pending request p may steer, at the version p saw.
func (s *RequestService) pendingFor(ctx context.Context, w Work, p Principal, id string, version int64) (Request, Template, error) {
	r, tpl, err := visibleRequest(ctx, w, p, id)
	if err != nil {
		return Request{}, Template{}, err
	}
	if r.Version != version {
		return Request{}, Template{}, Errorf(KindConflict, "request_version_conflict", "this request changed since you opened it: reload it")
	}
	if r.State != StatePending {
		return Request{}, Template{}, Errorf(KindConflict, "request_not_pending", "this request is %s and can no longer be edited", r.State)
	}
	if !canSteer(p, r, tpl.Policies.Approval) {
		return Request{}, Template{}, Errorf(KindForbidden, "request_edit_forbidden", "only an approver of the current stage or an administrator can edit this request")
	}
	return r, tpl, nil
}
