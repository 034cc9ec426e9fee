package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/stewardhq/steward/cards"
	"github.com/stewardhq/steward/governance"
)

// requestSubject is what approval cards are recorded under.
func requestSubject(requestID string) string { return "request:" + requestID }

func (n *Notifier) template(ctx context.Context, ev *event, r governance.Request) (governance.Template, error) {
	tpl, err := n.o.Store.TemplateVersion(ctx, ev.TenantID, r.TemplateID, r.TemplateVersion)
	if err != nil {
		return governance.Template{}, fmt.Errorf("bot: notifier: %w", err)
	}
	return tpl, nil
}

func (n *Notifier) requestLink(ev *event, requestID string) (string, error) {
	link, err := ev.links.Request(requestID, "")
	if err != nil {
		return "", permanentError{fmt.Errorf("bot: notifier: request link: %w", err)}
	}
	return link, nil
}

// approvalCards sends the approval card of a pending request to each
// approver of its current stage (request.created, reminders), or to the
// escalation approvers (request.approval_escalated). Group approvers are
// expanded to their members; the requester never gets one (nobody
// approves their own request).
func (n *Notifier) approvalCards(ctx context.Context, ev *event, r governance.Request) error {
	if r.State != governance.StatePending {
		return nil // auto-approved, or decided before this job ran
	}
	tpl, err := n.template(ctx, ev, r)
	if err != nil {
		return err
	}
	pol := tpl.Policies.Approval
	if r.Stage < 0 || r.Stage >= len(pol.Stages) {
		return nil
	}
	current := slices.Clone(pol.Stages[r.Stage].Approvers)
	if r.Escalated {
		current = append(current, pol.EscalateTo...)
	}
	approvers, err := n.expand(ctx, ev, r, current)
	if err != nil {
		return err
	}
	recipients := approvers
	if ev.Event == governance.EventApprovalEscalated {
		if recipients, err = n.expand(ctx, ev, r, pol.EscalateTo); err != nil {
			return err
		}
	}
	// Teams refreshes the card for these users (their "29:" ids, known
	// once they wrote to the bot), so each sees the current state.
	var refresh []string
	for _, id := range approvers {
		u, err := n.user(ctx, ev, id)
		if err != nil {
			return err
		}
		if u.teamsUserID != "" {
			refresh = append(refresh, u.teamsUserID)
		}
	}
	link, err := n.requestLink(ev, r.ID)
	if err != nil {
		return err
	}
	for _, id := range recipients {
		err := n.sendTo(ctx, ev, id, "approval", requestSubject(r.ID), func(locale string) cards.Card {
			return cards.Approval(locale, cards.NewApprovalView(r, tpl.Name, link, refresh))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// expand lists the user ids of refs, groups expanded, without duplicates
// and without the requester.
func (n *Notifier) expand(ctx context.Context, ev *event, r governance.Request, refs []governance.ApproverRef) ([]string, error) {
	var out []string
	add := func(id string) {
		if id != "" && !strings.EqualFold(id, r.RequesterID) &&
			!slices.ContainsFunc(out, func(x string) bool { return strings.EqualFold(x, id) }) {
			out = append(out, id)
		}
	}
	for _, ref := range refs {
		switch ref.Type {
		case "user":
			add(ref.ID)
		case "group":
			if n.o.Groups == nil {
				n.log.Warn("bot: notifier: group approvers not notified: no Groups configured", "tenant_id", ev.TenantID, "group_id", ref.ID)
				continue
			}
			ids, err := n.o.Groups.GroupMemberIDs(ctx, ev.TenantID, ref.ID, false)
			if err != nil {
				return nil, fmt.Errorf("bot: notifier: members of approval group %s: %w", ref.ID, err)
			}
			for _, id := range ids {
				add(id)
			}
		}
	}
	return out, nil
}

// decided updates every approval card posted for r in place to show the
// decision, and sends the requester the request's summary.
func (n *Notifier) decided(ctx context.Context, ev *event, r governance.Request) error {
	tpl, err := n.template(ctx, ev, r)
	if err != nil {
		return err
	}
	link, err := n.requestLink(ev, r.ID)
	if err != nil {
		return err
	}
	posts, err := n.o.Store.CardPosts(ctx, ev.TenantID, requestSubject(r.ID))
	if err != nil {
		return fmt.Errorf("bot: notifier: %w", err)
	}
	for _, p := range posts {
		var ref ConversationReference
		if err := json.Unmarshal([]byte(p.Reference), &ref); err != nil {
			n.log.Warn("bot: notifier: unreadable card reference; card not updated", "tenant_id", ev.TenantID, "conversation_id", p.ConversationID, "error", err)
			continue
		}
		act, err := cardActivity(cards.Approval(localeOr(ref.Locale), cards.NewApprovalView(r, tpl.Name, link, nil)))
		if err != nil {
			return err
		}
		err = n.enqueue(ctx, SendJob{TenantID: ev.TenantID, Ref: ref, UpdateActivityID: p.ActivityID, Activity: act,
			Key: ev.EventID + ":update:" + p.ConversationID})
		if err != nil {
			return err
		}
	}
	return n.sendTo(ctx, ev, r.RequesterID, "summary", "", func(locale string) cards.Card {
		return cards.RequestSummary(locale, cards.NewRequestView(r, tpl.Name, link))
	})
}

// provisioned tells the requester the team is ready, and posts the
// template's welcome message in the team's General channel when the bot
// is installed there.
func (n *Notifier) provisioned(ctx context.Context, ev *event, r governance.Request) error {
	tpl, err := n.template(ctx, ev, r)
	if err != nil {
		return err
	}
	teamLink, err := n.teamLink(ctx, ev, r)
	if err != nil {
		return err
	}
	channels := make([]string, 0, len(tpl.Spec.Channels))
	for _, ch := range tpl.Spec.Channels {
		channels = append(channels, ch.Name)
	}
	err = n.sendTo(ctx, ev, r.RequesterID, "provisioned", "", func(locale string) cards.Card {
		return cards.ProvisioningComplete(locale, teamName(r), teamLink, channels)
	})
	if err != nil || tpl.Spec.WelcomeMessage == "" || r.TeamID == "" {
		return err
	}
	ref, ok, err := n.o.References.TeamReference(ctx, ev.TenantID, r.TeamID)
	if err != nil || !ok {
		return err
	}
	act, err := json.Marshal(Activity{Type: TypeMessage, Text: tpl.Spec.WelcomeMessage})
	if err != nil {
		return fmt.Errorf("bot: notifier: %w", err)
	}
	if ref.Conversation.TenantID == "" {
		ref.Conversation.TenantID = ev.entraTenant
	}
	return n.enqueue(ctx, SendJob{TenantID: ev.TenantID, Ref: ref, Activity: act, Key: ev.EventID + ":welcome:" + r.TeamID})
}

// teamLink opens the team: Graph's webUrl when provisioning recorded it,
// else a deep link to its General channel when the bot knows it (the team
// id is the General channel's), else the request in Steward.
func (n *Notifier) teamLink(ctx context.Context, ev *event, r governance.Request) (string, error) {
	if r.TeamWebURL != "" {
		return r.TeamWebURL, nil
	}
	if r.TeamID != "" {
		ref, ok, err := n.o.References.TeamReference(ctx, ev.TenantID, r.TeamID)
		if err != nil {
			return "", err
		}
		if ok {
			if link, err := cards.TeamLink(ref.Conversation.ID, r.TeamID, ev.entraTenant); err == nil {
				return link, nil
			}
		}
	}
	return n.requestLink(ev, r.ID)
}

func teamName(r governance.Request) string {
	if r.DisplayName != "" {
		return r.DisplayName
	}
	return r.Requested
}

// failed tells the requester provisioning stopped, and why.
func (n *Notifier) failed(ctx context.Context, ev *event, r governance.Request) error {
	tpl, err := n.template(ctx, ev, r)
	if err != nil {
		return err
	}
	link, err := n.requestLink(ev, r.ID)
	if err != nil {
		return err
	}
	reason := r.FailureReason
	if reason == "" {
		reason = "unknown"
	}
	return n.sendTo(ctx, ev, r.RequesterID, "failed", "", func(locale string) cards.Card {
		return cards.ProvisioningFailed(locale, cards.NewRequestView(r, tpl.Name, link), reason, "")
	})
}

// team is the card view of a managed team: its name and link come from
// the request that created it.
func (n *Notifier) team(ctx context.Context, ev *event, t governance.ManagedTeam) (cards.TeamView, error) {
	v := cards.TeamView{ID: t.TeamID, Name: t.TeamID}
	r, err := n.o.Store.Request(ctx, ev.TenantID, t.RequestID)
	switch {
	case governance.IsKind(err, governance.KindNotFound):
		return v, nil
	case err != nil:
		return v, fmt.Errorf("bot: notifier: %w", err)
	}
	if r.TeamID == "" {
		r.TeamID = t.TeamID
	}
	v.Name = teamName(r)
	if v.Link, err = n.teamLink(ctx, ev, r); err != nil {
		return v, err
	}
	return v, nil
}

// expiring asks each owner of the team to renew it.
func (n *Notifier) expiring(ctx context.Context, ev *event, w governance.ExpiryWarning) error {
	team, err := n.team(ctx, ev, w.Team)
	if err != nil {
		return err
	}
	owners := w.Owners
	if len(owners) == 0 {
		if owners, err = n.owners(ctx, ev, w.Team.TeamID); err != nil {
			return err
		}
	}
	for _, id := range owners {
		err := n.sendTo(ctx, ev, id, "expiring:"+strconv.Itoa(w.DaysLeft), "", func(locale string) cards.Card {
			return cards.ExpiryWarning(locale, team, w.ExpiresAt, w.DaysLeft)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// repaired tells the team's owners what Steward put back.
func (n *Notifier) repaired(ctx context.Context, ev *event, t governance.ManagedTeam, rep governance.MembershipRepair) error {
	team, err := n.team(ctx, ev, t)
	if err != nil {
		return err
	}
	owners, err := n.owners(ctx, ev, t.TeamID)
	if err != nil {
		return err
	}
	for _, id := range owners {
		err := n.sendTo(ctx, ev, id, "repaired", "", func(locale string) cards.Card {
			return cards.MembershipRepaired(locale, team, rep)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (n *Notifier) owners(ctx context.Context, ev *event, teamID string) ([]string, error) {
	if n.o.Owners == nil {
		n.log.Warn("bot: notifier: team owners not notified: no Owners configured", "tenant_id", ev.TenantID, "team_id", teamID)
		return nil, nil
	}
	ids, err := n.o.Owners.TeamOwnerIDs(ctx, ev.TenantID, teamID)
	if err != nil {
		return nil, fmt.Errorf("bot: notifier: owners of team %s: %w", teamID, err)
	}
	return ids, nil
}
