package trust

import (
	"slices"
	"strings"
)

// Permission types, as the Entra admin center names them.
const (
	Application = "Application"
	Delegated   = "Delegated"
)

// Permission is one Microsoft Graph permission Steward's app registration
// asks for, with the reason and the calls that need it.
type Permission struct {
	Type          string   `json:"type"`
	Name          string   `json:"name"`
	Justification string   `json:"justification"`
	Features      []string `json:"features"`
	// Calls are the Graph v1.0 requests this permission is declared for,
	// "METHOD /path" with {placeholders}; sign-in scopes have none.
	Calls []string `json:"calls,omitempty"`
}

// Features, as the trust center names them.
const (
	featProvisioning = "Team provisioning from templates"
	featNaming       = "Naming and guest policies"
	featLifecycle    = "Expiry, renewal, archive and deletion"
	featMembership   = "Permanent membership and owner checks"
	featTemplateCopy = "Templates copied from an existing team"
	featBotRoles     = "Bot: who may approve and administer"
	featSignIn       = "Sign-in to the tabs and the admin center"
)

// GraphPermissions lists every Microsoft Graph permission Steward needs,
// application permissions first. They come from the calls the graph
// package and its callers make (graph/teams.go, team_reader.go,
// team_lifecycle.go, bot/principal.go, provision/membership.go): for each
// call the least privileged permission Microsoft's reference lists, except
// where Group.ReadWrite.All, which three calls need anyway (PATCH and
// DELETE /groups/{id} accept nothing narrower), already covers a directory
// call. On Teams endpoints Group.ReadWrite.All is accepted only "for
// backward compatibility", so each Teams call gets its own Teams permission.
func GraphPermissions() []Permission {
	return []Permission{
		{Type: Application, Name: "Team.Create", Features: []string{featProvisioning},
			Justification: "Create each approved team from its template (channels, apps and members in the same request).",
			Calls:         []string{"POST /teams"}},
		{Type: Application, Name: "TeamSettings.ReadWrite.All", Features: []string{featProvisioning, featLifecycle, featTemplateCopy},
			Justification: "Read a team and the status of its creation, apply the template's settings, archive and unarchive teams at expiry or renewal.",
			Calls: []string{"GET /teams/{team-id}", "PATCH /teams/{team-id}", "GET /teams/{team-id}/operations/{operation-id}",
				"POST /teams/{team-id}/archive", "POST /teams/{team-id}/unarchive"}},
		{Type: Application, Name: "Channel.Create", Features: []string{featProvisioning},
			Justification: "Add the template's channels that are not created with the team.",
			Calls:         []string{"POST /teams/{team-id}/channels"}},
		{Type: Application, Name: "Channel.ReadBasic.All", Features: []string{featProvisioning, featTemplateCopy, featLifecycle},
			Justification: "List a team's channels (names and ids only) to resume provisioning, copy a team into a template and find the channels whose activity counts.",
			Calls:         []string{"GET /teams/{team-id}/channels", "GET /teams/{team-id}/primaryChannel"}},
		{Type: Application, Name: "TeamsTab.Create", Features: []string{featProvisioning},
			Justification: "Pin the template's tabs in the new team's channels.",
			Calls:         []string{"POST /teams/{team-id}/channels/{channel-id}/tabs"}},
		{Type: Application, Name: "TeamsTab.Read.All", Features: []string{featProvisioning, featTemplateCopy},
			Justification: "Read the tabs already pinned, so a resumed provisioning does not pin one twice, and copy a team's tabs into a template.",
			Calls:         []string{"GET /teams/{team-id}/channels/{channel-id}/tabs"}},
		{Type: Application, Name: "TeamsAppInstallation.ReadWriteForTeam.All", Features: []string{featProvisioning, featTemplateCopy},
			Justification: "Install the template's apps in the new team and read which are installed.",
			Calls:         []string{"GET /teams/{team-id}/installedApps", "POST /teams/{team-id}/installedApps"}},
		{Type: Application, Name: "TeamMember.ReadWrite.All", Features: []string{featProvisioning, featMembership},
			Justification: "Add the requested members and owners to the new team and list a team's members; Graph offers nothing narrower for adding members.",
			Calls:         []string{"POST /teams/{team-id}/members/add", "GET /teams/{team-id}/members"}},
		{Type: Application, Name: "Group.ReadWrite.All", Features: []string{featNaming, featLifecycle, featMembership, featProvisioning},
			Justification: "Rename and describe a team's group, set its picture and delete it at expiry: these calls accept no narrower permission. The same permission covers reading groups (name uniqueness, members and owners, the groups delta) and channel messages for inactivity, so no read permission is added for them.",
			Calls: []string{"PATCH /groups/{group-id}", "DELETE /groups/{group-id}", "PUT /groups/{group-id}/photo/$value",
				"GET /groups", "GET /groups/{group-id}/members", "GET /groups/{group-id}/owners", "GET /groups/delta",
				"GET /teams/{team-id}/channels/{channel-id}/messages"}},
		{Type: Application, Name: "User.Read.All", Features: []string{featNaming, featBotRoles},
			Justification: "Read the profile properties naming policies use (department, company, office, country, job title) and whether a member is a guest, which User.ReadBasic.All does not return; list the groups and roles a bot user belongs to.",
			Calls:         []string{"GET /users/{user-id}", "GET /users/{user-id}/transitiveMemberOf"}},
		{Type: Application, Name: "RoleManagement.Read.Directory", Features: []string{featBotRoles},
			Justification: "Read which Entra directory role (Global Administrator, Teams Administrator) a bot user holds: without it transitiveMemberOf returns directory roles without their roleTemplateId.",
			Calls:         []string{"GET /users/{user-id}/transitiveMemberOf"}},
		{Type: Delegated, Name: "openid", Features: []string{featSignIn},
			Justification: "Sign people in with Microsoft Entra ID (OpenID Connect)."},
		{Type: Delegated, Name: "profile", Features: []string{featSignIn},
			Justification: "Show the signed-in person's name."},
		{Type: Delegated, Name: "offline_access", Features: []string{featSignIn},
			Justification: "Keep a signed-in session without asking to sign in again every hour."},
		{Type: Delegated, Name: "User.Read", Features: []string{featSignIn},
			Justification: "Read the signed-in person's own profile, and the scope the tabs' single sign-on token is exchanged for (on-behalf-of)."},
	}
}

// ApplicationPermissionNames are the names of the application permissions,
// sorted: what an administrator grants with admin consent.
func ApplicationPermissionNames() []string {
	var out []string
	for _, p := range GraphPermissions() {
		if p.Type == Application {
			out = append(out, p.Name)
		}
	}
	slices.Sort(out)
	return out
}

// CoveringPermissions returns the declared permissions whose calls include
// the request method and path (relative to /v1.0, query ignored; ids may
// be percent-encoded). None means the call is undeclared.
func CoveringPermissions(method, path string) []string {
	path, _, _ = strings.Cut(path, "?")
	var out []string
	for _, p := range GraphPermissions() {
		for _, c := range p.Calls {
			m, pattern, _ := strings.Cut(c, " ")
			if strings.EqualFold(m, method) && pathMatches(pattern, path) {
				out = append(out, p.Name)
				break
			}
		}
	}
	return out
}

// pathMatches matches a path against a pattern whose {segments} match any
// one non-empty segment.
func pathMatches(pattern, path string) bool {
	ps, xs := strings.Split(strings.Trim(pattern, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(xs) {
		return false
	}
	for i, p := range ps {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if p != xs[i] {
			return false
		}
	}
	return true
}
