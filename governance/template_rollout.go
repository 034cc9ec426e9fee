package governance

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
)

// TemplateDelta is what a newer version of a template adds to the teams
// made from an older one: permanent owners and members, and channels.
// Rollouts only add: a person or channel the new version dropped stays
// in existing teams (removing people or content retroactively would
// surprise their owners and lose data).
type TemplateDelta struct {
	FromVersion int           `json:"fromVersion"`
	ToVersion   int           `json:"toVersion"`
	Owners      []string      `json:"owners,omitempty"`
	Members     []string      `json:"members,omitempty"`
	Channels    []ChannelSpec `json:"channels,omitempty"`
}

// Empty reports whether the delta adds nothing.
func (d TemplateDelta) Empty() bool {
	return len(d.Owners)+len(d.Members)+len(d.Channels) == 0
}

// TemplateChanges is what to changes relative to from. Channel names are
// compared as Teams does, ignoring case; a member promoted to permanent
// owner is listed as an owner.
func TemplateChanges(from, to Template) TemplateDelta {
	d := TemplateDelta{FromVersion: from.Version, ToVersion: to.Version}
	old := from.Policies.Membership
	for _, id := range to.Policies.Membership.PermanentOwners {
		if id != "" && !slices.Contains(old.PermanentOwners, id) && !slices.Contains(d.Owners, id) {
			d.Owners = append(d.Owners, id)
		}
	}
	for _, id := range to.Policies.Membership.PermanentMembers {
		if id != "" && !slices.Contains(old.PermanentMembers, id) && !slices.Contains(old.PermanentOwners, id) &&
			!slices.Contains(d.Owners, id) && !slices.Contains(d.Members, id) {
			d.Members = append(d.Members, id)
		}
	}
	for _, ch := range to.Spec.Channels {
		if !slices.ContainsFunc(from.Spec.Channels, func(o ChannelSpec) bool { return strings.EqualFold(o.Name, ch.Name) }) {
			d.Channels = append(d.Channels, ch)
		}
	}
	return d
}

// TemplateApplied is the payload of team.template_applied and the audit
// row's "after": what a rollout added to a team, and what Graph refused.
type TemplateApplied struct {
	TeamID     string        `json:"teamId"`
	TemplateID string        `json:"templateId"`
	Delta      TemplateDelta `json:"delta"`
	// Failed are the people or channels Graph refused, with its reason;
	// the team still moves to the new version (the membership reconciler
	// keeps re-adding permanent people; an owner can add a channel).
	Failed map[string]string `json:"failed,omitempty"`
}

// RecordTemplateApplied moves a managed team to the template version a
// rollout applied, with the audit row (team.template_applied) and webhook
// when the rollout changed something, in one transaction. The team must
// still be at applied.Delta.FromVersion: a concurrent rollout that got
// there first wins and this one is a conflict.
//
// Errors: KindForbidden (not the system); KindInvalid
// (template_rollout_invalid); KindNotFound; KindConflict
// (template_rollout_conflict, managed_team_version_conflict).
func (s *LifecycleService) RecordTemplateApplied(ctx context.Context, p Principal, applied TemplateApplied) (ManagedTeam, error) {
	if err := requireReconciler(p); err != nil {
		return ManagedTeam{}, err
	}
	d := applied.Delta
	if d.ToVersion <= d.FromVersion || applied.TeamID == "" {
		return ManagedTeam{}, Errorf(KindInvalid, "template_rollout_invalid",
			"a rollout must move a team to a later template version (from %d to %d)", d.FromVersion, d.ToVersion)
	}
	var out ManagedTeam
	err := s.tx.InTx(ctx, func(w Work) error {
		t, err := w.ManagedTeam(ctx, p.TenantID, applied.TeamID)
		if err != nil {
			return err
		}
		if t.TemplateVersion != d.FromVersion || t.TemplateID != applied.TemplateID {
			return Errorf(KindConflict, "template_rollout_conflict",
				"team %q is at version %d of template %q, not version %d of %q", t.TeamID, t.TemplateVersion, t.TemplateID, d.FromVersion, applied.TemplateID)
		}
		before := t
		t.TemplateVersion = d.ToVersion
		if out, err = w.SaveManagedTeam(ctx, t); err != nil {
			return err
		}
		if d.Empty() && len(applied.Failed) == 0 {
			return nil // e.g. only the description changed: nothing to tell
		}
		after, _ := json.Marshal(applied)
		beforeDoc, _ := json.Marshal(map[string]any{"templateVersion": before.TemplateVersion})
		e := AuditEvent{TenantID: p.TenantID, Action: "team.template_applied", SubjectType: "team", SubjectID: t.TeamID,
			Actor: AuditActor{Type: string(p.Kind), ID: p.ID, Name: p.Name}, Before: beforeDoc, After: after}
		if err := w.Audit(ctx, e); err != nil {
			return err
		}
		return w.Emit(ctx, p.TenantID, EventTeamTemplateApplied, applied)
	})
	return out, err
}
