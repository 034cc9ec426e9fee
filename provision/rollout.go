package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/jobs"
)

// RolloutStore is what the rollout reconciler reads (*store.DB).
type RolloutStore interface {
	Templates(ctx context.Context, tenantID string, includeRetired bool) ([]governance.Template, error)
	TemplateVersion(ctx context.Context, tenantID, id string, version int) (governance.Template, error)
	ManagedTeamsBehind(ctx context.Context, tenantID, templateID string, version int, after string, limit int) ([]governance.ManagedTeam, error)
	TenantIDs(ctx context.Context) ([]string, error)
}

// RolloutRecorder records what a rollout did (*governance.LifecycleService).
type RolloutRecorder interface {
	RecordTemplateApplied(ctx context.Context, p governance.Principal, applied governance.TemplateApplied) (governance.ManagedTeam, error)
}

// Rollout applies retroactive template changes: for every template whose
// current version opts in (Policies.ApplyToExistingTeams), it adds what
// that version added — permanent owners and members, channels with their
// tabs — to the live teams made from earlier versions, then moves each
// team to the current version.
//
// A cycle reads only the teams behind (an indexed query), so once a
// rollout is done a cycle costs one template list and no Graph call. Each
// team costs at most one bulk members/add, one channel list and one create
// per missing channel. Every step can be rerun: members/add of a member
// changes nothing, and channels are looked up by name before they are
// created, so a cycle that crashed half-way simply runs again.
type Rollout struct {
	graph *graph.Client
	db    RolloutStore
	rec   RolloutRecorder
	max   int
	log   *slog.Logger
}

// RolloutOptions tune the reconciler; the zero value is valid.
type RolloutOptions struct {
	// MaxTeams bounds the teams one cycle of a tenant updates (default
	// 200); the rest wait for the next cycle.
	MaxTeams int
	Logger   *slog.Logger
}

