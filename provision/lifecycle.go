package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/jobs"
)

// LifecycleStore is what the lifecycle reconciler reads (*store.DB).
type LifecycleStore interface {
	ExpiryDue(ctx context.Context, tenantID string, now time.Time, limit int) ([]governance.ManagedTeam, error)
	ActivityDue(ctx context.Context, tenantID string, now time.Time, limit int) ([]governance.ManagedTeam, error)
	TemplateVersion(ctx context.Context, tenantID, id string, version int) (governance.Template, error)
	TenantIDs(ctx context.Context) ([]string, error)
}

// LifecycleRecorder records the lifecycle steps the reconciler took
// (*governance.LifecycleService).
type LifecycleRecorder interface {
	RecordExpiryCheck(ctx context.Context, p governance.Principal, teamID string, owners []string) (governance.ManagedTeam, governance.ExpiryStep, error)
	RecordTeamEnd(ctx context.Context, p governance.Principal, teamID, how string) (governance.ManagedTeam, error)
	RecordActivity(ctx context.Context, p governance.Principal, teamID string, seen time.Time, owners []string) (governance.ManagedTeam, bool, error)
}

// LifecycleOptions tune the lifecycle reconciler. The zero value is valid.
type LifecycleOptions struct {
	// Now is the clock the due teams are read at; nil means time.Now.
	// Tests move it (and the store's, which the recorder's transactions
	// read) to cross thresholds.
	Now func() time.Time
	// MaxExpirySteps bounds the expiry steps of a tenant per cycle
	// (warnings cost Graph one owners read, expiries one archive or
	// delete); default 200. The rest are due still and go next cycle,
	// longest due first.
	MaxExpirySteps int
	// MaxActivityChecks bounds the inactivity checks of a tenant per cycle;
	// each costs Graph 1 + ceil(channels/20) round trips. Default 50.
	MaxActivityChecks int
	Logger            *slog.Logger
}

// Lifecycle keeps managed teams to their template's lifecycle policy:
// expiry warnings to owners (team.expiring, at 30, 7 and 1 days or the
// policy's thresholds, once each), the archive or deletion at expiry
// (team.archived, team.deleted), and inactivity warnings (team.inactive)
// for teams with no channel message for the policy's InactivityDays.
//
// A cycle of a tenant reads only the teams due (two indexed queries, each
// bounded), so its cost follows the work to do, not the number of teams.
// Each step is idempotent: Graph's archive and delete can be repeated, and
// the recorder changes nothing for a step already recorded, so a cycle that
// crashed half-way is simply run again. A team whose step fails stays due
// and is tried again next cycle; the others go on.
type Lifecycle struct {
	graph *graph.Client
	db    LifecycleStore
	rec   LifecycleRecorder
	opts  LifecycleOptions
	log   *slog.Logger
}

