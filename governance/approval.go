package governance

import (
	"slices"
	"strings"
	"time"
)

// ApprovalPolicy says who must approve a request before its team is
// provisioned. No stages means no approval: requests are approved on
// submission. One stage is a single approval; several stages run in order,
// each after the previous one approved.
type ApprovalPolicy struct {
	Stages []ApprovalStage `json:"stages,omitempty"`
	// AutoApprove skips every stage when the requester matches a rule.
	AutoApprove []AutoApproveRule `json:"autoApprove,omitempty"`
	// ReminderAfterHours re-notifies a stage's approvers after that many
	// hours without a decision (0: no reminder).
	ReminderAfterHours int `json:"reminderAfterHours,omitempty"`
	// EscalateAfterHours adds EscalateTo as approvers of a stage still
	// undecided after that many hours (0: no escalation).
	EscalateAfterHours int           `json:"escalateAfterHours,omitempty"`
	EscalateTo         []ApproverRef `json:"escalateTo,omitempty"`
}

// ApprovalStage is one step of approval.
type ApprovalStage struct {
	Name      string        `json:"name"`
	Approvers []ApproverRef `json:"approvers"`
	// Rule is "any" (default: the first approval completes the stage) or
	// "all" (every listed approver must approve; a group counts as one
	// approver, satisfied by any of its members).
	Rule string `json:"rule,omitempty"`
}

// ApproverRef names an approver: a user, or an Entra group (an approval
// team) whose members may decide.
type ApproverRef struct {
	Type string `json:"type"` // user or group
	ID   string `json:"id"`   // Entra object id
	Name string `json:"name,omitempty"`
}

// AutoApproveRule approves a request on submission when it matches.
type AutoApproveRule struct {
	RequesterInGroup string `json:"requesterInGroup"` // Entra group id
}

// Decision is one approver's verdict on one stage.
type Decision struct {
	Stage      int       `json:"stage"` // index into Stages
	Approver   string    `json:"approver"`
	Name       string    `json:"name,omitempty"`
	Approve    bool      `json:"approve"`
	Comment    string    `json:"comment,omitempty"`
	At         time.Time `json:"at"`
	Escalation bool      `json:"escalation,omitempty"` // decided as an escalation approver
	// Refs are the ids of the stage's approver refs the approver matched
	// when deciding (their user id, the approval groups they were in), so
	// an "all" stage is evaluated from the decisions alone, even if group
	// membership changes later.
	Refs []string `json:"refs,omitempty"`
}

// Outcome is where an approval stands after a decision.
type Outcome string

const (
	OutcomePending  Outcome = "pending"  // the current stage needs more approvals
	OutcomeNext     Outcome = "next"     // the stage is complete; the next one starts
	OutcomeApproved Outcome = "approved" // the last stage is complete
	OutcomeRejected Outcome = "rejected" // someone rejected
)

func (a ApprovalPolicy) validate(p *problems) {
	if len(a.Stages) > 5 {
		p.add("approval has at most 5 stages")
	}
	for i, s := range a.Stages {
		if strings.TrimSpace(s.Name) == "" {
			p.add("approval stage %d needs a name", i+1)
		}
		if len(s.Approvers) == 0 || len(s.Approvers) > 50 {
			p.add("approval stage %d needs 1 to 50 approvers", i+1)
		}
		if s.Rule != "" && s.Rule != "any" && s.Rule != "all" {
			p.add(`approval stage %d: rule must be "any" or "all"`, i+1)
		}
		for _, ap := range s.Approvers {
			ap.validate(p, i+1)
		}
	}
	for _, r := range a.AutoApprove {
		if !guidPattern.MatchString(r.RequesterInGroup) {
			p.add("auto-approve: %q is not an Entra group id (a GUID)", r.RequesterInGroup)
		}
	}
	if a.ReminderAfterHours < 0 || a.EscalateAfterHours < 0 || a.ReminderAfterHours > 24*30 || a.EscalateAfterHours > 24*30 {
		p.add("reminder and escalation delays must be 0 (off) to 720 hours")
	}
	if a.EscalateAfterHours > 0 && len(a.EscalateTo) == 0 {
		p.add("escalation needs someone to escalate to")
	}
	for _, ap := range a.EscalateTo {
		ap.validate(p, 0)
	}
}

