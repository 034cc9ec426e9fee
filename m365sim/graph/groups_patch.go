package graph

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/stewardhq/steward/m365sim/directory"
)

// patchGroup updates a group's displayName, description, mailNickname or
// visibility (PATCH /groups/{id}); Graph answers 204 No Content. A
// mailNickname another group uses is refused as on creation.
func (g *Graph) patchGroup(c *call) error {
	var b map[string]json.RawMessage
	if err := decodeBody(c.r, &b); err != nil {
		return err
	}
	id := c.r.PathValue("id")
	if _, err := g.group(c, id); err != nil {
		return err
	}
	str := map[string]string{}
	for k, raw := range b {
		switch k {
		case "displayName", "description", "mailNickname", "visibility":
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return errDirBadRequest("Invalid value specified for property '%s' of resource 'Group'.", k)
			}
			str[k] = s
		default:
			return errDirBadRequest("Property '%s' is read-only or does not exist on resource 'Group'.", k)
		}
	}
	if nick, ok := str["mailNickname"]; ok {
		if nick == "" || strings.ContainsAny(nick, " @()\\[]\";:<>,") {
			return errDirBadRequest("Invalid value specified for property 'mailNickname' of resource 'Group'.")
		}
		groups, err := g.dir.Groups(c.tid)
		if err != nil {
			return err
		}
		for _, o := range groups {
			if o.ID != id && strings.EqualFold(o.MailNickname, nick) {
				return mailNicknameConflict()
			}
		}
	}
	if v, ok := str["displayName"]; ok && strings.TrimSpace(v) == "" {
		return errDirBadRequest("Invalid value specified for property 'displayName' of resource 'Group'.")
	}
	if v, ok := str["visibility"]; ok && !strings.EqualFold(v, "Public") && !strings.EqualFold(v, "Private") && !strings.EqualFold(v, "HiddenMembership") {
		return errDirBadRequest("Invalid value specified for property 'visibility' of resource 'Group'.")
	}
	_, err := g.dir.UpdateGroup(c.tid, id, func(gr *directory.Group) error {
		for k, v := range str {
			switch k {
			case "displayName":
				gr.DisplayName = v
			case "description":
				gr.Description = v
			case "mailNickname":
				gr.MailNickname = v
			case "visibility":
				gr.Visibility = map[string]string{"public": "Public", "private": "Private", "hiddenmembership": "HiddenMembership"}[strings.ToLower(v)]
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}
