package web

import (
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
)

// webhookForm is the new-webhook form, kept to show it again after an error.
type webhookForm struct {
	URL         string
	Description string
	Events      []string
}

// keyForm is the new-API-key form.
type keyForm struct {
	Name    string
	Scopes  []string
	Expires string // yyyy-mm-dd
}

type kindOption struct{ Value, Label string }

type crmRow struct {
	CRMRecord
	KindLabel string
}

// crmKindLabel is the English name of a kind of CRM record.
func crmKindLabel(kind string) string {
	switch kind {
	case "account":
		return "Accounts"
	case "opportunity":
		return "Opportunities"
	case "contact":
		return "Contacts"
	}
	return kind
}

type apiKeyRow struct {
	APIKey
	StateLabel string
}

type adminIntegrationsData struct {
	adminChrome
	Webhooks    []governance.WebhookSubscription
	Keys        []apiKeyRow
	Events      []string
	Scopes      []string
	HookForm    webhookForm
	KeyForm     keyForm
	NewSecret   string // a webhook's signing secret, shown once
	NewSecretOf string // the URL it belongs to
	NewKey      string // an API key, shown once
	NewKeyName  string
	// The CRM section.
	CRMKinds  []kindOption
	CRMKind   string
	CRMQuery  string
	CRMFound  []crmRow
	CRMSearch bool
	Import    *CRMImportResult
	ImportOf  string // the file's name
}

// integrationsView is what one rendering of the integrations page adds to
// the lists: a form kept after an error, a secret shown once, a CRM import
// result.
type integrationsView struct {
	hook      webhookForm
	key       keyForm
	secret    string
	secretOf  string
	newKey    string
	keyName   string
	importRes *CRMImportResult
	importOf  string
	err       string
	status    int
}

func (x *ui) adminIntegrations(w http.ResponseWriter, r *http.Request) error {
	return x.renderIntegrations(w, r, integrationsView{hook: webhookForm{Events: []string{string(governance.EventAll)}}})
}

func (x *ui) renderIntegrations(w http.ResponseWriter, r *http.Request, iv integrationsView) error {
	v := visitorFrom(r.Context())
	ctx := r.Context()
	subs, err := x.api.Webhooks.Subscriptions(ctx, v.p)
	if err != nil {
		return err
	}
	keys, err := x.api.APIKeys.List(ctx, v.p)
	if err != nil {
		return err
	}
	p, chrome := x.adminPage(r, "Integrations", "integrations")
	chrome.Error = iv.err
	d := adminIntegrationsData{adminChrome: chrome, Webhooks: subs, HookForm: iv.hook, KeyForm: iv.key,
		NewSecret: iv.secret, NewSecretOf: iv.secretOf, NewKey: iv.newKey, NewKeyName: iv.keyName,
		Import: iv.importRes, ImportOf: iv.importOf, Scopes: governance.Scopes}
	d.Events = append(d.Events, string(governance.EventAll))
	for _, e := range governance.WebhookEvents {
		d.Events = append(d.Events, string(e))
	}
	for _, k := range CRMKinds {
		d.CRMKinds = append(d.CRMKinds, kindOption{Value: k, Label: p.T(crmKindLabel(k))})
	}
	now := x.Now()
	for _, k := range keys {
		view := apiKeyView(k, now)
		d.Keys = append(d.Keys, apiKeyRow{APIKey: view, StateLabel: p.T(keyStateLabel(view.State))})
	}
	q := r.URL.Query()
	d.CRMKind, d.CRMQuery = q.Get("crmKind"), strings.TrimSpace(q.Get("crm"))
	if d.CRMQuery != "" && r.Method == http.MethodGet {
		d.CRMSearch = true
		found, err := x.Admin.CRM.SearchCRM(ctx, v.p, d.CRMKind, d.CRMQuery)
		if err != nil {
			msg, _, ok := x.formRefusal(r, err)
			if !ok {
				return err
			}
			d.Error, iv.status = msg, http.StatusBadRequest
		}
		for _, rec := range found {
			d.CRMFound = append(d.CRMFound, crmRow{CRMRecord: rec, KindLabel: p.T(crmKindLabel(rec.Kind))})
		}
	}
	p.Data = d
	p.Status = iv.status
	return x.render(w, "adminintegrations", p)
}

func keyStateLabel(state string) string {
	switch state {
	case "active":
		return "Active"
	case "expired":
		return "Expired"
	case "revoked":
		return "Revoked"
	}
	return state
}

// refused shows the integrations page again with err's message, or
// returns err when it is not the person's to fix.
func (x *ui) refusedIntegrations(w http.ResponseWriter, r *http.Request, iv integrationsView, err error) error {
	msg, status, ok := x.formRefusal(r, err)
	if !ok {
		return err
	}
	iv.err, iv.status = msg, status
	return x.renderIntegrations(w, r, iv)
}

func (x *ui) adminCreateWebhook(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	f := webhookForm{URL: strings.TrimSpace(r.PostFormValue("url")), Description: strings.TrimSpace(r.PostFormValue("description")),
		Events: uniqueNonEmpty(r.PostForm["events"])}
	events := make([]governance.WebhookEvent, 0, len(f.Events))
	for _, e := range f.Events {
		events = append(events, governance.WebhookEvent(e))
	}
	sub, secret, err := x.api.Webhooks.Subscribe(r.Context(), v.p, governance.WebhookSubscription{URL: f.URL, Events: events,
		Enabled: true, Description: f.Description})
	if err != nil {
		return x.refusedIntegrations(w, r, integrationsView{hook: f}, err)
	}
	// The secret is rendered in this answer only: a redirect would have to
	// carry it in a URL.
	return x.renderIntegrations(w, r, integrationsView{hook: webhookForm{Events: []string{string(governance.EventAll)}},
		secret: secret, secretOf: sub.URL})
}

