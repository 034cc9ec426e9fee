package graph

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/stewardhq/steward/governance"
)

var _ governance.TeamOwners = (*Client)(nil)

// TeamOwnerIDs lists the user ids of a team's owners (the owners of its
// group), for governance: renewal is for owners.
//
// Errors: KindNotFound when tenantID has no such team; KindUnavailable or
// KindTooManyRequests when Graph fails.
func (c *Client) TeamOwnerIDs(ctx context.Context, tenantID, teamID string) ([]string, error) {
	ids, err := c.GroupMemberIDs(ctx, tenantID, teamID, true)
	if err != nil {
		return nil, Classify(err, "list team owners")
	}
	return ids, nil
}

// channelMessage is the part of a chatMessage activity is read from.
type channelMessage struct {
	CreatedDateTime      time.Time  `json:"createdDateTime"`
	LastModifiedDateTime *time.Time `json:"lastModifiedDateTime"`
}

// LastChannelMessage returns when the newest top-level message of any of a
// team's channels was posted or last changed; zero when none has a
// message. It lists the channels, then reads the first page of each
// channel's messages (newest first, $top=50) in $batches of 20: a team
// with 12 channels costs 2 round trips. It needs an application permission
// that reads channel messages (ChannelMessage.Read.All, or Group.Read.All
// or Group.ReadWrite.All, which Graph also accepts here); reading is
// allowed app-only, unlike posting.
//
// Replies to an old thread are not counted (reading them costs a call per
// thread). Microsoft's usage reports (getTeamsTeamActivityDetail) would see
// every kind of activity, but they lag by days and need Reports.Read.All.
//
// Errors are Graph's (*Error): IsNotFound when the team is gone.
func (c *Client) LastChannelMessage(ctx context.Context, tenantID, teamID string) (time.Time, error) {
	channels, err := c.Channels(ctx, tenantID, teamID)
	if err != nil {
		return time.Time{}, err
	}
	reqs := make([]Request, len(channels))
	for i, ch := range channels {
		reqs[i] = Request{Method: http.MethodGet, Path: "/teams/" + esc(teamID) + "/channels/" + esc(ch.ID) + "/messages",
			Query: url.Values{"$top": {"50"}}}
	}
	results, err := c.Batch(ctx, tenantID, reqs)
	if err != nil {
		return time.Time{}, err
	}
	var last time.Time
	for _, r := range results {
		if IsNotFound(r.Err) {
			continue // a channel deleted since the list
		}
		if r.Err != nil {
			return time.Time{}, r.Err
		}
		var p struct {
			Value []channelMessage `json:"value"`
		}
		if err := r.Response.Decode(&p); err != nil {
			return time.Time{}, err
		}
		for _, m := range p.Value {
			at := m.CreatedDateTime
			if m.LastModifiedDateTime != nil && m.LastModifiedDateTime.After(at) {
				at = *m.LastModifiedDateTime
			}
			if at.After(last) {
				last = at
			}
		}
	}
	return last.UTC(), nil
}
