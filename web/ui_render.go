package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/telemetry"
)

// pageTemplate is one page: the layout with the page's "content".
type pageTemplate struct{ t *template.Template }

// templateFuncs are the helpers every template may use. They are pure.
var templateFuncs = template.FuncMap{
	"join":       strings.Join,
	"contains":   func(list []string, s string) bool { return slices.Contains(list, s) },
	"add":        func(a, b int) int { return a + b },
	"stateLabel": func(s governance.RequestState) string { return stateLabel(s) },
	"list": func(p Page, items []governance.Request) listData {
		return listData{Page: p, Items: items}
	},
	"picker": func(p Page, name, label string, ids []string, people map[string]Person) pickerData {
		return pickerData{Page: p, Name: name, Label: label, IDs: ids, People: people}
	},
}

// listData feeds the "requestlist" partial.
type listData struct {
	Page  Page
	Items []governance.Request
}

// pickerData feeds the "picker" partial (a people picker).
type pickerData struct {
	Page   Page
	Name   string // form field name: owners or members
	Label  string
	IDs    []string
	People map[string]Person
}

// parsePages parses every page file (templates/*.html other than the
// layout and the partials, whose names start with "_") with the layout.
func parsePages() (map[string]*pageTemplate, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*pageTemplate{}
	for _, n := range names {
		base := path.Base(n)
		if strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.New(base).Funcs(templateFuncs).ParseFS(templateFiles, "templates/_*.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", base, err)
		}
		pages[strings.TrimSuffix(base, ".html")] = &pageTemplate{t: t}
	}
	return pages, nil
}

// navItem is one entry of the tab bar.
type navItem struct {
	Href, Label, Key string
}

// Page is what every template sees: the chrome (language, theme, who is
// signed in, navigation, CSRF token) and the page's own Data.
type Page struct {
	Title   string
	Lang    string
	Theme   string // auto, default (light), dark, contrast
	Active  string // the nav key of this page
	User    *governance.Principal
	CSRF    string
	Nav     []navItem
	Version string
	Notice  string // a one-line confirmation ("Request submitted")
	Data    any
	// Scripts are extra static scripts (paths under /static/).
	Scripts []string
	Status  int
}

// T translates an English UI string into the page's language.
func (p Page) T(english string, args ...any) string { return translateUI(p.Lang, english, args...) }

// Is reports whether the signed-in person holds role r.
func (p Page) Is(role string) bool {
	return p.User != nil && p.User.Has(governance.Role(role))
}

// Date formats a time for the page's language, in UTC.
func (p Page) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	if p.Lang == governance.LangFrench {
		return t.Format("02/01/2006 15:04") + " UTC"
	}
	return t.Format("Jan 2, 2006 15:04") + " UTC"
}

// Asset is the URL of a static file, versioned so caches refresh on
// upgrade.
func (p Page) Asset(name string) string {
	return "/static/" + name + "?v=" + url.QueryEscape(p.Version)
}

// newPage builds the chrome for r.
func (x *ui) newPage(r *http.Request, title, active string) Page {
	v := visitorFrom(r.Context())
	p := Page{Title: title, Lang: x.language(r, v), Theme: themeOf(r), Active: active, Version: x.s.opts.Version}
	if v.ok {
		pr := v.p
		p.User = &pr
		p.CSRF = v.session.CSRF
	}
	p.Nav = x.nav(p)
	p.Notice = translateUI(p.Lang, noticeText(r.URL.Query().Get("notice")))
	return p
}

// nav is the tab bar for the signed-in person's roles.
func (x *ui) nav(p Page) []navItem {
	if p.User == nil {
		return []navItem{{"/help", p.T("Help"), "help"}, {"/trust", p.T("Trust center"), "trust"}}
	}
	items := []navItem{
		{"/app", p.T("Home"), "home"},
		{"/app/new", p.T("New request"), "new"},
		{"/app/requests", p.T("My requests"), "requests"},
		{"/app/approvals", p.T("Approvals"), "approvals"},
	}
	if p.Is(string(governance.RoleCatalogManager)) {
		items = append(items, navItem{"/app/catalog", p.T("Catalog"), "catalog"})
	}
	if p.Is(string(governance.RoleAdministrator)) || p.Is(string(governance.RoleIntegrationManager)) {
		items = append(items, navItem{"/admin", p.T("Admin center"), "admin"})
	}
	return append(items, navItem{"/help", p.T("Help"), "help"})
}

