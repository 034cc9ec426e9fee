package governance

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// RequestState is where a team request is in its life.
type RequestState string

const (
	StateDraft        RequestState = "draft"        // being written by the requester
	StatePending      RequestState = "pending"      // submitted, waiting for approval
	StateApproved     RequestState = "approved"     // approved, provisioning queued
	StateRejected     RequestState = "rejected"     // an approver said no (final)
	StateProvisioning RequestState = "provisioning" // Steward is creating the team
	StateCompleted    RequestState = "completed"    // the team exists (final)
	StateFailed       RequestState = "failed"       // provisioning stopped; an administrator may retry
	StateCancelled    RequestState = "cancelled"    // withdrawn by the requester or an administrator (final)
)

// transitions is the whole state machine: from → allowed next states.
var transitions = map[RequestState][]RequestState{
	StateDraft:        {StatePending, StateApproved, StateCancelled}, // approved: no approval needed or auto-approved
	StatePending:      {StateApproved, StateRejected, StateCancelled},
	StateApproved:     {StateProvisioning, StateCancelled},
	StateProvisioning: {StateCompleted, StateFailed},
	StateFailed:       {StateProvisioning, StateCancelled}, // retry by an administrator
}

// Final reports a state nothing leaves.
func (s RequestState) Final() bool { _, ok := transitions[s]; return !ok }

// Valid reports a known state.
func (s RequestState) Valid() bool {
	switch s {
	case StateDraft, StatePending, StateApproved, StateRejected, StateProvisioning, StateCompleted, StateFailed, StateCancelled:
		return true
	}
	return false
}

// CanMove reports whether the state machine allows from → to.
func CanMove(from, to RequestState) bool { return slices.Contains(transitions[from], to) }

// Request is a request for a new team, made from one template version.
type Request struct {
	TenantID        string            `json:"tenantId"`
	ID              string            `json:"id"`
	TemplateID      string            `json:"templateId"`
	TemplateVersion int               `json:"templateVersion"`
	State           RequestState      `json:"state"`
	RequesterID     string            `json:"requesterId"`
	RequesterName   string            `json:"requesterName,omitempty"`
	Requested       string            `json:"requestedName"` // what the requester typed
	DisplayName     string            `json:"displayName"`   // after the naming policy
	MailNickname    string            `json:"mailNickname"`
	Description     string            `json:"description,omitempty"`
	Owners          []string          `json:"owners"`  // Entra user ids
	Members         []string          `json:"members"` // Entra user ids, owners excluded
	Guests          []string          `json:"guests,omitempty"`
	Fields          map[string]string `json:"fields,omitempty"`
	// RequesterAttributes are the requester's directory attributes at
	// submission, so a rename by an approver builds the same tokens.
	RequesterAttributes map[string]string `json:"requesterAttributes,omitempty"`
	Justification       string            `json:"justification,omitempty"`
	Stage               int               `json:"stage"`          // current approval stage while pending
	StageStarted        time.Time         `json:"stageStartedAt"` // for reminders and escalation
	Reminded            bool              `json:"reminded,omitempty"`
	Escalated           bool              `json:"escalated,omitempty"`
	Decisions           []Decision        `json:"decisions,omitempty"`
	Comments            []Comment         `json:"comments,omitempty"`
	TeamID              string            `json:"teamId,omitempty"` // once provisioned
	TeamWebURL          string            `json:"teamWebUrl,omitempty"`
	// ProvisioningNotes say what provisioning could not apply without
	// failing (a member who left the directory, ...).
	ProvisioningNotes []string `json:"provisioningNotes,omitempty"`
	// ProvisioningAttempt counts provisioning runs: 1 after approval, +1 per
	// administrator retry.
	ProvisioningAttempt int       `json:"provisioningAttempt,omitempty"`
	FailureReason       string    `json:"failureReason,omitempty"`
	CreatedAt           time.Time `json:"createdAt"`
	UpdatedAt           time.Time `json:"updatedAt"`
	Version             int64     `json:"version"` // optimistic concurrency
}

