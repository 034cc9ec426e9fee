package graph

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/stewardhq/steward/m365sim/directory"
)

// catalogApp is an app of the Teams app catalog.
type catalogApp struct {
	ID           string `json:"id"`
	ExternalID   string `json:"externalId,omitempty"`
	DisplayName  string `json:"displayName"`
	Distribution string `json:"distributionMethod"`
	builtin      bool   // installed in every team, as Teams' own tab apps are
}

// builtinApps are Microsoft's own tab apps, by the catalog ids Graph
// documents for them (the Website tab, Planner, OneNote, Wiki, and the
// document libraries tab).
func builtinApps() []catalogApp {
	return []catalogApp{
		{ID: "com.microsoft.teamspace.tab.web", DisplayName: "Website", Distribution: "store", builtin: true},
		{ID: "com.microsoft.teamspace.tab.planner", DisplayName: "Tasks by Planner and To Do", Distribution: "store", builtin: true},
		{ID: "0d820ecd-def2-4297-adad-78056cde7c78", DisplayName: "OneNote", Distribution: "store", builtin: true},
		{ID: "com.microsoft.teamspace.tab.wiki", DisplayName: "Wiki", Distribution: "store", builtin: true},
		{ID: "com.microsoft.teamspace.tab.files.sharepoint", DisplayName: "Document Library", Distribution: "store", builtin: true},
		{ID: "com.microsoft.teamspace.tab.youtube", DisplayName: "YouTube", Distribution: "store", builtin: true},
		// Store apps the create-team examples install.
		{ID: "com.microsoft.teamspace.tab.vsts", DisplayName: "Azure Boards", Distribution: "store"},
		{ID: "1542629c-01b3-4a6d-8f76-1938b779e48d", DisplayName: "Store app 1542629c", Distribution: "store"},
	}
}

// AddCatalogApp publishes an app to the organisation's app catalog (as
// uploading a Teams app package does), so teams can install it and pin its
// tabs. Adding an id twice replaces its display name.
func (g *Graph) AddCatalogApp(id, displayName string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, a := range g.catalog {
		if a.ID == id {
			g.catalog[i].DisplayName = displayName
			return
		}
	}
	g.catalog = append(g.catalog, catalogApp{ID: id, ExternalID: directory.GUID("external/" + id), DisplayName: displayName, Distribution: "organization"})
}

// catalogApp finds an app; g.mu must be held.
func (g *Graph) catalogApp(id string) (catalogApp, bool) {
	for _, a := range g.catalog {
		if a.ID == id {
			return a, true
		}
	}
	return catalogApp{}, false
}

// installed reports whether an app is installed in t; g.mu must be held.
func (g *Graph) installed(t *team, id string) bool {
	a, ok := g.catalogApp(id)
	return ok && (a.builtin || slices.Contains(t.apps, id))
}

func encodeB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func decodeB64(s string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	return string(b), err == nil
}

func (g *Graph) installationJSON(t *team, a catalogApp, expand string) map[string]any {
	m := map[string]any{
		"@odata.type":            "#microsoft.graph.teamsAppInstallation",
		"id":                     encodeB64(t.id + "##" + a.ID),
		"consentedPermissionSet": nil,
	}
	for _, e := range strings.Split(expand, ",") {
		switch strings.TrimSpace(e) {
		case "teamsApp":
			m["teamsApp"] = map[string]any{"id": a.ID, "externalId": nullable(a.ExternalID), "displayName": a.DisplayName, "distributionMethod": a.Distribution}
		case "teamsAppDefinition":
			m["teamsAppDefinition"] = map[string]any{"id": encodeB64(a.ID + "##1.0.0"), "teamsAppId": a.ID, "displayName": a.DisplayName, "version": "1.0.0"}
		}
	}
	return m
}

func (g *Graph) listInstalledApps(c *call) error {
	expand := c.r.URL.Query().Get("$expand")
	g.mu.Lock()
	defer g.mu.Unlock()
	t, err := g.readyTeam(c, c.r.PathValue("teamId"))
	if err != nil {
		return err
	}
	items := []map[string]any{}
	for _, a := range g.catalog {
		if g.installed(t, a.ID) {
			items = append(items, g.installationJSON(t, a, expand))
		}
	}
	return g.collection(c, fmt.Sprintf("teams('%s')/installedApps", t.id), items, "")
}

