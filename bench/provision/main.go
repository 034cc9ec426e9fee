// Command provision measures provisioning throughput against the Microsoft
// 365 simulator with Microsoft's documented Teams throttling on and
// transient faults injected: N approved requests (5 channels, 3 tabs, 2
// apps and 10 members each) go through Steward's real provisioning job on
// a real store and queue, and the run reports wall time against the lower
// bound the limits imply, Graph calls per team, 429s, failures and
// duplicates. In the same run, a naive client (sequential, one call per
// object, fixed one-second retry) provisions a sample for comparison.
//
//	go run ./bench/provision -teams 1000
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/m365sim"
	simgraph "github.com/stewardhq/steward/m365sim/graph"
)

type config struct {
	teams, baseline int
	opDelay         time.Duration
	faults          float64
	dsn             string
	margin          time.Duration
	lostAfter       float64
}

func main() {
	var c config
	flag.IntVar(&c.teams, "teams", 1000, "teams to provision with Steward")
	flag.IntVar(&c.baseline, "baseline", 20, "teams the naive client provisions (sequentially) for comparison")
	flag.DurationVar(&c.opDelay, "op-delay", 5*time.Second, "how long the simulated Teams takes to finish creating a team")
	flag.Float64Var(&c.faults, "faults", 0.10, "share of Graph answers replaced by a transient fault (429, 503, 504, dropped connection)")
	flag.Float64Var(&c.lostAfter, "lost-after", 0, "share of the injected 504s and dropped connections that come after Graph carried the request out (the team is made, its answer lost)")
	flag.DurationVar(&c.margin, "margin", 0, "the Graph client's jitter margin per one-second window (0: the client's default)")
	flag.StringVar(&c.dsn, "dsn", "", "store DSN (default: a fresh SQLite file)")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "provision:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	dir, err := os.MkdirTemp("", "steward-bench-provision-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if c.dsn == "" {
		c.dsn = "sqlite:" + filepath.Join(dir, "steward.db")
	}
	lim := simgraph.DefaultLimits()
	f := c.faults
	sim, err := m365sim.Listen("127.0.0.1:0", m365sim.Options{
		GraphLimits: &lim, TeamOperationDelay: c.opDelay, Seed: 1,
		Faults: simgraph.FaultConfig{Rate429: f * 0.3, Rate503: f * 0.3, Rate504: f * 0.2, ResetRate: f * 0.2, LostAfterRate: c.lostAfter},
	})
	if err != nil {
		return err
	}
	defer sim.Close(context.Background())
	fmt.Printf("simulator: Microsoft's Teams limits per app per tenant (%s), %.0f %% transient faults (%.0f %% of the 504s and resets after the request ran), team operations %v\n",
		lim, 100*f, 100*c.lostAfter, c.opDelay)

	st, err := newStack(context.Background(), c, dir, sim)
	if err != nil {
		return err
	}
	defer st.close()
	res, err := st.provisionAll(c.teams)
	if err != nil {
		return err
	}
	base, err := naive(sim, st.creds, c.baseline)
	if err != nil {
		return err
	}
	report(c, lim, res, base)
	return nil
}

// template is the team every request asks for: 5 channels, 3 tabs, 2 apps.
func template(tenantID string) governance.Template {
	tab := func(n int) governance.TabSpec {
		u := fmt.Sprintf("https://contoso.example/wiki/%d", n)
		return governance.TabSpec{Name: fmt.Sprintf("Wiki %d", n), AppID: "com.microsoft.teamspace.tab.web", ContentURL: u, WebsiteURL: u}
	}
	return governance.Template{TenantID: tenantID, ID: "project", Name: "Project", Spec: governance.TeamSpec{
		Visibility: "private",
		Channels: []governance.ChannelSpec{{Name: "Planning", Tabs: []governance.TabSpec{tab(1), tab(2)}}, {Name: "Design", Tabs: []governance.TabSpec{tab(3)}},
			{Name: "Build"}, {Name: "Launch"}, {Name: "Retro"}},
		Apps: []string{"com.microsoft.teamspace.tab.vsts", "com.microsoft.teamspace.tab.planner"},
	}}
}

type simCreds map[string]graph.Credential

func (s simCreds) Credential(_ context.Context, tenantID string) (graph.Credential, error) {
	cr, ok := s[tenantID]
	if !ok {
		return graph.Credential{}, graph.ErrNoCredential(tenantID)
	}
	return cr, nil
}

// demoTenant finds a simulated tenant, its Steward credential and ten of
// its users.
func demoTenant(sim *m365sim.Server, name string) (tid string, cred graph.Credential, users []string, err error) {
	for _, tn := range sim.Dir.Tenants() {
		if tn.DisplayName != name {
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
			if u.UserType != "Guest" && len(users) < 10 {
				users = append(users, u.ID)
			}
		}
		return tn.ID, cred, users, nil
	}
	return "", cred, nil, fmt.Errorf("no tenant %s in the fixture", name)
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

var httpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
