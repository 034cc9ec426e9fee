package trust

// Measure is one security measure, stated as what the code does.
type Measure struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	What  string `json:"what"`
	// Where names the code that does it, so a reader can check.
	Where string `json:"where"`
}

// Measures are the security measures Steward's code applies today. Each
// names the package that implements it; nothing planned is listed.
func Measures() []Measure {
	return []Measure{
		{Key: "envelope-encryption", Title: "Envelope encryption of secrets",
			What:  "Every stored secret (Microsoft Graph app credentials, webhook signing secrets) is sealed with AES-256-GCM under a per-tenant data key, bound to its tenant and name; data keys are stored only wrapped by a key-encryption key kept outside the database, and can be rotated without downtime.",
			Where: "vault"},
		{Key: "tenant-isolation", Title: "Tenant isolation",
			What:  "Every table's key starts with the tenant id and every query filters by it (a test reads every SQL statement to check); a tenant is resolved from the signed-in user's validated Entra token, and Microsoft Graph is called with that tenant's own credential.",
			Where: "store, identity, graph"},
		{Key: "audit-chain", Title: "Tamper-evident audit trail",
			What:  "Every change is recorded with its actor in the same transaction as the change; records form one SHA-256 hash chain per tenant, the database refuses updates and deletes of them, and `steward audit verify` reports any break.",
			Where: "governance, store"},
		{Key: "rate-limiting", Title: "Rate limiting of outgoing calls",
			What:  "Calls to Microsoft Graph stay within Microsoft's published per-tenant limits (a budget per kind of call, Retry-After honoured); the bot stays within Teams' per-conversation limits with backoff on 429.",
			Where: "graph, bot"},
		{Key: "egress-allowlist", Title: "Egress allowlist",
			What:  "The server connects only to the destinations listed on this page: any other host or port is refused before its name is resolved; declared names that resolve to private, loopback, link-local or metadata addresses are refused on every connection; redirects are never followed and proxies from the environment are ignored.",
			Where: "edge"},
		{Key: "api-key-hashing", Title: "API keys never stored",
			What:  "Integration API keys are shown once; only an HMAC-SHA256 of each, under a pepper kept outside the database, is stored.",
			Where: "identity, store"},
		{Key: "token-validation", Title: "Token validation",
			What:  "Tokens from Microsoft Entra ID and the Bot Framework are validated with a maintained JWT library against the issuers' published keys: signature, issuer, audience, expiry, and for the bot the signing key's endorsements and the service URL claim.",
			Where: "identity, bot"},
	}
}
