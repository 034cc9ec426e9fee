package provision

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/m365sim"
)

// memCheckpoints keeps checkpoints in memory.
type memCheckpoints struct {
	mu   sync.Mutex
	docs map[string][]byte
}

func (m *memCheckpoints) Checkpoint(_ context.Context, tenantID, requestID string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.docs[tenantID+"/"+requestID]
	if !ok {
		return nil, governance.Errorf(governance.KindNotFound, "checkpoint_not_found", "no checkpoint for %s", requestID)
	}
	return d, nil
}

func (m *memCheckpoints) SaveCheckpoint(_ context.Context, tenantID, requestID string, doc []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.docs[tenantID+"/"+requestID] = doc
	return nil
}

type oneTenant graph.Credential

func (c oneTenant) Credential(context.Context, string) (graph.Credential, error) {
	return graph.Credential(c), nil
}

// lookEnv is an engine on a hand-moved clock against the simulator.
type lookEnv struct {
	clock  *testenv.Clock
	sim    *m365sim.Server
	client *graph.Client
	engine *Engine
	owner  string
}

func newLookEnv(t *testing.T) *lookEnv {
	t.Helper()
	clock := testenv.NewClockAt(time.Now().UTC())
	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Options{TeamOperationDelay: time.Second, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close(context.Background()) })
	e := &lookEnv{clock: clock, sim: sim}
	var cred graph.Credential
	for _, tn := range sim.Dir.Tenants() {
		if tn.DisplayName != "Contoso" {
			continue
		}
		apps, _ := sim.Dir.Apps(tn.ID)
		for _, a := range apps {
			if a.DisplayName == "Steward" {
				cred = graph.Credential{EntraTenantID: tn.ID, ClientID: a.AppID, ClientSecret: a.Secrets[0]}
			}
		}
		us, _ := sim.Dir.Users(tn.ID)
		for _, u := range us {
			if u.UserType != "Guest" && e.owner == "" {
				e.owner = u.ID
			}
		}
	}
	if e.client, err = graph.New(graph.Options{LoginURL: sim.LoginURL(), GraphURL: sim.GraphURL(), HTTPClient: &http.Client{},
		Credentials: oneTenant(cred), Now: clock.Now}); err != nil {
		t.Fatal(err)
	}
	e.engine = New(e.client, nil, &memCheckpoints{docs: map[string][]byte{}}, Options{Now: clock.Now})
	return e
}

// TestLooksAreScheduledFromTheLoss: after a lost answer to POST /teams the
// engine looks for the team at 2, 4 and 8 s after the loss, whenever its
// job happens to run, adopts a team it finds, and creates the team again
// (ahead of first tries) only after the last look found nothing. A run
// that starts late looks once for all the looks due by then.
func TestLooksAreScheduledFromTheLoss(t *testing.T) {
	cases := []struct {
		name        string
		exists      bool          // the lost call did create the team
		lostAt      time.Duration // when the answer was lost, relative to now (0: not recorded)
		lookups     int           // fruitless looks already made
		wantWait    time.Duration // the run's answer
		wantLookups int           // fruitless looks recorded afterwards
		wantCalls   int64         // Graph calls made by the run
		adopted     bool
		created     bool
	}{
		{name: "the first look is not due yet", lostAt: -time.Second, wantWait: time.Second},
		{name: "a fruitless look schedules the next from the loss", lostAt: -2300 * time.Millisecond,
			wantWait: 1700 * time.Millisecond, wantLookups: 1, wantCalls: 1},
		{name: "the third fruitless look creates the team again", lostAt: -8 * time.Second, lookups: 2,
			wantCalls: 2, created: true},
		{name: "a late run looks once for every look due", lostAt: -9 * time.Second,
			wantCalls: 2, created: true},
		{name: "a late run looks once and waits for the look still to come", lostAt: -5 * time.Second,
			wantWait: 3 * time.Second, wantLookups: 2, wantCalls: 1},
		{name: "a team found is adopted", exists: true, lostAt: -2 * time.Second, adopted: true, wantCalls: 1},
		{name: "a run that ended during the call starts the looks now", wantWait: 2 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newLookEnv(t)
			ctx := context.Background()
			req := governance.Request{TenantID: "contoso", ID: "req-1", DisplayName: "Lost and found", Owners: []string{e.owner}}
			var existing string
			if tc.exists {
				id, _, err := e.client.CreateTeam(ctx, "contoso", graph.NewTeam{DisplayName: req.DisplayName,
					Members: []graph.NewMember{{UserID: e.owner, Owner: true}}})
				if err != nil {
					t.Fatal(err)
				}
				existing = id
			}
			now := e.clock.Now()
			r := &run{e: e.engine, tenant: "contoso", req: req, cp: checkpoint{CreateStartedAt: now.Add(-10 * time.Second), Lookups: tc.lookups}}
			if tc.lostAt != 0 {
				r.cp.LostAt = now.Add(tc.lostAt)
			}
			before := e.client.Stats().Calls
			wait, err := r.create(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if wait != tc.wantWait && !tc.created { // a created team's wait is its first poll
				t.Errorf("wait = %v, want %v", wait, tc.wantWait)
			}
			if calls := e.client.Stats().Calls - before; calls != tc.wantCalls {
				t.Errorf("Graph calls = %d, want %d", calls, tc.wantCalls)
			}
			switch {
			case tc.adopted:
				if r.cp.TeamID != existing || !r.cp.LostAt.IsZero() {
					t.Errorf("team %q (lost at %v), want %s adopted", r.cp.TeamID, r.cp.LostAt, existing)
				}
			case tc.created:
				if r.cp.TeamID == "" || r.cp.OperationID == "" || r.cp.Lookups != 0 || !r.cp.LostAt.IsZero() {
					t.Errorf("checkpoint %+v: want the team created again", r.cp)
				}
			default:
				if r.cp.TeamID != "" || r.cp.Lookups != tc.wantLookups || r.cp.LostAt.IsZero() {
					t.Errorf("team %q after %d looks (lost at %v), want none after %d", r.cp.TeamID, r.cp.Lookups, r.cp.LostAt, tc.wantLookups)
				}
			}
		})
	}
}
