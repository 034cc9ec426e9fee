package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/jobs"
)

// MembershipStore is what the permanent-membership reconciler reads and
// keeps (*store.DB).
type MembershipStore interface {
	ManagedTeam(ctx context.Context, tenantID, teamID string) (governance.ManagedTeam, error)
	TemplateVersion(ctx context.Context, tenantID, id string, version int) (governance.Template, error)
	ReconcilerState(ctx context.Context, tenantID, name string) (string, error)
	SetReconcilerState(ctx context.Context, tenantID, name, value string) error
	TenantIDs(ctx context.Context) ([]string, error)
}

// RepairRecorder audits repairs (*governance.RequestService).
type RepairRecorder interface {
	RecordMembershipRepair(ctx context.Context, p governance.Principal, team governance.ManagedTeam, rep governance.MembershipRepair) error
}

// membershipDeltaLink is the reconciler_state name of a tenant's deltaLink.
const membershipDeltaLink = "membership.deltaLink"

// Membership re-adds the permanent owners and members of managed teams
// whenever someone removes them. It reads a group delta query per tenant:
// each cycle asks Graph only what changed since the last one, so its cost
// is one delta call (plus pages when much changed) and one bulk add per
// drifted team, whatever the number of teams. The first cycle of a tenant
// reads every group once and repairs whatever had drifted before Steward
// watched.
type Membership struct {
	graph *graph.Client
	db    MembershipStore
	rec   RepairRecorder
	log   *slog.Logger
}

// NewMembership builds the reconciler.
func NewMembership(g *graph.Client, db MembershipStore, rec RepairRecorder, log *slog.Logger) *Membership {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Membership{graph: g, db: db, rec: rec, log: log}
}

// CycleReport says what one cycle of a tenant did.
type CycleReport struct {
	Initial        bool // a full read (first cycle, or the deltaLink expired)
	ChangedGroups  int  // groups the delta query reported
	DriftedTeams   int  // managed teams missing permanent people
	Repaired       int  // people added back
	RefusedRepairs int  // people Graph refused to add back
}

// deltaEntry is one group of a delta page.
type deltaEntry struct {
	ID      string          `json:"id"`
	Removed json.RawMessage `json:"@removed"`
	Members []deltaRef      `json:"members@delta"`
	Owners  []deltaRef      `json:"owners@delta"`
}

type deltaRef struct {
	ID      string          `json:"id"`
	Removed json.RawMessage `json:"@removed"`
}

// Reconcile runs one cycle for a tenant.
func (m *Membership) Reconcile(ctx context.Context, tenantID string) (CycleReport, error) {
	var rep CycleReport
	link, err := m.db.ReconcilerState(ctx, tenantID, membershipDeltaLink)
	if err != nil {
		return rep, err
	}
	var page graph.DeltaPage
	if link != "" {
		page, err = m.graph.Delta(ctx, tenantID, link, nil)
		var ge *graph.Error
		if errors.As(err, &ge) && (ge.Status == http.StatusGone || ge.Status == http.StatusBadRequest) {
			m.log.WarnContext(ctx, "membership delta link expired; reading every group again", "tenant_id", tenantID, "code", ge.Code)
			link = ""
		} else if err != nil {
			return rep, err
		}
	}
	if link == "" {
		rep.Initial = true
		page, err = m.graph.Delta(ctx, tenantID, "/groups/delta", url.Values{"$select": {"displayName,members,owners"}})
		if err != nil {
			return rep, err
		}
	}
	rep.ChangedGroups = len(page.Items)
	versions := map[string]governance.MembershipPolicy{}
	for _, raw := range page.Items {
		var e deltaEntry
		if err := json.Unmarshal(raw, &e); err != nil {
			return rep, fmt.Errorf("provision: membership delta entry: %w", err)
		}
		if len(e.Removed) > 0 {
			continue // the group itself was deleted
		}
		team, err := m.db.ManagedTeam(ctx, tenantID, e.ID)
		if governance.IsKind(err, governance.KindNotFound) {
			continue // not a team Steward manages
		}
		if err != nil {
			return rep, err
		}
		key := fmt.Sprintf("%s@%d", team.TemplateID, team.TemplateVersion)
		pol, ok := versions[key]
		if !ok {
			tpl, err := m.db.TemplateVersion(ctx, tenantID, team.TemplateID, team.TemplateVersion)
			if err != nil {
				return rep, err
			}
			pol = tpl.Policies.Membership
			versions[key] = pol
		}
		if len(pol.PermanentOwners)+len(pol.PermanentMembers) == 0 {
			continue
		}
		owners, members := missing(e, pol, rep.Initial)
		if len(owners)+len(members) == 0 {
			continue
		}
		rep.DriftedTeams++
		repair, err := m.repair(ctx, tenantID, team, owners, members)
		if err != nil {
			return rep, err
		}
		rep.Repaired += len(repair.Owners) + len(repair.Members)
		rep.RefusedRepairs += len(repair.Failed)
	}
	// Saved last: a crash before this repeats the cycle, and repairs are
	// idempotent (adding a member twice changes nothing).
	if err := m.db.SetReconcilerState(ctx, tenantID, membershipDeltaLink, page.DeltaLink); err != nil {
		return rep, err
	}
	return rep, nil
}

