// Package botconnector simulates the Bot Connector service and the Microsoft
// Teams channel: it signs activities as the channel does (OpenID metadata,
// a JWKS whose keys carry "endorsements"), delivers them to a bot's
// messaging endpoint, and serves the Bot Framework REST API v3 the bot calls
// back (send, reply, update, delete, members, create conversation), with
// Teams' per-thread rate limits. Every call the bot makes is recorded.
//
// It imports nothing of Steward; the directory supplies tenants, users and
// bots (an App with a BotEndpoint).
package botconnector

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/m365sim/simauth"
)

// ConnectorAudience is the audience of the tokens bots present to the
// connector (client credentials, scope https://api.botframework.com/.default).
const ConnectorAudience = "https://api.botframework.com"

// region is the serviceUrl path Teams hands out in the Americas
// (https://smba.trafficmanager.net/amer/).
const region = "amer"

// Options configures a Connector.
type Options struct {
	// BaseURL is the external URL the Handler is reached at, e.g.
	// http://127.0.0.1:8081. The simulator owns {BaseURL}/botframework/...
	// (OpenID metadata and keys) and {BaseURL}/connector/... (the serviceUrl).
	BaseURL string
	// Dir supplies tenants, users and bots.
	Dir *directory.Directory
	// Verifier checks the tokens bots present to the connector.
	Verifier simauth.Verifier
	// Now is the clock for tokens, timestamps and rate limits.
	Now func() time.Time
	// Limits are the per-thread rate limits; the zero value means
	// DefaultThreadLimits().
	Limits ThreadLimits
	// Client delivers activities to bots; nil means a client with no
	// overall timeout (Deliver bounds each call like Teams does).
	Client *http.Client
}

// Connector is the simulated Bot Connector and Teams channel. It is safe for
// concurrent use.
type Connector struct {
	base     string
	dir      *directory.Directory
	verifier simauth.Verifier
	now      func() time.Time
	client   *http.Client
	keys     *keyring
	limiter  *limiter

	mu        sync.Mutex
	convs     map[string]*conversation // by base conversation id
	recorded  []Recorded
	delivered int
	lastID    int64 // last activity id handed out (Unix ms, strictly increasing)
}

// New returns a Connector with a freshly generated channel signing key.
func New(opts Options) (*Connector, error) {
	if opts.Dir == nil {
		return nil, errors.New("botconnector: Options.Dir is required")
	}
	if opts.Verifier == nil {
		return nil, errors.New("botconnector: Options.Verifier is required")
	}
	u, err := url.Parse(opts.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("botconnector: Options.BaseURL %q must be an absolute http(s) URL", opts.BaseURL)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	client := opts.Client
	if client == nil {
		client = &http.Client{}
	}
	limits := opts.Limits
	if limits.isZero() {
		limits = DefaultThreadLimits()
	}
	keys, err := newKeyring(now())
	if err != nil {
		return nil, err
	}
	return &Connector{
		base:     strings.TrimRight(opts.BaseURL, "/"),
		dir:      opts.Dir,
		verifier: opts.Verifier,
		now:      now,
		client:   client,
		keys:     keys,
		limiter:  newLimiter(limits),
		convs:    map[string]*conversation{},
	}, nil
}

// MetadataURL is the channel's OpenID metadata document, the simulator's
// https://login.botframework.com/v1/.well-known/openidconfiguration.
func (c *Connector) MetadataURL() string {
	return c.base + "/botframework/v1/.well-known/openidconfiguration"
}

// JWKSURL is the channel's signing keys document.
func (c *Connector) JWKSURL() string { return c.base + "/botframework/v1/.well-known/keys" }

// ServiceURL is the serviceUrl activities carry, like Teams'
// https://smba.trafficmanager.net/amer/ (with the trailing slash).
func (c *Connector) ServiceURL() string { return c.base + "/connector/" + region + "/" }

// Handler serves the OpenID metadata, the JWKS and the connector REST API,
// at paths relative to BaseURL.
func (c *Connector) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /botframework/v1/.well-known/openidconfiguration", c.handleMetadata)
	mux.HandleFunc("GET /botframework/v1/.well-known/keys", c.handleKeys)
	p := "/connector/" + region + "/v3/conversations"
	mux.HandleFunc("POST "+p, c.api(c.createConversation))
	mux.HandleFunc("POST "+p+"/{conversationId}/activities", c.api(c.sendActivity))
	mux.HandleFunc("POST "+p+"/{conversationId}/activities/{activityId}", c.api(c.replyActivity))
	mux.HandleFunc("PUT "+p+"/{conversationId}/activities/{activityId}", c.api(c.updateActivity))
	mux.HandleFunc("DELETE "+p+"/{conversationId}/activities/{activityId}", c.api(c.deleteActivity))
	mux.HandleFunc("GET "+p+"/{conversationId}/members", c.api(c.getMembers))
	mux.HandleFunc("GET "+p+"/{conversationId}/pagedmembers", c.api(c.getPagedMembers))
	mux.HandleFunc("GET "+p+"/{conversationId}/members/{memberId}", c.api(c.getMember))
	mux.HandleFunc("/connector/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, newAPIError(http.StatusNotFound, "NotFound", "The requested resource was not found."))
	})
	return mux
}

// nextActivityID hands out Teams-style message ids: Unix milliseconds,
// strictly increasing. Callers hold c.mu.
func (c *Connector) nextActivityID() string {
	id := c.now().UnixMilli()
	if id <= c.lastID {
		id = c.lastID + 1
	}
	c.lastID = id
	return fmt.Sprint(id)
}

// Snapshot is what Inspect returns.
type Snapshot struct {
	ServiceURL    string         `json:"serviceUrl"`
	MetadataURL   string         `json:"metadataUrl"`
	Conversations []Conversation `json:"conversations"`
	Delivered     int            `json:"delivered"` // activities delivered to bots
	Calls         []Recorded     `json:"calls"`     // every call bots made, in order
}

// Inspect returns the simulator's state for debugging and the sim's admin
// page.
func (c *Connector) Inspect() any {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Snapshot{
		ServiceURL:  c.ServiceURL(),
		MetadataURL: c.MetadataURL(),
		Delivered:   c.delivered,
		Calls:       cloneRecorded(c.recorded),
	}
	for _, cv := range c.convs {
		s.Conversations = append(s.Conversations, cv.Conversation)
	}
	sortConversations(s.Conversations)
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
