// Package web serves Steward over HTTP: health and readiness, metrics, and
// (in later stages) the tabs, admin center, trust and help centers and the
// REST API. Handlers return errors; one adapter turns them into responses.
package web

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/telemetry"
)

// Check is one dependency /readyz verifies.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
}

// Options configure a Server.
type Options struct {
	Logger  *slog.Logger
	Version string
	// Checks run on every /readyz, concurrently, each bounded by CheckTimeout.
	Checks       []Check
	CheckTimeout time.Duration
	Metrics      *telemetry.Metrics
	Tracing      *telemetry.Tracing
	// MetricsToken, when set, lets non-loopback scrapers read /metrics with
	// "Authorization: Bearer <token>". Loopback peers never need it.
	MetricsToken string
	// API, when set, serves the REST API under /api/v1.
	API *API
	// Bot, when set, is the Bot Framework messaging endpoint (POST
	// /api/messages, the bot package's Handler). It authenticates the
	// channel itself and answers in the Bot Framework's formats.
	Bot http.Handler
}

// Server is Steward's HTTP surface.
type Server struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux
	// apiPatterns are the /api/v1 patterns registered, for the test that
	// holds the OpenAPI document to them.
	apiPatterns []string
	// ui is the page layer, once UseUI added it.
	ui *ui
}

// UseUI adds the pages (tabs, sign-in, help center) on top of the API. Call
// it once, before Handler.
func (s *Server) UseUI(u *UI) error {
	if s.ui != nil {
		return fmt.Errorf("web: UseUI called twice")
	}
	return s.registerUI(u)
}

// wantsHTML reports a browser navigation (as opposed to an API client).
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// New builds the server and registers its routes.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.CheckTimeout <= 0 {
		opts.CheckTimeout = 2 * time.Second
	}
	s := &Server{opts: opts, log: opts.Logger, mux: http.NewServeMux()}
	s.routes()
	return s
}

func (s *Server) routes() {
	s.handle("GET /{$}", s.index)
	s.handle("GET /healthz", s.healthz)
	s.handle("GET /readyz", s.readyz)
	if s.opts.Metrics != nil {
		s.handle("GET /metrics", s.metrics)
	}
	if s.opts.API != nil {
		s.registerAPI(s.opts.API)
	}
	if s.opts.Bot != nil {
		s.mux.Handle("POST /api/messages", s.opts.Bot)
	}
	s.handle("/", func(w http.ResponseWriter, r *http.Request) error {
		if s.ui != nil && wantsHTML(r) && !strings.HasPrefix(r.URL.Path, apiPrefix+"/") {
			s.ui.errorPage(w, r, governance.Errorf(governance.KindNotFound, "page_not_found",
				"there is no page at %s; use the links above", r.URL.Path))
			return nil
		}
		return governance.Errorf(governance.KindNotFound, "route_not_found",
			"there is nothing at %s %s; see / for the available endpoints", r.Method, r.URL.Path)
	})
}

func (s *Server) handle(pattern string, fn HandlerFunc) {
	s.mux.Handle(pattern, errorAdapter{log: s.log, fn: fn})
}

// Handler is the server with its middleware: request ids first (so every
// log line and error has one), then tracing, then metrics.
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.mux
	if s.opts.Metrics != nil {
		h = s.opts.Metrics.Middleware(h)
	}
	if s.opts.Tracing != nil {
		h = s.opts.Tracing.Middleware(h)
	}
	login := ""
	if s.ui != nil {
		login = s.ui.loginOr
	}
	h = securityHeaders(h, login)
	return telemetry.RequestIDMiddleware(h)
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) error {
	if s.ui != nil && wantsHTML(r) {
		http.Redirect(w, r, "/app", http.StatusSeeOther)
		return nil
	}
	links := map[string]string{"health": "/healthz", "readiness": "/readyz"}
	if s.opts.Metrics != nil {
		links["metrics"] = "/metrics"
	}
	if s.opts.Bot != nil {
		links["bot"] = "/api/messages"
	}
	writeJSON(w, http.StatusOK, map[string]any{"name": "Steward", "version": s.opts.Version, "links": links})
	return nil
}

// healthz says the process is alive; it touches no dependency, so a slow
// database never gets a healthy process restarted.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// ReadyBody is the /readyz answer.
type ReadyBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// readyz says whether this replica can serve: every check must pass.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	type result struct {
		name string
		err  error
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.CheckTimeout)
	defer cancel()
	results := make(chan result, len(s.opts.Checks))
	for _, c := range s.opts.Checks {
		go func() { results <- result{c.Name, c.Ping(ctx)} }()
	}
	body := ReadyBody{Status: "ready", Checks: map[string]string{}}
	for range s.opts.Checks {
		res := <-results
		if res.err != nil {
			body.Status = "not_ready"
			body.Checks[res.name] = "unavailable"
			s.log.WarnContext(r.Context(), "readiness check failed", "check", res.name, "err", res.err)
			continue
		}
		body.Checks[res.name] = "ok"
	}
	if body.Status != "ready" {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, body)
		return nil
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	if !isLoopbackPeer(r) {
		token := s.opts.MetricsToken
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if token == "" {
			return governance.Errorf(governance.KindForbidden, "metrics_forbidden",
				"/metrics answers loopback clients only; set STEWARD_METRICS_TOKEN to let remote scrapers in with a bearer token")
		}
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="steward-metrics"`)
			return governance.Errorf(governance.KindUnauthenticated, "metrics_token_invalid",
				"send the metrics token as Authorization: Bearer <token>")
		}
	}
	s.opts.Metrics.Handler().ServeHTTP(w, r)
	return nil
}

func isLoopbackPeer(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
