package governance

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// ManagedTeam is a team Steward provisioned and keeps compliant: the
// request it came from and the template version whose policies apply.
type ManagedTeam struct {
	TenantID        string    `json:"tenantId"`
	TeamID          string    `json:"teamId"`
	RequestID       string    `json:"requestId"`
	TemplateID      string    `json:"templateId"`
	TemplateVersion int       `json:"templateVersion"`
	CreatedAt       time.Time `json:"createdAt"`
	// Lifecycle is where the team stands in its template version's
	// lifecycle policy (expiry, renewal, inactivity; see lifecycle.go).
	Lifecycle LifecycleState `json:"lifecycle"`
	// Version is the optimistic-concurrency version the store checks when
	// the lifecycle is saved.
	Version int64 `json:"version"`
}

// MembershipRepair is what the permanent-membership reconciler put back in
// a team: people someone had removed (or demoted, for owners).
type MembershipRepair struct {
	TeamID  string   `json:"teamId"`
	Owners  []string `json:"owners,omitempty"`
	Members []string `json:"members,omitempty"`
	// Failed are the people Graph refused to add back, with its reason.
	Failed map[string]string `json:"failed,omitempty"`
}

// RecordMembershipRepair writes the audit row (membership.repaired) and
// the webhook of a repair, in one transaction.
//
// Errors: KindForbidden (not the system), KindInvalid (nothing repaired).
func (s *RequestService) RecordMembershipRepair(ctx context.Context, p Principal, team ManagedTeam, rep MembershipRepair) error {
	if p.Kind != PrincipalSystem {
		return Errorf(KindForbidden, "forbidden", "only Steward's reconciler can record membership repairs")
	}
	if len(rep.Owners)+len(rep.Members)+len(rep.Failed) == 0 {
		return Errorf(KindInvalid, "repair_empty", "a membership repair must name at least one person")
	}
	rep.TeamID = team.TeamID
	slices.Sort(rep.Owners)
	slices.Sort(rep.Members)
	return s.tx.InTx(ctx, func(w Work) error {
		after, _ := json.Marshal(rep)
		e := AuditEvent{TenantID: p.TenantID, Action: "membership.repaired", SubjectType: "team", SubjectID: team.TeamID,
			Actor: AuditActor{Type: string(p.Kind), ID: p.ID, Name: p.Name}, After: after}
		if err := w.Audit(ctx, e); err != nil {
			return err
		}
		return w.Emit(ctx, p.TenantID, EventMembershipRepaired, map[string]any{"team": team, "repair": rep})
	})
}
