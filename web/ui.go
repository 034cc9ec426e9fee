package web

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/trust"
)

// The pages are server-rendered with html/template; the little JavaScript
// there is lives in static/ (no inline script: the CSP forbids it), and the
// fonts are served from here too.
//
//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// SessionStore keeps web sessions (*store.DB).
type SessionStore interface {
	CreateWebSession(ctx context.Context, s governance.WebSession) error
	WebSession(ctx context.Context, tenantID, idHash string) (governance.WebSession, error)
	TouchWebSession(ctx context.Context, tenantID, idHash string, idleUntil time.Time, locale string) error
	DeleteWebSession(ctx context.Context, tenantID, idHash string) error
}

// SessionClaims are what a session keeps of a validated Entra token.
type SessionClaims struct {
	TenantID  string // Steward tenant
	UserID    string // Entra object id
	Kept      []byte // opaque to web: the principal is rebuilt from it
	ExpiresAt time.Time
}

// SessionIdentity validates tokens and rebuilds principals (identity).
type SessionIdentity interface {
	// FromToken validates an Entra access token issued to Steward (a Teams
	// SSO token, or the one a sign-in code was redeemed for). Errors:
	// KindUnauthenticated, KindUnavailable.
	FromToken(ctx context.Context, raw string) (SessionClaims, error)
	// Principal rebuilds the person from a session's kept claims, reading
	// their roles again.
	Principal(ctx context.Context, kept []byte) (governance.Principal, error)
}

// Organization is the directory a person signs in to.
type Organization struct {
	TenantID      string // Steward tenant
	EntraTenantID string
	ClientID      string // Steward's app registration in that directory
}

// SignInFlow is the OpenID Connect sign-in of a plain browser.
type SignInFlow interface {
	// Organization resolves a work address or domain. Errors: KindInvalid,
	// KindNotFound (unknown or unregistered), KindUnavailable.
	Organization(ctx context.Context, hint string) (Organization, error)
	// AuthorizeURL is the Entra authorize endpoint of a directory.
	AuthorizeURL(entraTenantID string) string
	// Redeem exchanges an authorization code (PKCE) for an access token
	// to Steward's API.
	Redeem(ctx context.Context, tenantID, code, verifier, redirectURI string) (string, error)
	// Scopes are the scopes the authorize request asks for.
	Scopes(clientID string) []string
}

// Person is a directory user the people picker offers.
type Person struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Mail  string `json:"mail"`
	Title string `json:"title,omitempty"`
	Guest bool   `json:"guest,omitempty"`
}

// PeopleSearch finds directory users of the principal's tenant.
type PeopleSearch interface {
	SearchPeople(ctx context.Context, p governance.Principal, query string, limit int) ([]Person, error)
	People(ctx context.Context, p governance.Principal, ids []string) ([]Person, error)
}

// DevOrganization is a demo directory the dev sign-in page offers.
type DevOrganization struct {
	Name   string
	Domain string
}

