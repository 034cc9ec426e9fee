package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/stewardhq/steward/governance"
)

// listLimit is how many requests a tab shows; older ones are behind
// "Show more" (the cursor of the listing).
const listLimit = 50

type homeData struct {
	Query   string
	Teams   []governance.Request // completed requests: the teams I asked for
	Catalog []governance.Template
	Pending int
}

// home is the Home tab: my teams, a search over them and the catalog, and
// "New team" from each template.
func (x *ui) home(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	mine, err := x.api.Read.MyRequests(r.Context(), v.p, governance.Page{Limit: 100})
	if err != nil {
		return err
	}
	cat, err := x.api.Read.Catalog(r.Context(), v.p, false)
	if err != nil {
		return err
	}
	d := homeData{Query: q}
	for _, req := range mine.Items {
		switch req.State {
		case governance.StateCompleted:
			if matches(q, req.DisplayName, req.Description) {
				d.Teams = append(d.Teams, req)
			}
		case governance.StatePending, governance.StateApproved, governance.StateProvisioning:
			d.Pending++
		}
	}
	for _, t := range cat {
		if matches(q, t.Name, t.Description, t.Category) {
			d.Catalog = append(d.Catalog, t)
		}
	}
	p := x.newPage(r, "", "home")
	p.Title = p.T("Home")
	p.Data = d
	return x.render(w, "home", p)
}

