package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/stewardhq/steward/governance"
)

var _ governance.TeamReader = (*Client)(nil)

// teamRead is the part of a team ReadTeam keeps. The settings blocks have
// Graph's property names, which governance's types mirror.
type teamRead struct {
	ID                string                            `json:"id"`
	DisplayName       string                            `json:"displayName"`
	Description       string                            `json:"description"`
	Visibility        string                            `json:"visibility"`
	MemberSettings    *governance.TeamMemberSettings    `json:"memberSettings"`
	GuestSettings     *governance.TeamGuestSettings     `json:"guestSettings"`
	MessagingSettings *governance.TeamMessagingSettings `json:"messagingSettings"`
	FunSettings       *governance.TeamFunSettings       `json:"funSettings"`
}

// tabRead is a tab with its configuration (teamsTabConfiguration).
type tabRead struct {
	DisplayName   string    `json:"displayName"`
	TeamsApp      *TeamsApp `json:"teamsApp"`
	Configuration struct {
		EntityID   string `json:"entityId"`
		ContentURL string `json:"contentUrl"`
		WebsiteURL string `json:"websiteUrl"`
	} `json:"configuration"`
}

// ReadTeam reads a team of tenantID whole, for a template made from it:
// its properties and settings, its channels but General with their tabs,
// and its installed apps. The team, its primary channel, its channels and
// its apps are read in one $batch, then the channels' tabs in $batches of
// up to 20: a team with 30 channels costs 3 round trips instead of 34
// (Graph still counts, and the budget still spends, each part).
//
// Errors: KindNotFound when tenantID has no such team (Graph scopes every
// call by the tenant's token, so another tenant's team is not found);
// KindUnavailable or KindTooManyRequests when Graph fails.
func (c *Client) ReadTeam(ctx context.Context, tenantID, teamID string) (governance.OriginalTeam, error) {
	base := "/teams/" + esc(teamID)
	expand := url.Values{"$expand": {"teamsApp"}}
	first, err := c.Batch(ctx, tenantID, []Request{
		{Method: http.MethodGet, Path: base},
		{Method: http.MethodGet, Path: base + "/primaryChannel"},
		{Method: http.MethodGet, Path: base + "/channels"},
		{Method: http.MethodGet, Path: base + "/installedApps", Query: expand},
	})
	if err != nil {
		return governance.OriginalTeam{}, Classify(err, "read team")
	}
	for _, r := range first {
		if r.Err != nil {
			return governance.OriginalTeam{}, Classify(r.Err, "read team")
		}
	}
	var (
		team    teamRead
		primary Channel
	)
	if err := first[0].Response.Decode(&team); err != nil {
		return governance.OriginalTeam{}, Classify(err, "read team")
	}
	if err := first[1].Response.Decode(&primary); err != nil {
		return governance.OriginalTeam{}, Classify(err, "read team")
	}
	channels, err := rest[Channel](ctx, c, tenantID, first[2].Response)
	if err != nil {
		return governance.OriginalTeam{}, Classify(err, "read team channels")
	}
	apps, err := rest[InstalledApp](ctx, c, tenantID, first[3].Response)
	if err != nil {
		return governance.OriginalTeam{}, Classify(err, "read team apps")
	}

	out := governance.OriginalTeam{ID: team.ID, DisplayName: team.DisplayName, Description: team.Description,
		Visibility: team.Visibility, MemberSettings: team.MemberSettings, GuestSettings: team.GuestSettings,
		MessagingSettings: team.MessagingSettings, FunSettings: team.FunSettings}
	for _, a := range apps {
		if a.TeamsApp != nil && a.TeamsApp.ID != "" {
			out.Apps = append(out.Apps, a.TeamsApp.ID)
		}
	}
	var tabReqs []Request
	var kept []Channel
	for _, ch := range channels {
		if ch.ID == primary.ID {
			continue
		}
		kept = append(kept, ch)
		tabReqs = append(tabReqs, Request{Method: http.MethodGet, Path: base + "/channels/" + esc(ch.ID) + "/tabs", Query: expand})
	}
	tabs, err := c.Batch(ctx, tenantID, tabReqs)
	if err != nil {
		return governance.OriginalTeam{}, Classify(err, "read team tabs")
	}
	for i, ch := range kept {
		if IsNotFound(tabs[i].Err) {
			continue // deleted since the channels were listed
		}
		if tabs[i].Err != nil {
			return governance.OriginalTeam{}, Classify(tabs[i].Err, "read channel tabs")
		}
		ts, err := rest[tabRead](ctx, c, tenantID, tabs[i].Response)
		if err != nil {
			return governance.OriginalTeam{}, Classify(err, "read channel tabs")
		}
		spec := governance.ChannelSpec{Name: ch.DisplayName, Description: ch.Description, MembershipType: ch.MembershipType}
		for _, t := range ts {
			tab := governance.TabSpec{Name: t.DisplayName, ContentURL: t.Configuration.ContentURL,
				WebsiteURL: t.Configuration.WebsiteURL, EntityID: t.Configuration.EntityID}
			if t.TeamsApp != nil {
				tab.AppID = t.TeamsApp.ID
			}
			spec.Tabs = append(spec.Tabs, tab)
		}
		out.Channels = append(out.Channels, spec)
	}
	return out, nil
}

// rest decodes a collection page answered in a $batch and reads the pages
// after it, if Graph split the collection.
func rest[T any](ctx context.Context, c *Client, tenantID string, resp *Response) ([]T, error) {
	var p page
	if err := resp.Decode(&p); err != nil {
		return nil, err
	}
	out := make([]T, 0, len(p.Value))
	for _, raw := range p.Value {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if p.NextLink == "" {
		return out, nil
	}
	more, err := List[T](ctx, c, tenantID, p.NextLink, nil)
	return append(out, more...), err
}