// missing lists the permanent owners and members a group lacks. In a full
// read the entry lists everyone, so absence means missing; in a delta the
// entry lists changes, so only an @removed entry does.
func missing(e deltaEntry, pol governance.MembershipPolicy, full bool) (owners, members []string) {
	state := func(refs []deltaRef) (present, removed map[string]bool) {
		present, removed = map[string]bool{}, map[string]bool{}
		for _, r := range refs {
			if len(r.Removed) > 0 {
				removed[r.ID] = true
			} else {
				present[r.ID] = true
				delete(removed, r.ID)
			}
		}
		return present, removed
	}
	mp, mr := state(e.Members)
	op, or := state(e.Owners)
	gone := func(id string, present, removed map[string]bool) bool {
		if full {
			return !present[id]
		}
		return removed[id] && !present[id]
	}
	for _, id := range pol.PermanentOwners {
		if gone(id, op, or) || gone(id, mp, mr) {
			owners = append(owners, id)
		}
	}
	for _, id := range pol.PermanentMembers {
		if !slices.Contains(owners, id) && !slices.Contains(pol.PermanentOwners, id) && gone(id, mp, mr) {
			members = append(members, id)
		}
	}
	return owners, members
}

// repair adds the people back in one bulk call and records it.
func (m *Membership) repair(ctx context.Context, tenantID string, team governance.ManagedTeam, owners, members []string) (governance.MembershipRepair, error) {
	var add []graph.NewMember
	for _, id := range owners {
		add = append(add, graph.NewMember{UserID: id, Owner: true})
	}
	for _, id := range members {
		add = append(add, graph.NewMember{UserID: id})
	}
	failed, err := m.graph.AddMembers(ctx, tenantID, team.TeamID, add)
	if err != nil {
		return governance.MembershipRepair{}, err
	}
	rep := governance.MembershipRepair{Failed: map[string]string{}}
	refused := map[string]bool{}
	for _, f := range failed {
		refused[f.UserID] = true
		rep.Failed[f.UserID] = f.Code
	}
	for _, id := range owners {
		if !refused[id] {
			rep.Owners = append(rep.Owners, id)
		}
	}
	for _, id := range members {
		if !refused[id] {
			rep.Members = append(rep.Members, id)
		}
	}
	if len(rep.Failed) == 0 {
		rep.Failed = nil
	}
	p := governance.Principal{Kind: governance.PrincipalSystem, TenantID: tenantID, ID: "membership-reconciler", Name: "Steward"}
	if err := m.rec.RecordMembershipRepair(ctx, p, team, rep); err != nil {
		return rep, err
	}
	m.log.InfoContext(ctx, "permanent membership repaired", "tenant_id", tenantID, "team", team.TeamID,
		"owners", len(rep.Owners), "members", len(rep.Members), "refused", len(rep.Failed))
	return rep, nil
}

// MembershipInterval is how often every tenant's teams are reconciled.
const MembershipInterval = 5 * time.Minute

// MembershipReconcile is the job reconciling one tenant. At most one
// exists per tenant at a time (unique while not finished), so replicas
// never reconcile the same tenant concurrently.
type MembershipReconcile struct {
	TenantID string `json:"tenant_id"`
}

// Kind names the job.
func (MembershipReconcile) Kind() string { return "membership_reconcile" }

// JobTenant is the tenant the job acts for.
func (m MembershipReconcile) JobTenant() string { return m.TenantID }

// InsertOpts: one live job per tenant.
func (MembershipReconcile) InsertOpts() river.InsertOpts { return uniqueWhileLive() }

// membershipSweep starts a reconcile job per tenant.
type membershipSweep struct {
	jobs.System
}

func (membershipSweep) Kind() string { return "membership_sweep" }

// RegisterMembership adds the reconciler's workers and its periodic sweep
// (the elected leader enqueues it, once per interval across replicas).
func RegisterMembership(q *jobs.Queue, m *Membership) error {
	return registerReconciler(q, MembershipInterval, membershipSweep{}, m.db.TenantIDs,
		func(id string) MembershipReconcile { return MembershipReconcile{TenantID: id} },
		func(ctx context.Context, id string) error { _, err := m.Reconcile(ctx, id); return err })
}
