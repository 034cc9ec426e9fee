package store

// The data inventory of the main store, declared beside the migrations that
// create the tables: every table says which category of data it holds, how
// its sensitive values are protected and how long rows live. The trust
// center publishes it; a test fails when a migration creates a table that is
// not declared here.

// Data categories: stable keys the trust center groups tables by.
const (
	DataTenants       = "tenants"
	DataCredentials   = "app-credentials"
	DataAudit         = "audit-trail"
	DataWebhooks      = "webhooks"
	DataAPIKeys       = "api-keys"
	DataTemplates     = "templates"
	DataRequests      = "team-requests"
	DataRoles         = "roles"
	DataManagedTeams  = "managed-teams"
	DataCRM           = "crm-records"
	DataBot           = "bot-conversations"
	DataSessions      = "sessions"
	DataProvisionings = "provisioning-state"
)

// Retentions shared by most tables.
const (
	retainTenant = "until the tenant is removed from Steward (every row is deleted with its tenant)"
)

// DataDeclaration describes one table of the main store.
type DataDeclaration struct {
	Table      string `json:"table"`
	Category   string `json:"category"`
	Holds      string `json:"holds"`      // what a row holds, personal data named
	Protection string `json:"protection"` // how its sensitive values are kept
	Retention  string `json:"retention"`  // how long a row lives
}

// DataDeclarations lists every table the migrations create.
func DataDeclarations() []DataDeclaration {
	return []DataDeclaration{
		{Table: "tenants", Category: DataTenants, Holds: "each customer organization: Steward's tenant id, its name and its Microsoft Entra tenant id",
			Protection: "plain (no secret)", Retention: "until an operator removes the tenant"},
		{Table: "data_keys", Category: DataCredentials, Holds: "each tenant's data-encryption keys, only as wrapped by a key-encryption key",
			Protection: "wrapped by a key-encryption key kept outside the database (keyring file or Azure Key Vault)", Retention: retainTenant},
		{Table: "secrets", Category: DataCredentials, Holds: "sealed secrets: the tenant's Microsoft Graph app credential (client secret or certificate key) and webhook signing secrets",
			Protection: "AES-256-GCM envelope encryption with the tenant's data key, bound to tenant and secret name", Retention: "until replaced or deleted, and " + retainTenant},
		{Table: "acme_cache", Category: DataCredentials, Holds: "with acme_hosts only: the ACME account key, each host's TLS certificate and private key, and the challenge answers of a certificate order in flight; no personal data beyond acme_email, registered with the certificate authority",
			Protection: "AES-256-GCM envelope encryption under a fresh data key per entry, wrapped by the key-encryption key kept outside the database, bound to the entry's name",
			Retention:  "until replaced at renewal (certificates last 90 days or less at Let's Encrypt); challenge answers are deleted once the order is done"},
		{Table: "audit_events", Category: DataAudit, Holds: "who did what and when (actor id and display name, action, subject, before and after values, request id)",
			Protection: "append-only (the database refuses UPDATE and DELETE), one SHA-256 hash chain per tenant that `steward audit verify` checks", Retention: retainTenant},
		{Table: "webhook_subscriptions", Category: DataWebhooks, Holds: "the endpoints administrators registered: URL, events, description, who created it",
			Protection: "plain; the signing secret is not here (sealed in secrets)", Retention: "until an administrator deletes the webhook, and " + retainTenant},
		{Table: "webhook_deliveries", Category: DataWebhooks, Holds: "each event sent to an endpoint: the payload sent, attempts, status, the endpoint's answer code",
			Protection: "plain", Retention: "deleted with its webhook, and " + retainTenant},
		{Table: "api_keys", Category: DataAPIKeys, Holds: "integration API keys: name, scopes, prefix, expiry, last use",
			Protection: "the key itself is never stored: only HMAC-SHA256 of it under a pepper kept outside the database", Retention: "until revoked and deleted, and " + retainTenant},
		{Table: "templates", Category: DataTemplates, Holds: "the catalog of team templates: name, current version, state",
			Protection: "plain", Retention: retainTenant},
		{Table: "template_versions", Category: DataTemplates, Holds: "every version of every template (channels, tabs, apps, policies), immutable",
			Protection: "plain", Retention: retainTenant},
		{Table: "requests", Category: DataRequests, Holds: "team requests: the requester's Entra id, the team name, description, members asked for, approvals with approvers' ids, comments by the requester and approvers, the outcome",
			Protection: "plain", Retention: retainTenant},
		{Table: "request_pending_approvers", Category: DataRequests, Holds: "the Entra user and group ids a pending request waits for",
			Protection: "plain", Retention: "rewritten on every save, empty once the request is decided; " + retainTenant},
		{Table: "role_assignments", Category: DataRoles, Holds: "Steward roles granted to Entra users or groups (their object ids)",
			Protection: "plain", Retention: "until the role is revoked, and " + retainTenant},
		{Table: "provision_checkpoints", Category: DataProvisionings, Holds: "what provisioning already did in Microsoft Graph for a request (group and operation ids, finished steps)",
			Protection: "plain", Retention: retainTenant},
		{Table: "managed_teams", Category: DataManagedTeams, Holds: "teams Steward provisioned: the team's group id, name, template version, lifecycle state (expiry, renewal, activity)",
			Protection: "plain", Retention: retainTenant},
		{Table: "reconciler_state", Category: DataManagedTeams, Holds: "the reconcilers' own state, e.g. the Microsoft Graph delta link of a tenant's groups",
			Protection: "plain", Retention: retainTenant},
		{Table: "crm_records", Category: DataCRM, Holds: "accounts, opportunities and contacts a tenant imported into the built-in CRM connector (contact names, e-mail addresses, phone numbers as imported)",
			Protection: "plain", Retention: "until re-imported or cleared, and " + retainTenant},
		{Table: "crm_generations", Category: DataCRM, Holds: "a counter per tenant that tells replicas when CRM records changed",
			Protection: "plain (no personal data)", Retention: retainTenant},
		{Table: "bot_conversations", Category: DataBot, Holds: "Bot Framework conversation references to message a user or a team: Entra and Teams user ids, conversation id, service URL, locale",
			Protection: "plain", Retention: retainTenant},
		{Table: "bot_card_posts", Category: DataBot, Holds: "where the bot posted a card about a request (conversation and activity ids), to update it in place",
			Protection: "plain", Retention: retainTenant},
		{Table: "web_sessions", Category: DataSessions, Holds: "sessions of people signed in to the web pages: the validated Entra claims (user id, name, tenant) and a CSRF token",
			Protection: "the session cookie's secret is never stored: only its SHA-256", Retention: "deleted at sign-out; once past its absolute expiry or idle timeout, deleted by the hourly maintenance sweep"},
	}
}