func (r ApproverRef) validate(p *problems, stage int) {
	where := "escalation"
	if stage > 0 {
		where = "approval stage " + itoa(stage)
	}
	if r.Type != "user" && r.Type != "group" {
		p.add(`%s: an approver is a "user" or a "group"`, where)
	}
	if !guidPattern.MatchString(r.ID) {
		p.add("%s: approver %q is not an Entra object id (a GUID)", where, r.ID)
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + itoa(n%10)
}

// Required reports whether requests need any approval.
func (a ApprovalPolicy) Required() bool { return len(a.Stages) > 0 }

// AutoApproves reports whether requester's requests skip approval.
func (a ApprovalPolicy) AutoApproves(requester Principal) bool {
	return slices.ContainsFunc(a.AutoApprove, func(r AutoApproveRule) bool { return requester.InGroup(r.RequesterInGroup) })
}

// matches reports whether p is the approver ref.
func (r ApproverRef) matches(p Principal) bool {
	if r.Type == "user" {
		return strings.EqualFold(r.ID, p.ID)
	}
	return p.InGroup(r.ID)
}

// CanDecide reports whether p may decide stage of a request made by
// requesterID, given the decisions so far and whether the stage has been
// escalated. Nobody approves their own request, and nobody decides a stage
// twice.
func (a ApprovalPolicy) CanDecide(p Principal, requesterID string, stage int, decisions []Decision, escalated bool) error {
	if stage < 0 || stage >= len(a.Stages) {
		return Errorf(KindConflict, "approval_not_pending", "this request is not waiting for an approval")
	}
	if strings.EqualFold(p.ID, requesterID) {
		return Errorf(KindForbidden, "approval_own_request", "you cannot decide your own request")
	}
	for _, d := range decisions {
		if d.Stage == stage && strings.EqualFold(d.Approver, p.ID) {
			return Errorf(KindConflict, "approval_already_decided", "you have already decided this stage")
		}
	}
	if len(a.Stages[stage].matching(p)) > 0 || (escalated && len(matchingRefs(a.EscalateTo, p)) > 0) {
		return nil
	}
	return Errorf(KindForbidden, "approval_not_approver", "you are not an approver of stage %q of this request", a.Stages[stage].Name)
}

// NewDecision records p's verdict on stage, with the approver refs p
// matches. Call CanDecide first.
func (a ApprovalPolicy) NewDecision(p Principal, stage int, approve bool, comment string, at time.Time) Decision {
	refs := a.Stages[stage].matching(p)
	return Decision{Stage: stage, Approver: p.ID, Name: p.Name, Approve: approve, Comment: comment, At: at,
		Refs: refs, Escalation: len(refs) == 0}
}

func (s ApprovalStage) matching(p Principal) []string { return matchingRefs(s.Approvers, p) }

func matchingRefs(refs []ApproverRef, p Principal) []string {
	var ids []string
	for _, r := range refs {
		if r.matches(p) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// Evaluate says where the approval of stage stands given all decisions so
// far. A rejection rejects the request. With rule "any" one approval
// completes the stage; with "all", each listed approver (a group being
// satisfied by any member's approval) must approve — an escalation
// approver's approval completes the stage on its own, since escalation
// exists for when the listed approvers do not answer.
func (a ApprovalPolicy) Evaluate(stage int, decisions []Decision) Outcome {
	if stage < 0 || stage >= len(a.Stages) {
		return OutcomePending
	}
	s := a.Stages[stage]
	var approvers []Decision
	for _, d := range decisions {
		if d.Stage != stage {
			continue
		}
		if !d.Approve {
			return OutcomeRejected
		}
		approvers = append(approvers, d)
	}
	done := false
	switch {
	case len(approvers) == 0:
	case s.Rule != "all" || slices.ContainsFunc(approvers, func(d Decision) bool { return d.Escalation }):
		done = true
	default:
		done = true
		for _, ref := range s.Approvers {
			satisfied := slices.ContainsFunc(approvers, func(d Decision) bool {
				return slices.ContainsFunc(d.Refs, func(id string) bool { return strings.EqualFold(id, ref.ID) })
			})
			if !satisfied {
				done = false
				break
			}
		}
	}
	switch {
	case !done:
		return OutcomePending
	case stage == len(a.Stages)-1:
		return OutcomeApproved
	default:
		return OutcomeNext
	}
}

// DueActions says what the scheduler owes a stage that started at since:
// a reminder, an escalation, both or neither, given what was already sent.
func (a ApprovalPolicy) DueActions(since, now time.Time, reminded, escalated bool) (remind, escalate bool) {
	waited := now.Sub(since)
	remind = !reminded && a.ReminderAfterHours > 0 && waited >= time.Duration(a.ReminderAfterHours)*time.Hour
	escalate = !escalated && a.EscalateAfterHours > 0 && len(a.EscalateTo) > 0 && waited >= time.Duration(a.EscalateAfterHours)*time.Hour
	return remind, escalate
}