// NewLifecycle builds the reconciler.
func NewLifecycle(g *graph.Client, db LifecycleStore, rec LifecycleRecorder, opts LifecycleOptions) *Lifecycle {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxExpirySteps <= 0 {
		opts.MaxExpirySteps = 200
	}
	if opts.MaxActivityChecks <= 0 {
		opts.MaxActivityChecks = 50
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Lifecycle{graph: g, db: db, rec: rec, opts: opts, log: log}
}

// LifecycleReport says what one cycle of a tenant did.
type LifecycleReport struct {
	ExpiryDue   int // teams whose expiry step was due
	Warned      int // expiry warnings sent
	Archived    int // teams archived at expiry
	Deleted     int // teams deleted at expiry
	Gone        int // teams found deleted outside Steward
	ActivityDue int // teams whose activity was due for a check
	Inactive    int // inactivity warnings sent
	Failed      int // teams whose step failed (tried again next cycle)
}

// maxReportedErrors bounds the errors a cycle returns (each is logged).
const maxReportedErrors = 5

// Reconcile runs one cycle for a tenant. It returns an error if a team's
// step failed, after trying every other due team.
func (l *Lifecycle) Reconcile(ctx context.Context, tenantID string) (LifecycleReport, error) {
	var rep LifecycleReport
	now := l.opts.Now()
	p := governance.LifecycleReconciler
	p.TenantID = tenantID
	policies := map[string]governance.LifecyclePolicy{}
	var errs []error
	fail := func(t governance.ManagedTeam, what string, err error) {
		rep.Failed++
		l.log.WarnContext(ctx, "lifecycle step failed; the team stays due", "tenant_id", tenantID, "team", t.TeamID, "step", what, "err", err)
		if len(errs) < maxReportedErrors {
			errs = append(errs, fmt.Errorf("provision: lifecycle %s of team %s: %w", what, t.TeamID, err))
		}
	}

	due, err := l.db.ExpiryDue(ctx, tenantID, now, l.opts.MaxExpirySteps)
	if err != nil {
		return rep, err
	}
	rep.ExpiryDue = len(due)
	for _, t := range due {
		pol, err := l.policy(ctx, t, policies)
		if err == nil {
			err = l.expiry(ctx, p, t, pol, now, &rep)
		}
		if err != nil {
			fail(t, "expiry", err)
		}
	}

	due, err = l.db.ActivityDue(ctx, tenantID, now, l.opts.MaxActivityChecks)
	if err != nil {
		return rep, errors.Join(append(errs, err)...)
	}
	rep.ActivityDue = len(due)
	for _, t := range due {
		pol, err := l.policy(ctx, t, policies)
		if err == nil {
			err = l.activity(ctx, p, t, pol, now, &rep)
		}
		if err != nil {
			fail(t, "activity check", err)
		}
	}
	if rep.Warned+rep.Archived+rep.Deleted+rep.Gone+rep.Inactive+rep.Failed > 0 {
		l.log.InfoContext(ctx, "lifecycle cycle", "tenant_id", tenantID, "warned", rep.Warned, "archived", rep.Archived,
			"deleted", rep.Deleted, "gone", rep.Gone, "inactive", rep.Inactive, "failed", rep.Failed)
	}
	return rep, errors.Join(errs...)
}

// policy reads the lifecycle policy of a team's template version, once per
// cycle per version (versions are immutable).
func (l *Lifecycle) policy(ctx context.Context, t governance.ManagedTeam, cache map[string]governance.LifecyclePolicy) (governance.LifecyclePolicy, error) {
	key := fmt.Sprintf("%s@%d", t.TemplateID, t.TemplateVersion)
	if pol, ok := cache[key]; ok {
		return pol, nil
	}
	tpl, err := l.db.TemplateVersion(ctx, t.TenantID, t.TemplateID, t.TemplateVersion)
	if err != nil {
		return governance.LifecyclePolicy{}, err
	}
	cache[key] = tpl.Policies.Lifecycle
	return tpl.Policies.Lifecycle, nil
}

// expiry takes a team's due expiry step: archive or delete it past its
// expiry, or warn its owners (the recorder decides which warning, if any,
// from its own reading of the team).
func (l *Lifecycle) expiry(ctx context.Context, p governance.Principal, t governance.ManagedTeam, pol governance.LifecyclePolicy, now time.Time, rep *LifecycleReport) error {
	step := t.ExpiryStepAt(pol, now)
	if step.Expire != "" {
		return l.expire(ctx, p, t, step.Expire, rep)
	}
	var owners []string
	// Owners are named in a warning; a team recorded before expiry was
	// tracked may get one at its first check too.
	if step.WarnDays > 0 || (t.Lifecycle.ExpiresAt.IsZero() && pol.ExpireAfterDays > 0) {
		var err error
		owners, err = l.graph.GroupMemberIDs(ctx, p.TenantID, t.TeamID, true)
		if graph.IsNotFound(err) {
			return l.gone(ctx, p, t, rep)
		}
		if err != nil {
			return err
		}
	}
	_, got, err := l.rec.RecordExpiryCheck(ctx, p, t.TeamID, owners)
	if err != nil {
		return err
	}
	if got.Expire != "" { // a team recorded before expiry was tracked, expired already
		return l.expire(ctx, p, t, got.Expire, rep)
	}
	if got.WarnDays > 0 {
		rep.Warned++
		l.log.InfoContext(ctx, "team expiry warning", "tenant_id", p.TenantID, "team", t.TeamID, "days_left", got.WarnDays)
	}
	return nil
}

// expire archives or deletes an expired team in Graph, then records it.
// Both Graph calls can be repeated, so a crash between them and the record
// only repeats the call next cycle. The archive is recorded when Graph
// accepts it (202); Teams finishes it asynchronously.
func (l *Lifecycle) expire(ctx context.Context, p governance.Principal, t governance.ManagedTeam, action string, rep *LifecycleReport) error {
	how := governance.TeamArchived
	var err error
	if action == governance.ExpiryDelete {
		how = governance.TeamDeleted
		err = l.graph.DeleteGroup(ctx, p.TenantID, t.TeamID) // a group already gone is deleted
	} else {
		err = l.graph.ArchiveTeam(ctx, p.TenantID, t.TeamID, true)
		if graph.IsNotFound(err) {
			return l.gone(ctx, p, t, rep)
		}
	}
	if err != nil {
		return err
	}
	if _, err := l.rec.RecordTeamEnd(ctx, p, t.TeamID, how); err != nil {
		return err
	}
	if how == governance.TeamDeleted {
		rep.Deleted++
	} else {
		rep.Archived++
	}
	l.log.InfoContext(ctx, "team expired", "tenant_id", p.TenantID, "team", t.TeamID, "action", action)
	return nil
}

// gone records a team someone deleted outside Steward: nothing is left to
// warn about, archive or check.
func (l *Lifecycle) gone(ctx context.Context, p governance.Principal, t governance.ManagedTeam, rep *LifecycleReport) error {
	if _, err := l.rec.RecordTeamEnd(ctx, p, t.TeamID, governance.TeamGone); err != nil {
		return err
	}
	rep.Gone++
	l.log.InfoContext(ctx, "managed team no longer exists", "tenant_id", p.TenantID, "team", t.TeamID)
	return nil
}

// activity checks a team's channels for its newest message and records
// the check; a team whose policy tracks no inactivity (a team recorded
// before 0008, say) is unscheduled without calling Graph.
func (l *Lifecycle) activity(ctx context.Context, p governance.Principal, t governance.ManagedTeam, pol governance.LifecyclePolicy, now time.Time, rep *LifecycleReport) error {
	var (
		seen   time.Time
		owners []string
	)
	if pol.InactivityDays > 0 && !t.Lifecycle.Ended() {
		var err error
		seen, err = l.graph.LastChannelMessage(ctx, p.TenantID, t.TeamID)
		if graph.IsNotFound(err) {
			return l.gone(ctx, p, t, rep)
		}
		if err != nil {
			return err
		}
		if t.InactiveAt(pol, seen, now) {
			if owners, err = l.graph.GroupMemberIDs(ctx, p.TenantID, t.TeamID, true); err != nil {
				return err
			}
		}
	}
	_, warned, err := l.rec.RecordActivity(ctx, p, t.TeamID, seen, owners)
	if err != nil {
		return err
	}
	if warned {
		rep.Inactive++
		l.log.InfoContext(ctx, "team inactive", "tenant_id", p.TenantID, "team", t.TeamID, "inactivity_days", pol.InactivityDays)
	}
	return nil
}

// LifecycleInterval is how often every tenant's due teams are reconciled.
// Thresholds are whole days, so an hour late is on time.
const LifecycleInterval = time.Hour

// LifecycleReconcile is the job reconciling one tenant's lifecycle. At
// most one exists per tenant at a time (unique while not finished), so
// replicas never work the same tenant's teams concurrently.
type LifecycleReconcile struct {
	TenantID string `json:"tenant_id"`
}

// Kind names the job.
func (LifecycleReconcile) Kind() string { return "lifecycle_reconcile" }

// JobTenant is the tenant the job acts for.
func (j LifecycleReconcile) JobTenant() string { return j.TenantID }

// InsertOpts: one live job per tenant.
func (LifecycleReconcile) InsertOpts() river.InsertOpts { return uniqueWhileLive() }

// lifecycleSweep starts a reconcile job per tenant.
type lifecycleSweep struct {
	jobs.System
}

func (lifecycleSweep) Kind() string { return "lifecycle_sweep" }

// RegisterLifecycle adds the reconciler's workers and its periodic sweep
// (the elected leader enqueues it, once per interval across replicas).
func RegisterLifecycle(q *jobs.Queue, l *Lifecycle) error {
	return registerReconciler(q, LifecycleInterval, lifecycleSweep{}, l.db.TenantIDs,
		func(id string) LifecycleReconcile { return LifecycleReconcile{TenantID: id} },
		func(ctx context.Context, id string) error { _, err := l.Reconcile(ctx, id); return err })
}
