package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/stewardhq/steward/crm"
	"github.com/stewardhq/steward/governance"
)

// MaxActivityBytes bounds the body of POST /api/messages. Teams' largest
// activities (a message with a card, an invoke carrying a message payload)
// are tens of kilobytes; more is an attack on the decoder.
const MaxActivityBytes = 256 << 10

// InvokeTimeout is what an invoke is given to answer: Teams waits 5 s for
// messaging extensions and task modules, and the answer still has to travel
// back.
const InvokeTimeout = 4500 * time.Millisecond

// ReplyTimeout bounds the work on a message or install, reply included:
// Teams waits about 15 s for the HTTP answer to any activity.
const ReplyTimeout = 10 * time.Second

// Codes of the handler's own refusals (the body is {"code","message"}).
const (
	CodeMethodNotAllowed  = "method_not_allowed"
	CodeUnsupportedType   = "unsupported_media_type"
	CodeBodyTooLarge      = "body_too_large"
	CodeActivityMalformed = "activity_malformed"
	CodeUnauthorized      = "unauthorized"
	CodeForbidden         = "forbidden"
	CodeUnavailable       = "unavailable"
	CodeSenderUnknown     = "sender_unknown"
	CodeInternal          = "internal"
)

// TenantResolver finds the Steward tenant of an Entra directory
// (*store.DB).
type TenantResolver interface {
	// TenantByEntraID errors: KindNotFound for a directory Steward does
	// not serve.
	TenantByEntraID(ctx context.Context, entraTenantID string) (governance.Tenant, error)
}

// ReferenceRecorder keeps the conversation reference of every activity,
// so notifications can reach the conversation later (*References).
type ReferenceRecorder interface {
	Remember(ctx context.Context, tenantID string, a *Activity) error
}

// RequestActions is the write side of the request workflow the bot drives
// (*governance.RequestService).
type RequestActions interface {
	Submit(ctx context.Context, p governance.Principal, in governance.NewRequest) (governance.Request, error)
	Decide(ctx context.Context, p governance.Principal, requestID string, version int64, approve bool, comment string) (governance.Request, error)
	Comment(ctx context.Context, p governance.Principal, requestID, text string) (governance.Request, error)
}

// RequestReads lists and reads requests (*governance.ReadService).
type RequestReads interface {
	Request(ctx context.Context, p governance.Principal, id string) (governance.Request, error)
	MyRequests(ctx context.Context, p governance.Principal, page governance.Page) (governance.RequestPage, error)
	Approvals(ctx context.Context, p governance.Principal, page governance.Page) (governance.RequestPage, error)
}

// CatalogReads reads the templates (*governance.ReadService). The template
// version a request was made from tells whether a user may decide it now.
type CatalogReads interface {
	Catalog(ctx context.Context, p governance.Principal, includeRetired bool) ([]governance.Template, error)
	TemplateVersion(ctx context.Context, p governance.Principal, id string, version int) (governance.Template, error)
}

// Renewer renews managed teams (*governance.LifecycleService).
type Renewer interface {
	Renew(ctx context.Context, p governance.Principal, teamID string, attest bool) (governance.ManagedTeam, error)
}

// Links configure the deep links the cards carry.
type Links struct {
	AppID   string // the Teams app id of Steward's manifest
	BaseURL string // Steward's public URL, the tabs' web fallback
}

// HandlerOptions configure a Handler. Required: Auth, Tenants, Requests,
// Reads, Catalog, Links.AppID, and Connector or Outbox (to answer messages).
// Optional: References (nil: conversations are not recorded), Directory
// (nil: users have no groups, so group approvers and group role
// assignments do not apply to them), Roles (nil: roles come from Entra
// directory roles only), Lifecycle (nil: renewals answer unavailable), CRM
// (nil: searches answer that no CRM is connected), Logger, Now.
type HandlerOptions struct {
	Auth       *Authenticator
	Tenants    TenantResolver
	References ReferenceRecorder
	Directory  MemberOfSource
	Roles      RoleSource
	Requests   RequestActions
	Reads      RequestReads
	Catalog    CatalogReads
	Lifecycle  Renewer
	CRM        crm.Connector
	// Connector sends replies in the activity's conversation; Outbox, when
	// set, is used instead: the reply is queued durably and sent within
	// Teams' rate limits by the outbox worker, so a throttled conversation
	// never holds up the channel's HTTP call.
	Connector *Connector
	Outbox    *Outbox
	Links     Links
	Logger    *slog.Logger
	Now       func() time.Time
	// PrincipalTTL is how long a user's groups and roles are cached
	// (default 5 min); PrincipalCacheSize bounds the cache (default 10,000).
	PrincipalTTL       time.Duration
	PrincipalCacheSize int
}

