package main

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/stewardhq/steward/m365sim"
)

// redactURL hides a password in a URL (postgres://user:pass@host/db) before
// it is printed; other strings pass through.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}

func runServe(ctx context.Context, env *cmdEnv, args []string) error {
	return start(ctx, env, args, false)
}

func runDev(ctx context.Context, env *cmdEnv, args []string) error {
	return start(ctx, env, args, true)
}

func start(ctx context.Context, env *cmdEnv, args []string, dev bool) error {
	began := time.Now()
	if done, err := env.parse(args); done {
		return err
	}
	if err := extraArgs(env.fs.Args()); err != nil {
		return err
	}
	p := forServe
	if dev {
		p = forDev
	}
	cfg, err := loadConfig(env.fs, env.getenv, p)
	if err != nil {
		return err
	}
	var sim *m365sim.Server
	if cfg.Simulator {
		// The simulator comes first: Steward's clients need its URLs.
		if sim, err = m365sim.Listen(cfg.SimulatorListen, m365sim.Options{}); err != nil {
			return err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = sim.Close(sctx)
		}()
		for _, e := range []struct {
			field *string
			url   string
		}{{&cfg.LoginURL, sim.LoginURL()}, {&cfg.GraphURL, sim.GraphURL()}, {&cfg.BotOpenIDMetadataURL, sim.BotOpenIDMetadataURL()}} {
			if *e.field == "" {
				*e.field = e.url
			}
		}
		if cfg.AppID == "" {
			cfg.AppID = simAppID(sim.Sim)
		}
		useSimBot(&cfg, sim.Sim)
	}
	if cfg.AppID == "" {
		return fmt.Errorf("app_id is required: set it to Steward's Microsoft Entra application (client) id")
	}
	a, err := newApp(ctx, cfg, env.stderr)
	if err != nil {
		return err
	}
	if sim != nil {
		seeded, err := seedSimTenants(ctx, a, sim.Sim)
		if err != nil {
			a.close(context.Background())
			return err
		}
		if len(seeded) > 0 {
			a.log.Info("registered the simulator's tenants", "tenants", strings.Join(seeded, ","))
		}
	}
	return a.serve(ctx, func(base string) {
		if sim != nil && a.svc.bot != nil {
			// The simulated Teams channel delivers to this process.
			if _, err := sim.Dir.SetBotEndpoint(botAppID(cfg), base+"/api/messages"); err != nil {
				a.log.Warn("the simulator cannot reach the bot", "err", err)
			}
		}
		if sim != nil && cfg.AppID != "" {
			// Sign-in comes back to this process, on whatever port it got.
			if _, err := sim.Dir.AddRedirectURI(cfg.AppID, base+"/auth/callback"); err != nil {
				a.log.Warn("the simulator cannot send sign-ins back", "err", err)
			}
		}
		if cfg.DevMode {
			fmt.Fprintf(env.stdout, "Steward %s is running in dev mode (ready in %d ms).\n", buildVersion(), time.Since(began).Milliseconds())
			fmt.Fprintf(env.stdout, "  Data:      %s (database %s, keyring %s)\n", cfg.DataDir, redactURL(cfg.DatabaseURL), cfg.KeyringFile)
			if cfg.DevTLS {
				fmt.Fprintf(env.stdout, "  TLS CA:    %s (trust it in your browser to open the https URLs below)\n", filepath.Join(devTLSDir(cfg), "dev-ca.pem"))
			}
		} else {
			fmt.Fprintf(env.stdout, "Steward %s is serving (ready in %d ms).\n", buildVersion(), time.Since(began).Milliseconds())
		}
		fmt.Fprintf(env.stdout, "  Service:   %s/\n", base)
		if cfg.AppID != "" {
			fmt.Fprintf(env.stdout, "  Tabs:      %s/app (sign in at %s/signin; help at %s/help)\n", base, base, base)
		}
		fmt.Fprintf(env.stdout, "  Health:    %s/healthz\n", base)
		fmt.Fprintf(env.stdout, "  Readiness: %s/readyz\n", base)
		fmt.Fprintf(env.stdout, "  Metrics:   %s/metrics\n", base)
		fmt.Fprintf(env.stdout, "  API:       %s/api/v1/ (OpenAPI: %s/api/v1/openapi.json)\n", base, base)
		if a.svc.bot != nil {
			fmt.Fprintf(env.stdout, "  Bot:       %s/api/messages (Teams app %s)\n", base, cfg.TeamsAppID)
		}
		if sim != nil {
			fmt.Fprintf(env.stdout, "  Microsoft 365 simulator: %s (Entra %s, Graph %s)\n", sim.InspectURL(), cfg.LoginURL, cfg.GraphURL)
		}
		fmt.Fprintln(env.stdout, "Press Ctrl+C to stop.")
	})
}
