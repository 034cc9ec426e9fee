package graph

import (
	"errors"
	"net/http"
	"slices"

	"github.com/stewardhq/steward/m365sim/directory"
)

func groupJSON(gr directory.Group) map[string]any {
	m := toMap(gr)
	m["createdDateTime"] = odataTime(gr.CreatedDateTime)
	for _, k := range []string{"description", "mail", "visibility"} {
		if _, ok := m[k]; !ok {
			m[k] = nil
		}
	}
	m["classification"] = nil
	m["renewedDateTime"] = odataTime(gr.CreatedDateTime)
	m["securityIdentifier"] = "S-1-12-1-" + hexID("sid", gr.ID)[:10]
	m["proxyAddresses"] = []string{}
	if gr.Mail != "" {
		m["proxyAddresses"] = []string{"SMTP:" + gr.Mail}
	}
	return m
}

var groupFilters = map[string]string{
	"eq:mailnickname":                 "mailNickname",
	"eq:displayname":                  "displayName",
	"eq:mail":                         "mail",
	"eq:id":                           "id",
	"startswith:displayname":          "displayName",
	"startswith:mailnickname":         "mailNickname",
	"any:resourceprovisioningoptions": "resourceProvisioningOptions",
}

func (g *Graph) listGroups(c *call) error {
	groups, err := g.dir.Groups(c.tid)
	if err != nil {
		return err
	}
	q := c.r.URL.Query()
	f, err := parseFilter(q, "Group", groupFilters)
	if err != nil {
		return err
	}
	fields, err := selectFields(q, "microsoft.graph.group", groupJSON(directory.Group{ID: "00000000"}))
	if err != nil {
		return err
	}
	var items []map[string]any
	for _, gr := range groups {
		m := groupJSON(gr)
		if f.match(m) {
			items = append(items, project(m, fields))
		}
	}
	items, next, err := g.page(c.r, items, 100, 999)
	if err != nil {
		return err
	}
	return g.collection(c, "groups", nonNil(items), next)
}

// group fetches a group of the caller's tenant or answers Graph's 404.
func (g *Graph) group(c *call, id string) (directory.Group, error) {
	gr, err := g.dir.Group(c.tid, id)
	if errors.Is(err, directory.ErrNotFound) {
		return gr, errResourceNotFound(id)
	}
	return gr, err
}

