package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/telemetry"
)

// Authenticator turns a request's credentials into a principal (identity
// in production). Errors: KindUnauthenticated, KindUnavailable.
type Authenticator interface {
	Authenticate(ctx context.Context, r *http.Request) (governance.Principal, error)
}

// RequestWorkflow is the write side of team requests
// (*governance.RequestService).
type RequestWorkflow interface {
	Submit(ctx context.Context, p governance.Principal, in governance.NewRequest) (governance.Request, error)
	Decide(ctx context.Context, p governance.Principal, requestID string, version int64, approve bool, comment string) (governance.Request, error)
	Cancel(ctx context.Context, p governance.Principal, requestID string, reason string) (governance.Request, error)
}

// Reader is the read side of requests and the catalog
// (*governance.ReadService).
type Reader interface {
	Request(ctx context.Context, p governance.Principal, id string) (governance.Request, error)
	MyRequests(ctx context.Context, p governance.Principal, page governance.Page) (governance.RequestPage, error)
	Approvals(ctx context.Context, p governance.Principal, page governance.Page) (governance.RequestPage, error)
	AllRequests(ctx context.Context, p governance.Principal, states []governance.RequestState, page governance.Page) (governance.RequestPage, error)
	Catalog(ctx context.Context, p governance.Principal, includeRetired bool) ([]governance.Template, error)
	Template(ctx context.Context, p governance.Principal, id string) (governance.Template, error)
	PreviewName(ctx context.Context, p governance.Principal, templateID, name string, fields map[string]string) (governance.NamingResult, error)
}

// TenantRateLimit bounds what one tenant's principals may ask together
// (edge.TenantLimiter). Errors: KindTooManyRequests.
type TenantRateLimit interface {
	Check(ctx context.Context, tenantID string) error
}

// API are the services behind /api/v1. Every field is required but
// TenantLimit (nil: no per-tenant limit).
type API struct {
	Auth      Authenticator
	Requests  RequestWorkflow
	Read      Reader
	Templates TemplateManager
	Roles     RoleManager
	Audit     AuditTrail
	Versions  TemplateVersions
	Webhooks  WebhookManager
	APIKeys   KeyManager
	Teams     TeamLifecycles
	// TenantLimit, when set, is checked once the principal is known, for
	// the API and the pages alike.
	TenantLimit TenantRateLimit
}

// maxAPIBody bounds a JSON request body.
const maxAPIBody = 64 << 10

// apiPrefix is where the REST API lives.
const apiPrefix = "/api/v1"

// apiHandler is an API handler for an authenticated principal.
type apiHandler func(w http.ResponseWriter, r *http.Request, p governance.Principal) error

// apiRoute is one operation of /api/v1: the mux registers it and the
// OpenAPI document describes it, from this one table.
type apiRoute struct {
	method, path string
	operationID  string
	summary      string
	tag          string
	public       bool // no credentials needed
	attachment   bool // the success body is a download (Content-Disposition)
	csv          bool // the success body may also be text/csv
	query        []apiParam
	body         any // a value of the JSON body's type; nil: no body
	status       int // success status
	response     any // a value of the success body's type
	errors       []int
	handle       func(a *API, w http.ResponseWriter, r *http.Request, p governance.Principal) error
}

// apiParam is a query parameter.
type apiParam struct {
	name, description string
	schema            map[string]any
}

