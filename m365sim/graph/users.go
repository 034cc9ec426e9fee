package graph

import (
	"errors"

	"github.com/stewardhq/steward/m365sim/directory"
)

// userJSON is a user as Graph serialises it. Graph's default user
// projection always carries these properties, null when empty; city and
// state exist on every user (selectable) though the fixture sets none.
func userJSON(u directory.User) map[string]any {
	m := toMap(u)
	for _, k := range []string{"mail", "jobTitle", "officeLocation", "preferredLanguage", "surname", "givenName", "department", "companyName", "country", "usageLocation", "city", "state"} {
		if _, ok := m[k]; !ok {
			m[k] = nil
		}
	}
	m["businessPhones"] = []string{}
	m["mobilePhone"] = nil
	return m
}

var userFilters = map[string]string{
	"eq:mail":                      "mail",
	"eq:userprincipalname":         "userPrincipalName",
	"eq:displayname":               "displayName",
	"eq:id":                        "id",
	"startswith:displayname":       "displayName",
	"startswith:mail":              "mail",
	"startswith:userprincipalname": "userPrincipalName",
}

func (g *Graph) listUsers(c *call) error {
	users, err := g.dir.Users(c.tid)
	if err != nil {
		return err
	}
	q := c.r.URL.Query()
	f, err := parseFilter(q, "User", userFilters)
	if err != nil {
		return err
	}
	fields, err := selectFields(q, "microsoft.graph.user", userJSON(directory.User{}))
	if err != nil {
		return err
	}
	var items []map[string]any
	for _, u := range users {
		m := userJSON(u)
		if f.match(m) {
			items = append(items, project(m, fields))
		}
	}
	items, next, err := g.page(c.r, items, 100, 999)
	if err != nil {
		return err
	}
	ctx := "users"
	if len(fields) > 0 {
		ctx = "users(" + q.Get("$select") + ")"
	}
	return g.collection(c, ctx, nonNil(items), next)
}

func (g *Graph) getUser(c *call) error {
	id := c.r.PathValue("id")
	u, err := g.dir.User(c.tid, id)
	if errors.Is(err, directory.ErrNotFound) {
		return errResourceNotFound(id)
	}
	if err != nil {
		return err
	}
	q := c.r.URL.Query()
	fields, err := selectFields(q, "microsoft.graph.user", userJSON(directory.User{}))
	if err != nil {
		return err
	}
	return g.entity(c, 200, "users/$entity", project(userJSON(u), fields))
}

func nonNil(items []map[string]any) []map[string]any {
	if items == nil {
		return []map[string]any{}
	}
	return items
}