// NewRollout builds the reconciler.
func NewRollout(g *graph.Client, db RolloutStore, rec RolloutRecorder, o RolloutOptions) *Rollout {
	if o.MaxTeams <= 0 {
		o.MaxTeams = 200
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Rollout{graph: g, db: db, rec: rec, max: o.MaxTeams, log: o.Logger}
}

// RolloutReport says what one cycle of a tenant did.
type RolloutReport struct {
	Teams    int // teams moved to their template's current version
	Added    int // people added
	Channels int // channels created
	Failed   int // people or channels Graph refused
}

var rolloutPrincipal = governance.Principal{Kind: governance.PrincipalSystem, ID: "template-rollout", Name: "Steward"}

// Reconcile runs one cycle for a tenant. A team that fails transiently is
// left behind and retried next cycle; the others go on, and the first such
// error is returned once the cycle is over.
func (r *Rollout) Reconcile(ctx context.Context, tenantID string) (RolloutReport, error) {
	var rep RolloutReport
	tpls, err := r.db.Templates(ctx, tenantID, false)
	if err != nil {
		return rep, err
	}
	var firstErr error
	budget := r.max
	for _, tpl := range tpls {
		if !tpl.Policies.ApplyToExistingTeams || budget <= 0 {
			continue
		}
		versions := map[int]governance.Template{tpl.Version: tpl}
		after := ""
		for budget > 0 {
			limit := min(budget, 100)
			teams, err := r.db.ManagedTeamsBehind(ctx, tenantID, tpl.ID, tpl.Version, after, limit)
			if err != nil {
				return rep, err
			}
			for _, team := range teams {
				after = team.TeamID
				budget--
				if err := r.apply(ctx, tenantID, team, tpl, versions, &rep); err != nil {
					r.log.WarnContext(ctx, "template rollout: team left for the next cycle", "tenant_id", tenantID,
						"team", team.TeamID, "template", tpl.ID, "error", err)
					if firstErr == nil {
						firstErr = err
					}
				}
			}
			if len(teams) < limit {
				break
			}
		}
	}
	return rep, firstErr
}

// apply brings one team to tpl's version.
func (r *Rollout) apply(ctx context.Context, tenantID string, team governance.ManagedTeam, tpl governance.Template,
	versions map[int]governance.Template, rep *RolloutReport) error {
	from, ok := versions[team.TemplateVersion]
	if !ok {
		var err error
		if from, err = r.db.TemplateVersion(ctx, tenantID, tpl.ID, team.TemplateVersion); err != nil {
			return err
		}
		versions[team.TemplateVersion] = from
	}
	delta := governance.TemplateChanges(from, tpl)
	applied := governance.TemplateApplied{TeamID: team.TeamID, TemplateID: tpl.ID, Delta: delta, Failed: map[string]string{}}

	if len(delta.Owners)+len(delta.Members) > 0 {
		var add []graph.NewMember
		for _, id := range delta.Owners {
			add = append(add, graph.NewMember{UserID: id, Owner: true})
		}
		for _, id := range delta.Members {
			add = append(add, graph.NewMember{UserID: id})
		}
		refused, err := r.graph.AddMembers(ctx, tenantID, team.TeamID, add)
		if err := rolloutGraphError(err, team.TeamID); err != nil {
			return err
		}
		for _, f := range refused {
			applied.Failed[f.UserID] = f.Code
		}
		rep.Added += len(add) - len(refused)
	}
	if len(delta.Channels) > 0 {
		existing, err := r.graph.Channels(ctx, tenantID, team.TeamID)
		if err := rolloutGraphError(err, team.TeamID); err != nil {
			return err
		}
		owner := firstOwner(delta, tpl)
		for _, ch := range delta.Channels {
			if hasChannel(existing, ch.Name) {
				continue // created by an earlier run, or by an owner
			}
			if ch.MembershipType == "private" && owner == "" {
				applied.Failed["channel:"+ch.Name] = "a private channel needs an owner: the template has no permanent owner"
				continue
			}
			_, err := r.graph.CreateChannel(ctx, tenantID, team.TeamID, newChannel(ch, owner))
			var ge *graph.Error
			switch {
			case errors.As(err, &ge) && !ge.Transient() && ge.Status != 401 && ge.Status != 403:
				applied.Failed["channel:"+ch.Name] = ge.Code + ": " + ge.Message
			case err != nil:
				return rolloutGraphError(err, team.TeamID)
			default:
				rep.Channels++
			}
		}
	}
	if len(applied.Failed) == 0 {
		applied.Failed = nil
	}
	rep.Failed += len(applied.Failed)
	p := rolloutPrincipal
	p.TenantID = tenantID
	if _, err := r.rec.RecordTemplateApplied(ctx, p, applied); err != nil {
		return err
	}
	rep.Teams++
	r.log.InfoContext(ctx, "template rollout applied", "tenant_id", tenantID, "team", team.TeamID, "template", tpl.ID,
		"from", delta.FromVersion, "to", delta.ToVersion, "people", len(delta.Owners)+len(delta.Members),
		"channels", len(delta.Channels), "refused", len(applied.Failed))
	return nil
}

// rolloutGraphError passes Graph failures up; a team Graph no longer has
// is left to the lifecycle reconciler, which records it gone.
func rolloutGraphError(err error, teamID string) error {
	if err == nil {
		return nil
	}
	if graph.IsNotFound(err) {
		return fmt.Errorf("provision: rollout: team %s not found in Graph: %w", teamID, err)
	}
	return fmt.Errorf("provision: rollout: team %s: %w", teamID, err)
}

// firstOwner is who owns a private channel created by a rollout: a newly
// added permanent owner, else the template's first permanent owner.
func firstOwner(d governance.TemplateDelta, tpl governance.Template) string {
	if len(d.Owners) > 0 {
		return d.Owners[0]
	}
	if o := tpl.Policies.Membership.PermanentOwners; len(o) > 0 {
		return o[0]
	}
	return ""
}

func hasChannel(cs []graph.Channel, name string) bool {
	for _, c := range cs {
		if strings.EqualFold(c.DisplayName, name) {
			return true
		}
	}
	return false
}

// RolloutInterval is how often every tenant's rollouts advance.
const RolloutInterval = 10 * time.Minute

// RolloutReconcile is the job rolling out one tenant's template changes;
// at most one is live per tenant.
type RolloutReconcile struct {
	TenantID string `json:"tenant_id"`
}

// Kind names the job.
func (RolloutReconcile) Kind() string { return "template_rollout" }

// JobTenant is the tenant the job acts for.
func (j RolloutReconcile) JobTenant() string { return j.TenantID }

// InsertOpts: one live job per tenant.
func (RolloutReconcile) InsertOpts() river.InsertOpts { return uniqueWhileLive() }

type rolloutSweep struct {
	jobs.System
}

func (rolloutSweep) Kind() string { return "template_rollout_sweep" }

// RegisterRollout adds the reconciler's workers and its periodic sweep.
func RegisterRollout(q *jobs.Queue, r *Rollout) error {
	return registerReconciler(q, RolloutInterval, rolloutSweep{}, r.db.TenantIDs,
		func(id string) RolloutReconcile { return RolloutReconcile{TenantID: id} },
		func(ctx context.Context, id string) error { _, err := r.Reconcile(ctx, id); return err })
}