// apiRoutes is the whole of /api/v1.
func apiRoutes() []apiRoute {
	page := pageQuery(governance.RequestPageDefault, governance.RequestPageMax)
	return []apiRoute{
		{method: "GET", path: "/catalog", operationID: "listCatalog", tag: "catalog",
			summary: "List the templates you may request from",
			query:   []apiParam{{"includeRetired", "Include retired templates (catalog managers only).", map[string]any{"type": "boolean"}}},
			status:  200, response: CatalogPage{}, errors: []int{400, 401, 403}, handle: (*API).listCatalog},
		{method: "GET", path: "/catalog/{templateId}", operationID: "getTemplate", tag: "catalog",
			summary: "Get one template of your catalog",
			status:  200, response: TemplateSummary{}, errors: []int{401, 403, 404}, handle: (*API).getTemplate},
		{method: "POST", path: "/catalog/{templateId}/name-preview", operationID: "previewName", tag: "catalog",
			summary: "Apply the template's naming policy to a proposed team name",
			body:    PreviewNameBody{}, status: 200, response: governance.NamingResult{}, errors: []int{400, 401, 403, 404, 413}, handle: (*API).previewName},
		{method: "POST", path: "/requests", operationID: "submitRequest", tag: "requests",
			summary: "Request a new team from a template",
			body:    SubmitRequestBody{}, status: 201, response: governance.Request{}, errors: []int{400, 401, 403, 404, 409, 413}, handle: (*API).submitRequest},
		{method: "GET", path: "/requests", operationID: "listRequests", tag: "requests",
			summary: "List requests: yours, those waiting for your approval, or all (administrators)",
			query: append([]apiParam{
				{"scope", "mine (default), approvals or all.", map[string]any{"type": "string", "enum": []string{"mine", "approvals", "all"}}},
				{"state", "With scope=all: only requests in these states (repeat the parameter).", map[string]any{"type": "array", "items": stateSchema()}},
			}, page...),
			status: 200, response: governance.RequestPage{}, errors: []int{400, 401, 403}, handle: (*API).listRequests},
		{method: "GET", path: "/requests/{requestId}", operationID: "getRequest", tag: "requests",
			summary: "Get one request you may see",
			status:  200, response: governance.Request{}, errors: []int{401, 403, 404}, handle: (*API).getRequest},
		{method: "POST", path: "/requests/{requestId}/decision", operationID: "decideRequest", tag: "requests",
			summary: "Approve or reject the current stage of a pending request",
			body:    DecisionBody{}, status: 200, response: governance.Request{}, errors: []int{400, 401, 403, 404, 409, 413}, handle: (*API).decideRequest},
		{method: "POST", path: "/requests/{requestId}/cancel", operationID: "cancelRequest", tag: "requests",
			summary: "Withdraw a request that is not provisioned yet",
			body:    CancelBody{}, status: 200, response: governance.Request{}, errors: []int{400, 401, 403, 404, 409, 413}, handle: (*API).cancelRequest},
		{method: "POST", path: "/templates", operationID: "createTemplate", tag: "templates",
			summary: "Add a template to the catalog at version 1 (catalog managers)",
			body:    CreateTemplateBody{}, status: 201, response: governance.Template{}, errors: []int{400, 401, 403, 409, 413}, handle: (*API).createTemplate},
		{method: "POST", path: "/templates/from-team", operationID: "createTemplateFromTeam", tag: "templates",
			summary: "Add a template at version 1 whose spec is read from an existing team of your organisation through Microsoft Graph (catalog managers)",
			body:    TemplateFromTeamBody{}, status: 201, response: governance.Template{}, errors: []int{400, 401, 403, 404, 409, 413, 429, 503},
			handle: (*API).createTemplateFromTeam},
		{method: "PUT", path: "/templates/{templateId}", operationID: "updateTemplate", tag: "templates",
			summary: "Publish the next version of a template (catalog managers)",
			body:    UpdateTemplateBody{}, status: 200, response: governance.Template{}, errors: []int{400, 401, 403, 404, 409, 413}, handle: (*API).updateTemplate},
		{method: "POST", path: "/templates/{templateId}/retire", operationID: "retireTemplate", tag: "templates",
			summary: "Retire a template: it leaves the catalog, requests made from it are unaffected",
			body:    RetireTemplateBody{}, status: 200, response: governance.Template{}, errors: []int{400, 401, 403, 404, 409, 413}, handle: (*API).retireTemplate},
		{method: "GET", path: "/templates/{templateId}/export", operationID: "exportTemplate", tag: "templates",
			summary: "Download a template as portable JSON, for another installation or tenant",
			status:  200, response: TemplateExport{}, attachment: true, errors: []int{401, 403, 404}, handle: (*API).exportTemplate},
		{method: "POST", path: "/templates/import", operationID: "importTemplate", tag: "templates",
			summary: "Add a template from an export (at most 1 MiB), under a new id if given",
			query:   []apiParam{{"id", "The new template's id; the export's id when absent.", map[string]any{"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,62}$"}}},
			body:    TemplateExport{}, status: 201, response: governance.Template{}, errors: []int{400, 401, 403, 409, 413}, handle: (*API).importTemplate},
		{method: "GET", path: "/templates/{templateId}", operationID: "getManagedTemplate", tag: "templates",
			summary: "Get the latest version of a template whole: every policy, the audience, the spec (catalog managers)",
			status:  200, response: governance.Template{}, errors: []int{401, 403, 404}, handle: (*API).getManagedTemplate},
		{method: "GET", path: "/templates/{templateId}/versions/{version}", operationID: "getTemplateVersion", tag: "templates",
			summary: "Get one stored version of a template whole: requests keep theirs (catalog managers, and the approvers that version names)",
			status:  200, response: governance.Template{}, errors: []int{400, 401, 403, 404}, handle: (*API).getTemplateVersion},
		{method: "GET", path: "/webhooks", operationID: "listWebhooks", tag: "webhooks",
			summary: "List the company's outgoing webhooks (integration managers, API keys with webhooks:manage)",
			status:  200, response: WebhookList{}, errors: []int{401, 403}, handle: (*API).listWebhooks},
		{method: "POST", path: "/webhooks", operationID: "createWebhook", tag: "webhooks",
			summary: "Subscribe an https endpoint to events; the answer holds its signing secret, shown this once",
			body:    CreateWebhookBody{}, status: 201, response: CreatedWebhook{}, errors: []int{400, 401, 403, 413}, handle: (*API).createWebhook},
		{method: "GET", path: "/webhooks/{webhookId}", operationID: "getWebhook", tag: "webhooks",
			summary: "Get one webhook",
			status:  200, response: Webhook{}, errors: []int{401, 403, 404}, handle: (*API).getWebhook},
		{method: "PATCH", path: "/webhooks/{webhookId}", operationID: "updateWebhook", tag: "webhooks",
			summary: "Change a webhook's URL, events, description or enabled flag (with the version you saw)",
			body:    UpdateWebhookBody{}, status: 200, response: Webhook{}, errors: []int{400, 401, 403, 404, 409, 413}, handle: (*API).updateWebhook},
		{method: "DELETE", path: "/webhooks/{webhookId}", operationID: "deleteWebhook", tag: "webhooks",
			summary: "Delete a webhook, its signing secret and its delivery log",
			status:  204, errors: []int{401, 403, 404}, handle: (*API).deleteWebhook},
		{method: "GET", path: "/webhooks/{webhookId}/deliveries", operationID: "listWebhookDeliveries", tag: "webhooks",
			summary: "Read a webhook's delivery log, newest first",
			query:   pageQuery(governance.DeliveryPageDefault, governance.DeliveryPageMax),
			status:  200, response: WebhookDeliveryPage{}, errors: []int{400, 401, 403, 404}, handle: (*API).listDeliveries},
		{method: "POST", path: "/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver", operationID: "redeliverWebhook", tag: "webhooks",
			summary: "Send a delivery that succeeded or failed again, with the same message id",
			status:  202, response: WebhookDelivery{}, errors: []int{401, 403, 404, 409}, handle: (*API).redeliverWebhook},
		{method: "GET", path: "/apikeys", operationID: "listAPIKeys", tag: "apikeys",
			summary: "List the company's API keys: prefixes and metadata, never secrets (integration managers)",
			status:  200, response: APIKeyList{}, errors: []int{401, 403}, handle: (*API).listAPIKeys},
		{method: "POST", path: "/apikeys", operationID: "createAPIKey", tag: "apikeys",
			summary: "Create an API key with scopes you could use yourself; the answer holds the key, shown this once",
			body:    CreateAPIKeyBody{}, status: 201, response: CreatedAPIKey{}, errors: []int{400, 401, 403, 413}, handle: (*API).createAPIKey},
		{method: "GET", path: "/apikeys/{keyId}", operationID: "getAPIKey", tag: "apikeys",
			summary: "Get one API key's prefix and metadata",
			status:  200, response: APIKey{}, errors: []int{401, 403, 404}, handle: (*API).getAPIKey},
		{method: "POST", path: "/apikeys/{keyId}/revoke", operationID: "revokeAPIKey", tag: "apikeys",
			summary: "Revoke an API key: integrations using it are refused from now on; revoking again changes nothing",
			status:  200, response: APIKey{}, errors: []int{401, 403, 404}, handle: (*API).revokeAPIKey},
		{method: "GET", path: "/teams/{teamId}/lifecycle", operationID: "getTeamLifecycle", tag: "teams",
			summary: "Get a managed team's lifecycle: expiry, warnings, renewal, archive, activity (its owners, administrators, API keys with requests:read)",
			status:  200, response: TeamLifecycle{}, errors: []int{401, 403, 404, 429, 503}, handle: (*API).getTeamLifecycle},
		{method: "POST", path: "/teams/{teamId}/renew", operationID: "renewTeam", tag: "teams",
			summary: "Renew a team before it expires, attesting its membership if its template asks (its owners and administrators; not API keys)",
			body:    RenewTeamBody{}, status: 200, response: TeamLifecycle{}, errors: []int{400, 401, 403, 404, 409, 413, 429, 503}, handle: (*API).renewTeam},
		{method: "GET", path: "/roles", operationID: "listRoles", tag: "roles",
			summary: "List the tenant's role assignments (administrators)",
			status:  200, response: RoleList{}, errors: []int{401, 403}, handle: (*API).listRoles},
		{method: "POST", path: "/roles", operationID: "assignRole", tag: "roles",
			summary: "Grant a role to a user or an Entra group (administrators); granting it again is not an error",
			body:    AssignRoleBody{}, status: 201, response: RoleAssignment{}, errors: []int{400, 401, 403, 413}, handle: (*API).assignRole},
		{method: "DELETE", path: "/roles/{role}/{subjectType}/{subjectId}", operationID: "unassignRole", tag: "roles",
			summary: "Remove a role assignment (administrators)",
			status:  204, errors: []int{401, 403, 404}, handle: (*API).unassignRole},
		{method: "GET", path: "/audit", operationID: "listAudit", tag: "audit",
			summary: "Read the company's audit trail (administrators, API keys with audit:read)",
			query:   auditQuery(true, true), status: 200, response: AuditPage{}, errors: []int{400, 401, 403}, handle: (*API).listAudit},
		{method: "GET", path: "/audit/mine", operationID: "listMyAudit", tag: "audit",
			summary: "Read what you did: the audit events you are the actor of",
			query:   auditQuery(false, true), status: 200, response: AuditPage{}, errors: []int{400, 401, 403}, handle: (*API).listMyAudit},
		{method: "GET", path: "/audit/export", operationID: "exportAudit", tag: "audit",
			summary: "Download the audit trail as CSV or JSON: the company's (administrators, audit:read) or your own",
			query: append([]apiParam{
				{"format", "csv (default) or json.", map[string]any{"type": "string", "enum": []string{"csv", "json"}}},
				{"scope", "company (default) or mine; actor filters scope=company only.", map[string]any{"type": "string", "enum": []string{"company", "mine"}}},
			}, auditQuery(true, false)...),
			status: 200, response: []AuditRecord{}, attachment: true, csv: true, errors: []int{400, 401, 403}, handle: (*API).exportAudit},
		{method: "GET", path: "/openapi.json", operationID: "getOpenAPI", tag: "meta", public: true,
			summary: "This API's OpenAPI 3.1 document",
			status:  200, response: map[string]any{}, errors: []int{404}},
	}
}

