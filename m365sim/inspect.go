package m365sim

import (
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/stewardhq/steward/m365sim/botconnector"
	"github.com/stewardhq/steward/m365sim/directory"
	"github.com/stewardhq/steward/m365sim/graph"
)

//go:embed assets/inspect.html assets/inspect.css
var assets embed.FS

var inspectPage = template.Must(template.ParseFS(assets, "assets/inspect.html"))

// TenantView is a tenant with its directory, as the inspection API shows it.
type TenantView struct {
	directory.Tenant
	Users  []UserView  `json:"users"`
	Groups []GroupView `json:"groups"`
	Apps   []AppView   `json:"apps"`
}

// UserView is a user with the Entra roles the Graph view hides.
type UserView struct {
	directory.User
	Roles []string `json:"roles,omitempty"`
}

// GroupView is a group with its owners and members by name.
type GroupView struct {
	directory.Group
	Owners  []string `json:"owners"`
	Members []string `json:"members"`
}

// AppView is an app registration without its secrets.
type AppView struct {
	AppID       string   `json:"appId"`
	DisplayName string   `json:"displayName"`
	AppRoles    []string `json:"appRoles"`
	Scopes      []string `json:"scopes"`
	BotEndpoint string   `json:"botEndpoint,omitempty"`
}

// Snapshot is everything the inspection API reports.
type Snapshot struct {
	URLs    map[string]string `json:"urls"`
	Tenants []TenantView      `json:"tenants"`
	Entra   any               `json:"entra"`
	Graph   any               `json:"graph"`
	Bot     any               `json:"bot"`
}

// Snapshot reads the state of every service.
func (s *Sim) Snapshot() Snapshot {
	snap := Snapshot{
		URLs: map[string]string{
			"login": s.LoginURL(), "graph": s.GraphURL(), "botOpenIdMetadata": s.BotOpenIDMetadataURL(),
			"serviceUrl": s.ServiceURL(), "inspect": s.InspectURL(), "graphAdmin": s.base + "/admin/graph",
		},
		Entra: s.Entra.Inspect(), Graph: s.Graph.Inspect(), Bot: s.Bot.Inspect(),
	}
	for _, t := range s.Dir.Tenants() {
		tv := TenantView{Tenant: t}
		users, _ := s.Dir.Users(t.ID)
		names := map[string]string{}
		for _, u := range users {
			tv.Users = append(tv.Users, UserView{User: u, Roles: u.Roles})
			names[u.ID] = u.DisplayName
		}
		groups, _ := s.Dir.Groups(t.ID)
		byName := func(ids []string) []string {
			out := []string{}
			for _, id := range ids {
				out = append(out, names[id])
			}
			slices.Sort(out)
			return out
		}
		for _, g := range groups {
			tv.Groups = append(tv.Groups, GroupView{Group: g, Owners: byName(g.Owners), Members: byName(g.Members)})
		}
		apps, _ := s.Dir.Apps(t.ID)
		for _, a := range apps {
			tv.Apps = append(tv.Apps, AppView{AppID: a.AppID, DisplayName: a.DisplayName, AppRoles: a.AppRoles, Scopes: a.Scopes, BotEndpoint: a.BotEndpoint})
		}
		snap.Tenants = append(snap.Tenants, tv)
	}
	return snap
}

func (s *Sim) inspectRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /inspect/api", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, s.Snapshot())
	})
	mux.HandleFunc("GET /inspect/api/tenants/{tid}", func(w http.ResponseWriter, r *http.Request) {
		for _, t := range s.Snapshot().Tenants {
			if t.ID == r.PathValue("tid") || t.Domain == r.PathValue("tid") {
				writeJSON(w, t)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": "TenantNotFound", "message": "no simulated tenant " + r.PathValue("tid")}})
	})
	mux.HandleFunc("GET /inspect/style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		b, _ := assets.ReadFile("assets/inspect.css")
		_, _ = w.Write(b)
	})
	mux.HandleFunc("GET /inspect", func(w http.ResponseWriter, r *http.Request) {
		snap := s.Snapshot()
		pretty := func(v any) string { b, _ := json.MarshalIndent(v, "", "  "); return string(b) }
		gs, _ := snap.Graph.(graph.State)
		bs, _ := snap.Bot.(botconnector.Snapshot)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if err := inspectPage.Execute(w, map[string]any{
			"Snap": snap, "Entra": pretty(snap.Entra), "Teams": s.teamViews(snap, gs), "Graph": gs, "Bot": bs,
			"Throttle": throttleViews(gs),
		}); err != nil {
			s.log.Error("m365sim: render inspect page", "err", err)
		}
	})
}

// TeamView is a team with people named, for the inspection page.
type TeamView struct {
	Tenant string
	graph.TeamState
	OwnerNames []string
}

func (s *Sim) teamViews(snap Snapshot, gs graph.State) []TeamView {
	var out []TeamView
	for _, t := range snap.Tenants {
		names := map[string]string{}
		for _, u := range t.Users {
			names[u.ID] = u.DisplayName
		}
		for _, team := range gs.Tenants[t.ID].Teams {
			tv := TeamView{Tenant: t.DisplayName, TeamState: team}
			for _, o := range team.Owners {
				n := names[o]
				if n == "" {
					n = o
				}
				tv.OwnerNames = append(tv.OwnerNames, n)
			}
			out = append(out, tv)
		}
	}
	return out
}

// ThrottleView is one Graph throttling class.
type ThrottleView struct {
	Class string
	graph.ClassStats
}

func throttleViews(gs graph.State) []ThrottleView {
	var out []ThrottleView
	for c, st := range gs.Throttle {
		out = append(out, ThrottleView{Class: c, ClassStats: st})
	}
	slices.SortFunc(out, func(a, b ThrottleView) int { return strings.Compare(a.Class, b.Class) })
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