// matches is the Home search: every word of q appears in one of the texts.
func matches(q string, texts ...string) bool {
	if q == "" {
		return true
	}
	hay := strings.ToLower(strings.Join(texts, " "))
	for _, w := range strings.Fields(strings.ToLower(q)) {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

type newRequestData struct {
	Catalog  []governance.Template
	Template *governance.Template
	Form     requestForm
	People   map[string]Person // names of the people already picked
	Error    string
}

// requestForm is the wizard's input, kept to show it again after an error.
type requestForm struct {
	TemplateID    string
	Name          string
	Description   string
	Owners        []string
	Members       []string
	Justification string
	Fields        map[string]string
}

// newRequest is the New request tab: pick a template, then the wizard
// (name with the live naming preview, people, settings, review).
func (x *ui) newRequest(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	form := requestForm{TemplateID: r.URL.Query().Get("template"), Owners: []string{v.p.ID}}
	return x.renderNewRequest(w, r, form, "", http.StatusOK)
}

func (x *ui) renderNewRequest(w http.ResponseWriter, r *http.Request, form requestForm, errMsg string, status int) error {
	v := visitorFrom(r.Context())
	cat, err := x.api.Read.Catalog(r.Context(), v.p, false)
	if err != nil {
		return err
	}
	d := newRequestData{Catalog: cat, Form: form, Error: errMsg, People: map[string]Person{}}
	if form.TemplateID != "" {
		t, err := x.api.Read.Template(r.Context(), v.p, form.TemplateID)
		if err != nil {
			return err
		}
		d.Template = &t
		ids := append(append([]string{}, form.Owners...), form.Members...)
		if len(ids) > 0 {
			people, err := x.People.People(r.Context(), v.p, ids)
			if err != nil {
				return err
			}
			for _, pp := range people {
				d.People[pp.ID] = pp
			}
		}
	}
	p := x.newPage(r, "", "new")
	p.Title = p.T("New request")
	p.Data = d
	p.Status = status
	p.Scripts = []string{"wizard.js"}
	return x.render(w, "new", p)
}

// submitRequest records the wizard's request. A request the rules refuse
// is shown again with the reason and everything typed kept.
func (x *ui) submitRequest(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		return governance.Errorf(governance.KindInvalid, "form_invalid", "the form could not be read; reload the page and try again")
	}
	f := requestForm{
		TemplateID: r.PostForm.Get("template"), Name: r.PostForm.Get("name"),
		Description: r.PostForm.Get("description"), Justification: r.PostForm.Get("justification"),
		Owners: uniqueNonEmpty(r.PostForm["owners"]), Members: uniqueNonEmpty(r.PostForm["members"]),
		Fields: map[string]string{},
	}
	for k, vals := range r.PostForm {
		if id, ok := strings.CutPrefix(k, "field."); ok && len(vals) > 0 {
			f.Fields[id] = vals[0]
		}
	}
	req, err := x.api.Requests.Submit(r.Context(), v.p, governance.NewRequest{
		TemplateID: f.TemplateID, Name: f.Name, Description: f.Description, Owners: f.Owners,
		Members: f.Members, Fields: f.Fields, Justification: f.Justification,
	})
	if err != nil {
		if k := governance.KindOf(err); k == governance.KindInvalid || k == governance.KindConflict {
			_, msg := governance.Localize(err, x.language(r, v))
			return x.renderNewRequest(w, r, f, msg, StatusOf(k))
		}
		return err
	}
	http.Redirect(w, r, "/app/requests/"+url.PathEscape(req.ID)+"?notice=submitted", http.StatusSeeOther)
	return nil
}

func uniqueNonEmpty(in []string) []string {
	var out []string
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

type requestListData struct {
	Items []governance.Request
	Next  string // query of the next page, "" at the end
	Tab   string // "pending" or "decided" on Approvals
}

// myRequests is the My requests tab.
func (x *ui) myRequests(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	page, err := pageParam(r)
	if err != nil {
		return err
	}
	res, err := x.api.Read.MyRequests(r.Context(), v.p, page)
	if err != nil {
		return err
	}
	p := x.newPage(r, "", "requests")
	p.Title = p.T("My requests")
	p.Data = requestListData{Items: res.Items, Next: nextQuery(res.Next, "")}
	return x.render(w, "requests", p)
}

// approvals is the Approvals tab: the requests waiting for me, and those
// I (or my approval groups) decided.
func (x *ui) approvals(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	page, err := pageParam(r)
	if err != nil {
		return err
	}
	tab := r.URL.Query().Get("show")
	if tab != "decided" {
		tab = "pending"
	}
	var d requestListData
	if tab == "pending" {
		res, err := x.api.Read.Approvals(r.Context(), v.p, page)
		if err != nil {
			return err
		}
		d = requestListData{Items: res.Items, Next: nextQuery(res.Next, tab)}
	} else {
		items, err := x.decidedBy(r.Context(), v.p)
		if err != nil {
			return err
		}
		d = requestListData{Items: items}
	}
	d.Tab = tab
	p := x.newPage(r, "", "approvals")
	p.Title = p.T("Approvals")
	p.Data = d
	return x.render(w, "approvals", p)
}

// decisionActions are the audit actions a person's decision records.
var decisionActions = map[string]bool{"request.decided": true, "request.stage_approved": true, "request.rejected": true}

// decidedBy lists the requests p decided, most recent decision first (at
// most listLimit), from p's own audit trail: the record of who decided
// what, which no request listing keeps once a request moved on. Requests
// p may no longer see are left out.
func (x *ui) decidedBy(ctx context.Context, p governance.Principal) ([]governance.Request, error) {
	var order []string
	seen := map[string]bool{}
	f := governance.AuditFilter{Action: "request.*", Limit: governance.AuditMaxLimit}
	for range 20 { // at most 20,000 of p's request actions
		events, err := x.api.Audit.Mine(ctx, p, f)
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			if decisionActions[e.Action] && e.SubjectType == "request" {
				order = append(order, e.SubjectID)
			}
		}
		if len(events) < f.Limit {
			break
		}
		f.AfterSeq = events[len(events)-1].Seq
	}
	var out []governance.Request
	for i := len(order) - 1; i >= 0 && len(out) < listLimit; i-- {
		id := order[i]
		if seen[id] {
			continue
		}
		seen[id] = true
		req, err := x.api.Read.Request(ctx, p, id)
		if governance.IsKind(err, governance.KindNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, req)
	}
	return out, nil
}

// pageParam reads the listing cursor (?before=RFC3339&beforeId=..., as
// the API names them).
func pageParam(r *http.Request) (governance.Page, error) {
	p, err := pageParams(r, 100)
	if p.Limit == 0 {
		p.Limit = listLimit
	}
	return p, err
}

func nextQuery(c *governance.Cursor, show string) string {
	if c == nil {
		return ""
	}
	v := url.Values{"before": {c.Before.UTC().Format("2006-01-02T15:04:05.999999999Z07:00")}, "beforeId": {c.BeforeID}}
	if show != "" {
		v.Set("show", show)
	}
	return v.Encode()
}

type requestDetailData struct {
	Request     governance.Request
	Template    *governance.Template
	People      map[string]Person
	CanCancel   bool
	CanDecide   bool
	CanRetry    bool
	Live        bool // still moving: the page polls its status
	Error       string
	StatusLabel string
}

// requestDetail shows one request: status, history, the decision form
// for its approvers, cancel for its requester, retry for administrators.
func (x *ui) requestDetail(w http.ResponseWriter, r *http.Request) error {
	return x.renderDetail(w, r, r.PathValue("id"), "", http.StatusOK)
}

func (x *ui) renderDetail(w http.ResponseWriter, r *http.Request, id, errMsg string, status int) error {
	v := visitorFrom(r.Context())
	req, err := x.api.Read.Request(r.Context(), v.p, id)
	if err != nil {
		return err
	}
	d := requestDetailData{Request: req, People: map[string]Person{}, Error: errMsg}
	// The version the request was made from decides who approves it; its
	// approvers (and catalog managers) may read it, anyone else sees the
	// current catalog entry's name.
	if t, err := x.api.Versions.TemplateVersion(r.Context(), v.p, req.TemplateID, req.TemplateVersion); err == nil {
		d.Template = &t
		d.CanDecide = req.State == governance.StatePending && awaits(v.p, req, t.Policies.Approval)
	} else if t, err := x.api.Read.Template(r.Context(), v.p, req.TemplateID); err == nil {
		d.Template = &t
	}
	ids := append(append([]string{}, req.Owners...), req.Members...)
	if people, err := x.People.People(r.Context(), v.p, ids); err == nil {
		for _, pp := range people {
			d.People[pp.ID] = pp
		}
	}
	live := req.State == governance.StatePending || req.State == governance.StateApproved || req.State == governance.StateProvisioning
	d.Live = live
	d.CanCancel = req.State == governance.StatePending && (req.RequesterID == v.p.ID || v.p.Has(governance.RoleAdministrator))
	d.CanRetry = req.State == governance.StateFailed && v.p.Has(governance.RoleAdministrator)
	p := x.newPage(r, "", "requests")
	p.Title = req.DisplayName
	d.StatusLabel = p.T(stateLabel(req.State))
	p.Data = d
	p.Status = status
	if live {
		p.Scripts = []string{"status.js"}
	}
	return x.render(w, "request", p)
}

// awaits reports whether the request waits for p's decision now: p, or
// one of p's groups, is among the current stage's approvers (or the
// escalation approvers once escalated), as the Approvals listing selects.
func awaits(p governance.Principal, req governance.Request, pol governance.ApprovalPolicy) bool {
	for _, ref := range req.PendingFor(pol) {
		if ref == p.ID || p.InGroup(ref) {
			return true
		}
	}
	return false
}

func stateLabel(s governance.RequestState) string {
	switch s {
	case governance.StateDraft:
		return "Draft"
	case governance.StatePending:
		return "Waiting for approval"
	case governance.StateApproved:
		return "Approved"
	case governance.StateRejected:
		return "Rejected"
	case governance.StateProvisioning:
		return "Creating the team"
	case governance.StateCompleted:
		return "Team ready"
	case governance.StateFailed:
		return "Failed"
	case governance.StateCancelled:
		return "Cancelled"
	}
	return string(s)
}

// formVersion reads the version the person saw (optimistic concurrency).
func formVersion(r *http.Request) (int64, error) {
	v, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || v <= 0 {
		return 0, governance.Errorf(governance.KindInvalid, "version_invalid", "the form lacks the request version; reload the page and try again")
	}
	return v, nil
}

// afterAction redirects to the request with a notice, or shows the request
// again with the reason when the rules refused the action.
func (x *ui) afterAction(w http.ResponseWriter, r *http.Request, id, notice string, err error) error {
	if err != nil {
		if k := governance.KindOf(err); k == governance.KindInvalid || k == governance.KindConflict {
			_, msg := governance.Localize(err, x.language(r, visitorFrom(r.Context())))
			return x.renderDetail(w, r, id, msg, StatusOf(k))
		}
		return err
	}
	http.Redirect(w, r, "/app/requests/"+url.PathEscape(id)+"?notice="+notice, http.StatusSeeOther)
	return nil
}

func (x *ui) cancelRequest(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	id := r.PathValue("id")
	_, err := x.api.Requests.Cancel(r.Context(), v.p, id, strings.TrimSpace(r.PostFormValue("reason")))
	return x.afterAction(w, r, id, "cancelled", err)
}

func (x *ui) decideRequest(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	id := r.PathValue("id")
	version, err := formVersion(r)
	if err != nil {
		return x.afterAction(w, r, id, "", err)
	}
	var approve bool
	switch r.PostFormValue("decision") {
	case "approve":
		approve = true
	case "reject":
	default:
		return x.afterAction(w, r, id, "", governance.Errorf(governance.KindInvalid, "decision_invalid", "choose Approve or Reject"))
	}
	_, err = x.api.Requests.Decide(r.Context(), v.p, id, version, approve, strings.TrimSpace(r.PostFormValue("comment")))
	notice := "rejected"
	if approve {
		notice = "approved"
	}
	return x.afterAction(w, r, id, notice, err)
}

// RequestEditor is what the Approvals tab's edit form needs
// (*governance.RequestService).
type RequestEditor interface {
	Edit(ctx context.Context, p governance.Principal, requestID string, version int64, c governance.RequestChanges) (governance.Request, error)
	Comment(ctx context.Context, p governance.Principal, requestID, text string) (governance.Request, error)
	RetryProvisioning(ctx context.Context, p governance.Principal, requestID string, version int64) (governance.Request, error)
}

func (x *ui) editor() (RequestEditor, error) {
	e, ok := x.api.Requests.(RequestEditor)
	if !ok {
		return nil, governance.Errorf(governance.KindUnavailable, "request_editing_unavailable", "editing requests is not available on this server")
	}
	return e, nil
}

// editorAction runs act with the request editor and the version the
// person saw, then redirects with notice (or shows why it was refused).
func (x *ui) editorAction(w http.ResponseWriter, r *http.Request, notice string,
	act func(ed RequestEditor, p governance.Principal, id string, version int64) error) error {
	id := r.PathValue("id")
	ed, err := x.editor()
	if err != nil {
		return err
	}
	version, err := formVersion(r)
	if err == nil {
		err = act(ed, visitorFrom(r.Context()).p, id, version)
	}
	if err != nil {
		return x.afterAction(w, r, id, "", err)
	}
	return x.afterAction(w, r, id, notice, nil)
}

// editRequest applies an approver's changes (name, description) and
// comment before they decide.
func (x *ui) editRequest(w http.ResponseWriter, r *http.Request) error {
	return x.editorAction(w, r, "edited", func(ed RequestEditor, p governance.Principal, id string, version int64) error {
		name, desc := strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("description"))
		if _, err := ed.Edit(r.Context(), p, id, version, governance.RequestChanges{Name: &name, Description: &desc}); err != nil {
			return err
		}
		if c := strings.TrimSpace(r.PostFormValue("comment")); c != "" {
			_, err := ed.Comment(r.Context(), p, id, c)
			return err
		}
		return nil
	})
}

