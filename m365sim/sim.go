// Package m365sim simulates the parts of Microsoft 365 Steward talks to:
// Microsoft Entra ID (OIDC discovery, JWKS, tokens, sign-in), a stateful
// Microsoft Graph v1.0 subset with Microsoft's throttling, and the Bot
// Connector with the Teams channel. It speaks Microsoft's documented wire
// formats on one listener, one base URL per service, so the same Steward code
// talks to the simulator or to Microsoft, chosen only by base URLs.
//
// It runs in-process (tests, `steward dev`) or standalone (`steward sim`),
// and imports nothing of Steward: product code never depends on it.
package m365sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/stewardhq/steward/m365sim/botconnector"
	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/m365sim/entra"
	"github.com/stewardhq/steward/m365sim/graph"
	"github.com/stewardhq/steward/m365sim/simauth"
)

// Options configure a simulator. The zero value (plus BaseURL) runs the
// demo fixture with Microsoft's documented limits and no injected faults.
type Options struct {
	// BaseURL is where the simulator is reachable, e.g. http://127.0.0.1:8081.
	// Listen sets it from the address it binds.
	BaseURL string
	// Fixture seeds the directory; nil means the demo fixture.
	Fixture *directory.Fixture
	// Now is the clock every service reads; tests inject one and advance it
	// instead of sleeping through async operations and replication delays.
	Now func() time.Time
	// Graph behaviour.
	GraphLimits        *graph.Limits // nil: Microsoft's documented limits
	TeamOperationDelay time.Duration
	ReplicationDelay   time.Duration
	Faults             graph.FaultConfig
	Seed               int64
	Logger             *slog.Logger
	// Recorder, when set, records every request Listen's server answers.
	Recorder *Recorder
}

// Sim is a running simulator's state and services.
type Sim struct {
	Dir   *directory.Directory
	Entra *entra.Entra
	Graph *graph.Graph
	Bot   *botconnector.Connector
	base  string
	log   *slog.Logger
}

// New builds a simulator served at opts.BaseURL.
func New(opts Options) (*Sim, error) {
	base := strings.TrimSuffix(opts.BaseURL, "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("m365sim: BaseURL %q must be an absolute http(s) URL", opts.BaseURL)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	fixture := directory.DemoFixture()
	if opts.Fixture != nil {
		fixture = *opts.Fixture
	}
	dir := directory.New(opts.Now)
	if err := dir.Load(fixture); err != nil {
		return nil, fmt.Errorf("m365sim: load fixture: %w", err)
	}
	s := &Sim{Dir: dir, base: base, log: opts.Logger}
	// Entra's and the channel's RSA keys are generated concurrently: key
	// generation is nearly all of the simulator's start-up time.
	entraDone := make(chan error, 1)
	go func() {
		var err error
		s.Entra, err = entra.New(entra.Options{BaseURL: base + "/login", Dir: dir, Now: opts.Now})
		entraDone <- err
	}()
	var err error
	// The connector verifies bots' tokens with Entra, which exists by the
	// time New returns and anything can call it.
	verify := verifierFunc(func(token string, audiences ...string) (simauth.Claims, error) {
		return s.Entra.Verify(token, audiences...)
	})
	if s.Bot, err = botconnector.New(botconnector.Options{
		BaseURL: base, Dir: dir, Verifier: verify, Now: opts.Now, Limits: botconnector.DefaultThreadLimits(),
	}); err != nil {
		<-entraDone
		return nil, err
	}
	if err := <-entraDone; err != nil {
		return nil, err
	}
	limits := graph.DefaultLimits()
	if opts.GraphLimits != nil {
		limits = *opts.GraphLimits
	}
	if s.Graph, err = graph.New(graph.Options{
		BaseURL: base + "/graph", Dir: dir, Verifier: s.Entra, Now: opts.Now, Limits: limits,
		TeamOperationDelay: opts.TeamOperationDelay, ReplicationDelay: opts.ReplicationDelay,
		Faults: opts.Faults, Seed: opts.Seed,
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// verifierFunc adapts a function to simauth.Verifier.
type verifierFunc func(token string, audiences ...string) (simauth.Claims, error)

func (f verifierFunc) Verify(token string, audiences ...string) (simauth.Claims, error) {
	return f(token, audiences...)
}

// URLs a client configures to use the simulator instead of Microsoft.
func (s *Sim) BaseURL() string              { return s.base }
func (s *Sim) LoginURL() string             { return s.base + "/login" }
func (s *Sim) GraphURL() string             { return s.base + "/graph" }
func (s *Sim) BotOpenIDMetadataURL() string { return s.Bot.MetadataURL() }
func (s *Sim) ServiceURL() string           { return s.Bot.ServiceURL() }
func (s *Sim) InspectURL() string           { return s.base + "/inspect" }

// Handler routes each service under its base path.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/login/", http.StripPrefix("/login", s.Entra.Handler()))
	mux.Handle("/graph/", http.StripPrefix("/graph", s.Graph.Handler()))
	mux.Handle("/admin/graph/", http.StripPrefix("/admin/graph", s.Graph.AdminHandler()))
	bot := s.Bot.Handler()
	mux.Handle("/botframework/", bot)
	mux.Handle("/connector/", bot)
	s.inspectRoutes(mux)
	s.adminRoutes(mux)
	s.appAdminRoutes(mux)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/inspect", http.StatusFound)
	})
	return mux
}

// Server is a simulator listening on an address.
type Server struct {
	*Sim
	srv *http.Server
	ln  net.Listener
}

// Listen binds addr (use 127.0.0.1:0 for a free port), builds the simulator
// with BaseURL set to that address, and serves it until Close.
func Listen(addr string, opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("m365sim: listen on %s: %w", addr, err)
	}
	if opts.BaseURL == "" {
		opts.BaseURL = "http://" + ln.Addr().String()
	}
	sim, err := New(opts)
	if err != nil {
		ln.Close()
		return nil, err
	}
	h := sim.Handler()
	if opts.Recorder != nil {
		h = opts.Recorder.Wrap(h)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			sim.log.Error("m365sim: serve", "err", err)
		}
	}()
	return &Server{Sim: sim, srv: srv, ln: ln}, nil
}

// Addr is the bound address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops serving, waiting up to ctx for requests in flight.
func (s *Server) Close(ctx context.Context) error { return s.srv.Shutdown(ctx) }
