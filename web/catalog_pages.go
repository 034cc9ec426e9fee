package web

import (
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
)

// catalogRoutes registers the Catalog tab's pages: catalog managers (and
// administrators) create, edit, version, retire, export and import
// templates. The services decide who may; the pages only ask.
func (x *ui) catalogRoutes() {
	x.page("GET /app/catalog", x.authed(x.catalogList))
	x.page("GET /app/catalog/new", x.authed(x.catalogNew))
	x.page("POST /app/catalog", formSizeLimit(x.authed(x.catalogCreate), formTooLarge))
	x.page("POST /app/catalog/import", formSizeLimitN(maxImportUpload, x.authedLimit(maxImportUpload, x.catalogImport), importTooLarge))
	x.page("GET /app/catalog/{id}", x.authed(x.catalogEdit))
	x.page("POST /app/catalog/{id}", formSizeLimit(x.authed(x.catalogSave), formTooLarge))
	x.page("POST /app/catalog/{id}/retire", formSizeLimit(x.authed(x.catalogRetire), formTooLarge))
	x.page("GET /app/catalog/{id}/export", x.authed(x.catalogExport))
	x.page("GET /app/catalog/{id}/versions/{version}", x.authed(x.catalogVersion))
}

// catalogHistory is how many of the latest versions the editor lists with
// their date and author; older ones are listed by number only.
const catalogHistory = 20

// formSizeLimit refuses a post larger than authed reads (maxFormBody)
// before authed reads it: cut off, the CSRF token would go missing and the
// person would be told their form expired instead of that it is too big.
func formSizeLimit(fn HandlerFunc, refuse func() error) HandlerFunc {
	return formSizeLimitN(maxFormBody, fn, refuse)
}

// maxImportUpload is an imported template (the API's limit) with room for
// the multipart envelope and the form's other fields.
const maxImportUpload = maxImportBody + 64<<10

func formSizeLimitN(limit int64, fn HandlerFunc, refuse func() error) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.ContentLength > limit {
			return refuse()
		}
		return fn(w, r)
	}
}

func formTooLarge() error {
	return governance.Errorf(governance.KindInvalid, "catalog_form_too_large",
		"the template form is larger than %d KiB; shorten the long lists or publish the template with the API (PUT /api/v1/templates/{id})", maxFormBody>>10)
}

func importTooLarge() error {
	return governance.Errorf(governance.KindInvalid, "catalog_import_too_large",
		"import a template file of at most %d KiB (the limit of POST /api/v1/templates/import too)", maxImportBody>>10)
}

// catalogNotice is the confirmation a redirect's ?done= asks for.
func catalogNotice(done string) string {
	switch done {
	case "created":
		return "The template was created at version 1."
	case "saved":
		return "A new version of the template was published."
	case "retired":
		return "The template was retired: it left the catalog; requests made from it are unaffected."
	case "imported":
		return "The template was imported."
	}
	return ""
}

type catalogListData struct {
	Items    []governance.Template
	Errors   []string
	ImportID string
}

// catalogList lists every template, retired ones included.
func (x *ui) catalogList(w http.ResponseWriter, r *http.Request) error {
	return x.renderCatalogList(w, r, catalogListData{}, http.StatusOK)
}

func (x *ui) renderCatalogList(w http.ResponseWriter, r *http.Request, d catalogListData, status int) error {
	v := visitorFrom(r.Context())
	items, err := x.api.Read.Catalog(r.Context(), v.p, true)
	if err != nil {
		return err
	}
	d.Items = items
	p := x.catalogPage(r, "Catalog")
	p.Data = d
	p.Status = status
	return x.render(w, "catalog", p)
}

func (x *ui) catalogPage(r *http.Request, title string, args ...any) Page {
	p := x.newPage(r, "", "catalog")
	p.Title = p.T(title, args...)
	if n := catalogNotice(r.URL.Query().Get("done")); n != "" {
		p.Notice = p.T(n)
	}
	return p
}

// catalogEditData feeds the editor; it also shows one version read-only.
type catalogEditData struct {
	New      bool
	ReadOnly bool
	Form     catalogForm
	Current  int  // the latest version
	Retired  bool // the latest version is retired
	From     int  // the older version the form was filled from, if any
	Viewed   int  // read-only: the version shown
	Versions []catalogVersionItem
	Errors   []string
}

type catalogVersionItem struct {
	Version   int
	UpdatedAt time.Time
	By        string
	Retired   bool
	Known     bool // read: date and author are set
}

func (x *ui) catalogNew(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	if err := v.p.Require(governance.RoleCatalogManager); err != nil {
		return err
	}
	return x.renderCatalogForm(w, r, catalogEditData{New: true, Form: catalogForm{Visibility: "private"}}, http.StatusOK)
}

