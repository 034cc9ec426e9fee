package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/store"
)

// teamsJSHost is the CDN Steward's tabs load the Microsoft Teams
// JavaScript library from (res.cdn.office.net/teams-js/...). Browsers fetch
// it; the server never does.
const teamsJSHost = "res.cdn.office.net"

// egressDestinations declares every destination the running configuration
// makes Steward talk to: the trust center publishes this list and the
// egress guard refuses everything else. With the simulator, its loopback
// host:port stands in for each Microsoft endpoint.
func egressDestinations(cfg Config) ([]edge.Destination, error) {
	var out []edge.Destination
	add := func(raw, purpose, why, setting string) error {
		d, err := edge.DestinationFromURL(raw, purpose, why, setting)
		if err != nil {
			return err
		}
		out = append(out, d)
		return nil
	}
	if err := add(cfg.LoginURL, edge.PurposeIdentity,
		"Microsoft Entra ID: OpenID metadata and signing keys to validate sign-in and API tokens; the tokens Steward requests for Microsoft Graph.", "login_url"); err != nil {
		return nil, err
	}
	if err := add(cfg.GraphURL, edge.PurposeGraph,
		"Microsoft Graph: creating and governing teams, reading the directory data policies need.", "graph_url"); err != nil {
		return nil, err
	}
	if cfg.TeamsAppID != "" { // the bot is on
		if err := add(cfg.BotOpenIDMetadataURL, edge.PurposeBot,
			"Bot Framework OpenID metadata and signing keys, to validate the messages Teams sends the bot.", "bot_openid_metadata_url"); err != nil {
			return nil, err
		}
		if err := add(cfg.LoginURL, edge.PurposeBot,
			"The bot's own access token for the Bot Connector (client credentials from its single-tenant app registration).", "login_url"); err != nil {
			return nil, err
		}
		for _, u := range cfg.BotServiceURLs {
			if err := add(u, edge.PurposeBot, "Bot Connector: replies, approval cards and notifications to Teams.", "bot_service_urls"); err != nil {
				return nil, err
			}
		}
		notify := cfg.botServiceURL
		if notify == "" {
			notify = teamsGlobalServiceURL
		}
		if err := add(notify, edge.PurposeBot,
			"Bot Connector: opening chats with people who never wrote to the bot, for notifications (Microsoft's global Teams service URL).", ""); err != nil {
			return nil, err
		}
	}
	out = append(out,
		edge.Destination{Host: teamsJSHost, Purpose: edge.PurposeTeamsCDN, Direction: edge.DirectionBrowser,
			Why: "The Microsoft Teams JavaScript library Steward's tabs load inside Teams (with a subresource integrity hash)."},
		edge.Destination{Purpose: edge.PurposeWebhooks, Dynamic: true,
			Why: "The webhook endpoints a tenant's administrators register (https, public addresses only); each is reachable once registered."},
	)
	if len(cfg.ACMEHosts) > 0 {
		if err := add(cfg.ACMEDirectoryURL, edge.PurposeCertificates,
			"The ACME certificate authority: registering Steward's ACME account, ordering and renewing the HTTPS certificates of acme_hosts.", "acme_directory_url"); err != nil {
			return nil, err
		}
	}
	if cfg.OTLPEndpoint != "" {
		if err := add(cfg.OTLPEndpoint, edge.PurposeTelemetry, "The OpenTelemetry collector traces are exported to.", "otlp_endpoint"); err != nil {
			return nil, err
		}
	}
	return dedupe(out), nil
}

// dedupe drops a destination declared twice for the same purpose (a service
// URL listed in bot_service_urls and used for notifications).
func dedupe(ds []edge.Destination) []edge.Destination {
	seen := map[string]bool{}
	out := ds[:0]
	for _, d := range ds {
		key := d.Purpose + "|" + strings.ToLower(d.Host) + "|" + strconv.Itoa(d.Port) + "|" + strconv.FormatBool(d.Dynamic)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, d)
	}
	return out
}

// egressAllowlist is the allowlist of the app's configuration, webhook
// hosts answered by the store.
func (a *app) egressAllowlist() (*edge.Allowlist, error) {
	dests, err := egressDestinations(a.cfg)
	if err != nil {
		return nil, fmt.Errorf("egress allowlist: %w", err)
	}
	return edge.NewAllowlist(dests, newWebhookHosts(a.db, time.Now))
}

// webhookLister is what webhookHosts reads (*store.DB).
type webhookLister interface {
	TenantIDs(ctx context.Context) ([]string, error)
	Webhooks(ctx context.Context, tenantID string) ([]governance.WebhookSubscription, error)
}

var _ webhookLister = (*store.DB)(nil)

// webhookHosts admits the authority (host:port) of every webhook URL any
// tenant registered. It keeps a snapshot for webhookHostsTTL and reloads on
// a miss, so a webhook registered a moment ago is reachable at once and a
// deleted one stops being reachable within the TTL.
type webhookHosts struct {
	db  webhookLister
	now func() time.Time

	mu     sync.Mutex
	hosts  map[string]bool
	loaded time.Time
}

const webhookHostsTTL = time.Minute

func newWebhookHosts(db webhookLister, now func() time.Time) *webhookHosts {
	return &webhookHosts{db: db, now: now}
}

var _ edge.HostSource = (*webhookHosts)(nil)

// AllowsHost implements edge.HostSource. Errors: the store's.
func (w *webhookHosts) AllowsHost(ctx context.Context, authority string) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.hosts[authority] && w.now().Sub(w.loaded) < webhookHostsTTL {
		return true, nil
	}
	hosts, err := w.load(ctx)
	if err != nil {
		return false, err
	}
	w.hosts, w.loaded = hosts, w.now()
	return hosts[authority], nil
}

// load visits tenants one by one (the store answers per tenant) and
// collects the authorities of their webhook URLs.
func (w *webhookHosts) load(ctx context.Context) (map[string]bool, error) {
	ids, err := w.db.TenantIDs(ctx)
	if err != nil {
		return nil, err
	}
	hosts := map[string]bool{}
	for _, id := range ids {
		subs, err := w.db.Webhooks(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, s := range subs {
			if a, ok := authority(s.URL); ok {
				hosts[a] = true
			}
		}
	}
	return hosts, nil
}

// authority is a URL's canonical host:port, as edge.HostSource receives it.
func authority(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return "", false
	}
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		default:
			return "", false
		}
	}
	return net.JoinHostPort(strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")), port), true
}