// Handler serves POST /api/messages: it authenticates the channel's
// activities and answers them. It is safe for concurrent use.
type Handler struct {
	o          HandlerOptions
	log        *slog.Logger
	principals *principals
	welcomed   *ttlCache[string, bool]
}

// NewHandler checks o and returns the Handler.
func NewHandler(o HandlerOptions) (*Handler, error) {
	var missing []string
	for name, ok := range map[string]bool{
		"Auth": o.Auth != nil, "Tenants": o.Tenants != nil, "Requests": o.Requests != nil,
		"Reads": o.Reads != nil, "Catalog": o.Catalog != nil, "Links.AppID": strings.TrimSpace(o.Links.AppID) != "",
		"Connector or Outbox": o.Connector != nil || o.Outbox != nil,
	} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("bot: handler: missing %s", strings.Join(missing, ", "))
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PrincipalTTL <= 0 {
		o.PrincipalTTL = 5 * time.Minute
	}
	if o.PrincipalCacheSize <= 0 {
		o.PrincipalCacheSize = 10000
	}
	return &Handler{
		o:          o,
		log:        o.Logger,
		principals: newPrincipals(o.Directory, o.Roles, o.PrincipalTTL, o.PrincipalCacheSize, o.Now),
		// Teams announces a personal install twice (conversationUpdate and
		// installationUpdate): one welcome is enough.
		welcomed: newTTLCache[string, bool](10*time.Minute, 10000, o.Now),
	}, nil
}

// ServeHTTP checks the request, authenticates the activity and routes it.
// Nothing is processed before authentication succeeded.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeProblem(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "use POST")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeProblem(w, http.StatusUnsupportedMediaType, CodeUnsupportedType, "send the activity as application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxActivityBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeProblem(w, http.StatusRequestEntityTooLarge, CodeBodyTooLarge, fmt.Sprintf("an activity has at most %d bytes", MaxActivityBytes))
		return
	case err != nil:
		writeProblem(w, http.StatusBadRequest, CodeActivityMalformed, "the body could not be read")
		return
	}
	var act Activity
	if err := json.Unmarshal(body, &act); err != nil || act.Type == "" {
		writeProblem(w, http.StatusBadRequest, CodeActivityMalformed, "the body is not a Bot Framework activity")
		return
	}
	claims, err := h.o.Auth.Authenticate(r.Context(), r, &act)
	if err != nil {
		h.refuse(w, err)
		return
	}
	tenant, err := h.o.Tenants.TenantByEntraID(r.Context(), claims.TenantID)
	if err != nil {
		status, code := http.StatusForbidden, CodeForbidden
		if !governance.IsKind(err, governance.KindNotFound) {
			status, code = http.StatusServiceUnavailable, CodeUnavailable
		}
		h.log.Warn("bot: tenant not resolved", "entra_tenant_id", claims.TenantID, "error", err)
		writeProblem(w, status, code, http.StatusText(status))
		return
	}
	log := h.log.With("tenant_id", tenant.ID, "activity_type", act.Type, "activity_id", act.ID)
	if h.o.References != nil {
		// A failure to remember must not lose the user's message: it is
		// logged, and the next activity records the reference again.
		if err := h.o.References.Remember(r.Context(), tenant.ID, &act); err != nil {
			log.Warn("bot: remember conversation reference", "error", err)
		}
	}
	t := turn{h: h, act: &act, tenant: tenant, entraTenantID: claims.TenantID, log: log}
	res := t.route(r.Context())
	if res.Body == nil {
		w.WriteHeader(res.Status)
		return
	}
	writeJSON(w, res.Status, res.Body)
}

// refuse answers an authentication failure. The body names the status
// class only: which check failed is logged, never told to a prober.
func (h *Handler) refuse(w http.ResponseWriter, err error) {
	var ae *AuthError
	if !errors.As(err, &ae) {
		h.log.Error("bot: authenticate", "error", err)
		writeProblem(w, http.StatusInternalServerError, CodeInternal, "internal error")
		return
	}
	h.log.Info("bot: activity refused", "status", ae.Status, "code", ae.Code)
	switch ae.Status {
	case http.StatusForbidden:
		writeProblem(w, ae.Status, CodeForbidden, "this tenant is not served by Steward")
	case http.StatusServiceUnavailable:
		writeProblem(w, ae.Status, CodeUnavailable, "try again later")
	default:
		writeProblem(w, http.StatusUnauthorized, CodeUnauthorized, "the request is not authenticated")
	}
}

// Problem is the body of the handler's refusals.
type Problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeProblem(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, Problem{Code: code, Message: message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshalJSON(v)
	if err != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"code":"internal","message":"internal error"}`))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// marshalJSON is json.Marshal without HTML escaping: cards carry URLs with
// "&", which Teams reads either way.
func marshalJSON(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("bot: encode: %w", err)
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}
