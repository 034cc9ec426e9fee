package web

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/stewardhq/steward/governance"
)

// AdminServices are the admin center's own services: what it shows or
// changes that the API's services (roles, webhooks, API keys, audit,
// requests) do not cover. Every method checks the principal itself.
type AdminServices struct {
	System      SystemStatusSource
	Usage       UsageReport
	Credentials GraphCredentialAdmin
	CRM         CRMAdmin
}

// SystemStatusSource reports how this Steward installation is doing.
type SystemStatusSource interface {
	// SystemStatus runs the readiness checks and reads the job queue.
	// Errors: KindForbidden (administrators only).
	SystemStatus(ctx context.Context, p governance.Principal) (SystemStatus, error)
}

// SystemStatus is the admin center's system information.
type SystemStatus struct {
	Version string
	// Checks are the readiness checks (the ones /readyz runs), in order.
	Checks []CheckResult
	Queue  QueueDepth
}

// CheckResult is one readiness check's outcome. Error is for the
// administrator: a short reason, never a secret.
type CheckResult struct {
	Name  string
	OK    bool
	Error string
}

// QueueDepth counts the durable jobs of the installation by state.
type QueueDepth struct {
	Available, Scheduled, Retryable, Running int
}

// UsageReport counts what a tenant uses.
type UsageReport interface {
	// ActivePeople counts the distinct people of p's tenant who used
	// Steward at or after since. Errors: KindForbidden.
	ActivePeople(ctx context.Context, p governance.Principal, since time.Time) (int, error)
	// RequestCounts counts p's tenant's requests by state. Errors:
	// KindForbidden.
	RequestCounts(ctx context.Context, p governance.Principal) (map[governance.RequestState]int, error)
}

// GraphCredentialAdmin reads the status of, and replaces, the tenant's app
// credential for Microsoft Graph. The secret never comes back out.
type GraphCredentialAdmin interface {
	// CredentialStatus says whether p's tenant has a credential and what
	// may be shown of it. Errors: KindForbidden.
	CredentialStatus(ctx context.Context, p governance.Principal) (GraphCredentialStatus, error)
	// SetCredential validates c and seals it, replacing the previous one.
	// Errors: KindForbidden, KindInvalid (what is wrong with it).
	SetCredential(ctx context.Context, p governance.Principal, c GraphCredentialInput) error
}

// GraphCredentialStatus is what the admin center shows of a credential.
type GraphCredentialStatus struct {
	Set           bool
	ClientID      string
	Type          string // "secret" or "certificate"
	SetAt         time.Time
	EntraTenantID string // the directory the credential signs in to
}

// GraphCredentialInput is a new credential: the client id and either a
// client secret or a PEM certificate with its private key.
type GraphCredentialInput struct {
	ClientID       string
	ClientSecret   string
	CertificatePEM string
}

// CRMAdmin loads records into the built-in CRM connector and searches them.
type CRMAdmin interface {
	// ImportCRM reads records of one kind (account, opportunity, contact)
	// in format csv or json. Errors: KindForbidden, KindInvalid (the file
	// as a whole is refused; nothing was imported).
	ImportCRM(ctx context.Context, p governance.Principal, kind, format string, r io.Reader) (CRMImportResult, error)
	// SearchCRM searches as the messaging extension does; kind "" is every
	// kind. Errors: KindForbidden, KindInvalid.
	SearchCRM(ctx context.Context, p governance.Principal, kind, text string) ([]CRMRecord, error)
}

// CRMImportResult is what an import did. Rejected lists rows that were not
// imported, with why (at most the first thousand); RejectedRows counts
// them all.
type CRMImportResult struct {
	Created, Updated, Unchanged, RejectedRows int
	Rejected                                  []string
}

// CRMRecord is a record as a search shows it.
type CRMRecord struct {
	Kind, ID, Title, Subtitle, URL string
}

// CRMKinds are the kinds of record the built-in connector holds.
var CRMKinds = []string{"account", "opportunity", "contact"}

// adminChrome is what every admin page shows around its content.
type adminChrome struct {
	Nav     []navItem
	Section string // the Nav key of this page
	Error   string
}

// adminNav is the admin center's own navigation, for the roles p holds.
func adminNav(p Page) []navItem {
	var items []navItem
	if p.Is(string(governance.RoleAdministrator)) {
		items = append(items,
			navItem{"/admin", p.T("Overview"), "overview"},
			navItem{"/admin/roles", p.T("Roles"), "roles"},
			navItem{"/admin/policies", p.T("Policies"), "policies"},
		)
	}
	items = append(items, navItem{"/admin/integrations", p.T("Integrations"), "integrations"})
	if p.Is(string(governance.RoleAdministrator)) {
		items = append(items,
			navItem{"/admin/credentials", p.T("Microsoft Graph credential"), "credentials"},
			navItem{"/admin/audit", p.T("Audit trail"), "audit"},
			navItem{"/admin/provisioning", p.T("Failed provisionings"), "provisioning"},
			navItem{"/admin/subscription", p.T("Subscription"), "subscription"},
		)
	}
	return items
}