// retryRequest starts a failed provisioning again (administrators).
func (x *ui) retryRequest(w http.ResponseWriter, r *http.Request) error {
	return x.editorAction(w, r, "retried", func(ed RequestEditor, p governance.Principal, id string, version int64) error {
		_, err := ed.RetryProvisioning(r.Context(), p, id, version)
		return err
	})
}

// requestStatus is what the request page polls while the request moves.
func (x *ui) requestStatus(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	req, err := x.api.Read.Request(r.Context(), v.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	lang := x.language(r, v)
	writeJSON(w, http.StatusOK, map[string]any{
		"state": req.State, "label": translateUI(lang, stateLabel(req.State)), "version": req.Version,
		"teamWebUrl": req.TeamWebURL, "failureReason": req.FailureReason,
		"final": req.State == governance.StateCompleted || req.State == governance.StateFailed ||
			req.State == governance.StateRejected || req.State == governance.StateCancelled,
	})
	return nil
}

// searchPeople backs the people picker.
func (x *ui) searchPeople(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len([]rune(q)) < 2 {
		writeJSON(w, http.StatusOK, map[string]any{"people": []Person{}})
		return nil
	}
	if len(q) > 100 {
		return governance.Errorf(governance.KindInvalid, "query_too_long", "search for at most 100 characters")
	}
	people, err := x.People.SearchPeople(r.Context(), v.p, q, 10)
	if err != nil {
		return err
	}
	if people == nil {
		people = []Person{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"people": people})
	return nil
}

// namePreview backs the wizard's live naming-policy preview.
func (x *ui) namePreview(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	var in struct {
		Template string            `json:"template"`
		Name     string            `json:"name"`
		Fields   map[string]string `json:"fields"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return governance.Errorf(governance.KindInvalid, "body_invalid", "send a JSON body with the template id in \"template\" and the name in \"name\"")
	}
	res, err := x.api.Read.PreviewName(r.Context(), v.p, in.Template, in.Name, in.Fields)
	if err != nil {
		return err
	}
	lang := x.language(r, v)
	msgs := make([]string, 0, len(res.Violations))
	for _, viol := range res.Violations {
		msgs = append(msgs, governance.LocalizeViolation(viol, lang))
	}
	writeJSON(w, http.StatusOK, map[string]any{"displayName": res.DisplayName, "mailNickname": res.MailNickname,
		"valid": len(res.Violations) == 0, "problems": msgs})
	return nil
}

type preferencesData struct{ Lang, Theme string }

// preferences lets a person pick language and theme outside Teams (inside
// Teams both follow the client).
func (x *ui) preferences(w http.ResponseWriter, r *http.Request) error {
	p := x.newPage(r, "", "")
	p.Title = p.T("Preferences")
	p.Data = preferencesData{Lang: p.Lang, Theme: p.Theme}
	return x.render(w, "preferences", p)
}

func (x *ui) savePreferences(w http.ResponseWriter, r *http.Request) error {
	lang := r.PostFormValue("lang")
	theme := r.PostFormValue("theme")
	if lang != governance.LangEnglish && lang != governance.LangFrench {
		return governance.Errorf(governance.KindInvalid, "language_invalid", "choose English or French")
	}
	switch theme {
	case "auto", "default", "dark", "contrast":
	default:
		return governance.Errorf(governance.KindInvalid, "theme_invalid", "choose a theme: automatic, light, dark or high contrast")
	}
	prefCookie(w, "steward_lang", lang, x.secure)
	prefCookie(w, "steward_theme", theme, x.secure)
	http.Redirect(w, r, "/app/preferences?notice=saved", http.StatusSeeOther)
	return nil
}

// prefCookie is a preference the page script may read and update (the
// theme follows Teams), so it is not HttpOnly; it holds no secret.
func prefCookie(w http.ResponseWriter, name, value string, secure bool) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: 365 * 24 * 3600, Secure: secure, SameSite: http.SameSiteLaxMode}
	if secure {
		c.SameSite, c.Partitioned = http.SameSiteNoneMode, true
	}
	http.SetCookie(w, c)
}
