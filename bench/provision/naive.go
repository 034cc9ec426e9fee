package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/m365sim"
)

// naiveResult is what the baseline client measured.
type naiveResult struct {
	teams, failed, duplicates int
	wall                      time.Duration
	calls, throttled          int
}

// naive provisions n teams the way a first script does: one team at a
// time, one call per object (team, then each channel, tab, app and
// member), polling every second, and on any error waiting one second and
// trying again (Retry-After ignored). It runs in another simulated tenant
// (Fabrikam), so its throttling budget is its own.
func naive(sim *m365sim.Server, _ simCreds, n int) (naiveResult, error) {
	var res naiveResult
	if n == 0 {
		return res, nil
	}
	tid, cred, users, err := demoTenant(sim, "Fabrikam")
	if err != nil {
		return res, err
	}
	unlimited := graph.Limits{CreateTeam: 1 << 20, TeamWrite: 1 << 20, Read: 1 << 20, Write: 1 << 20, Delete: 1 << 20, List: 1 << 20, PerTeam: 1 << 20}
	c, err := graph.New(graph.Options{LoginURL: sim.LoginURL(), GraphURL: sim.GraphURL(), HTTPClient: httpClient,
		Credentials: simCreds{"fabrikam": cred}, Limits: unlimited, MaxAttempts: 1, Logger: quiet()})
	if err != nil {
		return res, err
	}
	ctx := context.Background()
	// try runs one call with the naive fixed retry.
	try := func(call func() error) error {
		var err error
		for range 60 {
			res.calls++
			if err = call(); err == nil {
				return nil
			}
			var ge *graph.Error
			if errors.As(err, &ge) && ge.Status == http.StatusTooManyRequests {
				res.throttled++
			}
			if errors.As(err, &ge) && !ge.Transient() && ge.Status != http.StatusNotFound {
				return err
			}
			time.Sleep(time.Second)
		}
		return err
	}
	fmt.Printf("baseline: naive client, %d teams one after another...\n", n)
	start := time.Now()
	spec := template("fabrikam").Spec
	for i := range n {
		name := fmt.Sprintf("Naive %04d", i)
		var team, op string
		err := try(func() error {
			var err error
			team, op, err = c.CreateTeam(ctx, "fabrikam", graph.NewTeam{DisplayName: name, Members: []graph.NewMember{{UserID: users[0], Owner: true}}})
			return err
		})
		if err != nil {
			res.failed++
			continue
		}
		for {
			res.calls++
			o, err := c.Operation(ctx, "fabrikam", team, op)
			if err == nil && (o.Status == "succeeded" || o.Status == "failed") {
				break
			}
			time.Sleep(time.Second)
		}
		channels := map[string]string{}
		for _, ch := range spec.Channels {
			_ = try(func() error {
				created, err := c.CreateChannel(ctx, "fabrikam", team, graph.NewChannel{DisplayName: ch.Name})
				channels[ch.Name] = created.ID
				return err
			})
		}
		for _, ch := range spec.Channels {
			for _, tab := range ch.Tabs {
				_ = try(func() error {
					_, err := c.CreateTab(ctx, "fabrikam", team, channels[ch.Name], graph.NewTab{DisplayName: tab.Name, AppID: tab.AppID,
						Configuration: map[string]any{"contentUrl": tab.ContentURL, "websiteUrl": tab.WebsiteURL}})
					return err
				})
			}
		}
		for _, app := range spec.Apps {
			_ = try(func() error { return c.InstallApp(ctx, "fabrikam", team, app) })
		}
		for _, u := range users[1:min(10, len(users))] {
			_ = try(func() error {
				_, err := c.Do(ctx, "fabrikam", graph.Request{Method: http.MethodPost, Path: "/teams/" + team + "/members",
					Body: map[string]any{"@odata.type": "#microsoft.graph.aadUserConversationMember", "roles": []string{},
						"user@odata.bind": sim.GraphURL() + "/v1.0/users('" + u + "')"}})
				return err
			})
		}
		res.teams++
	}
	res.wall = time.Since(start)
	gs, _ := sim.Dir.Groups(tid)
	count := map[string]int{}
	for _, g := range gs {
		count[g.DisplayName]++
	}
	for i := range n {
		if c := count[fmt.Sprintf("Naive %04d", i)]; c > 1 {
			res.duplicates += c - 1
		}
	}
	return res, nil
}
