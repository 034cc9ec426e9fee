package graph

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/stewardhq/steward/m365sim/directory"
)

// deltaPage is how many groups one delta page holds.
const deltaPage = 100

// deltaState is what a delta or skip token encodes: changes after since, up
// to upto (the directory's sequence when the round started), from offset.
type deltaState struct {
	since, upto int64
	offset      int
	selects     string
}

func (s deltaState) encode() string {
	raw := fmt.Sprintf("%d|%d|%d|%s", s.since, s.upto, s.offset, s.selects)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeDelta(tok string) (deltaState, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return deltaState{}, false
	}
	parts := strings.SplitN(string(b), "|", 4)
	if len(parts) != 4 {
		return deltaState{}, false
	}
	since, e1 := strconv.ParseInt(parts[0], 10, 64)
	upto, e2 := strconv.ParseInt(parts[1], 10, 64)
	off, e3 := strconv.Atoi(parts[2])
	if e1 != nil || e2 != nil || e3 != nil || since < 0 || upto < since || off < 0 {
		return deltaState{}, false
	}
	return deltaState{since: since, upto: upto, offset: off, selects: parts[3]}, true
}

// groupsDelta implements GET /groups/delta: a first round returns every
// group with its members (members@delta); a round from a deltaLink returns
// the groups changed since, with membership changes as members@delta
// entries, removals marked @removed.
func (g *Graph) groupsDelta(c *call) error {
	q := c.r.URL.Query()
	var st deltaState
	switch {
	case q.Get("$skiptoken") != "":
		s, ok := decodeDelta(q.Get("$skiptoken"))
		if !ok {
			return errDirBadRequest("Invalid $skiptoken.")
		}
		st = s
	case q.Get("$deltatoken") != "":
		s, ok := decodeDelta(q.Get("$deltatoken"))
		if !ok {
			return errf(http.StatusBadRequest, "Request_BadRequest", "Invalid $deltatoken.")
		}
		st = deltaState{since: s.upto, selects: s.selects}
		_, latest, err := g.dir.ChangesSince(c.tid, st.since)
		if err != nil {
			return err
		}
		st.upto = latest
	default:
		_, latest, err := g.dir.ChangesSince(c.tid, 0)
		if err != nil {
			return err
		}
		st = deltaState{since: 0, upto: latest, selects: q.Get("$select")}
	}
	known := groupJSON(directory.Group{ID: "00000000"})
	known["members"], known["owners"] = nil, nil
	fields, err := selectFields(mapQuery("$select", st.selects), "microsoft.graph.group", known)
	if err != nil {
		return err
	}
	entries, err := g.deltaEntries(c.tid, st, fields)
	if err != nil {
		return err
	}
	end := min(st.offset+deltaPage, len(entries))
	page := entries[min(st.offset, len(entries)):end]
	body := map[string]any{"@odata.context": g.base + "/v1.0/$metadata#groups", "value": nonNil(page)}
	link := g.base + "/v1.0/groups/delta?"
	if end < len(entries) {
		next := st
		next.offset = end
		body["@odata.nextLink"] = link + "$skiptoken=" + next.encode()
	} else {
		body["@odata.deltaLink"] = link + "$deltatoken=" + deltaState{since: st.since, upto: st.upto, selects: st.selects}.encode()
	}
	c.w.Header().Set("Preference-Applied", "odata.track-changes")
	writeJSON(c.w, http.StatusOK, body)
	return nil
}

func mapQuery(k, v string) map[string][]string {
	if v == "" {
		return map[string][]string{}
	}
	return map[string][]string{k: {v}}
}

// deltaEntries lists the entries of one delta round.
func (g *Graph) deltaEntries(tid string, st deltaState, fields []string) ([]map[string]any, error) {
	wantMembers := len(fields) == 0 || slices.Contains(fields, "members")
	wantOwners := slices.Contains(fields, "owners")
	var props []string
	for _, f := range fields {
		if f != "members" && f != "owners" {
			props = append(props, f)
		}
	}
	ref := func(uid string, removed bool) map[string]any {
		m := map[string]any{"@odata.type": "#microsoft.graph.user", "id": uid}
		if removed {
			m["@removed"] = map[string]any{"reason": "deleted"}
		}
		return m
	}
	project := func(gr directory.Group) map[string]any {
		m := groupJSON(gr)
		if len(fields) == 0 {
			return m
		}
		out := map[string]any{"id": gr.ID}
		for _, p := range props {
			out[p] = m[p]
		}
		return out
	}
	var out []map[string]any
	if st.since == 0 {
		groups, err := g.dir.Groups(tid)
		if err != nil {
			return nil, err
		}
		for _, gr := range groups {
			m := project(gr)
			if wantMembers {
				refs := []map[string]any{}
				for _, u := range gr.Members {
					refs = append(refs, ref(u, false))
				}
				m["members@delta"] = refs
			}
			if wantOwners {
				refs := []map[string]any{}
				for _, u := range gr.Owners {
					refs = append(refs, ref(u, false))
				}
				m["owners@delta"] = refs
			}
			out = append(out, m)
		}
		return out, nil
	}
	changes, _, err := g.dir.ChangesSince(tid, st.since)
	if err != nil {
		return nil, err
	}
	byGroup := map[string]map[string]any{}
	var order []string
	for _, ch := range changes {
		if ch.Seq > st.upto {
			break
		}
		e, ok := byGroup[ch.GroupID]
		if !ok {
			e = map[string]any{"id": ch.GroupID}
			byGroup[ch.GroupID] = e
			order = append(order, ch.GroupID)
		}
		switch ch.Kind {
		case directory.GroupUpserted:
			e["changed"] = true
		case directory.GroupDeleted:
			e["deleted"] = true
		case directory.MemberAdded, directory.MemberRemoved:
			if wantMembers {
				appendRef(e, "members@delta", ref(ch.UserID, ch.Kind == directory.MemberRemoved))
			}
		case directory.OwnerAdded, directory.OwnerRemoved:
			if wantOwners {
				appendRef(e, "owners@delta", ref(ch.UserID, ch.Kind == directory.OwnerRemoved))
			}
		}
	}
	for _, id := range order {
		e := byGroup[id]
		gr, err := g.dir.Group(tid, id)
		if e["deleted"] == true || err != nil {
			// Deleted groups are soft-deleted in Entra: reason "changed".
			out = append(out, map[string]any{"id": id, "@removed": map[string]any{"reason": "changed"}})
			continue
		}
		m := map[string]any{"id": id}
		if e["changed"] == true {
			m = project(gr)
		}
		for _, k := range []string{"members@delta", "owners@delta"} {
			if v, ok := e[k]; ok {
				m[k] = collapse(v.([]map[string]any))
			}
		}
		if len(m) == 1 {
			continue // only changes the caller did not select
		}
		out = append(out, m)
	}
	return out, nil
}

func appendRef(e map[string]any, key string, r map[string]any) {
	list, _ := e[key].([]map[string]any)
	e[key] = append(list, r)
}

// collapse keeps each user's last change, as one delta round reports a
// member's final state.
func collapse(refs []map[string]any) []map[string]any {
	last := map[any]int{}
	for i, r := range refs {
		last[r["id"]] = i
	}
	var out []map[string]any
	for i, r := range refs {
		if last[r["id"]] == i {
			out = append(out, r)
		}
	}
	return out
}
