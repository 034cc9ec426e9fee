package governance

import (
	"context"
	"errors"
)

// sweeper is the principal the approval sweep acts as in the audit trail.
var sweeper = Principal{Kind: PrincipalSystem, ID: "approval-sweep", Name: "Steward"}

// SweepResult counts what one sweep of a tenant did.
type SweepResult struct {
	Checked, Reminded, Escalated, Failed int
}

// SweepApprovals sends the reminders and escalations a tenant's pending
// requests are due under their template version's approval policy. Each
// request is handled in its own transaction, so one failure (reported in
// Failed and the returned error) never blocks the others, and a request
// decided meanwhile is simply skipped. Reminders and escalations are each
// sent once per stage.
func (s *RequestService) SweepApprovals(ctx context.Context, tenantID string) (SweepResult, error) {
	var res SweepResult
	var ids []string
	err := s.tx.InTx(ctx, func(w Work) error {
		var err error
		ids, err = w.PendingRequestIDs(ctx, tenantID, 1000)
		return err
	})
	if err != nil {
		return res, err
	}
	var errs []error
	for _, id := range ids {
		res.Checked++
		err := s.tx.InTx(ctx, func(w Work) error {
			r, err := w.Request(ctx, tenantID, id)
			if err != nil || r.State != StatePending {
				return err
			}
			tpl, err := w.TemplateVersion(ctx, tenantID, r.TemplateID, r.TemplateVersion)
			if err != nil {
				return err
			}
			pol := tpl.Policies.Approval
			remind, escalate := pol.DueActions(r.StageStarted, w.Now(), r.Reminded, r.Escalated)
			if !remind && !escalate {
				return nil
			}
			before := r
			r.Reminded = r.Reminded || remind
			r.Escalated = r.Escalated || escalate
			r.UpdatedAt = w.Now()
			out, err := w.SaveRequest(ctx, r, r.PendingFor(pol))
			if err != nil {
				return err
			}
			p := sweeper
			p.TenantID = tenantID
			if escalate {
				res.Escalated++
				if err := w.Audit(ctx, requestAudit(p, "request.approval_escalated", &before, &out)); err != nil {
					return err
				}
				if err := w.Emit(ctx, tenantID, EventApprovalEscalated, out); err != nil {
					return err
				}
			}
			if remind {
				res.Reminded++
				if err := w.Audit(ctx, requestAudit(p, "request.approval_reminder", &before, &out)); err != nil {
					return err
				}
				return w.Emit(ctx, tenantID, EventApprovalReminder, out)
			}
			return nil
		})
		if err != nil {
			res.Failed++
			errs = append(errs, err)
		}
	}
	return res, errors.Join(errs...)
}
