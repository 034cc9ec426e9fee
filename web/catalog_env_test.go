package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
)

// catalogEnv is the pages over the API scenarios' real services on SQLite,
// with people signed in through real sessions.
type catalogEnv struct {
	*apiEnv
	h http.Handler
}

// pagesIdentity rebuilds a session's principal from its kept claims: the
// scenarios keep the name of one of apiPrincipals.
type pagesIdentity tokenAuth

func (pagesIdentity) FromToken(context.Context, string) (SessionClaims, error) {
	return SessionClaims{}, governance.Errorf(governance.KindUnauthenticated, "token_invalid", "sign in again")
}

func (a pagesIdentity) Principal(_ context.Context, kept []byte) (governance.Principal, error) {
	if p, ok := a[string(kept)]; ok {
		return p, nil
	}
	return governance.Principal{}, governance.Errorf(governance.KindUnauthenticated, "token_invalid", "sign in again")
}

// noSignIn is a sign-in flow the catalog scenarios never reach.
type noSignIn struct{}

func (noSignIn) Organization(context.Context, string) (Organization, error) {
	return Organization{}, governance.Errorf(governance.KindNotFound, "organization_not_found", "no such organisation")
}
func (noSignIn) AuthorizeURL(string) string { return "http://127.0.0.1:9/authorize" }
func (noSignIn) Redeem(context.Context, string, string, string, string) (string, error) {
	return "", governance.Errorf(governance.KindUnavailable, "signin_unavailable", "sign-in is not available")
}
func (noSignIn) Scopes(string) []string { return nil }

// directory knows the scenarios' people by id.
type directory map[string]string

func (d directory) SearchPeople(context.Context, governance.Principal, string, int) ([]Person, error) {
	return nil, nil
}

func (d directory) People(_ context.Context, _ governance.Principal, ids []string) ([]Person, error) {
	var out []Person
	for _, id := range ids {
		if n, ok := d[id]; ok {
			out = append(out, Person{ID: id, Name: n})
		}
	}
	return out, nil
}

func newCatalogEnv(t *testing.T) *catalogEnv {
	t.Helper()
	e := newAPIEnv(t)
	err := e.srv.UseUI(&UI{Sessions: e.db, Identity: pagesIdentity(apiPrincipals()), SignIn: noSignIn{},
		People: directory{idCatalog: "Cathy", idAdmin: "Admin"}, PublicURL: "http://127.0.0.1:8080", LoginURL: "http://127.0.0.1:9/login"})
	if err != nil {
		t.Fatal(err)
	}
	return &catalogEnv{apiEnv: e, h: e.srv.Handler()}
}

// visitorSession is a signed-in browser: its cookie and CSRF token.
type visitorSession struct {
	cookie *http.Cookie
	csrf   string
}

// signIn starts a session for one of apiPrincipals, as the sign-in pages
// would after validating a token.
func (e *catalogEnv) signIn(t *testing.T, who string) visitorSession {
	t.Helper()
	p := apiPrincipals()[who]
	rec := httptest.NewRecorder()
	c := SessionClaims{TenantID: p.TenantID, UserID: p.ID, Kept: []byte(who), ExpiresAt: time.Now().Add(time.Hour)}
	if err := e.srv.ui.startSession(context.Background(), rec, c, "en"); err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("startSession set %d cookies", len(cookies))
	}
	_, secret, _ := strings.Cut(cookies[0].Value, ".")
	s, err := e.db.WebSession(context.Background(), p.TenantID, hashSecret(secret))
	if err != nil {
		t.Fatal(err)
	}
	return visitorSession{cookie: cookies[0], csrf: s.CSRF}
}

// pageCall is one browser request of a scenario.
type pageCall struct {
	name     string
	who      string // "" sends no session
	method   string
	path     string
	form     url.Values // posted urlencoded, with the session's CSRF token unless noCSRF
	noCSRF   bool
	upload   *upload // posted as multipart instead
	status   int
	location string // the redirect must start with it
	contains []string
	absent   []string
	header   map[string]string
	after    func(t *testing.T, e *catalogEnv)
}

// upload is a multipart post: a file and other fields.
type upload struct {
	file   []byte
	fields map[string]string
	length int64 // Content-Length to claim; 0: the real one
}

func (e *catalogEnv) run(t *testing.T, calls []pageCall) {
	t.Helper()
	sessions := map[string]visitorSession{}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			var s visitorSession
			if c.who != "" {
				if _, ok := sessions[c.who]; !ok {
					sessions[c.who] = e.signIn(t, c.who)
				}
				s = sessions[c.who]
			}
			req := e.browserRequest(t, c, s)
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d; body %s", rec.Code, c.status, body)
			}
			if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, c.location) {
				t.Errorf("Location %q, want %q…", loc, c.location)
			}
			for k, v := range c.header {
				if got := rec.Header().Get(k); !strings.HasPrefix(got, v) {
					t.Errorf("header %s = %q, want %q…", k, got, v)
				}
			}
			for _, want := range c.contains {
				if !strings.Contains(body, want) {
					t.Errorf("body lacks %q: %s", want, body)
				}
			}
			for _, bad := range c.absent {
				if strings.Contains(body, bad) {
					t.Errorf("body must not contain %q", bad)
				}
			}
			if c.after != nil {
				c.after(t, e)
			}
		})
	}
}

func (e *catalogEnv) browserRequest(t *testing.T, c pageCall, s visitorSession) *http.Request {
	t.Helper()
	var req *http.Request
	switch {
	case c.upload != nil:
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if !c.noCSRF {
			_ = mw.WriteField("csrf", s.csrf)
		}
		for k, v := range c.upload.fields {
			_ = mw.WriteField(k, v)
		}
		if c.upload.file != nil {
			fw, err := mw.CreateFormFile("file", "template.json")
			if err != nil {
				t.Fatal(err)
			}
			_, _ = fw.Write(c.upload.file)
		}
		if err := mw.Close(); err != nil {
			t.Fatal(err)
		}
		req = httptest.NewRequest(c.method, c.path, &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		if c.upload.length > 0 {
			req.ContentLength = c.upload.length
		}
	case c.form != nil:
		form := url.Values{}
		for k, v := range c.form {
			form[k] = v
		}
		if !c.noCSRF {
			form.Set("csrf", s.csrf)
		}
		req = httptest.NewRequest(c.method, c.path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	default:
		req = httptest.NewRequest(c.method, c.path, nil)
	}
	req.Header.Set("Accept", "text/html")
	if s.cookie != nil {
		req.AddCookie(s.cookie)
	}
	return req
}

// template reads the latest stored version of a Contoso template.
func (e *catalogEnv) template(t *testing.T, id string) governance.Template {
	t.Helper()
	tpl, err := e.db.Template(context.Background(), "contoso", id)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}