// UI are the services and settings behind the pages. It needs the API's
// services too (Options.API).
type UI struct {
	Sessions SessionStore
	Identity SessionIdentity
	SignIn   SignInFlow
	People   PeopleSearch
	// Help renders docs/*.md; nil hides the help center.
	Help *HelpCenter
	// Trust is the trust center built from the running configuration.
	Trust *trust.Center
	// PublicURL is the origin people reach Steward at (https://host or,
	// in dev, http://127.0.0.1:8080): redirect URIs are built on it, and
	// cookies are Secure when it is https.
	PublicURL string
	// LoginURL is the Entra authority (its origin goes in form-action).
	LoginURL string
	// TeamsAppID is the Teams app id (deep links).
	TeamsAppID string
	// DevOrganizations, in dev only, are offered on the sign-in page.
	DevOrganizations []DevOrganization
	// Admin are the admin center's own services (see admin_pages.go).
	Admin *AdminServices
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// ui is the running page layer.
type ui struct {
	*UI
	api     *API
	s       *Server
	pages   map[string]*pageTemplate
	secure  bool
	origin  string
	loginOr string
}

func (s *Server) registerUI(u *UI) error {
	if s.opts.API == nil {
		return fmt.Errorf("web: the pages need the API's services (Options.API)")
	}
	if u.Sessions == nil || u.Identity == nil || u.SignIn == nil || u.People == nil {
		return fmt.Errorf("web: UI needs Sessions, Identity, SignIn and People")
	}
	pu, err := url.Parse(u.PublicURL)
	if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
		return fmt.Errorf("web: UI.PublicURL %q must be an absolute http(s) origin", u.PublicURL)
	}
	lu, err := url.Parse(u.LoginURL)
	if err != nil || lu.Host == "" {
		return fmt.Errorf("web: UI.LoginURL %q must be an absolute URL", u.LoginURL)
	}
	if u.Now == nil {
		u.Now = time.Now
	}
	x := &ui{UI: u, api: s.opts.API, s: s, secure: pu.Scheme == "https",
		origin: pu.Scheme + "://" + pu.Host, loginOr: lu.Scheme + "://" + lu.Host}
	if x.pages, err = parsePages(); err != nil {
		return err
	}
	s.ui = x
	x.routes()
	return nil
}

func (x *ui) routes() {
	static, _ := fs.Sub(staticFiles, "static")
	files := http.FileServerFS(static)
	x.s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(files)))

	// Public pages.
	x.page("GET /signin", x.signinPage)
	x.page("GET /auth/start", x.signinStart)
	x.page("GET /auth/callback", x.signinCallback)
	x.page("POST /auth/teams", x.teamsSSO)
	x.page("POST /signout", x.signout)
	x.page("GET /tabs/config", x.tabConfig)
	x.page("GET /tabs/{entity}", x.tabEntry)
	x.page("GET /help", x.helpIndex)
	x.page("GET /help/search", x.helpSearch)
	x.page("GET /help/{slug}", x.helpPage)
	x.trustRoutes()

	// The tabs.
	x.page("GET /app", x.authed(x.home))
	x.page("GET /app/new", x.authed(x.newRequest))
	x.page("POST /app/new", x.authed(x.submitRequest))
	x.page("GET /app/requests", x.authed(x.myRequests))
	x.page("GET /app/requests/{id}", x.authed(x.requestDetail))
	x.page("POST /app/requests/{id}/cancel", x.authed(x.cancelRequest))
	x.page("POST /app/requests/{id}/decision", x.authed(x.decideRequest))
	x.page("POST /app/requests/{id}/edit", x.authed(x.editRequest))
	x.page("POST /app/requests/{id}/retry", x.authed(x.retryRequest))
	x.page("GET /app/approvals", x.authed(x.approvals))
	x.page("GET /app/preferences", x.authed(x.preferences))
	x.page("POST /app/preferences", x.authed(x.savePreferences))

	// The Catalog tab (catalog_pages.go) and the admin center (admin*.go).
	x.catalogRoutes()
	x.adminRoutes()

	// What the pages' scripts fetch (session-authenticated JSON).
	x.page("GET /app/api/people", x.authedJSON(x.searchPeople))
	x.page("POST /app/api/name-preview", x.authedJSON(x.namePreview))
	x.page("GET /app/api/requests/{id}/status", x.authedJSON(x.requestStatus))
}

// page registers a page handler: errors become error pages, not JSON.
func (x *ui) page(pattern string, fn HandlerFunc) {
	x.s.mux.Handle(pattern, pageAdapter{x: x, fn: fn})
}

// cacheStatic lets browsers keep assets a day: they are embedded in the
// binary, so a new version is a new deployment (and the layout adds the
// version to every asset URL).
func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}

// localPath keeps a return address on this site: a path starting with a
// single slash, or "/app".
func localPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsAny(p, "\r\n\t") {
		return "/app"
	}
	return p
}
