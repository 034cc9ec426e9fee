package identity

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/stewardhq/steward/governance"
)

// domainPattern is what an organization hint may name: a DNS domain
// (contoso.com, contoso.onmicrosoft.com) or a tenant GUID. Anything else
// never reaches the network.
var domainPattern = regexp.MustCompile(`^(?i)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Organization is the tenant a person signs in to.
type Organization struct {
	EntraTenantID   string // the directory's GUID
	StewardTenantID string // the Steward tenant registered for it
}

// ResolveOrganization finds the organization of a work address
// (adele@contoso.com), a domain or an Entra tenant id: it reads the
// domain's OpenID metadata from the configured authority, whose issuer
// names the directory's GUID, then the Steward tenant registered for that
// directory. Errors: KindInvalid (not an address, domain or GUID),
// KindNotFound (no such directory, or not a Steward customer),
// KindUnavailable (Entra unreachable).
func (a *Authenticator) ResolveOrganization(ctx context.Context, hint string) (Organization, error) {
	hint = strings.TrimSpace(hint)
	if _, domain, ok := strings.Cut(hint, "@"); ok {
		hint = domain
	}
	hint = strings.ToLower(strings.TrimSuffix(hint, "."))
	if len(hint) > 253 || !domainPattern.MatchString(hint) {
		return Organization{}, governance.Errorf(governance.KindInvalid, "organization_invalid",
			"enter your work email address (name@company.com) or your organization's domain")
	}
	u := a.login.JoinPath(hint, "v2.0", ".well-known", "openid-configuration").String()
	var m metadata
	if err := a.getJSON(ctx, u, &m); err != nil {
		// Entra answers 400 (AADSTS90002) for a domain it does not know.
		if msg := err.Error(); strings.Contains(msg, "HTTP 400") || strings.Contains(msg, "HTTP 404") {
			return Organization{}, governance.Errorf(governance.KindNotFound, "organization_not_found",
				"Microsoft Entra ID knows no organization %q: check the address", hint)
		}
		return Organization{}, unavailable(fmt.Errorf("OpenID metadata of %s: %w", hint, err))
	}
	tid := a.issuerTenant(m.Issuer)
	if tid == "" {
		return Organization{}, unavailable(fmt.Errorf("OpenID metadata of %s has issuer %q off the configured authority", hint, m.Issuer))
	}
	t, err := a.tenants.TenantByEntraID(ctx, tid)
	if err != nil {
		if governance.IsKind(err, governance.KindNotFound) {
			return Organization{}, governance.Errorf(governance.KindNotFound, "organization_not_registered",
				"your organization does not use this Steward yet: ask your Microsoft 365 administrator to register it")
		}
		return Organization{}, err
	}
	return Organization{EntraTenantID: tid, StewardTenantID: t.ID}, nil
}
