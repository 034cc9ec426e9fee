package graph

import (
	"context"
	"strings"

	"github.com/stewardhq/steward/governance"
)

// Directory answers the governance questions about people and names from
// Microsoft Graph.
type Directory struct{ c *Client }

var _ governance.Directory = Directory{}

// NewDirectory wraps c.
func NewDirectory(c *Client) Directory { return Directory{c} }

// IsGuest reports whether userID is a guest account (userType Guest), and
// the domain of its home organisation. Errors: KindNotFound for an unknown
// user; KindUnavailable or KindTooManyRequests when Graph fails.
func (d Directory) IsGuest(ctx context.Context, tenantID, userID string) (bool, string, error) {
	u, err := d.c.User(ctx, tenantID, userID)
	if err != nil {
		return false, "", Classify(err, "read user")
	}
	return strings.EqualFold(u.UserType, "Guest"), homeDomain(u), nil
}

// homeDomain is a user's own domain: the mail address's, or, for a guest
// whose UPN is "alice_fabrikam.com#EXT#@contoso.onmicrosoft.com", the part
// encoded before #EXT#.
func homeDomain(u User) string {
	if _, d, ok := strings.Cut(u.Mail, "@"); ok {
		return strings.ToLower(d)
	}
	if local, _, ok := strings.Cut(u.UserPrincipalName, "#EXT#"); ok {
		if i := strings.LastIndexByte(local, '_'); i >= 0 {
			return strings.ToLower(local[i+1:])
		}
	}
	if _, d, ok := strings.Cut(u.UserPrincipalName, "@"); ok {
		return strings.ToLower(d)
	}
	return ""
}

// MailNicknameTaken reports whether a group of the tenant already uses nick.
// Errors: KindUnavailable or KindTooManyRequests when Graph fails.
func (d Directory) MailNicknameTaken(ctx context.Context, tenantID, nick string) (bool, error) {
	gs, err := d.c.GroupsWhere(ctx, tenantID, "mailNickname eq "+Quote(nick))
	if err != nil {
		return false, Classify(err, "look up mailNickname")
	}
	return len(gs) > 0, nil
}

// Attributes are a user's directory attributes by the naming-policy token
// that names them (Department, Company, Office, City, StateOrProvince,
// CountryOrRegion, Title), empty ones left out.
func (d Directory) Attributes(ctx context.Context, tenantID, userID string) (map[string]string, error) {
	u, err := d.c.User(ctx, tenantID, userID)
	if err != nil {
		return nil, Classify(err, "read user")
	}
	return AttributesOf(u), nil
}

// AttributesOf are u's directory attributes by naming-policy token, empty
// ones left out.
func AttributesOf(u User) map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{"Department": u.Department, "Company": u.CompanyName, "Office": u.OfficeLocation,
		"City": u.City, "StateOrProvince": u.State, "CountryOrRegion": u.Country, "Title": u.JobTitle} {
		if v = strings.TrimSpace(v); v != "" {
			out[k] = v
		}
	}
	return out
}
