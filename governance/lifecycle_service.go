package governance

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// TeamOwners tells who owns a team now (Microsoft Graph in production).
//
// Renewal asks Graph rather than trusting the owners the request named:
// owners change in Teams after a team is made, and whoever renews (and
// attests the membership) must own the team when they do. A permanent owner
// of the template is an owner in Graph too (the membership reconciler sees
// to it), so they need no special case.
type TeamOwners interface {
	// TeamOwnerIDs lists the Entra object ids of the owners of team teamID
	// (its group id) of tenantID.
	//
	// Errors: KindNotFound (tenantID has no such team); KindUnavailable or
	// KindTooManyRequests when the directory fails or is busy.
	TeamOwnerIDs(ctx context.Context, tenantID, teamID string) ([]string, error)
}

// ManagedTeamReader reads managed teams outside any transaction (*store.DB).
type ManagedTeamReader interface {
	// ManagedTeam errors: KindNotFound (managed_team_not_found).
	ManagedTeam(ctx context.Context, tenantID, teamID string) (ManagedTeam, error)
}

// LifecycleService is the lifecycle of managed teams: owners renew them; the
// lifecycle reconciler (provision.Lifecycle) records the expiry warnings,
// the archive or deletion at expiry, and the inactivity checks it made.
// Each change is one transaction with its audit row and webhook.
type LifecycleService struct {
	tx     Transactor
	teams  ManagedTeamReader
	owners TeamOwners // nil: only administrators can renew
}

// NewLifecycleService wires the lifecycle. owners may be nil where Graph is
// not configured: owners then get KindUnavailable, administrators are
// unaffected.
func NewLifecycleService(tx Transactor, teams ManagedTeamReader, owners TeamOwners) *LifecycleService {
	return &LifecycleService{tx: tx, teams: teams, owners: owners}
}

// LifecycleReconciler is the principal the lifecycle reconciler acts as.
var LifecycleReconciler = Principal{Kind: PrincipalSystem, ID: "lifecycle-reconciler", Name: "Steward"}

// Team returns a managed team with its lifecycle state, to its owners, to
// administrators and to API keys with requests:read (which read every
// request of the tenant already).
//
// Errors: KindUnauthenticated; KindForbidden (scope_required,
// team_owner_required); KindNotFound (managed_team_not_found, also for
// another tenant's team); KindUnavailable or KindTooManyRequests when the
// owners cannot be read.
func (s *LifecycleService) Team(ctx context.Context, p Principal, teamID string) (ManagedTeam, error) {
	if err := RequireScope(p, ScopeRequestsRead, RoleEndUser); err != nil {
		return ManagedTeam{}, err
	}
	t, err := s.teams.ManagedTeam(ctx, p.TenantID, teamID)
	if err != nil {
		return ManagedTeam{}, err
	}
	if p.Kind == PrincipalAPIKey {
		return t, nil
	}
	if err := s.requireOwner(ctx, p, teamID, Errorf(KindForbidden, "team_owner_required",
		"only the team's owners or an administrator can see its lifecycle")); err != nil {
		return ManagedTeam{}, err
	}
	return t, nil
}