func (g *Graph) getGroup(c *call) error {
	gr, err := g.group(c, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	fields, err := selectFields(c.r.URL.Query(), "microsoft.graph.group", groupJSON(directory.Group{ID: "00000000"}))
	if err != nil {
		return err
	}
	return g.entity(c, http.StatusOK, "groups/$entity", project(groupJSON(gr), fields))
}

type createGroupBody struct {
	DisplayName     string   `json:"displayName"`
	Description     string   `json:"description"`
	MailNickname    string   `json:"mailNickname"`
	MailEnabled     *bool    `json:"mailEnabled"`
	SecurityEnabled *bool    `json:"securityEnabled"`
	GroupTypes      []string `json:"groupTypes"`
	Visibility      string   `json:"visibility"`
	Owners          []string `json:"owners@odata.bind"`
	Members         []string `json:"members@odata.bind"`
}

func (g *Graph) createGroup(c *call) error {
	var b createGroupBody
	if err := decodeBody(c.r, &b); err != nil {
		return err
	}
	for _, req := range []struct {
		name string
		ok   bool
	}{{"displayName", b.DisplayName != ""}, {"mailNickname", b.MailNickname != ""}, {"mailEnabled", b.MailEnabled != nil}, {"securityEnabled", b.SecurityEnabled != nil}} {
		if !req.ok {
			return errDirBadRequest("Invalid value specified for property '%s' of resource 'Group'.", req.name)
		}
	}
	if len(b.Owners) > 100 || len(b.Owners)+len(b.Members) > 20 {
		return errDirBadRequest("Request cannot exceed 20 objects across owners@odata.bind and members@odata.bind, and 100 owners.")
	}
	owners, err := g.bindUsers(c, b.Owners)
	if err != nil {
		return err
	}
	members, err := g.bindUsers(c, b.Members)
	if err != nil {
		return err
	}
	vis := b.Visibility
	if vis == "" && slices.Contains(b.GroupTypes, "Unified") {
		vis = "Public"
	}
	gr, err := g.dir.CreateGroup(c.tid, directory.Group{
		DisplayName: b.DisplayName, Description: b.Description, MailNickname: b.MailNickname,
		MailEnabled: *b.MailEnabled, SecurityEnabled: *b.SecurityEnabled, GroupTypes: b.GroupTypes,
		Visibility: vis, Owners: owners, Members: members,
	})
	if errors.Is(err, directory.ErrConflict) {
		return mailNicknameConflict()
	}
	if err != nil {
		return err
	}
	return g.entity(c, http.StatusCreated, "groups/$entity", groupJSON(gr))
}

func mailNicknameConflict() *apiError {
	e := errDirBadRequest("Another object with the same value for property mailNickname already exists.")
	e.details = []map[string]string{{"code": "ObjectConflict", "message": "Another object with the same value for property mailNickname already exists.", "target": "mailNickname"}}
	return e
}

// bindUsers resolves @odata.bind URLs to user ids of the caller's tenant.
func (g *Graph) bindUsers(c *call, refs []string) ([]string, error) {
	var ids []string
	for _, ref := range refs {
		id, ok := bindID(ref, "users", "directoryObjects")
		if !ok {
			return nil, errDirBadRequest("Invalid object identifier '%s'.", ref)
		}
		u, err := g.dir.User(c.tid, id)
		if err != nil {
			return nil, errResourceNotFound(id)
		}
		ids = append(ids, u.ID)
	}
	return ids, nil
}

func (g *Graph) deleteGroup(c *call) error {
	id := c.r.PathValue("id")
	if err := g.dir.DeleteGroup(c.tid, id); errors.Is(err, directory.ErrNotFound) {
		return errResourceNotFound(id)
	} else if err != nil {
		return err
	}
	g.mu.Lock()
	delete(g.teams, teamKey{c.tid, id})
	g.mu.Unlock()
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (g *Graph) listGroupRel(owners bool) handler {
	return func(c *call) error {
		gr, err := g.group(c, c.r.PathValue("id"))
		if err != nil {
			return err
		}
		ids := gr.Members
		if owners {
			ids = gr.Owners
		}
		fields, err := selectFields(c.r.URL.Query(), "microsoft.graph.directoryObject", userJSON(directory.User{}))
		if err != nil {
			return err
		}
		var items []map[string]any
		for _, id := range ids {
			u, err := g.dir.User(c.tid, id)
			if err != nil {
				continue
			}
			m := project(userJSON(u), fields)
			m["@odata.type"] = "#microsoft.graph.user"
			items = append(items, m)
		}
		items, next, err := g.page(c.r, items, 100, 999)
		if err != nil {
			return err
		}
		return g.collection(c, "directoryObjects", nonNil(items), next)
	}
}

func (g *Graph) addGroupRef(owner bool) handler {
	return func(c *call) error {
		gid := c.r.PathValue("id")
		if _, err := g.group(c, gid); err != nil {
			return err
		}
		var b struct {
			ID string `json:"@odata.id"`
		}
		if err := decodeBody(c.r, &b); err != nil {
			return err
		}
		uid, ok := bindID(b.ID, "directoryObjects", "users")
		if !ok {
			return errDirBadRequest("Invalid object identifier '%s'.", b.ID)
		}
		if _, err := g.dir.User(c.tid, uid); err != nil {
			return errResourceNotFound(uid)
		}
		err := g.dir.AddMember(c.tid, gid, uid, owner)
		if errors.Is(err, directory.ErrConflict) {
			prop := "members"
			if owner {
				prop = "owners"
			}
			return errDirBadRequest("One or more added object references already exist for the following modified properties: '%s'.", prop)
		}
		if err != nil {
			return err
		}
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (g *Graph) removeGroupRef(owner bool) handler {
	return func(c *call) error {
		gid, uid := c.r.PathValue("id"), c.r.PathValue("uid")
		gr, err := g.group(c, gid)
		if err != nil {
			return err
		}
		if owner && len(gr.Owners) == 1 && gr.Owners[0] == uid && slices.Contains(gr.GroupTypes, "Unified") {
			return errDirBadRequest("The group must have at least one owner, hence this owner cannot be removed.")
		}
		if err := g.dir.RemoveMember(c.tid, gid, uid, owner); errors.Is(err, directory.ErrNotFound) {
			return errResourceNotFound(uid)
		} else if err != nil {
			return err
		}
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	}
}