func (x *ui) catalogEdit(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	id := r.PathValue("id")
	t, err := x.api.Versions.ManagedTemplate(r.Context(), v.p, id)
	if err != nil {
		return err
	}
	d := catalogEditData{Form: formOf(t)}
	if from := r.URL.Query().Get("from"); from != "" {
		n, err := strconv.Atoi(from)
		if err != nil || n < 1 {
			return governance.Errorf(governance.KindInvalid, "template_version_invalid", "a template version is a whole number from 1")
		}
		if n != t.Version {
			old, err := x.api.Versions.TemplateVersion(r.Context(), v.p, id, n)
			if err != nil {
				return err
			}
			d.Form, d.From = formOf(old), n
			d.Form.Version = t.Version
		}
	}
	return x.renderCatalogForm(w, r, d, http.StatusOK)
}

// catalogVersion shows one stored version in the editor's layout, read
// only, with a way to start a new version from it.
func (x *ui) catalogVersion(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	id := r.PathValue("id")
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || n < 1 {
		return governance.Errorf(governance.KindInvalid, "template_version_invalid", "a template version is a whole number from 1")
	}
	t, err := x.api.Versions.TemplateVersion(r.Context(), v.p, id, n)
	if err != nil {
		return err
	}
	return x.renderCatalogForm(w, r, catalogEditData{ReadOnly: true, Form: formOf(t), Viewed: n}, http.StatusOK)
}

// renderCatalogForm shows the editor: for an existing template with its
// latest version and history, and with at least one row of each
// repeatable part.
func (x *ui) renderCatalogForm(w http.ResponseWriter, r *http.Request, d catalogEditData, status int) error {
	v := visitorFrom(r.Context())
	if !d.New {
		cur, err := x.api.Versions.ManagedTemplate(r.Context(), v.p, d.Form.ID)
		if err != nil {
			return err
		}
		d.Current, d.Retired = cur.Version, cur.Retired
		if d.Versions, err = x.versionHistory(r, cur); err != nil {
			return err
		}
	}
	if !d.ReadOnly {
		if len(d.Form.Channels) == 0 {
			d.Form.Channels = []channelRow{{}}
		}
		if len(d.Form.Fields) == 0 {
			d.Form.Fields = []fieldRow{{}}
		}
		if len(d.Form.Approval.Stages) == 0 {
			d.Form.Approval.Stages = []stageRow{{}}
		}
	}
	var p Page
	switch {
	case d.New:
		p = x.catalogPage(r, "New template")
	case d.ReadOnly:
		p = x.catalogPage(r, "%s, version %d", d.Form.Name, d.Viewed)
	default:
		p = x.catalogPage(r, "Edit %s", d.Form.Name)
	}
	p.Data = d
	p.Status = status
	if !d.ReadOnly {
		p.Scripts = []string{"catalog.js"}
	}
	return x.render(w, "catalog_edit", p)
}

// versionHistory lists the versions of t, newest first: the latest
// catalogHistory with their date and author.
func (x *ui) versionHistory(r *http.Request, t governance.Template) ([]catalogVersionItem, error) {
	v := visitorFrom(r.Context())
	out := make([]catalogVersionItem, 0, t.Version)
	var ids []string
	for n := t.Version; n >= 1; n-- {
		item := catalogVersionItem{Version: n}
		if len(out) < catalogHistory {
			tv := t
			if n != t.Version {
				var err error
				if tv, err = x.api.Versions.TemplateVersion(r.Context(), v.p, t.ID, n); err != nil {
					return nil, err
				}
			}
			item.UpdatedAt, item.By, item.Retired, item.Known = tv.UpdatedAt, tv.UpdatedBy, tv.Retired, true
			if tv.UpdatedBy != "" {
				ids = append(ids, tv.UpdatedBy)
			}
		}
		out = append(out, item)
	}
	// Names are a courtesy: without the directory the ids stay.
	if people, err := x.People.People(r.Context(), v.p, uniqueNonEmpty(ids)); err == nil {
		names := map[string]string{}
		for _, pp := range people {
			names[pp.ID] = pp.Name
		}
		for i, it := range out {
			if n := names[it.By]; n != "" {
				out[i].By = n
			}
		}
	}
	return out, nil
}

// addRow answers the editor's "Add" buttons without script: the same form
// with one more empty row of that kind.
func addRow(f *catalogForm, kind string) {
	switch kind {
	case "ch":
		if len(f.Channels) < maxFormChannels {
			f.Channels = append(f.Channels, channelRow{})
		}
	case "field":
		if len(f.Fields) < maxFormFields {
			f.Fields = append(f.Fields, fieldRow{})
		}
	case "stage":
		if len(f.Approval.Stages) < maxFormStages {
			f.Approval.Stages = append(f.Approval.Stages, stageRow{})
		}
	}
}

// formRefused shows the editor again, everything typed kept, with every
// reason the rules or the form reading gave (KindInvalid: 400,
// KindConflict: 409). Any other error becomes the error page.
func (x *ui) formRefused(w http.ResponseWriter, r *http.Request, d catalogEditData, errs ...error) error {
	msgs, status, err := x.refusal(r, errs)
	if err != nil {
		return err
	}
	d.Errors = msgs
	return x.renderCatalogForm(w, r, d, status)
}

