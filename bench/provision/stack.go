package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"time"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/m365sim"
	simgraph "github.com/stewardhq/steward/m365sim/graph"
	"github.com/stewardhq/steward/provision"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/vault"
	"github.com/stewardhq/steward/webhook"
	"github.com/stewardhq/steward/work"
)

// stack is Steward's provisioning path as cmd wires it.
type stack struct {
	db     *store.DB
	q      *jobs.Queue
	tx     *work.Transactor
	client *graph.Client
	creds  simCreds
	sim    *m365sim.Server
	tl     *timeline
	tid    string
	users  []string
}

func newStack(ctx context.Context, c config, dir string, sim *m365sim.Server) (*stack, error) {
	tid, cred, users, err := demoTenant(sim, "Contoso")
	if err != nil {
		return nil, err
	}
	st := &stack{sim: sim, tid: tid, users: users, creds: simCreds{"contoso": cred}}
	if st.db, err = store.Open(ctx, c.dsn, store.Options{Logger: quiet()}); err != nil {
		return nil, err
	}
	if _, err := st.db.Migrate(ctx); err != nil {
		return nil, err
	}
	jcfg := jobs.Config{Logger: quiet(), Workers: 4, Queues: provision.Queues(), FetchPollInterval: 200 * time.Millisecond}
	if st.db.Engine() == store.Postgres {
		st.q, err = jobs.NewPostgres(st.db.Pool(), st.db.Writer(), jcfg)
	} else {
		st.q, err = jobs.NewSQLite(st.db.Writer(), jcfg)
	}
	if err != nil {
		return nil, err
	}
	if err := st.q.Migrate(ctx); err != nil {
		return nil, err
	}
	kr, err := vault.OpenKeyring(filepath.Join(dir, "keyring.json"), true)
	if err != nil {
		return nil, err
	}
	v := vault.New(st.db, st.db, kr, vault.Options{})
	hooks := webhook.New(st.db, st.q, v, edge.Guard{AllowLoopback: true}.Client(10*time.Second), webhook.Options{DevMode: true, Logger: quiet()})
	st.tx = work.New(st.db, st.q, hooks)
	st.tl = &timeline{next: &http.Transport{MaxIdleConnsPerHost: 256}, start: time.Now()}
	if st.client, err = graph.New(graph.Options{LoginURL: sim.LoginURL(), GraphURL: sim.GraphURL(), HTTPClient: &http.Client{Transport: st.tl},
		Credentials: st.creds, Logger: quiet(), Margin: c.margin}); err != nil {
		return nil, err
	}
	svc := governance.NewRequestService(st.tx, graph.NewDirectory(st.client), nil)
	provision.Register(st.q, provision.New(st.client, svc, st.db, provision.Options{Logger: quiet()}))
	if _, err := st.db.CreateTenant(ctx, governance.Tenant{ID: "contoso", Name: "Contoso", EntraTenantID: tid}); err != nil {
		return nil, err
	}
	err = st.db.InTx(ctx, func(tx *store.Tx) error { _, err := st.db.CreateTemplate(ctx, tx, template("contoso")); return err })
	return st, err
}

func (st *stack) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = st.q.Stop(ctx)
	st.db.Close()
}

// result is what the Steward run measured.
type result struct {
	wall                time.Duration
	completed, failed   int
	duplicates, missing int
	calls, retries      int64
	throttled           int64 // 429s (and 503s with Retry-After) the client received
	limitsThrottled     int64 // of which the simulated limits answered (the rest were injected faults)
	classRequests       map[string]simgraph.ClassStats
	faults              map[string]int64
	doneAt              []time.Duration // when each request left provisioning, sorted
	slowest             []slowTeam      // the teams done last, with their steps
	timeline            *timeline       // POST /teams as they left
}

// provisionAll inserts n approved requests with their jobs, starts the
// queue and waits until every request left provisioning.
func (st *stack) provisionAll(n int) (result, error) {
	ctx := context.Background()
	ids := make([]string, n)
	err := st.tx.InTx(ctx, func(w governance.Work) error {
		for i := range n {
			name := fmt.Sprintf("Project %04d", i)
			r := governance.Request{TenantID: "contoso", ID: fmt.Sprintf("req-%04d", i), TemplateID: "project", TemplateVersion: 1,
				State: governance.StateApproved, RequesterID: st.users[0], Requested: name, DisplayName: name,
				MailNickname: fmt.Sprintf("project%04d", i), Owners: st.users[:1], Members: st.users[1:10], ProvisioningAttempt: 1}
			if _, err := w.CreateRequest(ctx, r, nil); err != nil {
				return err
			}
			if err := w.EnqueueProvisioning(ctx, "contoso", r.ID, 1); err != nil {
				return err
			}
			ids[i] = r.ID
		}
		return nil
	})
	if err != nil {
		return result{}, err
	}
	fmt.Printf("steward: %d approved requests queued; provisioning...\n", n)
	start := time.Now()
	st.tl.begin()
	if err := st.q.Start(context.WithoutCancel(ctx)); err != nil {
		return result{}, err
	}
	var res result
	done := map[string]time.Duration{}
	for len(done) < n {
		time.Sleep(250 * time.Millisecond)
		for _, id := range ids {
			if _, ok := done[id]; ok {
				continue
			}
			r, err := st.db.Request(ctx, "contoso", id)
			if err != nil {
				return res, err
			}
			if r.State == governance.StateCompleted || r.State == governance.StateFailed {
				done[id] = time.Since(start)
				if r.State == governance.StateFailed {
					res.failed++
					fmt.Printf("  %s failed: %s\n", id, r.FailureReason)
				} else {
					res.completed++
				}
			}
		}
		if time.Since(start) > 2*time.Hour {
			return res, fmt.Errorf("gave up after 2 h with %d of %d done", len(done), n)
		}
	}
	res.wall = time.Since(start)
	res.timeline = st.tl
	for _, d := range done {
		res.doneAt = append(res.doneAt, d)
	}
	slices.Sort(res.doneAt)
	if res.slowest, err = st.slowest(ctx, start, done, 5); err != nil {
		return res, err
	}
	// Duplicates: more than one group per requested name.
	gs, err := st.sim.Dir.Groups(st.tid)
	if err != nil {
		return res, err
	}
	count := map[string]int{}
	for _, g := range gs {
		count[g.DisplayName]++
	}
	for i := range n {
		switch c := count[fmt.Sprintf("Project %04d", i)]; {
		case c > 1:
			res.duplicates += c - 1
		case c == 0:
			res.missing++
		}
	}
	s := st.client.Stats()
	res.calls, res.retries, res.throttled = s.Calls, s.Retries, s.Throttled
	state, ok := st.sim.Graph.Inspect().(simgraph.State)
	if !ok {
		return res, fmt.Errorf("simulator state: unexpected %T", st.sim.Graph.Inspect())
	}
	res.classRequests = state.Throttle
	for class, cs := range state.Throttle {
		if class != "perTeam" { // a per-team 429 is also counted in its class
			res.limitsThrottled += cs.Throttled
		}
	}
	res.faults = state.Faults
	return res, nil
}