// Comment is a note on a request by the requester or an approver.
type Comment struct {
	Author string    `json:"author"`
	Name   string    `json:"name,omitempty"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// Move changes the request's state if the state machine allows it, else a
// KindConflict error that says where the request is.
func (r *Request) Move(to RequestState, now time.Time) error {
	if !CanMove(r.State, to) {
		return Errorf(KindConflict, "request_state_conflict", "this request is %s and cannot become %s", r.State, to)
	}
	r.State, r.UpdatedAt = to, now
	return nil
}

// CheckMembership validates the people of a request against a template's
// membership and guest policies. Permanent owners and members count. isGuest
// reports whether a user id is a guest account; guestDomain gives its home
// domain.
func (r Request) CheckMembership(tp TemplatePolicies, isGuest func(id string) bool, guestDomain func(id string) string) error {
	var p problems
	owners := union(r.Owners, tp.Membership.PermanentOwners)
	members := union(union(r.Members, tp.Membership.PermanentMembers), owners)
	if len(owners) == 0 {
		p.add("a team needs at least one owner")
	}
	if len(owners) < tp.Membership.MinOwners {
		p.add("this template needs at least %d owners; add %d more", tp.Membership.MinOwners, tp.Membership.MinOwners-len(owners))
	}
	if len(members) < tp.Membership.MinMembers {
		p.add("this template needs at least %d members (owners included); add %d more", tp.Membership.MinMembers, tp.Membership.MinMembers-len(members))
	}
	for _, id := range append(slices.Clone(owners), union(r.Members, r.Guests)...) {
		if !guidPattern.MatchString(id) {
			p.add("%q is not an Entra user id", id)
		}
	}
	for _, id := range union(members, r.Guests) {
		if isGuest == nil || !isGuest(id) {
			continue
		}
		switch {
		case !tp.Guests.Allowed:
			p.add("guests are not allowed in teams made from this template")
		case len(tp.Guests.AllowedDomains) > 0 && !slices.ContainsFunc(tp.Guests.AllowedDomains, func(d string) bool {
			return guestDomain != nil && strings.EqualFold(d, guestDomain(id))
		}):
			p.add("guest %s is not from an allowed domain (%s)", id, strings.Join(tp.Guests.AllowedDomains, ", "))
		}
		if slices.Contains(owners, id) {
			p.add("a guest cannot be an owner")
		}
	}
	return p.err("request_membership_invalid")
}

// CheckFields validates the answers to a template's extra questions.
func (r Request) CheckFields(fields []RequestField) error {
	var p problems
	for _, f := range fields {
		v := strings.TrimSpace(r.Fields[f.ID])
		switch {
		case v == "" && f.Required:
			p.add("%s is required", f.Label)
		case v != "" && len(f.Choices) > 0 && !slices.Contains(f.Choices, v):
			p.add("%s must be one of: %s", f.Label, strings.Join(f.Choices, ", "))
		case utf8.RuneCountInString(v) > 256:
			p.add("%s must be at most 256 characters", f.Label)
		}
	}
	for id := range r.Fields {
		if !slices.ContainsFunc(fields, func(f RequestField) bool { return f.ID == id }) {
			p.add("the template asks no question %q", id)
		}
	}
	if utf8.RuneCountInString(r.Description) > maxDescriptionLength {
		p.add("the description must be at most %d characters", maxDescriptionLength)
	}
	if utf8.RuneCountInString(r.Justification) > 2000 {
		p.add("the justification must be at most 2000 characters")
	}
	return p.err("request_invalid")
}

// union returns a followed by the ids of b not already in a, preserving order.
func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, id := range b {
		if !slices.ContainsFunc(out, func(x string) bool { return strings.EqualFold(x, id) }) {
			out = append(out, id)
		}
	}
	return out
}

// maxDescriptionLength is Microsoft 365's limit on a group description.
const maxDescriptionLength = 1024