// formVersionOf reads the version field of a webhook form.
func formVersionOf(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil || n <= 0 {
		return 0, governance.Errorf(governance.KindInvalid, "webhook_version_missing", "the form lacks the webhook's version; reload the page and try again")
	}
	return n, nil
}

func (x *ui) adminToggleWebhook(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	version, err := formVersionOf(r)
	if err != nil {
		return x.refusedIntegrations(w, r, integrationsView{}, err)
	}
	enabled := r.PostFormValue("enabled") == "true"
	_, err = x.api.Webhooks.Update(r.Context(), v.p, r.PathValue("id"), governance.WebhookChange{Version: version, Enabled: &enabled})
	if err != nil {
		return x.refusedIntegrations(w, r, integrationsView{}, err)
	}
	done := "webhook-disabled"
	if enabled {
		done = "webhook-enabled"
	}
	http.Redirect(w, r, "/admin/integrations?done="+done, http.StatusSeeOther)
	return nil
}

func (x *ui) adminDeleteWebhook(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	if err := x.api.Webhooks.Unsubscribe(r.Context(), v.p, r.PathValue("id")); err != nil {
		return x.refusedIntegrations(w, r, integrationsView{}, err)
	}
	http.Redirect(w, r, "/admin/integrations?done=webhook-deleted", http.StatusSeeOther)
	return nil
}

type adminWebhookData struct {
	adminChrome
	Hook       governance.WebhookSubscription
	Deliveries []governance.WebhookDelivery
	Next       string
}

// adminWebhook is one webhook's delivery log, newest first.
func (x *ui) adminWebhook(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	id := r.PathValue("id")
	sub, err := x.api.Webhooks.Subscription(r.Context(), v.p, id)
	if err != nil {
		return err
	}
	page, err := pageParams(r, governance.DeliveryPageMax)
	if err != nil {
		return err
	}
	log, err := x.api.Webhooks.Deliveries(r.Context(), v.p, id, page)
	if err != nil {
		return err
	}
	p, chrome := x.adminPage(r, "Webhook deliveries", "integrations")
	p.Data = adminWebhookData{adminChrome: chrome, Hook: sub, Deliveries: log.Items, Next: nextQuery(log.Next, "")}
	return x.render(w, "adminwebhook", p)
}

func (x *ui) adminRedeliver(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	id := r.PathValue("id")
	if _, err := x.api.Webhooks.Resend(r.Context(), v.p, id, r.PathValue("delivery")); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/integrations/webhooks/"+url.PathEscape(id)+"?done=redelivered", http.StatusSeeOther)
	return nil
}

func (x *ui) adminCreateKey(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	f := keyForm{Name: strings.TrimSpace(r.PostFormValue("name")), Scopes: uniqueNonEmpty(r.PostForm["scopes"]),
		Expires: strings.TrimSpace(r.PostFormValue("expires"))}
	k := governance.APIKey{Name: f.Name, Scopes: f.Scopes}
	if f.Expires != "" {
		day, err := time.Parse("2006-01-02", f.Expires)
		if err != nil {
			return x.refusedIntegrations(w, r, integrationsView{key: f}, governance.Errorf(governance.KindInvalid, "api_key_expiry_invalid",
				"the expiry date must be a date such as 2027-12-31"))
		}
		k.ExpiresAt = day.Add(24*time.Hour - time.Second) // the end of that day, UTC
	}
	created, plaintext, err := x.api.APIKeys.Create(r.Context(), v.p, k)
	if err != nil {
		return x.refusedIntegrations(w, r, integrationsView{key: f}, err)
	}
	return x.renderIntegrations(w, r, integrationsView{hook: webhookForm{Events: []string{string(governance.EventAll)}},
		newKey: plaintext, keyName: created.Name})
}

func (x *ui) adminRevokeKey(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	if _, _, err := x.api.APIKeys.Revoke(r.Context(), v.p, r.PathValue("id")); err != nil {
		return x.refusedIntegrations(w, r, integrationsView{}, err)
	}
	http.Redirect(w, r, "/admin/integrations?done=key-revoked", http.StatusSeeOther)
	return nil
}

// adminImportCRM loads an uploaded CSV or JSON file into the built-in CRM
// connector and shows what it did, rows refused included.
func (x *ui) adminImportCRM(w http.ResponseWriter, r *http.Request) error {
	v := visitorFrom(r.Context())
	iv := integrationsView{hook: webhookForm{Events: []string{string(governance.EventAll)}}}
	kind := r.PostFormValue("kind")
	file, header, err := r.FormFile("file")
	if err != nil {
		return x.refusedIntegrations(w, r, iv, governance.Errorf(governance.KindInvalid, "crm_file_missing",
			"choose a CSV or JSON file to import"))
	}
	defer file.Close()
	format := r.PostFormValue("format")
	if format == "" {
		format = strings.TrimPrefix(strings.ToLower(filepath.Ext(header.Filename)), ".")
	}
	if !slices.Contains([]string{"csv", "json"}, format) {
		return x.refusedIntegrations(w, r, iv, governance.Errorf(governance.KindInvalid, "crm_file_format_unknown",
			"the file must be .csv or .json, or say which format it is"))
	}
	res, err := x.Admin.CRM.ImportCRM(r.Context(), v.p, kind, format, file)
	if err != nil {
		return x.refusedIntegrations(w, r, iv, err)
	}
	iv.importRes, iv.importOf = &res, filepath.Base(header.Filename)
	return x.renderIntegrations(w, r, iv)
}
