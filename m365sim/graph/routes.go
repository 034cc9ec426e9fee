package graph

import (
	"errors"
	"net/http"
	"strings"

	"github.com/stewardhq/steward/m365sim/simauth"
)

// call is one authenticated request as a handler sees it. The tenant is
// always the token's, never the URL's: that is how Graph isolates tenants.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	claims simauth.Claims
	tid    string
}

// handler answers one route; a returned *apiError becomes Graph's envelope.
type handler func(c *call) error

// perms is the set of permissions any one of which grants a route. style
// picks the 403 Graph answers: directory endpoints use
// Authorization_RequestDenied, Teams endpoints a "Missing role permissions"
// message.
type perms struct {
	any   []string
	teams bool
}

func dirPerms(p ...string) perms  { return perms{any: p} }
func teamPerms(p ...string) perms { return perms{any: p, teams: true} }

// Permission sets, from each endpoint's "Permissions" table in the Graph
// v1.0 reference (least to most privileged).
var (
	permUserRead    = dirPerms("User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
	permGroupRead   = dirPerms("GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
	permGroupCreate = dirPerms("Group.Create", "Group.ReadWrite.All", "Directory.ReadWrite.All")
	permGroupWrite  = dirPerms("Group.ReadWrite.All", "Directory.ReadWrite.All")
	permPhotoRead   = dirPerms("ProfilePhoto.Read.All", "ProfilePhoto.ReadWrite.All", "Group.Read.All", "Group.ReadWrite.All")
	permPhotoWrite  = dirPerms("ProfilePhoto.ReadWrite.All", "Group.ReadWrite.All")
	permMemberWrite = dirPerms("GroupMember.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")

	permTeamCreate = teamPerms("Team.Create", "Teamwork.Migrate.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")
	permTeamRead   = teamPerms("Team.ReadBasic.All", "TeamSettings.Read.All", "TeamSettings.ReadWrite.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
	permTeamWrite  = teamPerms("TeamSettings.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")
	permTeamify    = teamPerms("Group.ReadWrite.All", "Directory.ReadWrite.All")
	permTeamClone  = teamPerms("Team.Create", "Group.ReadWrite.All", "Directory.ReadWrite.All")
	permOpRead     = teamPerms("Team.ReadBasic.All", "TeamSettings.Read.All", "TeamSettings.ReadWrite.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
	permChanRead   = teamPerms("Channel.ReadBasic.All", "ChannelSettings.Read.All", "ChannelSettings.ReadWrite.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
	permChanCreate = teamPerms("Channel.Create", "Teamwork.Migrate.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")
	permChanDelete = teamPerms("Channel.Delete.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")
	permAppsRead   = teamPerms("TeamsAppInstallation.ReadForTeam.All", "TeamsAppInstallation.ReadWriteForTeam.All", "TeamsAppInstallation.ReadWriteSelfForTeam.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
	permAppsWrite  = teamPerms("TeamsAppInstallation.ReadWriteForTeam.All", "TeamsAppInstallation.ReadWriteSelfForTeam.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")
	permTabsRead   = teamPerms("TeamsTab.Read.All", "TeamsTab.ReadWriteForTeam.All", "TeamsTab.ReadWrite.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
	permTabsWrite  = teamPerms("TeamsTab.Create", "TeamsTab.ReadWriteForTeam.All", "TeamsTab.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All")
	permTMRead     = teamPerms("TeamMember.Read.All", "TeamMember.ReadWrite.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")
	permTMWrite    = teamPerms("TeamMember.ReadWrite.All")
	permMsgSend    = teamPerms("ChannelMessage.Send", "Group.ReadWrite.All")
	permMsgRead    = teamPerms("ChannelMessage.Read.All", "Group.Read.All", "Group.ReadWrite.All")
)

func (g *Graph) routes() *http.ServeMux {
	m := http.NewServeMux()
	add := func(pattern string, class string, p perms, h handler) {
		m.Handle(pattern, g.endpoint(class, p, h))
	}
	// Users.
	add("GET /v1.0/me", "", permMe, g.getMe)
	add("GET /v1.0/users", "", permUserRead, g.listUsers)
	add("GET /v1.0/users/{id}", "", permUserRead, g.getUser)
	add("GET /v1.0/users/{id}/transitiveMemberOf", "", permGroupRead, g.listTransitiveMemberOf)
	// Groups.
	add("GET /v1.0/groups", "", permGroupRead, g.listGroups)
	add("POST /v1.0/groups", "", permGroupCreate, g.createGroup)
	add("GET /v1.0/groups/delta", "", permGroupRead, g.groupsDelta)
	add("GET /v1.0/groups/{id}", "", permGroupRead, g.getGroup)
	add("PATCH /v1.0/groups/{id}", "", permGroupWrite, g.patchGroup)
	add("DELETE /v1.0/groups/{id}", classDelete, permGroupWrite, g.deleteGroup)
	add("GET /v1.0/groups/{id}/photo/$value", "", permPhotoRead, g.getGroupPhoto)
	add("PUT /v1.0/groups/{id}/photo/$value", "", permPhotoWrite, g.putGroupPhoto)
	add("PATCH /v1.0/groups/{id}/photo/$value", "", permPhotoWrite, g.putGroupPhoto)
	add("GET /v1.0/groups/{id}/members", "", permGroupRead, g.listGroupRel(false))
	add("GET /v1.0/groups/{id}/owners", "", permGroupRead, g.listGroupRel(true))
	add("POST /v1.0/groups/{id}/members/$ref", "", permMemberWrite, g.addGroupRef(false))
	add("POST /v1.0/groups/{id}/owners/$ref", "", permMemberWrite, g.addGroupRef(true))
	add("DELETE /v1.0/groups/{id}/members/{uid}/$ref", classDelete, permMemberWrite, g.removeGroupRef(false))
	add("DELETE /v1.0/groups/{id}/owners/{uid}/$ref", classDelete, permMemberWrite, g.removeGroupRef(true))
	add("PUT /v1.0/groups/{teamId}/team", classTeamWrite, permTeamify, g.putGroupTeam)
	// Teams.
	add("POST /v1.0/teams", classCreateTeam, permTeamCreate, g.createTeam)
	add("GET /v1.0/teams/{teamId}", classRead, permTeamRead, g.getTeam)
	add("GET /v1.0/groups/{teamId}/team", classRead, permTeamRead, g.getTeam)
	add("PATCH /v1.0/teams/{teamId}", "", permTeamWrite, g.patchTeam)
	add("GET /v1.0/teams/{teamId}/operations/{opId}", "", permOpRead, g.getOperation)
	add("POST /v1.0/teams/{teamId}/archive", "", permTeamWrite, g.archiveTeam(true))
	add("POST /v1.0/teams/{teamId}/unarchive", "", permTeamWrite, g.archiveTeam(false))
	add("POST /v1.0/teams/{teamId}/clone", classTeamWrite, permTeamClone, g.cloneTeam)
	add("GET /v1.0/teams/{teamId}/channels", classList, permChanRead, g.listChannels)
	add("POST /v1.0/teams/{teamId}/channels", classWrite, permChanCreate, g.createChannel)
	add("GET /v1.0/teams/{teamId}/primaryChannel", classRead, permChanRead, g.getPrimaryChannel)
	add("GET /v1.0/teams/{teamId}/channels/{cid}", classRead, permChanRead, g.getChannel)
	add("DELETE /v1.0/teams/{teamId}/channels/{cid}", classDelete, permChanDelete, g.deleteChannel)
	add("GET /v1.0/teams/{teamId}/channels/{cid}/tabs/{tabId}", classRead, permTabsRead, g.getTab)
	add("DELETE /v1.0/teams/{teamId}/channels/{cid}/tabs/{tabId}", classDelete, permTabsWrite, g.deleteTab)
	add("DELETE /v1.0/teams/{teamId}/installedApps/{installId}", classDelete, permAppsWrite, g.uninstallApp)
	add("GET /v1.0/teams/{teamId}/channels/{cid}/tabs", classRead, permTabsRead, g.listTabs)
	add("POST /v1.0/teams/{teamId}/channels/{cid}/tabs", classWrite, permTabsWrite, g.createTab)
	add("GET /v1.0/teams/{teamId}/channels/{cid}/messages", "", permMsgRead, g.listMessages)
	// Posting checks app-only tokens before permissions: Graph refuses them
	// whatever roles they carry (see postMessage).
	add("POST /v1.0/teams/{teamId}/channels/{cid}/messages", "", perms{}, g.postMessage)
	add("GET /v1.0/teams/{teamId}/installedApps", classRead, permAppsRead, g.listInstalledApps)
	add("POST /v1.0/teams/{teamId}/installedApps", classWrite, permAppsWrite, g.installApp)
	add("GET /v1.0/teams/{teamId}/members", classList, permTMRead, g.listTeamMembers)
	add("POST /v1.0/teams/{teamId}/members", "", permTMWrite, g.addTeamMember)
	add("POST /v1.0/teams/{teamId}/members/add", "", permTMWrite, g.addTeamMembers)
	add("GET /v1.0/teams/{teamId}/members/{mid}", classList, permTMRead, g.getTeamMember)
	add("DELETE /v1.0/teams/{teamId}/members/{mid}", classDelete, permTMWrite, g.removeTeamMember)
	// $batch authenticates each part, not the envelope.
	m.Handle("POST /v1.0/$batch", http.HandlerFunc(g.batch))
	m.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			probe := r.Clone(r.Context())
			probe.Method = method
			if _, pattern := m.Handler(probe); pattern != "/" && pattern != "" {
				g.writeError(w, r, errf(http.StatusMethodNotAllowed, "Request_BadRequest",
					"Specified HTTP method is not allowed for the request target."))
				return
			}
		}
		g.writeError(w, r, errf(http.StatusBadRequest, "BadRequest",
			"Resource not found for the segment '%s'.", lastSegment(r.URL.Path)))
	}))
	return m
}

func lastSegment(p string) string {
	p = strings.TrimSuffix(p, "/")
	return p[strings.LastIndex(p, "/")+1:]
}

// endpoint wraps a handler with authentication, authorisation and
// throttling, in the order Graph applies them.
func (g *Graph) endpoint(class string, p perms, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, aerr := g.authenticate(r)
		if aerr != nil {
			g.writeError(w, r, aerr)
			return
		}
		c.w = w
		if aerr := p.check(c.claims); aerr != nil {
			g.writeError(w, r, aerr)
			return
		}
		if aerr := g.throttle(c, class, r.PathValue("teamId")); aerr != nil {
			g.writeError(w, r, aerr)
			return
		}
		g.settle()
		if err := h(c); err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				ae = errf(http.StatusInternalServerError, "InternalServerError", "%v", err)
			}
			g.writeError(w, r, ae)
		}
	})
}

