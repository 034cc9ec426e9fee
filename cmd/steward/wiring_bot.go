package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/stewardhq/steward/bot"
	"github.com/stewardhq/steward/cards"
	"github.com/stewardhq/steward/crm"
	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/work"
)

// teamsGlobalServiceURL is where a bot opens a chat with a user who never
// wrote to it: Teams gives no regional serviceUrl before the first
// activity, and Microsoft documents this global one for the public cloud.
const teamsGlobalServiceURL = "https://smba.trafficmanager.net/teams/"

// wireBot builds the Teams bot: inbound authentication, the connector and
// its outbox, conversation references, notifications of governance events
// (hooked into every unit of work) and the POST /api/messages handler.
// Without teams_app_id there is no Teams app to deep-link to, so the bot
// is off.
func (a *app) wireBot(egress edge.Guard, gc *graph.Client, tx *work.Transactor, requests *governance.RequestService,
	read *governance.ReadService, lifecycle *governance.LifecycleService) (http.Handler, error) {
	if a.cfg.TeamsAppID == "" {
		a.log.Info("the Teams bot is off: set teams_app_id (the manifest id of Steward's Teams app) to turn it on")
		return nil, nil
	}
	botID := a.cfg.BotAppID
	if botID == "" {
		botID = a.cfg.AppID
	}
	auth, err := bot.NewAuthenticator(bot.AuthOptions{
		MetadataURL: a.cfg.BotOpenIDMetadataURL, AppID: botID, HTTPClient: egress.Client(10 * time.Second),
		KnownTenant: func(ctx context.Context, entraTenantID string) bool {
			_, err := a.db.TenantByEntraID(ctx, entraTenantID)
			return err == nil
		},
		AllowUnauthenticated: a.cfg.BotAllowUnauthenticated,
	})
	if err != nil {
		return nil, fmt.Errorf("bot authentication: %w", err)
	}
	conn, err := bot.NewConnector(bot.ConnectorOptions{
		AppID: botID, AppTenantID: a.cfg.BotTenantID, LoginURL: a.cfg.LoginURL, Secret: a.botSecret,
		AllowedServiceURLs: a.cfg.BotServiceURLs, HTTPClient: egress.Client(30 * time.Second),
	})
	if err != nil {
		return nil, fmt.Errorf("bot connector: %w", err)
	}
	refs := bot.NewReferences(a.db)
	outbox := bot.RegisterOutbox(a.queue, conn, bot.OutboxOptions{
		Logger: a.log.With("component", "bot_outbox"), OnConversation: refs.OnConversation, OnSent: bot.RecordSentCards(a.db),
	})
	links := cards.Steward{AppID: a.cfg.TeamsAppID, BaseURL: a.cfg.PublicURL}
	serviceURL := a.cfg.botServiceURL
	if serviceURL == "" {
		serviceURL = teamsGlobalServiceURL
	}
	notifier, err := bot.NewNotifier(bot.NotifierOptions{
		Store: a.db, References: refs, Outbox: outbox, Groups: gc, Owners: gc, ServiceURL: serviceURL, Links: links,
		Logger: a.log.With("component", "bot_notify"),
	})
	if err != nil {
		return nil, err
	}
	bot.RegisterNotifier(a.queue, notifier)
	tx.OnEvent(notifier.EnqueueTx)

	h, err := bot.NewHandler(bot.HandlerOptions{
		Auth: auth, Tenants: a.db, References: refs, Directory: bot.GraphMemberOf{Client: gc}, Roles: a.db,
		Requests: requests, Reads: read, Catalog: read, Lifecycle: lifecycle, CRM: crm.NewBuiltin(a.db, crm.IndexOptions{}), Outbox: outbox, Connector: conn,
		Links: bot.Links{AppID: a.cfg.TeamsAppID, BaseURL: a.cfg.PublicURL}, Logger: a.log.With("component", "bot"),
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// botSecret reads the bot's client secret: the simulator's demo app's in
// dev, else bot_secret_file, read at each token fetch so a rotated file is
// picked up without a restart.
func (a *app) botSecret(context.Context) (string, error) {
	if a.cfg.simBotSecret != "" {
		return a.cfg.simBotSecret, nil
	}
	if a.cfg.BotSecretFile == "" {
		return "", fmt.Errorf("bot: no client secret: set bot_secret_file to send Teams messages")
	}
	return readSecretFile(a.cfg.BotSecretFile)
}
