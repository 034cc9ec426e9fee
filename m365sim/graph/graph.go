// Package graph simulates the subset of Microsoft Graph v1.0 that Steward
// calls: users, groups and their membership, teams (async creation,
// channels, tabs, installed apps, members, messages), $batch and groups
// delta. It keeps teams state itself and reads and writes the shared
// directory for users and groups, enforces app-role and scope permissions,
// throttles per app per tenant with Microsoft's documented figures, and can
// inject faults, so a client tested against it meets the behaviours it will
// meet in production (202 + polling, replication delay, 429 + Retry-After).
//
// Like all of m365sim it imports nothing of Steward.
package graph

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/m365sim/simauth"
)

// Graph's audiences: tokens name it by URI or by its well-known app id.
var audiences = []string{"https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000", "https://graph.microsoft.com/"}

// Options configures a simulated Graph.
type Options struct {
	// BaseURL is the external URL of this service, e.g.
	// http://127.0.0.1:8081/graph; resources live under {BaseURL}/v1.0/.
	// It is used for @odata.context and paging links.
	BaseURL string
	// Dir holds users and groups; teams state lives in Graph itself.
	Dir *directory.Directory
	// Verifier authenticates bearer tokens.
	Verifier simauth.Verifier
	// Now is the clock; nil means time.Now. Tests inject one and advance it
	// instead of sleeping.
	Now func() time.Time
	// Limits throttles per app per tenant. The zero value disables
	// throttling entirely; DefaultLimits() returns the documented figures.
	Limits Limits
	// TeamOperationDelay is how long a teamsAsyncOperation takes (the
	// first fifth notStarted, then inProgress): 0 means 5 s, a negative
	// value means it succeeds at once.
	TeamOperationDelay time.Duration
	// ReplicationDelay is how long PUT /groups/{id}/team answers 404 after
	// the group was created (Microsoft: up to 15 min): 0 means 30 s, a
	// negative value means none.
	ReplicationDelay time.Duration
	// Faults is the initial fault injection.
	Faults FaultConfig
	// Seed makes fault injection reproducible.
	Seed int64
}

// Graph is a simulated Microsoft Graph. It is safe for concurrent use.
type Graph struct {
	base     string
	dir      *directory.Directory
	verifier simauth.Verifier
	now      func() time.Time
	opDelay  time.Duration
	repDelay time.Duration

	mu      sync.Mutex // guards everything below
	limits  Limits
	faults  FaultConfig
	rng     *rand.Rand
	teams   map[teamKey]*team
	ops     map[string]*operation // by operation id
	opOrder []string
	catalog []catalogApp
	windows map[string]*window // throttle windows by key
	stats   map[string]*ClassStats
	injects map[string]int64 // injected faults by kind
	photos  map[string]photo // group photos by photoKey
	seq     int64            // for ids that must be unique
	reqSeq  int64

	mux *http.ServeMux
}

// New builds a Graph from opts.
func New(opts Options) (*Graph, error) {
	if opts.Dir == nil {
		return nil, errors.New("graph: Options.Dir is required")
	}
	if opts.Verifier == nil {
		return nil, errors.New("graph: Options.Verifier is required")
	}
	if opts.BaseURL == "" {
		return nil, errors.New("graph: Options.BaseURL is required")
	}
	if err := opts.Faults.validate(); err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	if err := opts.Limits.validate(); err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	g := &Graph{
		base:     strings.TrimSuffix(opts.BaseURL, "/"),
		dir:      opts.Dir,
		verifier: opts.Verifier,
		now:      opts.Now,
		opDelay:  pickDelay(opts.TeamOperationDelay, 5*time.Second),
		repDelay: pickDelay(opts.ReplicationDelay, 30*time.Second),
		limits:   opts.Limits,
		faults:   opts.Faults,
		rng:      rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed_6a1f)),
		teams:    map[teamKey]*team{},
		ops:      map[string]*operation{},
		catalog:  builtinApps(),
		windows:  map[string]*window{},
		stats:    map[string]*ClassStats{},
		injects:  map[string]int64{},
	}
	g.adoptFixtureTeams()
	g.mux = g.routes()
	return g, nil
}

// adoptFixtureTeams gives every group a fixture marks as a team
// (resourceProvisioningOptions contains "Team") a ready team with its
// General channel, so Graph's teams and groups views agree from the start.
func (g *Graph) adoptFixtureTeams() {
	for _, tn := range g.dir.Tenants() {
		groups, _ := g.dir.Groups(tn.ID)
		for _, gr := range groups {
			if !slices.Contains(gr.ResourceProvisioningOptions, "Team") {
				continue
			}
			t := g.newTeam(tn.ID, gr.ID, gr.CreatedDateTime, "")
			if strings.EqualFold(gr.Visibility, "Private") {
				t.visibility = "private"
			}
			g.teams[teamKey{tn.ID, gr.ID}] = t
		}
	}
}

func pickDelay(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// SetFaults replaces the fault injection configuration. Invalid rates are
// clamped to [0, 1]; AdminHandler validates instead.
func (g *Graph) SetFaults(f FaultConfig) {
	f.clamp()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.faults = f
}

// SetLimits replaces the throttling limits and forgets the request history,
// so a test starts from full budgets.
func (g *Graph) SetLimits(l Limits) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.limits = l
	g.windows = map[string]*window{}
}

// Handler serves Graph; paths are relative to BaseURL, e.g. /v1.0/users.
func (g *Graph) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.serve(w, r, true)
	})
}

// keyPath turns OData key syntax (/teams('x')/operations('y')) into plain
// segments, because Location headers use it and clients follow them.
var keyPath = regexp.MustCompile(`\('([^']*)'\)`)

// serve runs one request through the pipeline every Graph call takes:
// request ids, fault injection, then routing (authentication, permission,
// throttling are done per route). outer is false for $batch parts, which
// cannot have their connection reset.
func (g *Graph) serve(w http.ResponseWriter, r *http.Request, outer bool) {
	rid := g.newRequestID()
	crid := r.Header.Get("client-request-id")
	if crid == "" {
		crid = rid
	}
	h := w.Header()
	h.Set("request-id", rid)
	h.Set("client-request-id", crid)
	h.Set("x-ms-ags-diagnostic", `{"ServerInfo":{"DataCenter":"m365sim","Slice":"E","Ring":"1","ScaleUnit":"000","RoleInstance":"m365sim"}}`)
	r = r.WithContext(withIDs(r.Context(), rid, crid))
	if strings.Contains(r.URL.Path, "('") {
		r.URL.Path = keyPath.ReplaceAllString(r.URL.Path, "/$1")
		r.URL.RawPath = ""
	}
	if strings.HasPrefix(r.URL.Path, "/v1.0/") {
		handled, after := g.injectFault(w, r, outer)
		if handled {
			return
		}
		if after != "" {
			g.mux.ServeHTTP(discard{h: http.Header{}}, r)
			g.writeFault(w, r, after, 0)
			return
		}
	}
	g.mux.ServeHTTP(w, r)
}

func (g *Graph) newRequestID() string {
	g.mu.Lock()
	g.reqSeq++
	n := g.reqSeq
	g.mu.Unlock()
	return directory.GUID(fmt.Sprintf("graph-request/%d", n))
}

// nextID returns a process-unique counter for ids derived from names.
func (g *Graph) nextID() int64 {
	g.seq++
	return g.seq
}