// adminPage builds the chrome of an admin page titled title.
func (x *ui) adminPage(r *http.Request, title, section string) (Page, adminChrome) {
	p := x.newPage(r, "", "admin")
	p.Title = p.T(title)
	if n := adminNoticeText(r.URL.Query().Get("done")); n != "" {
		p.Notice = p.T(n)
	}
	p.Scripts = []string{"admin.js"}
	return p, adminChrome{Nav: adminNav(p), Section: section}
}

// adminOnly wraps an admin page: a signed-in person holding role (an
// administrator holds every role), on a server whose admin services are
// wired.
func (x *ui) adminOnly(role governance.Role, fn HandlerFunc) HandlerFunc {
	return x.authed(func(w http.ResponseWriter, r *http.Request) error {
		if err := requireAdminRole(r, role); err != nil {
			return err
		}
		if x.Admin == nil {
			return governance.Errorf(governance.KindUnavailable, "admin_center_unavailable",
				"the admin center is not set up on this server")
		}
		return fn(w, r)
	})
}

func requireAdminRole(r *http.Request, role governance.Role) error {
	v := visitorFrom(r.Context())
	if v.p.Kind != governance.PrincipalUser || !v.p.Has(role) {
		return governance.Errorf(governance.KindForbidden, "admin_role_required",
			"this part of the admin center is for people with the %s role; ask an administrator", string(role))
	}
	return nil
}

// formRefusal reports an error the person can fix on the form (invalid
// input, a conflict) as its localized message and status.
func (x *ui) formRefusal(r *http.Request, err error) (msg string, status int, ok bool) {
	k := governance.KindOf(err)
	if k != governance.KindInvalid && k != governance.KindConflict {
		return "", 0, false
	}
	_, msg = governance.Localize(err, x.language(r, visitorFrom(r.Context())))
	return msg, StatusOf(k), true
}

// adminNoticeText is the confirmation a ?done= code stands for.
func adminNoticeText(code string) string {
	switch code {
	case "role-assigned":
		return "The role was granted."
	case "role-removed":
		return "The role assignment was removed."
	case "webhook-enabled":
		return "The webhook is on."
	case "webhook-disabled":
		return "The webhook is off."
	case "webhook-deleted":
		return "The webhook was deleted."
	case "redelivered":
		return "The delivery was queued again."
	case "key-revoked":
		return "The API key was revoked."
	case "credential-saved":
		return "The Microsoft Graph credential was saved."
	case "retried":
		return "Provisioning was started again."
	}
	return ""
}

// adminRoutes registers the admin center's pages.
func (x *ui) adminRoutes() {
	admin := func(fn HandlerFunc) HandlerFunc { return x.adminOnly(governance.RoleAdministrator, fn) }
	integrations := func(fn HandlerFunc) HandlerFunc { return x.adminOnly(governance.RoleIntegrationManager, fn) }

	x.page("GET /admin", x.authed(x.adminHome))
	x.page("GET /admin/roles", admin(x.adminRoles))
	x.page("POST /admin/roles", admin(x.adminAssignRole))
	x.page("POST /admin/roles/remove", admin(x.adminRemoveRole))
	x.page("GET /admin/policies", admin(x.adminPolicies))

	x.page("GET /admin/integrations", integrations(x.adminIntegrations))
	x.page("POST /admin/integrations/webhooks", integrations(x.adminCreateWebhook))
	x.page("GET /admin/integrations/webhooks/{id}", integrations(x.adminWebhook))
	x.page("POST /admin/integrations/webhooks/{id}/enabled", integrations(x.adminToggleWebhook))
	x.page("POST /admin/integrations/webhooks/{id}/delete", integrations(x.adminDeleteWebhook))
	x.page("POST /admin/integrations/webhooks/{id}/deliveries/{delivery}/redeliver", integrations(x.adminRedeliver))
	x.page("POST /admin/integrations/apikeys", integrations(x.adminCreateKey))
	x.page("POST /admin/integrations/apikeys/{id}/revoke", integrations(x.adminRevokeKey))
	x.page("POST /admin/integrations/crm/import", x.adminUpload(governance.RoleIntegrationManager, x.adminImportCRM))

	x.page("GET /admin/credentials", admin(x.adminCredentials))
	x.page("POST /admin/credentials", x.adminUpload(governance.RoleAdministrator, x.adminSetCredential))
	x.page("GET /admin/audit", admin(x.adminAudit))
	x.page("GET /admin/audit/export", admin(x.adminAuditExport))
	x.page("GET /admin/provisioning", admin(x.adminProvisioning))
	x.page("POST /admin/provisioning/{id}/retry", admin(x.adminRetry))
	x.page("GET /admin/subscription", admin(x.adminSubscription))
}
