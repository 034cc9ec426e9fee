package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/stewardhq/steward/m365sim"
	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/telemetry"
)

// runSim runs the Microsoft 365 simulator on its own.
func runSim(ctx context.Context, env *cmdEnv, args []string) error {
	listen := env.fs.String("listen", "127.0.0.1:8081", "Address to listen on (loopback: the simulator accepts any client).")
	fixture := env.fs.String("fixture", "", "JSON fixture with the tenants, users, groups and apps to simulate (default: the demo tenants).")
	seed := env.fs.Int64("seed", 1, "Seed of the Graph fault injection, so a run can be reproduced.")
	opDelay := env.fs.Duration("team-operation-delay", 5*time.Second, "How long Graph's teamsAsyncOperation stays in progress.")
	replication := env.fs.Duration("replication-delay", 30*time.Second, "How long PUT /groups/{id}/team answers 404 after the group was created (Microsoft: up to 15 minutes).")
	faults := env.fs.String("faults", "", `Graph fault injection as JSON, e.g. {"rate429":0.05,"rate503":0.02,"rate504":0.01,"resetRate":0.01,"slowRate":0.05,"slowDelay":2000000000}; also settable at PUT /admin/graph/faults.`)
	if done, err := env.parse(args); done {
		return err
	}
	if err := extraArgs(env.fs.Args()); err != nil {
		return err
	}
	if !isLoopbackListen(*listen) {
		return fmt.Errorf("--listen %q: the simulator issues tokens to anyone who asks; it listens on loopback only (127.0.0.1 or ::1)", *listen)
	}
	opts := m365sim.Options{Seed: *seed, TeamOperationDelay: *opDelay, ReplicationDelay: *replication}
	if *faults != "" {
		dec := json.NewDecoder(strings.NewReader(*faults))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&opts.Faults); err != nil {
			return fmt.Errorf("--faults: %v (expected JSON such as {\"rate429\":0.05})", err)
		}
	}
	if *fixture != "" {
		f, err := readFixture(*fixture)
		if err != nil {
			return err
		}
		opts.Fixture = &f
	}
	log, err := telemetry.NewLogger(env.stderr, "text", "info")
	if err != nil {
		return err
	}
	opts.Logger = log
	srv, err := m365sim.Listen(*listen, opts)
	if err != nil {
		return err
	}
	printSimURLs(env.stdout, srv.Sim)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Close(sctx)
}

func readFixture(path string) (directory.Fixture, error) {
	f, err := os.Open(path)
	if err != nil {
		return directory.Fixture{}, fmt.Errorf("--fixture: %w", err)
	}
	defer f.Close()
	fx, err := directory.ReadFixture(f)
	if err != nil {
		return directory.Fixture{}, fmt.Errorf("--fixture %s: %w", path, err)
	}
	return fx, nil
}

func printSimURLs(w io.Writer, s *m365sim.Sim) {
	fmt.Fprintf(w, "Microsoft 365 simulator is running.\n")
	fmt.Fprintf(w, "  Inspect:            %s\n", s.InspectURL())
	fmt.Fprintf(w, "  Entra (login_url):  %s\n", s.LoginURL())
	fmt.Fprintf(w, "  Graph (graph_url):  %s\n", s.GraphURL())
	fmt.Fprintf(w, "  Bot OpenID metadata (bot_openid_metadata_url): %s\n", s.BotOpenIDMetadataURL())
	fmt.Fprintf(w, "  Bot Connector service URL: %s\n", s.ServiceURL())
	for _, t := range s.Dir.Tenants() {
		apps, _ := s.Dir.Apps(t.ID)
		for _, a := range apps {
			secret := ""
			if len(a.Secrets) > 0 {
				secret = a.Secrets[0]
			}
			fmt.Fprintf(w, "  Tenant %-9s %s  app %s (%s) secret %s\n", t.DisplayName, t.ID, a.DisplayName, a.AppID, secret)
		}
	}
}
