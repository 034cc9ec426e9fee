package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/stewardhq/steward/governance"
)

// AuditTrail is the read side of the audit trail
// (*governance.AuditService).
type AuditTrail interface {
	Company(ctx context.Context, p governance.Principal, f governance.AuditFilter) ([]governance.AuditEvent, error)
	Mine(ctx context.Context, p governance.Principal, f governance.AuditFilter) ([]governance.AuditEvent, error)
}

// AuditRecord is one audit event as the API (and every JSON export) shows it.
type AuditRecord = governance.AuditRecord

// AuditPage is one page of the trail in Seq order. NextAfterSeq, when not
// null, is the afterSeq of the next page.
type AuditPage struct {
	Items        []AuditRecord `json:"items"`
	NextAfterSeq *int64        `json:"nextAfterSeq"`
}

func auditRecord(e governance.AuditEvent) AuditRecord { return governance.NewAuditRecord(e) }

// auditQuery documents the filters of the audit views; withActor adds
// actor, which the own view does not take (it is always the caller).
func auditQuery(withActor, paged bool) []apiParam {
	var q []apiParam
	if withActor {
		q = append(q, apiParam{"actor", "Only events caused by this actor id (an Entra object id or an API key id).", map[string]any{"type": "string"}})
	}
	q = append(q,
		apiParam{"action", "An action (request.approved) or a prefix ending in .* (request.*).", map[string]any{"type": "string"}},
		apiParam{"subjectType", "Only events about this kind of subject (request, template, role_assignment...).", map[string]any{"type": "string"}},
		apiParam{"subjectId", "Only events about this subject; needs subjectType.", map[string]any{"type": "string"}},
		apiParam{"since", "Events at or after this time (RFC 3339).", map[string]any{"type": "string", "format": "date-time"}},
		apiParam{"until", "Events before this time (RFC 3339).", map[string]any{"type": "string", "format": "date-time"}},
		apiParam{"afterSeq", "Events after this sequence number: the previous page's nextAfterSeq.", map[string]any{"type": "integer", "format": "int64", "minimum": 0}},
	)
	if paged {
		q = append(q, apiParam{"limit", "Page size, 1 to 1000 (default 100).", map[string]any{"type": "integer", "minimum": 1, "maximum": governance.AuditMaxLimit}})
	}
	return q
}

// auditFilter reads the filters auditQuery documents.
func auditFilter(r *http.Request, withActor, paged bool) (governance.AuditFilter, error) {
	q := r.URL.Query()
	f := governance.AuditFilter{Action: q.Get("action"), SubjectType: q.Get("subjectType"), SubjectID: q.Get("subjectId")}
	if withActor {
		f.ActorID = q.Get("actor")
	}
	for _, t := range []struct {
		name string
		to   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(t.name); v != "" {
			at, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return f, governance.Errorf(governance.KindInvalid, "audit_filter_invalid", "%s must be an RFC 3339 date and time with its time zone (Z for UTC)", t.name)
			}
			*t.to = at
		}
	}
	if v := q.Get("afterSeq"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return f, governance.Errorf(governance.KindInvalid, "audit_filter_invalid", "afterSeq must be a whole number, 0 or more: the previous page's nextAfterSeq")
		}
		f.AfterSeq = n
	}
	if v := q.Get("limit"); v != "" && paged {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return f, governance.Errorf(governance.KindInvalid, "audit_filter_invalid", "limit must be a whole number from 1 to %d", governance.AuditMaxLimit)
		}
		f.Limit = n
	}
	return f, nil
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	return a.auditPage(w, r, p, a.Audit.Company, true)
}

func (a *API) listMyAudit(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	return a.auditPage(w, r, p, a.Audit.Mine, false)
}

type auditView func(ctx context.Context, p governance.Principal, f governance.AuditFilter) ([]governance.AuditEvent, error)

func (a *API) auditPage(w http.ResponseWriter, r *http.Request, p governance.Principal, view auditView, withActor bool) error {
	f, err := auditFilter(r, withActor, true)
	if err != nil {
		return err
	}
	events, err := view(r.Context(), p, f)
	if err != nil {
		return err
	}
	out := AuditPage{Items: make([]AuditRecord, 0, len(events))}
	for _, e := range events {
		out.Items = append(out.Items, auditRecord(e))
	}
	if len(events) > 0 && len(events) == f.EffectiveLimit() {
		next := events[len(events)-1].Seq
		out.NextAfterSeq = &next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// exportAudit streams every event matching the filters, page by page, as
// CSV or as one JSON array of AuditRecord. scope=mine exports the caller's
// own trail, which everyone may.
func (a *API) exportAudit(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "csv"
	}
	if format != "csv" && format != "json" {
		return governance.Errorf(governance.KindInvalid, "export_format_invalid", "format must be csv or json")
	}
	view, name, mine := a.Audit.Company, "audit", false
	switch q.Get("scope") {
	case "", "company":
	case "mine":
		view, name, mine = a.Audit.Mine, "audit-mine", true
	default:
		return governance.Errorf(governance.KindInvalid, "scope_invalid", "scope must be company or mine")
	}
	f, err := auditFilter(r, !mine, false)
	if err != nil {
		return err
	}
	f.Limit = governance.AuditMaxLimit
	// The first page is read before anything is sent, so a refusal or a bad
	// filter still gets its status.
	page, err := view(r.Context(), p, f)
	if err != nil {
		return err
	}
	contentType := "text/csv; charset=utf-8"
	if format == "json" {
		contentType = "application/json; charset=utf-8"
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name + "." + format}))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)

	var write func([]governance.AuditEvent) error
	var finish func() error
	if format == "csv" {
		cw := csv.NewWriter(w)
		if err := cw.Write(governance.AuditCSVHeader); err != nil {
			return streamAborted(err)
		}
		write = func(events []governance.AuditEvent) error {
			for _, e := range events {
				if err := cw.Write(governance.AuditCSVRow(e)); err != nil {
					return err
				}
			}
			cw.Flush()
			return cw.Error()
		}
		finish = func() error { cw.Flush(); return cw.Error() }
	} else {
		first := true
		if _, err := w.Write([]byte("[")); err != nil {
			return streamAborted(err)
		}
		write = func(events []governance.AuditEvent) error {
			for _, e := range events {
				b, err := json.Marshal(auditRecord(e))
				if err != nil {
					return err
				}
				if !first {
					b = append([]byte(",\n"), b...)
				}
				first = false
				if _, err := w.Write(b); err != nil {
					return err
				}
			}
			return nil
		}
		finish = func() error { _, err := w.Write([]byte("]\n")); return err }
	}
	for {
		if err := write(page); err != nil {
			return streamAborted(err)
		}
		if len(page) < f.Limit {
			break
		}
		f.AfterSeq = page[len(page)-1].Seq
		if page, err = view(r.Context(), p, f); err != nil {
			return streamAborted(err)
		}
	}
	if err := finish(); err != nil {
		return streamAborted(err)
	}
	return nil
}