// requireOwner passes administrators, and users Graph lists among the
// team's owners now; refused is the error for anyone else.
func (s *LifecycleService) requireOwner(ctx context.Context, p Principal, teamID string, refused error) error {
	if p.Kind == PrincipalUser && slices.Contains(p.Roles, RoleAdministrator) {
		return nil
	}
	if p.Kind != PrincipalUser {
		return refused
	}
	if s.owners == nil {
		return Errorf(KindUnavailable, "teams_not_configured",
			"this Steward server cannot read teams: Microsoft Graph is not configured for it")
	}
	ids, err := s.owners.TeamOwnerIDs(ctx, p.TenantID, teamID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(ids, func(id string) bool { return strings.EqualFold(id, p.ID) }) {
		return nil
	}
	return refused
}

// Renew pushes a team's expiry ExpireAfterDays (of its template version)
// from now, so its owners are warned again before the new date. If the
// template requires attestation, attest must be true: the person renewing
// confirms that the team's owners and members are still right. Only a
// person can renew (a signed-in owner of the team, or an administrator),
// never an API key. The audit row (team.renewed, before and after) and the
// team.renewed webhook are in the same transaction.
//
// Errors: KindUnauthenticated; KindForbidden (renewal_person_required,
// team_owner_required); KindNotFound (managed_team_not_found, also for
// another tenant's team); KindInvalid (renewal_attestation_required);
// KindConflict (team_ended, team_never_expires, managed_team_version_conflict);
// KindUnavailable or KindTooManyRequests when the owners cannot be read.
func (s *LifecycleService) Renew(ctx context.Context, p Principal, teamID string, attest bool) (ManagedTeam, error) {
	if p.TenantID == "" || p.ID == "" {
		return ManagedTeam{}, Errorf(KindUnauthenticated, "sign_in_required", "sign in to continue")
	}
	if p.Kind != PrincipalUser {
		return ManagedTeam{}, Errorf(KindForbidden, "renewal_person_required",
			"renewing a team confirms its owners and members, which only a person signed in can do")
	}
	if _, err := s.teams.ManagedTeam(ctx, p.TenantID, teamID); err != nil {
		return ManagedTeam{}, err
	}
	if err := s.requireOwner(ctx, p, teamID, Errorf(KindForbidden, "team_owner_required",
		"only the team's owners or an administrator can renew it")); err != nil {
		return ManagedTeam{}, err
	}
	var out ManagedTeam
	err := s.tx.InTx(ctx, func(w Work) error {
		t, pol, err := s.teamAndPolicy(ctx, w, p.TenantID, teamID)
		if err != nil {
			return err
		}
		switch {
		case t.Lifecycle.Ended():
			return Errorf(KindConflict, "team_ended", "this team was archived or deleted, so it can no longer be renewed")
		case pol.ExpireAfterDays == 0:
			return Errorf(KindConflict, "team_never_expires", "this team's template does not expire teams: there is nothing to renew")
		case pol.RenewalAttestation && !attest:
			return Errorf(KindInvalid, "renewal_attestation_required",
				"confirm that the team's owners and members are still right (\"attest\": true) to renew it")
		}
		before := t
		now := w.Now()
		l := &t.Lifecycle
		l.ExpiresAt = now.Add(time.Duration(pol.ExpireAfterDays) * Day)
		l.WarnedDays, l.RenewedAt, l.RenewedBy, l.Attested = 0, now, p.ID, attest
		l.ExpiryDueAt = l.nextExpiryDue(pol)
		if out, err = w.SaveManagedTeam(ctx, t); err != nil {
			return err
		}
		if err := w.Audit(ctx, teamAudit(p, "team.renewed", &before, &out, nil)); err != nil {
			return err
		}
		return w.Emit(ctx, p.TenantID, EventTeamRenewed, map[string]any{"team": out, "renewedBy": p.ID, "attested": attest})
	})
	return out, err
}

// teamAndPolicy reads a managed team and its template version's lifecycle
// policy inside w.
func (s *LifecycleService) teamAndPolicy(ctx context.Context, w Work, tenantID, teamID string) (ManagedTeam, LifecyclePolicy, error) {
	t, err := w.ManagedTeam(ctx, tenantID, teamID)
	if err != nil {
		return t, LifecyclePolicy{}, err
	}
	tpl, err := w.TemplateVersion(ctx, tenantID, t.TemplateID, t.TemplateVersion)
	return t, tpl.Policies.Lifecycle, err
}

func requireReconciler(p Principal) error {
	if p.Kind != PrincipalSystem || p.TenantID == "" {
		return Errorf(KindForbidden, "forbidden", "only Steward's lifecycle reconciler can record lifecycle steps")
	}
	return nil
}

// ExpiryWarning is the payload of team.expiring.
type ExpiryWarning struct {
	Team      ManagedTeam `json:"team"`
	DaysLeft  int         `json:"daysLeft"` // the threshold reached: 30, 7, 1...
	ExpiresAt time.Time   `json:"expiresAt"`
	OnExpiry  string      `json:"onExpiry"` // archive or delete
	// Owners are the team's owners as Graph listed them, for whoever
	// tells them.
	Owners []string `json:"owners,omitempty"`
}

// RecordExpiryCheck records the expiry step due now for a team whose
// ExpiryDueAt has come: the warning of the threshold reached (team.expiring,
// audited, once per threshold), and when the next step falls due. owners
// are the team's owners, named in the warning. A team past its expiry is
// left as it is and the step says so: the caller archives or deletes it in
// Graph and then calls RecordTeamEnd. A team recorded before its template's
// expiry was tracked (before migration 0008) gets its expiry here: its
// lifetime from creation, but never sooner than the first warning from now.
// Calling it again changes nothing.
//
// Errors: KindForbidden (not the system); KindNotFound; KindConflict
// (managed_team_version_conflict: retry).
func (s *LifecycleService) RecordExpiryCheck(ctx context.Context, p Principal, teamID string, owners []string) (ManagedTeam, ExpiryStep, error) {
	if err := requireReconciler(p); err != nil {
		return ManagedTeam{}, ExpiryStep{}, err
	}
	var (
		out  ManagedTeam
		step ExpiryStep
	)
	err := s.tx.InTx(ctx, func(w Work) error {
		t, pol, err := s.teamAndPolicy(ctx, w, p.TenantID, teamID)
		if err != nil {
			return err
		}
		before, now, l := t.Lifecycle, w.Now(), &t.Lifecycle
		if l.ExpiresAt.IsZero() && pol.ExpireAfterDays > 0 && !l.Ended() {
			l.ExpiresAt = t.CreatedAt.Add(time.Duration(pol.ExpireAfterDays) * Day)
			if ws := pol.Warnings(); len(ws) > 0 {
				l.ExpiresAt = later(l.ExpiresAt, now.Add(time.Duration(ws[0])*Day))
			}
		}
		step = t.ExpiryStepAt(pol, now)
		if step.WarnDays > 0 {
			l.WarnedDays = step.WarnDays
		}
		l.ExpiryDueAt = l.nextExpiryDue(pol)
		out = t
		if step.WarnDays == 0 && l.ExpiresAt.Equal(before.ExpiresAt) && l.ExpiryDueAt.Equal(before.ExpiryDueAt) {
			return nil // nothing to record (past expiry, the caller acts in Graph first)
		}
		if out, err = w.SaveManagedTeam(ctx, t); err != nil || step.WarnDays == 0 {
			return err
		}
		warning := ExpiryWarning{Team: out, DaysLeft: step.WarnDays, ExpiresAt: out.Lifecycle.ExpiresAt, OnExpiry: pol.ExpiryAction(), Owners: owners}
		if err := w.Audit(ctx, teamAudit(p, "team.expiring", nil, &out, warning)); err != nil {
			return err
		}
		return w.Emit(ctx, p.TenantID, EventTeamExpiring, warning)
	})
	return out, step, err
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// How a managed team ended (RecordTeamEnd).
const (
	TeamArchived = "archived" // archived in Teams at expiry
	TeamDeleted  = "deleted"  // deleted at expiry (the group, into Microsoft 365's recycle bin)
	TeamGone     = "gone"     // deleted by someone else: Graph no longer has it
)

// TeamEnd is the payload of team.archived and team.deleted.
type TeamEnd struct {
	Team ManagedTeam `json:"team"`
	// Reason is "expired" (Steward archived or deleted it at expiry) or
	// "gone" (someone deleted the team outside Steward).
	Reason string `json:"reason"`
}

// RecordTeamEnd records what the reconciler did in Graph to an expired
// team (TeamArchived, TeamDeleted), or that the team is gone (TeamGone): it
// ends the team's lifecycle (no more warnings or checks), audited
// (team.archived or team.deleted, before and after) with its webhook. It
// records what Graph did even if an owner renewed the team meanwhile.
// Recording an ended team again changes nothing.
//
// Errors: KindForbidden (not the system); KindInvalid (team_end_invalid);
// KindNotFound; KindConflict (managed_team_version_conflict: retry).
func (s *LifecycleService) RecordTeamEnd(ctx context.Context, p Principal, teamID, how string) (ManagedTeam, error) {
	if err := requireReconciler(p); err != nil {
		return ManagedTeam{}, err
	}
	if how != TeamArchived && how != TeamDeleted && how != TeamGone {
		return ManagedTeam{}, Errorf(KindInvalid, "team_end_invalid", "unknown team end %q: use archived, deleted or gone", how)
	}
	var out ManagedTeam
	err := s.tx.InTx(ctx, func(w Work) error {
		t, err := w.ManagedTeam(ctx, p.TenantID, teamID)
		if err != nil {
			return err
		}
		if t.Lifecycle.Ended() {
			out = t
			return nil
		}
		before := t
		now, l := w.Now(), &t.Lifecycle
		action, event, reason := "team.deleted", EventTeamDeleted, "expired"
		switch how {
		case TeamArchived:
			l.ArchivedAt, action, event = now, "team.archived", EventTeamArchived
		case TeamDeleted:
			l.DeletedAt = now
		case TeamGone:
			l.DeletedAt, reason = now, "gone"
		}
		l.ExpiryDueAt, l.ActivityDueAt = time.Time{}, time.Time{}
		if out, err = w.SaveManagedTeam(ctx, t); err != nil {
			return err
		}
		end := TeamEnd{Team: out, Reason: reason}
		if err := w.Audit(ctx, teamAudit(p, action, &before, &out, end)); err != nil {
			return err
		}
		return w.Emit(ctx, p.TenantID, event, end)
	})
	return out, err
}

// InactiveAt reports whether the team has shown no sign of life for its
// policy's InactivityDays at now: no channel message since seen (zero: none
// at all), no renewal, no creation.
func (t ManagedTeam) InactiveAt(pol LifecyclePolicy, seen, now time.Time) bool {
	return pol.InactivityDays > 0 && !now.Before(t.lastSignOfLife(seen).Add(time.Duration(pol.InactivityDays)*Day))
}

// InactivityWarning is the payload of team.inactive.
type InactivityWarning struct {
	Team           ManagedTeam `json:"team"`
	InactivityDays int         `json:"inactivityDays"` // the policy's threshold
	LastActivityAt time.Time   `json:"lastActivityAt"`
	Owners         []string    `json:"owners,omitempty"`
}

// RecordActivity records an inactivity check of a team whose ActivityDueAt
// has come. seen is the newest channel message Graph listed (zero: none).
// A team with no sign of life for its policy's InactivityDays is warned
// (team.inactive, audited, naming owners), and checked again after another
// InactivityDays: a silent team gets one warning per period of silence. An
// active team is checked again when it could first become inactive. A
// team whose policy tracks no inactivity, or that ended, is not checked
// again. It reports whether it warned.
//
// Errors: KindForbidden (not the system); KindNotFound; KindConflict
// (managed_team_version_conflict: retry).
func (s *LifecycleService) RecordActivity(ctx context.Context, p Principal, teamID string, seen time.Time, owners []string) (ManagedTeam, bool, error) {
	if err := requireReconciler(p); err != nil {
		return ManagedTeam{}, false, err
	}
	var (
		out    ManagedTeam
		warned bool
	)
	err := s.tx.InTx(ctx, func(w Work) error {
		t, pol, err := s.teamAndPolicy(ctx, w, p.TenantID, teamID)
		if err != nil {
			return err
		}
		now, l := w.Now(), &t.Lifecycle
		period := time.Duration(pol.InactivityDays) * Day
		switch {
		case pol.InactivityDays == 0 || l.Ended():
			l.ActivityDueAt = time.Time{}
		case t.InactiveAt(pol, seen, now) && !l.InactiveWarnedAt.IsZero() && now.Before(l.InactiveWarnedAt.Add(period)):
			// Warned for this silence already (a check repeated).
			l.LastActivityAt = t.lastSignOfLife(seen)
			l.ActivityDueAt = l.InactiveWarnedAt.Add(period)
		case t.InactiveAt(pol, seen, now):
			warned = true
			l.LastActivityAt = t.lastSignOfLife(seen)
			l.InactiveWarnedAt, l.ActivityDueAt = now, now.Add(period)
		default:
			l.LastActivityAt = t.lastSignOfLife(seen)
			l.ActivityDueAt = l.LastActivityAt.Add(period)
		}
		if out, err = w.SaveManagedTeam(ctx, t); err != nil || !warned {
			return err
		}
		warning := InactivityWarning{Team: out, InactivityDays: pol.InactivityDays, LastActivityAt: out.Lifecycle.LastActivityAt, Owners: owners}
		if err := w.Audit(ctx, teamAudit(p, "team.inactive", nil, &out, warning)); err != nil {
			return err
		}
		return w.Emit(ctx, p.TenantID, EventTeamInactive, warning)
	})
	return out, warned, err
}

// teamAudit builds the audit event of a lifecycle change by p. after is
// replaced by payload when one is given (a warning says more than the
// team's state).
func teamAudit(p Principal, action string, before, after *ManagedTeam, payload any) AuditEvent {
	e := AuditEvent{TenantID: p.TenantID, Action: action, SubjectType: "team",
		Actor: AuditActor{Type: string(p.Kind), ID: p.ID, Name: p.Name}}
	if before != nil {
		e.SubjectID = before.TeamID
		e.Before, _ = json.Marshal(before)
	}
	if after != nil {
		e.SubjectID = after.TeamID
		e.After, _ = json.Marshal(after)
	}
	if payload != nil {
		e.After, _ = json.Marshal(payload)
	}
	return e
}
