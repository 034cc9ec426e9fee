package web

import (
	"context"
	"net/http"
	"time"

	"github.com/stewardhq/steward/governance"
)

// TeamLifecycles reads and renews managed teams
// (*governance.LifecycleService).
type TeamLifecycles interface {
	Team(ctx context.Context, p governance.Principal, teamID string) (governance.ManagedTeam, error)
	Renew(ctx context.Context, p governance.Principal, teamID string, attest bool) (governance.ManagedTeam, error)
}

// TeamLifecycle is where a team Steward manages stands in its template's
// lifecycle policy. Absent times have not happened (expiresAt: the team
// never expires).
type TeamLifecycle struct {
	TeamID          string    `json:"teamId"`
	RequestID       string    `json:"requestId"`
	TemplateID      string    `json:"templateId"`
	TemplateVersion int       `json:"templateVersion"`
	CreatedAt       time.Time `json:"createdAt"`
	// State is active, archived or deleted.
	State     string     `json:"state"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// LastWarningDaysBefore is the last expiry warning sent since the team
	// was created or renewed, in days before expiry.
	LastWarningDaysBefore int        `json:"lastWarningDaysBefore,omitempty"`
	RenewedAt             *time.Time `json:"renewedAt,omitempty"`
	RenewedBy             string     `json:"renewedBy,omitempty"`
	// Attested says whether the last renewal confirmed the membership.
	Attested         bool       `json:"attested,omitempty"`
	ArchivedAt       *time.Time `json:"archivedAt,omitempty"`
	DeletedAt        *time.Time `json:"deletedAt,omitempty"`
	LastActivityAt   *time.Time `json:"lastActivityAt,omitempty"`
	InactiveWarnedAt *time.Time `json:"inactiveWarnedAt,omitempty"`
	Version          int64      `json:"version"`
}

// RenewTeamBody renews a team. Attest confirms that its owners and members
// are still right; templates that require attestation refuse a renewal
// without it.
type RenewTeamBody struct {
	Attest bool `json:"attest,omitempty"`
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func lifecycleView(t governance.ManagedTeam) TeamLifecycle {
	l := t.Lifecycle
	state := "active"
	switch {
	case !l.DeletedAt.IsZero():
		state = "deleted"
	case !l.ArchivedAt.IsZero():
		state = "archived"
	}
	return TeamLifecycle{TeamID: t.TeamID, RequestID: t.RequestID, TemplateID: t.TemplateID, TemplateVersion: t.TemplateVersion,
		CreatedAt: t.CreatedAt, State: state, ExpiresAt: timeOrNil(l.ExpiresAt), LastWarningDaysBefore: l.WarnedDays,
		RenewedAt: timeOrNil(l.RenewedAt), RenewedBy: l.RenewedBy, Attested: l.Attested, ArchivedAt: timeOrNil(l.ArchivedAt),
		DeletedAt: timeOrNil(l.DeletedAt), LastActivityAt: timeOrNil(l.LastActivityAt), InactiveWarnedAt: timeOrNil(l.InactiveWarnedAt),
		Version: t.Version}
}

func (a *API) getTeamLifecycle(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	t, err := a.Teams.Team(r.Context(), p, r.PathValue("teamId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, lifecycleView(t))
	return nil
}

func (a *API) renewTeam(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	var in RenewTeamBody
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	t, err := a.Teams.Renew(r.Context(), p, r.PathValue("teamId"), in.Attest)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, lifecycleView(t))
	return nil
}