// registerAPI mounts /api/v1 on the server's mux.
func (s *Server) registerAPI(a *API) {
	for _, rt := range apiRoutes() {
		pattern := rt.method + " " + apiPrefix + rt.path
		s.apiPatterns = append(s.apiPatterns, pattern)
		if rt.handle == nil { // the one public route: the document itself
			s.handle(pattern, serveOpenAPI)
			continue
		}
		h := func(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
			return rt.handle(a, w, r, p)
		}
		s.handle(pattern, func(w http.ResponseWriter, r *http.Request) error {
			return apiErrors(w, r, a, h)
		})
	}
}

// apiErrors authenticates, runs h, and answers the errors only the API has
// (an oversized body) before the one adapter sees the rest.
func apiErrors(w http.ResponseWriter, r *http.Request, a *API, h apiHandler) error {
	p, err := a.Auth.Authenticate(r.Context(), r)
	if err == nil && a.TenantLimit != nil {
		err = a.TenantLimit.Check(r.Context(), p.TenantID)
	}
	if err == nil {
		err = h(w, r, p)
	}
	if governance.IsKind(err, governance.KindUnauthenticated) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="steward"`)
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		// No kind maps to 413, so the status is set here; the message is
		// localised as the one adapter would.
		lang := governance.PreferredLanguage(r.Header.Get("Accept-Language"))
		code, msg := governance.Localize(governance.Errorf(governance.KindInvalid, "body_too_large",
			"the request body is larger than %d KiB", tooLarge.Limit>>10), lang)
		w.Header().Set("Content-Language", lang)
		w.Header().Add("Vary", "Accept-Language")
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody(r, code, msg))
		return nil
	}
	return err
}

// decodeBody reads one JSON object of at most maxAPIBody bytes into v,
// refusing unknown fields, so a misspelt field is an error and not a
// silently ignored setting.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			err = errors.New("trailing data")
			var mb *http.MaxBytesError
			if errors.As(terr, &mb) {
				err = terr
			}
		}
	}
	var (
		mb     *http.MaxBytesError
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &mb):
		return err // apiErrors answers 413
	case errors.Is(err, io.EOF):
		return governance.Errorf(governance.KindInvalid, "body_required", "send a JSON object as the request body")
	case errors.As(err, new(*time.ParseError)), strings.HasPrefix(err.Error(), "Time.UnmarshalJSON: "):
		return governance.Errorf(governance.KindInvalid, "body_field_invalid", "dates and times are RFC 3339 strings with a time zone, such as %s", "2026-12-31T23:59:59Z")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return governance.Errorf(governance.KindInvalid, "body_unknown_field", "the request body has an unknown field %s", field)
	case errors.As(err, &typ):
		return fieldTypeError(typ)
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return governance.Errorf(governance.KindInvalid, "body_invalid", "the request body is not valid JSON")
	default:
		return governance.Errorf(governance.KindInvalid, "body_invalid", "the request body must be one JSON object")
	}
}

// fieldTypeError names the JSON type a field needs. Each type has its own
// format, so the words translate whole (Go's kind names are not JSON's, and
// not French).
func fieldTypeError(typ *json.UnmarshalTypeError) error {
	const code = "body_field_invalid"
	switch typ.Type.Kind() {
	case reflect.Bool:
		return governance.Errorf(governance.KindInvalid, code, "the field %q must be true or false", typ.Field)
	case reflect.String:
		return governance.Errorf(governance.KindInvalid, code, "the field %q must be a JSON string", typ.Field)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return governance.Errorf(governance.KindInvalid, code, "the field %q must be a whole number", typ.Field)
	case reflect.Float32, reflect.Float64:
		return governance.Errorf(governance.KindInvalid, code, "the field %q must be a number", typ.Field)
	case reflect.Slice, reflect.Array:
		return governance.Errorf(governance.KindInvalid, code, "the field %q must be a JSON array", typ.Field)
	default:
		return governance.Errorf(governance.KindInvalid, code, "the field %q must be a JSON object", typ.Field)
	}
}

func errorBody(r *http.Request, code, msg string) ErrorBody {
	return ErrorBody{Error: ErrorDetail{Code: code, Message: msg, RequestID: telemetry.RequestID(r.Context())}}
}

// TemplateSummary is what the catalog shows of a template.
type TemplateSummary struct {
	ID               string                    `json:"id"`
	Version          int                       `json:"version"`
	Name             string                    `json:"name"`
	Description      string                    `json:"description"`
	Category         string                    `json:"category,omitempty"`
	Visibility       string                    `json:"visibility"`
	Fields           []governance.RequestField `json:"fields"`
	ApprovalRequired bool                      `json:"approvalRequired"`
	GuestsAllowed    bool                      `json:"guestsAllowed"`
	Retired          bool                      `json:"retired"`
	UpdatedAt        time.Time                 `json:"updatedAt"`
}

func summarize(t governance.Template) TemplateSummary {
	fields := t.Fields
	if fields == nil {
		fields = []governance.RequestField{}
	}
	return TemplateSummary{ID: t.ID, Version: t.Version, Name: t.Name, Description: t.Description, Category: t.Category,
		Visibility: t.Spec.Visibility, Fields: fields, ApprovalRequired: t.Policies.Approval.Required(),
		GuestsAllowed: t.Policies.Guests.Allowed, Retired: t.Retired, UpdatedAt: t.UpdatedAt}
}

// CatalogPage is the catalog.
type CatalogPage struct {
	Items []TemplateSummary `json:"items"`
}

// PreviewNameBody asks for a name preview.
type PreviewNameBody struct {
	Name   string            `json:"name"`
	Fields map[string]string `json:"fields,omitempty"`
}

// SubmitRequestBody is a new team request.
type SubmitRequestBody struct {
	TemplateID    string            `json:"templateId"`
	Name          string            `json:"name"`
	Description   string            `json:"description,omitempty"`
	Owners        []string          `json:"owners,omitempty"`
	Members       []string          `json:"members,omitempty"`
	Guests        []string          `json:"guests,omitempty"`
	Fields        map[string]string `json:"fields,omitempty"`
	Justification string            `json:"justification,omitempty"`
}

// DecisionBody is an approver's verdict. Approve and Version are required:
// a missing verdict must not read as a rejection.
type DecisionBody struct {
	Approve *bool  `json:"approve"`
	Comment string `json:"comment,omitempty"`
	Version *int64 `json:"version"`
}

// CancelBody withdraws a request.
type CancelBody struct {
	Reason string `json:"reason,omitempty"`
}

func (a *API) listCatalog(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	retired, err := boolParam(r, "includeRetired")
	if err != nil {
		return err
	}
	ts, err := a.Read.Catalog(r.Context(), p, retired)
	if err != nil {
		return err
	}
	out := CatalogPage{Items: make([]TemplateSummary, 0, len(ts))}
	for _, t := range ts {
		out.Items = append(out.Items, summarize(t))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) getTemplate(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	t, err := a.Read.Template(r.Context(), p, r.PathValue("templateId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, summarize(t))
	return nil
}

func (a *API) previewName(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	var in PreviewNameBody
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	res, err := a.Read.PreviewName(r.Context(), p, r.PathValue("templateId"), in.Name, in.Fields)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (a *API) submitRequest(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	var in SubmitRequestBody
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	out, err := a.Requests.Submit(r.Context(), p, governance.NewRequest{
		TemplateID: in.TemplateID, Name: in.Name, Description: in.Description, Owners: in.Owners, Members: in.Members,
		Guests: in.Guests, Fields: in.Fields, Justification: in.Justification,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", apiPrefix+"/requests/"+url.PathEscape(out.ID))
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) listRequests(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	q := r.URL.Query()
	page, err := pageParams(r, governance.RequestPageMax)
	if err != nil {
		return err
	}
	var states []governance.RequestState
	for _, s := range q["state"] {
		states = append(states, governance.RequestState(s))
	}
	var out governance.RequestPage
	switch scope := q.Get("scope"); scope {
	case "", "mine", "approvals":
		if len(states) > 0 {
			return governance.Errorf(governance.KindInvalid, "state_filter_invalid", "state filters scope=all only")
		}
		if scope == "approvals" {
			out, err = a.Read.Approvals(r.Context(), p, page)
		} else {
			out, err = a.Read.MyRequests(r.Context(), p, page)
		}
	case "all":
		out, err = a.Read.AllRequests(r.Context(), p, states, page)
	default:
		return governance.Errorf(governance.KindInvalid, "scope_invalid", "scope must be mine, approvals or all")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) getRequest(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	out, err := a.Read.Request(r.Context(), p, r.PathValue("requestId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) decideRequest(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	var in DecisionBody
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Approve == nil || in.Version == nil {
		return governance.Errorf(governance.KindInvalid, "decision_invalid", "a decision needs approve (true or false) and the version of the request you saw")
	}
	out, err := a.Requests.Decide(r.Context(), p, r.PathValue("requestId"), *in.Version, *in.Approve, in.Comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) cancelRequest(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	var in CancelBody
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	out, err := a.Requests.Cancel(r.Context(), p, r.PathValue("requestId"), in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// pageParams reads the keyset paging parameters (limit, before,
// beforeId) that pageQuery documents; the service checks the ranges.
func pageParams(r *http.Request, max int) (governance.Page, error) {
	q := r.URL.Query()
	page := governance.Page{BeforeID: q.Get("beforeId")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return page, governance.Errorf(governance.KindInvalid, "page_limit_invalid", "limit must be a whole number from 1 to %d", max)
		}
		page.Limit = n
		if n == 0 {
			page.Limit = -1 // an explicit 0 is out of range, not the default
		}
	}
	if v := q.Get("before"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return page, governance.Errorf(governance.KindInvalid, "page_cursor_invalid", "before must be an RFC 3339 time, as in the previous page's next.before")
		}
		page.Before = t
	}
	return page, nil
}

// pageQuery documents the paging parameters of a listing of at most max
// rows a page (default def).
func pageQuery(def, max int) []apiParam {
	return []apiParam{
		{"limit", "Page size, 1 to " + strconv.Itoa(max) + " (default " + strconv.Itoa(def) + ").", map[string]any{"type": "integer", "minimum": 1, "maximum": max}},
		{"before", "Cursor from the previous page's next.before (RFC 3339).", map[string]any{"type": "string", "format": "date-time"}},
		{"beforeId", "Cursor from the previous page's next.beforeId.", map[string]any{"type": "string"}},
	}
}

func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, governance.Errorf(governance.KindInvalid, "query_invalid", "%s must be true or false", name)
	}
	return b, nil
}
