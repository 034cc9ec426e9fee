package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/stewardhq/steward/docs"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/identity"
	"github.com/stewardhq/steward/trust"
	"github.com/stewardhq/steward/web"
)

// wireUI adds the pages to srv. base is the origin the server answers at
// (public_url, else the listen address).
func (a *app) wireUI(srv *web.Server, base string) error {
	help, err := web.NewHelpCenter(docs.Files)
	if err != nil {
		return err
	}
	admin, err := a.wireAdmin(a.svc)
	if err != nil {
		return err
	}
	// The trust center describes this process as it runs: the same
	// destinations the egress guard allows, generated at start.
	tc, err := trustCenter(a.cfg, time.Now(), trust.DefaultPACBlocked)
	if err != nil {
		return fmt.Errorf("trust center: %w", err)
	}
	u := &web.UI{
		Sessions: a.db, Identity: uiIdentity{auth: a.svc.auth, graph: a.svc.graph, log: a.log.With("component", "web")},
		SignIn: uiSignIn{auth: a.svc.auth, graph: a.svc.graph, login: strings.TrimRight(a.cfg.LoginURL, "/")},
		People: uiPeople{a.svc.graph}, Help: help, PublicURL: base, LoginURL: a.cfg.LoginURL,
		TeamsAppID: a.cfg.TeamsAppID, Admin: admin, Trust: tc,
	}
	if a.cfg.DevMode {
		ids, err := a.db.TenantIDs(context.Background())
		if err != nil {
			return err
		}
		for _, id := range ids {
			t, err := a.db.Tenant(context.Background(), id)
			if err != nil || t.EntraTenantID == "" {
				continue
			}
			u.DevOrganizations = append(u.DevOrganizations, web.DevOrganization{Name: t.Name, Domain: t.EntraTenantID})
		}
	}
	return srv.UseUI(u)
}

// uiIdentity keeps a session's validated claims, and the person's own
// directory attributes read on their behalf (Graph /me through the
// on-behalf-of flow), and rebuilds the person from them with the roles of
// now.
type uiIdentity struct {
	auth  *identity.Authenticator
	graph *graph.Client
	log   *slog.Logger
}