func (g *Graph) installApp(c *call) error {
	var b struct {
		TeamsApp string `json:"teamsApp@odata.bind"`
	}
	if err := decodeBody(c.r, &b); err != nil {
		return err
	}
	id, ok := bindID(b.TeamsApp, "teamsApps")
	if !ok {
		return errBadRequest("Invalid teamsApp@odata.bind value '%s'.", b.TeamsApp)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	t, err := g.readyTeam(c, c.r.PathValue("teamId"))
	if err != nil {
		return err
	}
	if _, ok := g.catalogApp(id); !ok {
		return errf(http.StatusNotFound, "NotFound", "App %s was not found in the app catalog.", id)
	}
	if g.installed(t, id) {
		return errf(http.StatusConflict, "Conflict", "App %s is already installed in team %s.", id, t.id)
	}
	t.apps = append(t.apps, id)
	// Graph documents 200 OK with an empty body for this action.
	c.w.Header().Set("Content-Length", "0")
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// Tabs.

type tabConfig struct {
	EntityID   string `json:"entityId"`
	ContentURL string `json:"contentUrl"`
	WebsiteURL string `json:"websiteUrl"`
	RemoveURL  string `json:"removeUrl"`
}

type tab struct {
	id, displayName, appID string
	config                 tabConfig
}

// newTab validates a tab body; the app must be installed in the team, as
// Graph requires. g.mu must be held.
func (g *Graph) newTab(t *team, ch *channel, b tabBody) (*tab, error) {
	id, ok := bindID(b.TeamsApp, "teamsApps")
	if !ok {
		return nil, errBadRequest("teamsApp@odata.bind is required and must name an app of the catalog.")
	}
	if b.DisplayName == "" {
		return nil, errBadRequest("Tab displayName is required.")
	}
	if !g.installed(t, id) {
		return nil, errBadRequest("App id %s needs to be installed to the team %s:%s and be in an unblocked state to install/update a tab", id, t.id, ch.id)
	}
	tb := &tab{id: directory.GUID(fmt.Sprintf("tab/%s/%s/%d", t.id, ch.id, g.nextID())), displayName: b.DisplayName, appID: id}
	if b.Configuration != nil {
		tb.config = *b.Configuration
	}
	return tb, nil
}

func (g *Graph) tabJSON(tb *tab, expand string) map[string]any {
	m := map[string]any{
		"id":          tb.id,
		"displayName": tb.displayName,
		"webUrl":      nullable(tb.config.WebsiteURL),
		"configuration": map[string]any{
			"entityId": nullable(tb.config.EntityID), "contentUrl": nullable(tb.config.ContentURL),
			"removeUrl": nullable(tb.config.RemoveURL), "websiteUrl": nullable(tb.config.WebsiteURL),
		},
	}
	if strings.Contains(expand, "teamsApp") {
		a, _ := g.catalogApp(tb.appID)
		m["teamsApp"] = map[string]any{"id": a.ID, "externalId": nullable(a.ExternalID), "displayName": a.DisplayName, "distributionMethod": a.Distribution}
	}
	return m
}

func (g *Graph) listTabs(c *call) error {
	expand := c.r.URL.Query().Get("$expand")
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ch, err := g.channel(c)
	if err != nil {
		return err
	}
	items := []map[string]any{}
	for _, tb := range ch.tabs {
		items = append(items, g.tabJSON(tb, expand))
	}
	return g.collection(c, fmt.Sprintf("teams('%s')/channels('%s')/tabs", t.id, ch.id), items, "")
}

func (g *Graph) createTab(c *call) error {
	var b tabBody
	if err := decodeBody(c.r, &b); err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ch, err := g.channel(c)
	if err != nil {
		return err
	}
	tb, err := g.newTab(t, ch, b)
	if err != nil {
		return err
	}
	ch.tabs = append(ch.tabs, tb)
	return g.entity(c, http.StatusCreated, fmt.Sprintf("teams('%s')/channels('%s')/tabs/$entity", t.id, ch.id), g.tabJSON(tb, "teamsApp"))
}

func (g *Graph) uninstallApp(c *call) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, err := g.readyTeam(c, c.r.PathValue("teamId"))
	if err != nil {
		return err
	}
	iid := c.r.PathValue("installId")
	raw, _ := decodeB64(iid)
	teamID, appID, ok := strings.Cut(raw, "##")
	if !ok || teamID != t.id || !g.installed(t, appID) {
		return errf(http.StatusNotFound, "NotFound", "App installation %s not found in team %s.", iid, t.id)
	}
	if a, _ := g.catalogApp(appID); a.builtin {
		return errBadRequest("App %s is built into Teams and cannot be uninstalled.", appID)
	}
	t.apps = slices.DeleteFunc(t.apps, func(id string) bool { return id == appID })
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// tab finds a tab of a channel; g.mu must be held.
func (g *Graph) tab(c *call) (*team, *channel, *tab, error) {
	t, ch, err := g.channel(c)
	if err != nil {
		return nil, nil, nil, err
	}
	id := c.r.PathValue("tabId")
	for _, tb := range ch.tabs {
		if tb.id == id {
			return t, ch, tb, nil
		}
	}
	return nil, nil, nil, errf(http.StatusNotFound, "NotFound", "Tab %s not found.", id)
}

func (g *Graph) getTab(c *call) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ch, tb, err := g.tab(c)
	if err != nil {
		return err
	}
	return g.entity(c, http.StatusOK, fmt.Sprintf("teams('%s')/channels('%s')/tabs/$entity", t.id, ch.id), g.tabJSON(tb, c.r.URL.Query().Get("$expand")))
}

func (g *Graph) deleteTab(c *call) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ch, tb, err := g.tab(c)
	if err != nil {
		return err
	}
	ch.tabs = slices.DeleteFunc(ch.tabs, func(x *tab) bool { return x == tb })
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}