func (g *Graph) authenticate(r *http.Request) (*call, *apiError) {
	tok, err := simauth.BearerToken(r)
	if err != nil {
		return nil, errf(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
	}
	claims, err := g.verifier.Verify(tok, audiences...)
	switch {
	case errors.Is(err, simauth.ErrExpired):
		return nil, errf(http.StatusUnauthorized, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
	case errors.Is(err, simauth.ErrWrongAudience):
		return nil, errf(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
	case err != nil:
		return nil, errf(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure.")
	}
	if claims.TenantID == "" {
		return nil, errf(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure.")
	}
	if _, ok := g.dir.ResolveTenant(claims.TenantID); !ok {
		return nil, errf(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid tenant.")
	}
	return &call{r: r, claims: claims, tid: claims.TenantID}, nil
}

func (p perms) check(c simauth.Claims) *apiError {
	if len(p.any) == 0 || c.HasAny(p.any...) {
		return nil
	}
	if !p.teams {
		return errf(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	}
	if c.Delegated() {
		return errf(http.StatusForbidden, "Forbidden",
			"Missing scope permissions on the request. API requires one of '%s'. Scopes on the request '%s'",
			strings.Join(p.any, ", "), strings.Join(c.Scopes, ", "))
	}
	return errf(http.StatusForbidden, "Forbidden",
		"Missing role permissions on the request. API requires one of '%s'. Roles on the request '%s'.",
		strings.Join(p.any, ", "), strings.Join(c.Roles, ", "))
}