// keptSession is what a web session keeps.
type keptSession struct {
	Claims     identity.Claims   `json:"claims"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

func (u uiIdentity) FromToken(ctx context.Context, raw string) (web.SessionClaims, error) {
	c, err := u.auth.ValidateToken(ctx, raw)
	if err != nil {
		return web.SessionClaims{}, err
	}
	if !c.Delegated {
		return web.SessionClaims{}, governance.Errorf(governance.KindUnauthenticated, "access_token_invalid",
			"sign in again: the access token is not valid")
	}
	k := keptSession{Claims: c}
	// The profile fills the naming policy's tokens in the previews; a
	// directory that refuses it (consent withdrawn) must not lock the
	// person out, so sign-in goes on without it.
	if me, err := u.graph.Me(ctx, c.StewardTenantID, raw); err == nil {
		k.Attributes = graph.AttributesOf(me)
	} else {
		u.log.WarnContext(ctx, "could not read the signed-in user's profile on their behalf", "tenant_id", c.StewardTenantID, "err", err)
	}
	kept, err := json.Marshal(k)
	if err != nil {
		return web.SessionClaims{}, fmt.Errorf("keep claims: %w", err)
	}
	return web.SessionClaims{TenantID: c.StewardTenantID, UserID: c.ObjectID, Kept: kept, ExpiresAt: c.ExpiresAt}, nil
}

func (u uiIdentity) Principal(ctx context.Context, kept []byte) (governance.Principal, error) {
	var k keptSession
	if err := json.Unmarshal(kept, &k); err != nil || k.Claims.ObjectID == "" {
		return governance.Principal{}, governance.Errorf(governance.KindUnauthenticated, "access_token_invalid",
			"sign in again: the access token is not valid")
	}
	p, err := u.auth.UserPrincipal(ctx, k.Claims)
	if err != nil {
		return governance.Principal{}, err
	}
	p.Attributes = k.Attributes
	return p, nil
}

// uiSignIn is the browser sign-in against the configured Entra authority.
type uiSignIn struct {
	auth  *identity.Authenticator
	graph *graph.Client
	login string
}

func (s uiSignIn) Organization(ctx context.Context, hint string) (web.Organization, error) {
	org, err := s.auth.ResolveOrganization(ctx, hint)
	if err != nil {
		return web.Organization{}, err
	}
	entra, client, err := s.graph.ClientID(ctx, org.StewardTenantID)
	if graph.IsNoCredential(err) {
		return web.Organization{}, governance.Errorf(governance.KindNotFound, "organization_not_configured",
			"your organization is registered but its administrator has not finished setting Steward up (no app credential yet)")
	}
	if err != nil {
		return web.Organization{}, err
	}
	return web.Organization{TenantID: org.StewardTenantID, EntraTenantID: entra, ClientID: client}, nil
}

func (s uiSignIn) AuthorizeURL(entraTenantID string) string {
	return s.login + "/" + url.PathEscape(entraTenantID) + "/oauth2/v2.0/authorize"
}

func (s uiSignIn) Scopes(clientID string) []string {
	return []string{"openid", "profile", "offline_access", "api://" + clientID + "/access_as_user"}
}

func (s uiSignIn) Redeem(ctx context.Context, tenantID, code, verifier, redirectURI string) (string, error) {
	_, client, err := s.graph.ClientID(ctx, tenantID)
	if err != nil {
		return "", err
	}
	t, err := s.graph.RedeemCode(ctx, tenantID, code, verifier, redirectURI, s.Scopes(client))
	if err != nil {
		var ge *graph.Error
		if errors.As(err, &ge) && ge.Code == "invalid_grant" {
			return "", governance.Errorf(governance.KindInvalid, "signin_code_invalid",
				"the sign-in expired or was already used; start again from the sign-in page")
		}
		return "", err
	}
	return t.AccessToken, nil
}

// uiPeople is the people picker, on Microsoft Graph with Steward's
// application permission (User.ReadBasic.All covers what it reads).
type uiPeople struct{ graph *graph.Client }

// peopleSelect is what the picker shows of a user.
const peopleSelect = "id,displayName,mail,userPrincipalName,jobTitle,userType"

func (u uiPeople) SearchPeople(ctx context.Context, p governance.Principal, query string, limit int) ([]web.Person, error) {
	prop := "displayName"
	if strings.Contains(query, "@") {
		prop = "mail"
	}
	// OData string literals double their single quotes.
	filter := fmt.Sprintf("startswith(%s,'%s')", prop, strings.ReplaceAll(query, "'", "''"))
	resp, err := u.graph.Do(ctx, p.TenantID, graph.Request{Method: "GET", Path: "/users",
		Query: url.Values{"$filter": {filter}, "$select": {peopleSelect}, "$top": {fmt.Sprint(limit)}}})
	if err != nil {
		return nil, err
	}
	var page struct {
		Value []graph.User `json:"value"`
	}
	if err := resp.Decode(&page); err != nil {
		return nil, err
	}
	out := make([]web.Person, 0, len(page.Value))
	for _, usr := range page.Value {
		out = append(out, person(usr))
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// maxPeopleLookup bounds how many people one page names.
const maxPeopleLookup = 50

func (u uiPeople) People(ctx context.Context, p governance.Principal, ids []string) ([]web.Person, error) {
	if len(ids) > maxPeopleLookup {
		ids = ids[:maxPeopleLookup]
	}
	out := make([]web.Person, 0, len(ids))
	for _, id := range ids {
		usr, err := u.graph.User(ctx, p.TenantID, id)
		if governance.IsKind(err, governance.KindNotFound) {
			continue // left the directory: the page shows the id
		}
		if err != nil {
			return nil, err
		}
		out = append(out, person(usr))
	}
	return out, nil
}

func person(u graph.User) web.Person {
	mail := u.Mail
	if mail == "" {
		mail = u.UserPrincipalName
	}
	return web.Person{ID: u.ID, Name: u.DisplayName, Mail: mail, Title: u.JobTitle, Guest: strings.EqualFold(u.UserType, "Guest")}
}
