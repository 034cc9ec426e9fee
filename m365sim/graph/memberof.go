package graph

import (
	"errors"
	"slices"
	"sort"

	"github.com/stewardhq/steward/m365sim/directory"
)

// directoryRoleTemplates are the template ids of Entra's built-in
// directory roles the fixture uses (the ids Entra puts in the wids claim;
// the entra package issues the same ones).
var directoryRoleTemplates = map[string]string{
	"Global Administrator":          "62e90394-69f5-4237-9190-012177145e10",
	"Teams Administrator":           "69091246-20e8-4a56-aa4d-066075b2a7a8",
	"User Administrator":            "fe930be7-5e62-47db-91af-98c3a49a38b1",
	"Groups Administrator":          "fdd7a751-b60b-444a-984c-02652fe8fa1c",
	"SharePoint Administrator":      "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
	"Exchange Administrator":        "29232cdf-9323-42fd-ade2-1d097af3e4de",
	"Global Reader":                 "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
	"Application Administrator":     "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
	"Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
}

// directoryRoleJSON is an activated directory role as memberOf lists it:
// its object id is the tenant's, its roleTemplateId Entra's.
func directoryRoleJSON(tid, name, templateID string) map[string]any {
	h := hexID("role", tid, templateID)
	return map[string]any{
		"@odata.type": "#microsoft.graph.directoryRole", "id": h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32],
		"displayName": name, "description": nil, "roleTemplateId": templateID, "deletedDateTime": nil,
	}
}

// listTransitiveMemberOf answers GET /users/{id}/transitiveMemberOf: the
// groups the user is a member of (the simulator has no nested groups, so
// direct membership is the transitive one; owning a group is not being
// its member), then the user's directory roles. $select may name
// properties of either type; @odata.type is always kept, since the
// collection mixes them.
func (g *Graph) listTransitiveMemberOf(c *call) error {
	id := c.r.PathValue("id")
	u, err := g.dir.User(c.tid, id)
	if errors.Is(err, directory.ErrNotFound) {
		return errResourceNotFound(id)
	}
	if err != nil {
		return err
	}
	groups, err := g.dir.Groups(c.tid)
	if err != nil {
		return err
	}
	known := groupJSON(directory.Group{ID: "00000000"})
	for k, v := range directoryRoleJSON(c.tid, "", "") {
		known[k] = v
	}
	q := c.r.URL.Query()
	fields, err := selectFields(q, "microsoft.graph.directoryObject", known)
	if err != nil {
		return err
	}
	var items []map[string]any
	for _, gr := range groups {
		if !slices.Contains(gr.Members, u.ID) {
			continue
		}
		m := project(groupJSON(gr), fields)
		m["@odata.type"] = "#microsoft.graph.group"
		items = append(items, m)
	}
	roles := slices.Clone(u.Roles)
	sort.Strings(roles)
	for _, name := range roles {
		tpl, ok := directoryRoleTemplates[name]
		if !ok {
			continue
		}
		m := project(directoryRoleJSON(c.tid, name, tpl), fields)
		m["@odata.type"] = "#microsoft.graph.directoryRole"
		items = append(items, m)
	}
	items, next, err := g.page(c.r, items, 100, 999)
	if err != nil {
		return err
	}
	return g.collection(c, "directoryObjects", nonNil(items), next)
}
