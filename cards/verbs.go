package cards

// Verbs of the Action.Execute buttons Steward's cards carry. The bot
// switches on the verb of an adaptiveCard/action invoke.
const (
	VerbApprove = "approve"
	VerbReject  = "reject"
	VerbComment = "comment"
	VerbRefresh = "refresh"
	VerbRenew   = "renew"
)

// Ids of the inputs whose values Teams merges into an action's data.
const (
	InputComment     = "comment"     // Approval: the approver's comment
	InputAttest      = "attest"      // ExpiryWarning: "true" when ticked
	InputTemplateID  = "templateId"  // RequestTeamForm, ShareTemplate
	InputDisplayName = "displayName" // RequestTeamForm
	InputDescription = "description" // RequestTeamForm
)

// Forms name the task module an Action.Submit comes from, in its data's
// "form" key.
const (
	FormRequestTeam   = "requestTeam"
	FormShareTemplate = "shareTemplate"
)

// ActionData is the data of Steward's Action.Execute and Action.Submit
// actions once Teams has merged the inputs into it: what the bot decodes
// from an invoke's value.action.data (or value, for task/submit).
type ActionData struct {
	RequestID string `json:"requestId,omitempty"`
	// Version is the request's optimistic-concurrency version when the
	// card was built: a decision on a stale card is a conflict.
	Version     int64  `json:"version,omitempty"`
	TeamID      string `json:"teamId,omitempty"`
	Form        string `json:"form,omitempty"`
	Comment     string `json:"comment,omitempty"`
	Attest      string `json:"attest,omitempty"`
	TemplateID  string `json:"templateId,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	Description string `json:"description,omitempty"`
}
