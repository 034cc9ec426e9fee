package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
)

// auditPageSize is how many events the audit viewer shows at once.
const auditPageSize = 50

// auditForm is the viewer's filters as typed: since and until come from
// datetime-local inputs (UTC) or as RFC 3339.
type auditForm struct {
	Actor, Action, Since, Until string
}

type adminAuditData struct {
	adminChrome
	Form   auditForm
	Events []governance.AuditEvent
	Next   string // query of the next page, "" at the end
	CSV    string // export links
	JSON   string
}

// localTimeLayout is what an <input type="datetime-local"> sends.
const localTimeLayout = "2006-01-02T15:04"

// parseFilterTime reads a filter time: RFC 3339, or a datetime-local value
// or a date, both taken as UTC.
func parseFilterTime(name, v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, localTimeLayout, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, governance.Errorf(governance.KindInvalid, "audit_filter_invalid",
		"%s must be a date and time such as 2026-11-22T09:30 (UTC)", name)
}

// auditQueryOf turns the viewer's form into the API's audit query (the
// filters auditFilter reads), with times in RFC 3339.
func auditQueryOf(r *http.Request) (auditForm, url.Values, error) {
	q := r.URL.Query()
	f := auditForm{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		Since: strings.TrimSpace(q.Get("since")), Until: strings.TrimSpace(q.Get("until"))}
	out := url.Values{}
	if f.Actor != "" {
		out.Set("actor", f.Actor)
	}
	if f.Action != "" {
		out.Set("action", f.Action)
	}
	for _, t := range []struct{ name, v string }{{"since", f.Since}, {"until", f.Until}} {
		if t.v == "" {
			continue
		}
		at, err := parseFilterTime(t.name, t.v)
		if err != nil {
			return f, nil, err
		}
		out.Set(t.name, at.Format(time.RFC3339Nano))
	}
	return f, out, nil
}

// adminAudit is the audit-trail viewer: filters, pages in sequence order,
// and export links for what the filters select.
func (x *ui) adminAudit(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	form, query, ferr := auditQueryOf(r)
	p, chrome := x.adminPage(r, "Audit trail", "audit")
	d := adminAuditData{adminChrome: chrome, Form: form}
	if ferr == nil {
		api := url.Values{}
		for k, vals := range query {
			api[k] = vals
		}
		api.Set("limit", strconv.Itoa(auditPageSize))
		if s := r.URL.Query().Get("afterSeq"); s != "" {
			api.Set("afterSeq", s)
		}
		ar := r.Clone(r.Context())
		ar.URL.RawQuery = api.Encode()
		f, err := auditFilter(ar, true, true)
		if err == nil {
			d.Events, err = x.api.Audit.Company(r.Context(), v.p, f)
		}
		if err != nil {
			ferr = err
		} else if len(d.Events) == auditPageSize {
			next := url.Values{"actor": {form.Actor}, "action": {form.Action}, "since": {form.Since}, "until": {form.Until},
				"afterSeq": {strconv.FormatInt(d.Events[len(d.Events)-1].Seq, 10)}}
			d.Next = next.Encode()
		}
		for format, to := range map[string]*string{"csv": &d.CSV, "json": &d.JSON} {
			ex := url.Values{"format": {format}}
			for k, vals := range query {
				ex[k] = vals
			}
			*to = "/admin/audit/export?" + ex.Encode()
		}
	}
	if ferr != nil {
		msg, status, ok := x.formRefusal(r, ferr)
		if !ok {
			return ferr
		}
		d.Error, p.Status = msg, status
		d.Events, d.Next = nil, ""
	}
	p.Data = d
	return x.render(w, "adminaudit", p)
}

// adminAuditExport downloads what the viewer's filters select, through
// the API's own export (CSV or JSON, streamed page by page).
func (x *ui) adminAuditExport(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	_, query, err := auditQueryOf(r)
	if err != nil {
		return err
	}
	query.Set("format", r.URL.Query().Get("format"))
	query.Set("scope", "company")
	ar := r.Clone(r.Context())
	ar.URL.RawQuery = query.Encode()
	err = x.api.exportAudit(w, ar, v.p)
	var aborted *abortedError
	if errors.As(err, &aborted) {
		// The download began: cut it, as the API does, rather than append
		// an error page to it.
		x.s.log.ErrorContext(r.Context(), "audit export aborted", "err", aborted.err)
		panic(http.ErrAbortHandler)
	}
	return err
}
