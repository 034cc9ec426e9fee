package governance

import (
	"context"
	"strings"
)

// Provisioner is the principal the provisioning worker acts as.
var Provisioner = Principal{Kind: PrincipalSystem, ID: "provisioning", Name: "Steward"}

// ProvisioningStart is what the provisioning worker needs to create a team.
type ProvisioningStart struct {
	Request  Request
	Template Template // the version the request was made from
	// Done is set when there is nothing to do: the team exists already, or
	// the request left provisioning (cancelled, or a newer attempt runs).
	Done bool
}

// BeginProvisioning moves an approved request to provisioning (the first
// run of its job) and returns it with its template version. A job of an
// older attempt than the request's, or for a request that is no longer
// approved or provisioning, gets Done.
//
// Errors: KindForbidden (not the system), KindNotFound.
func (s *RequestService) BeginProvisioning(ctx context.Context, p Principal, requestID string, attempt int) (ProvisioningStart, error) {
	if p.Kind != PrincipalSystem {
		return ProvisioningStart{}, Errorf(KindForbidden, "forbidden", "only Steward's provisioning worker can provision teams")
	}
	var out ProvisioningStart
	err := s.tx.InTx(ctx, func(w Work) error {
		r, err := w.Request(ctx, p.TenantID, requestID)
		if err != nil {
			return err
		}
		if attempt < max(r.ProvisioningAttempt, 1) {
			out = ProvisioningStart{Request: r, Done: true}
			return nil
		}
		switch r.State {
		case StateApproved:
			before := r
			if err := r.Move(StateProvisioning, w.Now()); err != nil {
				return err
			}
			r.ProvisioningAttempt = max(r.ProvisioningAttempt, 1)
			if r, err = w.SaveRequest(ctx, r, nil); err != nil {
				return err
			}
			if err := w.Audit(ctx, requestAudit(p, "request.provisioning_started", &before, &r)); err != nil {
				return err
			}
		case StateProvisioning:
			// A rerun after a crash or a retry: the steps resume.
		default:
			out = ProvisioningStart{Request: r, Done: true}
			return nil
		}
		tpl, err := w.TemplateVersion(ctx, r.TenantID, r.TemplateID, r.TemplateVersion)
		if err != nil {
			return err
		}
		out = ProvisioningStart{Request: r, Template: tpl}
		return nil
	})
	return out, err
}

// TeamOutcome is what provisioning reports when the team exists.
type TeamOutcome struct {
	TeamID string `json:"teamId"`
	WebURL string `json:"webUrl,omitempty"`
	// Notes are what could not be applied without failing the request
	// (a member who left the directory, ...), shown to the requester.
	Notes []string `json:"notes,omitempty"`
}

// Provisioned records that the request's team exists: the request is
// completed, the audit trail and webhooks say team.provisioned, and the
// team becomes a managed team whose expiry and inactivity checks follow
// the lifecycle policy of the request's template version, in one
// transaction. Calling it again for a completed request changes nothing.
//
// Errors: KindForbidden, KindNotFound, KindConflict (not provisioning).
func (s *RequestService) Provisioned(ctx context.Context, p Principal, requestID string, out TeamOutcome) (Request, error) {
	if p.Kind != PrincipalSystem {
		return Request{}, Errorf(KindForbidden, "forbidden", "only Steward's provisioning worker can provision teams")
	}
	var res Request
	err := s.tx.InTx(ctx, func(w Work) error {
		r, err := w.Request(ctx, p.TenantID, requestID)
		if err != nil {
			return err
		}
		if r.State == StateCompleted && r.TeamID == out.TeamID {
			res = r
			return nil
		}
		before := r
		if err := r.Move(StateCompleted, w.Now()); err != nil {
			return err
		}
		r.TeamID, r.TeamWebURL, r.FailureReason, r.ProvisioningNotes = out.TeamID, out.WebURL, "", out.Notes
		if res, err = w.SaveRequest(ctx, r, nil); err != nil {
			return err
		}
		e := requestAudit(p, "team.provisioned", &before, &res)
		if err := w.Audit(ctx, e); err != nil {
			return err
		}
		tpl, err := w.TemplateVersion(ctx, r.TenantID, r.TemplateID, r.TemplateVersion)
		if err != nil {
			return err
		}
		team := ManagedTeam{TenantID: r.TenantID, TeamID: out.TeamID, RequestID: r.ID,
			TemplateID: r.TemplateID, TemplateVersion: r.TemplateVersion, CreatedAt: w.Now()}
		team.startLifecycle(tpl.Policies.Lifecycle)
		if err := w.AddManagedTeam(ctx, team); err != nil && !IsKind(err, KindConflict) {
			return err
		}
		return w.Emit(ctx, r.TenantID, EventTeamProvisioned, res)
	})
	return res, err
}

// maxFailureReason bounds what a failure reason may hold.
const maxFailureReason = 1000

// ProvisioningFailed records that provisioning stopped for good: the
// request is failed with a readable reason an administrator can act on
// (then retry), audited and announced as team.provisioning_failed.
//
// Errors: KindForbidden, KindNotFound, KindConflict (not provisioning).
func (s *RequestService) ProvisioningFailed(ctx context.Context, p Principal, requestID, reason string) (Request, error) {
	if p.Kind != PrincipalSystem {
		return Request{}, Errorf(KindForbidden, "forbidden", "only Steward's provisioning worker can provision teams")
	}
	reason = strings.TrimSpace(reason)
	if len(reason) > maxFailureReason {
		reason = reason[:maxFailureReason] + "…"
	}
	var res Request
	err := s.tx.InTx(ctx, func(w Work) error {
		r, err := w.Request(ctx, p.TenantID, requestID)
		if err != nil {
			return err
		}
		before := r
		if err := r.Move(StateFailed, w.Now()); err != nil {
			return err
		}
		r.FailureReason = reason
		if res, err = w.SaveRequest(ctx, r, nil); err != nil {
			return err
		}
		if err := w.Audit(ctx, requestAudit(p, "team.provisioning_failed", &before, &res)); err != nil {
			return err
		}
		return w.Emit(ctx, r.TenantID, EventTeamProvisioningFailed, res)
	})
	return res, err
}