// refusal localizes errors a form shows, and its status; an error of
// another kind is returned for the error page.
func (x *ui) refusal(r *http.Request, errs []error) ([]string, int, error) {
	lang := x.language(r, visitorFrom(r.Context()))
	status := http.StatusBadRequest
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		switch governance.KindOf(e) {
		case governance.KindInvalid:
		case governance.KindConflict:
			status = http.StatusConflict
		default:
			return nil, 0, e
		}
		_, m := governance.Localize(e, lang)
		msgs = append(msgs, m)
	}
	return msgs, status, nil
}

func (x *ui) catalogCreate(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	f := readCatalogForm(r.PostForm)
	f.Version = 0
	d := catalogEditData{New: true, Form: f}
	if kind := r.PostForm.Get("add"); kind != "" {
		addRow(&d.Form, kind)
		return x.renderCatalogForm(w, r, d, http.StatusOK)
	}
	t, errs := f.template()
	if len(errs) > 0 {
		return x.formRefused(w, r, d, errs...)
	}
	out, err := x.api.Templates.Create(r.Context(), v.p, t)
	if err != nil {
		return x.formRefused(w, r, d, err)
	}
	http.Redirect(w, r, "/app/catalog/"+url.PathEscape(out.ID)+"?done=created", http.StatusSeeOther)
	return nil
}

// catalogSave publishes the next version. The form carries the version the
// manager edited; if someone published meanwhile the save is a conflict
// and the form comes back with what was typed.
func (x *ui) catalogSave(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	f := readCatalogForm(r.PostForm)
	f.ID = r.PathValue("id")
	d := catalogEditData{Form: f}
	if from, err := strconv.Atoi(r.PostForm.Get("from")); err == nil && from > 0 {
		d.From = from
	}
	if kind := r.PostForm.Get("add"); kind != "" {
		addRow(&d.Form, kind)
		return x.renderCatalogForm(w, r, d, http.StatusOK)
	}
	if f.Version < 1 {
		return x.formRefused(w, r, d, catalogVersionMissing())
	}
	t, errs := f.template()
	if len(errs) > 0 {
		return x.formRefused(w, r, d, errs...)
	}
	if _, err := x.api.Templates.Update(r.Context(), v.p, t); err != nil {
		return x.formRefused(w, r, d, err)
	}
	http.Redirect(w, r, "/app/catalog/"+url.PathEscape(f.ID)+"?done=saved", http.StatusSeeOther)
	return nil
}

func catalogVersionMissing() error {
	return governance.Errorf(governance.KindInvalid, "catalog_version_missing",
		"the form lacks the version of the template you edited; reload the page and try again")
}

// catalogRetire retires the version the manager saw.
func (x *ui) catalogRetire(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	id := r.PathValue("id")
	n, err := strconv.Atoi(r.PostForm.Get("version"))
	if err != nil || n < 1 {
		err = catalogVersionMissing()
	} else {
		_, err = x.api.Templates.Retire(r.Context(), v.p, id, n)
	}
	if err != nil {
		t, rerr := x.api.Versions.ManagedTemplate(r.Context(), v.p, id)
		if rerr != nil {
			return rerr
		}
		return x.formRefused(w, r, catalogEditData{Form: formOf(t)}, err)
	}
	http.Redirect(w, r, "/app/catalog?done=retired", http.StatusSeeOther)
	return nil
}

// catalogExport downloads a template as the API's portable JSON.
func (x *ui) catalogExport(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	id := r.PathValue("id")
	data, err := x.api.Templates.Export(r.Context(), v.p, id)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "template-" + id + ".json"}))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(data, '\n'))
	return nil
}

// catalogImport adds a template from an uploaded export, under a new id
// when one is given.
func (x *ui) catalogImport(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	newID := strings.TrimSpace(r.PostFormValue("id"))
	d := catalogListData{ImportID: newID}
	refuse := func(err error) error {
		msgs, status, err := x.refusal(r, []error{err})
		if err != nil {
			return err
		}
		d.Errors = msgs
		return x.renderCatalogList(w, r, d, status)
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		return refuse(governance.Errorf(governance.KindInvalid, "catalog_import_file_required", "choose a template file exported from Steward (.json) to import"))
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxImportBody+1))
	if err != nil {
		return refuse(governance.Wrap(governance.KindInvalid, "catalog_import_unreadable", "the file could not be read; choose it again", err))
	}
	if len(data) == 0 {
		return refuse(governance.Errorf(governance.KindInvalid, "catalog_import_empty", "the file is empty; choose a template file exported from Steward"))
	}
	out, err := x.api.Templates.Import(r.Context(), v.p, data, newID)
	if err != nil {
		return refuse(err)
	}
	http.Redirect(w, r, "/app/catalog/"+url.PathEscape(out.ID)+"?done=imported", http.StatusSeeOther)
	return nil
}
