package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/m365sim"
	"github.com/stewardhq/steward/work"
)

// stewardApp is the display name of Steward's app registration in the
// simulator's demo fixture.
const stewardApp = "Steward"

// simAppID is the demo Steward app's client id (the same in every demo
// tenant), or "" when the fixture has none.
func simAppID(sim *m365sim.Sim) string {
	for _, t := range sim.Dir.Tenants() {
		apps, err := sim.Dir.Apps(t.ID)
		if err != nil {
			continue
		}
		for _, a := range apps {
			if a.DisplayName == stewardApp {
				return a.AppID
			}
		}
	}
	return ""
}

// seedSimTenants registers each simulated tenant (its id is its domain's
// first label: contoso, fabrikam) with the demo app's client secret, so
// that `steward dev` provisions into the simulator out of the box.
// Tenants already registered keep what they have.
func seedSimTenants(ctx context.Context, a *app, sim *m365sim.Sim) ([]string, error) {
	var seeded []string
	for _, t := range sim.Dir.Tenants() {
		id := strings.ToLower(strings.SplitN(t.Domain, ".", 2)[0])
		if _, err := a.db.Tenant(ctx, id); err == nil {
			continue
		} else if !governance.IsKind(err, governance.KindNotFound) {
			return nil, err
		}
		apps, err := sim.Dir.Apps(t.ID)
		if err != nil {
			return nil, err
		}
		var sc work.StoredCredential
		for _, ap := range apps {
			if ap.DisplayName == stewardApp && len(ap.Secrets) > 0 {
				sc = work.StoredCredential{ClientID: ap.AppID, ClientSecret: ap.Secrets[0]}
			}
		}
		if sc.ClientID == "" {
			continue
		}
		if _, err := a.db.CreateTenant(ctx, governance.Tenant{ID: id, Name: t.DisplayName, EntraTenantID: t.ID}); err != nil {
			return nil, fmt.Errorf("seed tenant %s: %w", id, err)
		}
		if err := a.svc.creds.Save(ctx, id, sc); err != nil {
			return nil, fmt.Errorf("seed tenant %s credential: %w", id, err)
		}
		seeded = append(seeded, id)
	}
	return seeded, nil
}

// devTeamsAppID is the Teams app id dev uses when teams_app_id is unset,
// so the bot and its deep links work out of the box.
const devTeamsAppID = "5e7ea4d0-57e3-4c1a-9d2e-7e5a1f0c0001"

// botAppID is the bot's Microsoft App ID: bot_app_id, else app_id.
func botAppID(cfg Config) string {
	if cfg.BotAppID != "" {
		return cfg.BotAppID
	}
	return cfg.AppID
}

// useSimBot points the bot at the simulator: the demo Steward app is the
// bot, its home tenant the first demo tenant, the simulator's connector an
// allowed (and the default) service URL.
func useSimBot(cfg *Config, sim *m365sim.Sim) {
	if cfg.TeamsAppID == "" {
		cfg.TeamsAppID = devTeamsAppID
	}
	cfg.BotServiceURLs = append(cfg.BotServiceURLs, sim.ServiceURL())
	cfg.botServiceURL = sim.ServiceURL()
	id := botAppID(*cfg)
	for _, t := range sim.Dir.Tenants() {
		apps, err := sim.Dir.Apps(t.ID)
		if err != nil {
			continue
		}
		for _, ap := range apps {
			if ap.AppID == id && len(ap.Secrets) > 0 {
				if cfg.BotTenantID == "" {
					cfg.BotTenantID = t.ID
				}
				if cfg.BotSecretFile == "" && cfg.simBotSecret == "" {
					cfg.simBotSecret = ap.Secrets[0]
				}
				return
			}
		}
	}
}
