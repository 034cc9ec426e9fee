package entra

import "net/http"

// discovery is the v2.0 OpenID Provider Metadata, with the fields and values
// Microsoft publishes at login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration.
type discovery struct {
	TokenEndpoint               string   `json:"token_endpoint"`
	TokenEndpointAuthMethods    []string `json:"token_endpoint_auth_methods_supported"`
	JWKSURI                     string   `json:"jwks_uri"`
	ResponseModes               []string `json:"response_modes_supported"`
	SubjectTypes                []string `json:"subject_types_supported"`
	IDTokenSigningAlgs          []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypes               []string `json:"response_types_supported"`
	Scopes                      []string `json:"scopes_supported"`
	Issuer                      string   `json:"issuer"`
	RequestURIParameter         bool     `json:"request_uri_parameter_supported"`
	AuthorizationEndpoint       string   `json:"authorization_endpoint"`
	EndSessionEndpoint          string   `json:"end_session_endpoint"`
	CodeChallengeMethods        []string `json:"code_challenge_methods_supported"`
	HTTPLogoutSupported         bool     `json:"http_logout_supported"`
	FrontchannelLogoutSupported bool     `json:"frontchannel_logout_supported"`
	Claims                      []string `json:"claims_supported"`
	TenantRegionScope           *string  `json:"tenant_region_scope"`
	CloudInstanceName           string   `json:"cloud_instance_name"`
	CloudGraphHostName          string   `json:"cloud_graph_host_name"`
	MSGraphHost                 string   `json:"msgraph_host"`
}

func (e *Entra) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	// On a tenant authority Microsoft names the tenant by its GUID in every
	// URL, whichever alias (domain) was asked; on common/organizations the
	// issuer is a template clients fill from the token's tid.
	pathTenant, issTenant := tenant, "{tenantid}"
	var region *string
	if !multiTenant(tenant) {
		t, ok := e.dir.ResolveTenant(tenant)
		if !ok {
			e.writeError(w, r, errTenantNotFound(tenant, "invalid_tenant"))
			return
		}
		pathTenant, issTenant = t.ID, t.ID
		// The directory has no region; every simulated tenant is in North America.
		na := "NA"
		region = &na
	}
	base := e.base + "/" + pathTenant
	writeJSON(w, http.StatusOK, discovery{
		TokenEndpoint:            base + "/oauth2/v2.0/token",
		TokenEndpointAuthMethods: []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		JWKSURI:                  base + "/discovery/v2.0/keys",
		ResponseModes:            []string{"query", "fragment", "form_post"},
		SubjectTypes:             []string{"pairwise"},
		IDTokenSigningAlgs:       []string{"RS256"},
		// Microsoft also lists the implicit and hybrid types; only the
		// authorization code flow is simulated, so only it is advertised.
		ResponseTypes:         []string{"code"},
		Scopes:                []string{"openid", "profile", "email", "offline_access"},
		Issuer:                e.issuer(issTenant),
		AuthorizationEndpoint: base + "/oauth2/v2.0/authorize",
		EndSessionEndpoint:    base + "/oauth2/v2.0/logout",
		// Not in Microsoft's document (it accepts plain and S256); published
		// because this simulator enforces S256 and clients may check.
		CodeChallengeMethods:        []string{"S256"},
		HTTPLogoutSupported:         true,
		FrontchannelLogoutSupported: true,
		Claims: []string{"sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
			"msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name",
			"tid", "ver", "at_hash", "c_hash", "email"},
		TenantRegionScope:  region,
		CloudInstanceName:  "microsoftonline.com",
		CloudGraphHostName: "graph.windows.net",
		MSGraphHost:        "graph.microsoft.com",
	}, false)
}
