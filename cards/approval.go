package cards

import (
	"time"

	"github.com/stewardhq/steward/governance"
)

// MaxRefreshUsers is how many user ids Teams reads from refresh.userIds;
// it automatically refreshes the card for those users only (in a chat or
// channel of more than 60 people).
const MaxRefreshUsers = 60

// ApprovalView is a request as its approvers see it.
type ApprovalView struct {
	Request       RequestView
	Version       int64 // the request's optimistic-concurrency version
	Description   string
	Justification string
	// ApproverIDs are the Teams user ids (MRIs, the "29:…" from.id of
	// their activities) of the current stage's approvers: the card's
	// refresh.userIds. Teams takes at most MaxRefreshUsers: Approval keeps
	// the first 60 and the others see the card as sent, without automatic
	// refresh; they get the current card by choosing "Refresh card" in its
	// menu, or when they act on it (the bot answers every action with the
	// card of the request's current state).
	ApproverIDs []string
	// The decision, once the request left pending.
	DecidedBy string
	DecidedAt time.Time
	Comment   string
}

// NewApprovalView is the view of r for approvers. The decision comes from
// r's last decision, or from its last update when it was cancelled.
func NewApprovalView(r governance.Request, templateName, link string, approverIDs []string) ApprovalView {
	v := ApprovalView{
		Request: NewRequestView(r, templateName, link), Version: r.Version,
		Description: r.Description, Justification: r.Justification, ApproverIDs: approverIDs,
	}
	switch {
	case r.State == governance.StatePending || r.State == governance.StateDraft:
	case r.State == governance.StateCancelled:
		v.DecidedAt = r.UpdatedAt
	case len(r.Decisions) > 0:
		d := r.Decisions[len(r.Decisions)-1]
		v.DecidedBy, v.DecidedAt, v.Comment = d.Name, d.At, d.Comment
		if v.DecidedBy == "" {
			v.DecidedBy = d.Approver
		}
	}
	return v
}

// Approval is the card approvers act on. While the request is pending it
// carries a comment box and Approve, Reject and Comment (Action.Execute,
// with the request id and version), and refreshes itself for the
// approvers. Once decided it shows who decided, when and why, and only a
// link to Steward.
func Approval(locale string, v ApprovalView) Card {
	l := lang(locale)
	if err := v.Request.check(); err != nil {
		return Card{err: err}
	}
	switch v.Request.State {
	case governance.StatePending:
		return pendingApproval(l, v)
	case governance.StateDraft:
		return invalid("request %s is a draft: nothing to approve yet", v.Request.ID)
	}
	return decidedApproval(l, v)
}

func pendingApproval(l string, v ApprovalView) Card {
	r := v.Request
	if v.Version <= 0 {
		return invalid("request %s has no version: its decisions could not be checked for conflicts", r.ID)
	}
	body := []Element{
		heading(t(l, "approval_heading", r.TeamName)),
		text(t(l, "approval_intro", r.RequesterName, r.TemplateName)),
		factSet(v.facts(l, r.facts(l))...),
		InputText{Type: "Input.Text", ID: InputComment, Label: t(l, "approval_comment"),
			Placeholder: t(l, "approval_placeholder"), IsMultiline: true, MaxLength: 2000},
	}
	data := func() map[string]any { return map[string]any{"requestId": r.ID, "version": v.Version} }
	c := newCard(l, body...)
	c.Actions = []Action{
		execute(t(l, "approve"), VerbApprove, "positive", data()),
		execute(t(l, "reject"), VerbReject, "destructive", data()),
		execute(t(l, "add_comment"), VerbComment, "", data()),
		openURL(t(l, "open_in_steward"), r.Link),
	}
	ids := v.ApproverIDs
	if len(ids) > MaxRefreshUsers {
		ids = ids[:MaxRefreshUsers]
	}
	c.Refresh = &Refresh{
		Action:  execute(t(l, "refresh"), VerbRefresh, "", map[string]any{"requestId": r.ID}),
		UserIDs: append([]string{}, ids...),
	}
	return Card{card: c}
}

func decidedApproval(l string, v ApprovalView) Card {
	r := v.Request
	head, by := "approved_heading", "approved_by"
	switch r.State {
	case governance.StateRejected:
		head, by = "rejected_heading", "rejected_by"
	case governance.StateCancelled:
		head, by = "cancelled_heading", "cancelled_by"
	}
	var decision []Fact
	if v.DecidedBy != "" {
		decision = append(decision, Fact{t(l, by), v.DecidedBy})
	}
	if !v.DecidedAt.IsZero() {
		decision = append(decision, Fact{t(l, "decided_on"), when(l, v.DecidedAt)})
	}
	if v.Comment != "" {
		decision = append(decision, Fact{t(l, "comment"), v.Comment})
	}
	color := "good"
	if r.State == governance.StateRejected || r.State == governance.StateCancelled {
		color = "attention"
	}
	body := []Element{colored(t(l, head, r.TeamName), color)}
	if len(decision) > 0 {
		body = append(body, factSet(decision...))
	}
	body = append(body, Container{Type: "Container", Separator: true, Items: []Element{factSet(r.facts(l)...)}})
	c := newCard(l, body...)
	c.Actions = []Action{openURL(t(l, "open_in_steward"), r.Link)}
	return Card{card: c}
}

// facts adds the approver-only rows to the request's summary.
func (v ApprovalView) facts(l string, base []Fact) []Fact {
	if v.Description != "" {
		base = append(base, Fact{t(l, "description"), v.Description})
	}
	if v.Justification != "" {
		base = append(base, Fact{t(l, "justification"), v.Justification})
	}
	return base
}
