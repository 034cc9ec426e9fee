package entra

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// pageCSS is the only styling; the CSP allows exactly it by hash, so pages
// need no 'unsafe-inline' and load nothing else.
const pageCSS = `body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:1.5rem}
ul{list-style:none;padding:0}li{margin:.25rem 0}form{margin:0}
button{width:100%;text-align:left;padding:.6rem .8rem;font:inherit;background:#fff;border:1px solid #8a8886;border-radius:2px;cursor:pointer}
button:hover{background:#f3f2f1}button:focus-visible{background:#f3f2f1;outline:3px solid #0067b8;outline-offset:2px}
.hint button{border-left:4px solid #0067b8}.upn{display:block;color:#605e5c;font-size:.9rem;overflow-wrap:anywhere}
.error{border-left:4px solid #a80000;padding-left:1rem}dt{font-weight:600}`

var styleHash = func() string {
	sum := sha256.Sum256([]byte(pageCSS))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

const pageHead = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{{.Title}}</title><style>` + pageCSS + `</style></head>
<body><main>`

const pageFoot = `</main></body></html>`

var signInPage = template.Must(template.New("signin").Parse(pageHead + `
<h1>Pick an account</h1>
<p>to continue to <strong>{{.AppName}}</strong></p>
{{if not .Groups}}<p>No account of this organization can sign in.</p>{{end}}
{{range $g := .Groups}}<section aria-labelledby="t-{{$g.TenantID}}">
<h2 id="t-{{$g.TenantID}}">{{$g.TenantName}} ({{$g.Domain}})</h2>
<ul>{{range $g.Users}}
<li{{if .Hint}} class="hint"{{end}}><form method="post" action="{{$.Action}}">
{{range $.Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}{{if $.Multi}}<input type="hidden" name="user_tenant" value="{{$g.TenantID}}">
{{end}}<input type="hidden" name="user" value="{{.ID}}">
<button type="submit" id="u-{{$g.TenantID}}-{{.ID}}"{{if .Hint}} autofocus aria-describedby="hint-{{.ID}}"{{end}}>{{.Name}}<span class="upn">{{.UPN}}</span></button>
{{if .Hint}}<p id="hint-{{.ID}}">Suggested: the account the application named.</p>{{end}}
</form></li>{{end}}
</ul></section>{{end}}` + pageFoot))

var errorPage = template.Must(template.New("error").Parse(pageHead + `
<h1>Sorry, but we're having trouble signing you in.</h1>
<div class="error" role="alert"><p>{{.Message}}</p></div>
<h2>Troubleshooting details</h2>
<dl><dt>Request Id</dt><dd>{{.TraceID}}</dd><dt>Correlation Id</dt><dd>{{.CorrelationID}}</dd>
<dt>Timestamp</dt><dd>{{.Timestamp}}</dd><dt>Error code</dt><dd>{{.Code}}</dd></dl>` + pageFoot))

// formPostPage delivers a form_post response. Microsoft submits it with a
// script; this page has none (CSP without script), so the user continues.
var formPostPage = template.Must(template.New("formpost").Parse(pageHead + `
<h1>Continue signing in</h1>
<form method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<button type="submit">Continue</button>
</form>` + pageFoot))

var codePage = mustPage("code", `
<h1>Error {{.Title}}</h1>
<p>The simulator describes each error in the error_description of the response that carried it.</p>`)

// mustPage parses a page body into the shared head and foot.
func mustPage(name, body string) *template.Template {
	return template.Must(template.New(name).Parse(pageHead + body + pageFoot))
}

type field struct{ Name, Value string }

type pageUser struct {
	ID, Name, UPN string
	Hint          bool
}

type pageGroup struct {
	TenantID, TenantName, Domain string
	Users                        []pageUser
}

// origin returns scheme://host of a URL, the unit CSP form-action matches.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// writePage sends an HTML page with headers that forbid scripts, framing
// and caching. formAction lists where forms on the page (and the redirects
// after them, which browsers also check) may go.
func writePage(w http.ResponseWriter, status int, t *template.Template, data any, formAction ...string) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		http.Error(w, "entra: render page", http.StatusInternalServerError)
		return
	}
	fa := "'none'"
	var srcs []string
	for _, a := range formAction {
		if o := origin(a); o != "" {
			srcs = append(srcs, o)
		}
	}
	if len(srcs) > 0 {
		fa = strings.Join(srcs, " ")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src "+styleHash+"; form-action "+fa+"; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (e *Entra) renderSignIn(w http.ResponseWriter, q authzRequest) {
	var tenants []string
	if q.tid != "" {
		tenants = []string{q.tid}
	} else {
		for _, t := range e.dir.Tenants() {
			tenants = append(tenants, t.ID)
		}
	}
	hint := q.params.Get("login_hint")
	var groups []pageGroup
	for _, tid := range tenants {
		t, _ := e.dir.ResolveTenant(tid)
		users, err := e.dir.Users(tid)
		if err != nil {
			continue
		}
		g := pageGroup{TenantID: t.ID, TenantName: t.DisplayName, Domain: t.Domain}
		for _, u := range users {
			if !u.AccountEnabled {
				continue // disabled accounts cannot sign in
			}
			pu := pageUser{ID: u.ID, Name: u.DisplayName, UPN: u.UserPrincipalName, Hint: hint != "" && strings.EqualFold(hint, u.UserPrincipalName)}
			if pu.Hint {
				g.Users = append([]pageUser{pu}, g.Users...)
			} else {
				g.Users = append(g.Users, pu)
			}
		}
		if len(g.Users) > 0 {
			groups = append(groups, g)
		}
	}
	hidden := []field{}
	for _, p := range authParams {
		if v := q.params.Get(p); v != "" {
			hidden = append(hidden, field{p, v})
		}
	}
	hidden = append(hidden, field{"csrf", e.csrfToken(q.tenant, q.params, e.now().Unix())})
	action := e.base + "/" + q.tenant + "/oauth2/v2.0/authorize"
	writePage(w, http.StatusOK, signInPage, map[string]any{
		"Title": "Sign in to your account", "AppName": q.app.DisplayName, "Groups": groups,
		"Hidden": hidden, "Action": action, "Multi": q.tid == "",
	}, action, q.params.Get("redirect_uri"))
}

func (e *Entra) renderError(w http.ResponseWriter, r *http.Request, a *aadError) {
	b := e.errorBody(r, a)
	writePage(w, http.StatusBadRequest, errorPage, map[string]any{
		"Title": "Sign in to your account", "Message": a.Error(), "TraceID": b.TraceID,
		"CorrelationID": b.CorrelationID, "Timestamp": b.Timestamp, "Code": "AADSTS" + strconv.Itoa(a.code),
	})
}

func (e *Entra) renderFormPost(w http.ResponseWriter, redirect string, v url.Values) {
	var hidden []field
	for _, k := range []string{"code", "state", "error", "error_description", "error_uri"} {
		if s := v.Get(k); s != "" {
			hidden = append(hidden, field{k, s})
		}
	}
	writePage(w, http.StatusOK, formPostPage, map[string]any{"Title": "Continue signing in", "Action": redirect, "Hidden": hidden}, redirect)
}

func (e *Entra) handleErrorPage(w http.ResponseWriter, r *http.Request) {
	code, err := strconv.Atoi(r.URL.Query().Get("code"))
	title := "code"
	if err == nil {
		title = "AADSTS" + strconv.Itoa(code)
	}
	writePage(w, http.StatusOK, codePage, map[string]any{"Title": title})
}
