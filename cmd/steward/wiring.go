package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/identity"
	"github.com/stewardhq/steward/provision"
	"github.com/stewardhq/steward/web"
	"github.com/stewardhq/steward/webhook"
	"github.com/stewardhq/steward/work"
)

// services are the governance core and what it drives: Microsoft Graph,
// provisioning, webhooks and the REST API.
type services struct {
	graph    *graph.Client
	creds    work.GraphCredentials
	requests *governance.RequestService
	api      *web.API
	bot      http.Handler // nil when the bot is off
	auth     *identity.Authenticator
}

// newRequestID makes request ids: "req-" and 16 random hex digits.
func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "req-" + hex.EncodeToString(b)
}

// wire builds the services on the app's components and registers their
// jobs; it runs before the queue starts.
func (a *app) wire(ctx context.Context) (*services, error) {
	// Every outgoing call leaves through the egress guard: declared
	// destinations only (egress.go), no redirects, no private addresses (the
	// loopback simulator is allowed in dev only).
	allow, err := a.egressAllowlist()
	if err != nil {
		return nil, err
	}
	egress := edge.Guard{AllowLoopback: a.cfg.DevMode, Allow: allow}
	creds := work.GraphCredentials{DB: a.db, Vault: a.vault}
	gc, err := graph.New(graph.Options{
		LoginURL: a.cfg.LoginURL, GraphURL: a.cfg.GraphURL, HTTPClient: egress.Client(0),
		Credentials: creds, Limits: graph.DefaultLimits().Scale(a.cfg.GraphShare),
		Logger: a.log.With("component", "graph"),
	})
	if err != nil {
		return nil, err
	}
	hooks := webhook.New(a.db, a.queue, a.vault, egress.Client(30*time.Second), webhook.Options{DevMode: a.cfg.DevMode, Logger: a.log.With("component", "webhooks")})
	tx := work.New(a.db, a.queue, hooks)
	reader := work.NewReader(a.db)
	requests := governance.NewRequestService(tx, graph.NewDirectory(gc), newRequestID)
	if err := work.RegisterApprovalSweep(a.queue, a.db, requests); err != nil {
		return nil, err
	}
	engine := provision.New(gc, requests, a.db, provision.Options{Logger: a.log.With("component", "provision"), Pictures: a.blobs})
	provision.Register(a.queue, engine)
	if err := provision.RegisterMembership(a.queue, provision.NewMembership(gc, a.db, requests, a.log.With("component", "membership"))); err != nil {
		return nil, err
	}
	lifecycle := governance.NewLifecycleService(tx, a.db, gc)
	if err := provision.RegisterLifecycle(a.queue, provision.NewLifecycle(gc, a.db, lifecycle, provision.LifecycleOptions{Logger: a.log.With("component", "lifecycle")})); err != nil {
		return nil, err
	}
	if err := provision.RegisterRollout(a.queue, provision.NewRollout(gc, a.db, lifecycle, provision.RolloutOptions{Logger: a.log.With("component", "rollout")})); err != nil {
		return nil, err
	}

	// Dev makes the API key pepper on first use; production never invents
	// key material: without the file, API keys are refused.
	pepper, err := loadAPIKeyPepper(apiKeyPepperPath(a.cfg), a.cfg.DevMode)
	if err != nil {
		a.log.Warn("API keys are disabled: no API key pepper", "file", apiKeyPepperPath(a.cfg), "err", err)
		pepper = nil
	}
	opts := identity.Options{
		LoginURL: a.cfg.LoginURL, Audiences: a.cfg.audiences(), HTTPClient: egress.Client(10 * time.Second),
		Tenants: a.db, Roles: a.db,
	}
	if pepper != nil {
		opts.APIKeys, opts.Pepper = a.db, pepper
	}
	auth, err := identity.New(opts)
	if err != nil {
		return nil, fmt.Errorf("API authentication: %w", err)
	}
	read := governance.NewReadService(reader, reader)
	tenantLimit, err := a.tenantLimit()
	if err != nil {
		return nil, err
	}
	botp, err := a.wireBot(egress, gc, tx, requests, read, lifecycle)
	if err != nil {
		return nil, err
	}
	return &services{
		graph: gc, creds: creds, requests: requests, bot: botp, auth: auth,
		api: &web.API{
			Auth: auth, Requests: requests, Read: read,
			Templates: governance.NewTemplateService(tx, governance.WithTeamReader(gc)), Roles: governance.NewRoleService(tx),
			Audit: governance.NewAuditService(reader), Versions: read, Webhooks: hooks,
			APIKeys: identity.NewKeyManager(a.db, pepper, identity.KeyManagerOptions{}), Teams: lifecycle,
			TenantLimit: tenantLimit,
		},
	}, nil
}