// noticeText maps the notice codes redirects carry to the English text.
func noticeText(code string) string {
	switch code {
	case "submitted":
		return "Your request was submitted."
	case "cancelled":
		return "The request was cancelled."
	case "approved":
		return "You approved the request."
	case "rejected":
		return "You rejected the request."
	case "edited":
		return "The request was updated."
	case "retried":
		return "Provisioning was started again."
	case "saved":
		return "Saved."
	case "signedout":
		return "You are signed out."
	}
	return ""
}

// render writes a page with status (0: 200).
func (x *ui) render(w http.ResponseWriter, name string, p Page) error {
	pt, ok := x.pages[name]
	if !ok {
		return fmt.Errorf("web: no page template %q", name)
	}
	var buf bytes.Buffer
	if err := pt.t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", p.Lang)
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Cookie, Accept-Language")
	status := p.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// Pages answer errors as pages; the scripts' endpoints as JSON.
type jsonError struct{ err error }

func (e *jsonError) Error() string { return e.err.Error() }
func (e *jsonError) Unwrap() error { return e.err }

func asJSON(err error) error { return &jsonError{err: err} }

// pageAdapter renders a handler's error as an error page.
type pageAdapter struct {
	x  *ui
	fn HandlerFunc
}

func (a pageAdapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	err := a.fn(w, r)
	if err == nil {
		return
	}
	var je *jsonError
	if errors.As(err, &je) {
		writeError(w, r, a.x.s.log, je.err)
		return
	}
	a.x.errorPage(w, r, err)
}

// errorPage renders err for a person: what happened, what to do, and the
// request id to quote to support.
func (x *ui) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	kind := governance.KindOf(err)
	status := StatusOf(kind)
	p := x.newPage(r, "", "")
	code, msg := governance.Localize(err, p.Lang)
	if status >= 500 {
		x.s.log.ErrorContext(r.Context(), "page failed", "method", r.Method, "route", r.Pattern, "kind", kind.String(), "err", err)
	}
	if kind == governance.KindUnavailable || kind == governance.KindTooManyRequests {
		w.Header().Set("Retry-After", "5")
	}
	p.Title = p.T(errorTitle(status))
	p.Status = status
	p.Data = errorData{Code: code, Message: msg, RequestID: telemetry.RequestID(r.Context()), Status: status}
	if rerr := x.render(w, "error", p); rerr != nil {
		x.s.log.ErrorContext(r.Context(), "error page failed", "err", rerr)
		http.Error(w, msg, status)
	}
}

type errorData struct {
	Code, Message, RequestID string
	Status                   int
}

func errorTitle(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusForbidden:
		return "You can't do that"
	case http.StatusUnauthorized:
		return "Please sign in"
	case http.StatusBadRequest:
		return "Something needs fixing"
	case http.StatusConflict:
		return "This changed in the meantime"
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		return "Please try again in a moment"
	}
	return "Something went wrong"
}

// language picks the page language: ?lang= (Teams fills {locale} in tab
// URLs), then the steward_lang cookie (the person's choice), then the
// session, then Accept-Language.
func (x *ui) language(r *http.Request, v visitor) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		return governance.PreferredLanguage(l)
	}
	if c, err := r.Cookie("steward_lang"); err == nil {
		return governance.PreferredLanguage(c.Value)
	}
	if v.ok && v.session.Locale != "" {
		return governance.PreferredLanguage(v.session.Locale)
	}
	return governance.PreferredLanguage(r.Header.Get("Accept-Language"))
}

// themeOf picks the theme: ?theme= (Teams fills {theme}: default, dark,
// contrast), then the steward_theme cookie the page script keeps in step
// with Teams, else "auto" (the operating system's preference).
func themeOf(r *http.Request) string {
	t := r.URL.Query().Get("theme")
	if t == "" {
		if c, err := r.Cookie("steward_theme"); err == nil {
			t = c.Value
		}
	}
	switch t {
	case "default", "dark", "contrast":
		return t
	}
	return "auto"
}
