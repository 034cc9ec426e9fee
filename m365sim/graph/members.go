package graph

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/stewardhq/steward/m365sim/directory"
)

// Team membership is the group's membership: owners are group owners (and
// members), so Graph's groups and teams endpoints always agree.

func (g *Graph) teamMembers(c *call, t *team) ([]map[string]any, error) {
	gr, err := g.dir.Group(c.tid, t.id)
	if err != nil {
		return nil, errTeamNotFound(t.id)
	}
	ids := slices.Clone(gr.Owners)
	for _, id := range gr.Members {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	items := []map[string]any{}
	for _, id := range ids {
		u, err := g.dir.User(c.tid, id)
		if err != nil {
			continue
		}
		items = append(items, g.memberJSON(t, u, slices.Contains(gr.Owners, id)))
	}
	return items, nil
}

func (g *Graph) listTeamMembers(c *call) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, err := g.readyTeam(c, c.r.PathValue("teamId"))
	if err != nil {
		return err
	}
	items, err := g.teamMembers(c, t)
	if err != nil {
		return err
	}
	return g.collection(c, fmt.Sprintf("teams('%s')/members", t.id), items, "")
}

func (g *Graph) getTeamMember(c *call) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, err := g.readyTeam(c, c.r.PathValue("teamId"))
	if err != nil {
		return err
	}
	mid := c.r.PathValue("mid")
	items, err := g.teamMembers(c, t)
	if err != nil {
		return err
	}
	for _, m := range items {
		if m["id"] == mid {
			return g.entity(c, http.StatusOK, fmt.Sprintf("teams('%s')/members/$entity", t.id), m)
		}
	}
	return errf(http.StatusNotFound, "NotFound", "Member %s not found in team %s.", mid, t.id)
}

// join adds a user to the team's group, as member and, for owners, as
// owner too; already being there is not an error.
func (g *Graph) join(tid, gid, uid string, owner bool) error {
	if err := g.dir.AddMember(tid, gid, uid, false); err != nil && !errors.Is(err, directory.ErrConflict) {
		return err
	}
	if owner {
		if err := g.dir.AddMember(tid, gid, uid, true); err != nil && !errors.Is(err, directory.ErrConflict) {
			return err
		}
	}
	return nil
}

func (g *Graph) addTeamMember(c *call) error {
	var b memberBody
	if err := decodeBody(c.r, &b); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	t, err := g.readyTeam(c, c.r.PathValue("teamId"))
	if err != nil {
		return err
	}
	rm, err := g.resolveMember(c, b)
	if err != nil {
		return err
	}
	if err := g.join(c.tid, t.id, rm.user.ID, rm.owner); err != nil {
		return fmt.Errorf("graph: add team member: %w", err)
	}
	return g.entity(c, http.StatusCreated, fmt.Sprintf("teams('%s')/members/$entity", t.id), g.memberJSON(t, rm.user, rm.owner || g.isOwner(c.tid, t.id, rm.user.ID)))
}

func (g *Graph) isOwner(tid, gid, uid string) bool {
	gr, err := g.dir.Group(tid, gid)
	return err == nil && slices.Contains(gr.Owners, uid)
}

// maxBulkMembers is Graph's documented limit for members/add.
const maxBulkMembers = 200

func (g *Graph) addTeamMembers(c *call) error {
	var b struct {
		Values []memberBody `json:"values"`
	}
	if err := decodeBody(c.r, &b); err != nil {
		return err
	}
	if len(b.Values) == 0 {
		return errBadRequest("The values parameter is required and must contain at least one member.")
	}
	if len(b.Values) > maxBulkMembers {
		return errBadRequest("The number of members in the request (%d) exceeds the maximum of %d.", len(b.Values), maxBulkMembers)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	t, err := g.readyTeam(c, c.r.PathValue("teamId"))
	if err != nil {
		return err
	}
	results := make([]map[string]any, 0, len(b.Values))
	failed := false
	for _, v := range b.Values {
		res := map[string]any{"@odata.type": "#microsoft.graph.aadUserConversationMemberResult", "error": nil}
		uid := v.UserID
		if id, ok := bindID(v.User, "users"); ok {
			uid = id
		}
		rm, err := g.resolveMember(c, v)
		if err == nil {
			uid = rm.user.ID
			err = g.join(c.tid, t.id, rm.user.ID, rm.owner)
		}
		res["userId"] = uid
		if err != nil {
			failed = true
			code := "BadRequest"
			var ae *apiError
			if errors.As(err, &ae) && ae.status == http.StatusNotFound {
				code = "NotFound"
			}
			res["error"] = map[string]any{"code": code, "message": ""}
		}
		results = append(results, res)
	}
	status := http.StatusOK
	if failed {
		// Graph documents 207 Multi-Status when some additions failed.
		status = http.StatusMultiStatus
	}
	writeJSON(c.w, status, map[string]any{
		"@odata.context": g.base + "/v1.0/$metadata#Collection(microsoft.graph.aadUserConversationMemberResult)",
		"value":          results,
	})
	return nil
}

func (g *Graph) removeTeamMember(c *call) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, err := g.readyTeam(c, c.r.PathValue("teamId"))
	if err != nil {
		return err
	}
	mid := c.r.PathValue("mid")
	uid, ok := memberUserID(mid)
	gr, err := g.dir.Group(c.tid, t.id)
	if err != nil {
		return errTeamNotFound(t.id)
	}
	isOwner, isMember := slices.Contains(gr.Owners, uid), slices.Contains(gr.Members, uid)
	if !ok || (!isOwner && !isMember) {
		return errf(http.StatusNotFound, "NotFound", "Member %s not found in team %s.", mid, t.id)
	}
	if isOwner && len(gr.Owners) == 1 {
		return errBadRequest("The last owner of the team cannot be removed.")
	}
	if isOwner {
		if err := g.dir.RemoveMember(c.tid, t.id, uid, true); err != nil {
			return fmt.Errorf("graph: remove team owner: %w", err)
		}
	}
	if isMember {
		if err := g.dir.RemoveMember(c.tid, t.id, uid, false); err != nil {
			return fmt.Errorf("graph: remove team member: %w", err)
		}
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}
