package graph

import (
	"encoding/json"
	"maps"
	"net/http"
	"sort"
)

// AdminHandler serves the simulator's controls (mounted under
// /admin/graph): GET/PUT /faults (FaultConfig JSON), GET/PUT /limits
// (Limits JSON), GET /throttle (counters per class) and GET /state
// (Inspect). It is not part of Graph, so it takes no token and no faults.
func (g *Graph) AdminHandler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /faults", func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		f := g.faults
		g.mu.Unlock()
		adminJSON(w, http.StatusOK, f)
	})
	m.HandleFunc("PUT /faults", func(w http.ResponseWriter, r *http.Request) {
		var f FaultConfig
		if err := strictDecode(r, &f); err != nil {
			adminJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid FaultConfig JSON: " + err.Error()})
			return
		}
		if err := f.validate(); err != nil {
			adminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		g.SetFaults(f)
		adminJSON(w, http.StatusOK, f)
	})
	m.HandleFunc("GET /limits", func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		l := g.limits
		g.mu.Unlock()
		adminJSON(w, http.StatusOK, l)
	})
	m.HandleFunc("PUT /limits", func(w http.ResponseWriter, r *http.Request) {
		var l Limits
		if err := strictDecode(r, &l); err != nil {
			adminJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid Limits JSON: " + err.Error()})
			return
		}
		if err := l.validate(); err != nil {
			adminJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		g.SetLimits(l)
		adminJSON(w, http.StatusOK, l)
	})
	m.HandleFunc("GET /throttle", func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		defer g.mu.Unlock()
		adminJSON(w, http.StatusOK, g.statsSnapshot())
	})
	m.HandleFunc("GET /state", func(w http.ResponseWriter, r *http.Request) {
		adminJSON(w, http.StatusOK, g.Inspect())
	})
	return m
}

func strictDecode(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func adminJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (g *Graph) statsSnapshot() map[string]ClassStats {
	out := map[string]ClassStats{}
	for k, v := range g.stats {
		out[k] = *v
	}
	return out
}

// Snapshot types for Inspect.
type (
	// State is what Inspect returns.
	State struct {
		Tenants    map[string]TenantState `json:"tenants"`
		Operations []map[string]any       `json:"operations"`
		Throttle   map[string]ClassStats  `json:"throttle"`
		Faults     map[string]int64       `json:"faultsInjected"`
		Limits     Limits                 `json:"limits"`
		Config     FaultConfig            `json:"faultConfig"`
		Catalog    []string               `json:"catalog"`
	}
	// TenantState lists a tenant's teams.
	TenantState struct {
		Teams []TeamState `json:"teams"`
	}
	// TeamState is one team as Inspect shows it.
	TeamState struct {
		ID          string         `json:"id"`
		DisplayName string         `json:"displayName"`
		Ready       bool           `json:"ready"`
		Archived    bool           `json:"archived"`
		Channels    []ChannelState `json:"channels"`
		Apps        []string       `json:"installedApps"`
		Owners      []string       `json:"owners"`
		Members     []string       `json:"members"`
	}
	// ChannelState is one channel as Inspect shows it.
	ChannelState struct {
		ID             string   `json:"id"`
		DisplayName    string   `json:"displayName"`
		MembershipType string   `json:"membershipType"`
		Tabs           []string `json:"tabs"`
		Messages       int      `json:"messages"`
	}
)

// Inspect returns a JSON-able snapshot of the simulated state: teams per
// tenant with channels, tabs, apps and members; operations; throttle
// counters; injected faults.
func (g *Graph) Inspect() any {
	g.settle()
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	st := State{Tenants: map[string]TenantState{}, Throttle: g.statsSnapshot(), Faults: maps.Clone(g.injects),
		Limits: g.limits, Config: g.faults, Operations: []map[string]any{}}
	for _, a := range g.catalog {
		st.Catalog = append(st.Catalog, a.ID)
	}
	keys := make([]teamKey, 0, len(g.teams))
	for k := range g.teams {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].tid != keys[j].tid {
			return keys[i].tid < keys[j].tid
		}
		return g.teams[keys[i]].createdAt.Before(g.teams[keys[j]].createdAt)
	})
	for _, k := range keys {
		t := g.teams[k]
		ts := TeamState{ID: t.id, Ready: !t.failed && !now.Before(t.readyAt), Archived: t.archived, Apps: append([]string{}, t.apps...)}
		if gr, err := g.dir.Group(k.tid, k.id); err == nil {
			ts.DisplayName, ts.Owners, ts.Members = gr.DisplayName, gr.Owners, gr.Members
		}
		for _, ch := range t.channels {
			cs := ChannelState{ID: ch.id, DisplayName: ch.displayName, MembershipType: ch.membershipType, Messages: len(ch.messages), Tabs: []string{}}
			for _, tb := range ch.tabs {
				cs.Tabs = append(cs.Tabs, tb.displayName+" ("+tb.appID+")")
			}
			ts.Channels = append(ts.Channels, cs)
		}
		tn := st.Tenants[k.tid]
		tn.Teams = append(tn.Teams, ts)
		st.Tenants[k.tid] = tn
	}
	for _, id := range g.opOrder {
		op := g.ops[id]
		m := g.operationJSON(op)
		m["tenantId"] = op.tid
		st.Operations = append(st.Operations, m)
	}
	return st
}
