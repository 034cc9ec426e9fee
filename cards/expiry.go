package cards

import "time"

// ExpiryWarning asks a team's owners to renew it before it expires. The
// Renew button (Action.Execute "renew", data teamId) only submits once the
// owner ticked the attestation (input "attest": "true", the toggle's
// default valueOn; "false" otherwise).
func ExpiryWarning(locale string, team TeamView, expiresAt time.Time, daysLeft int) Card {
	l := lang(locale)
	switch {
	case team.ID == "" || team.Name == "":
		return invalid("expiry warning for a team without id or name")
	case expiresAt.IsZero():
		return invalid("expiry warning for team %s without an expiry date", team.ID)
	case daysLeft < 0:
		return invalid("expiry warning for team %s that expired %d days ago", team.ID, -daysLeft)
	}
	var head string
	switch daysLeft {
	case 0:
		head = t(l, "expiry_heading_today", team.Name)
	case 1:
		head = t(l, "expiry_heading_day", team.Name)
	default:
		head = t(l, "expiry_heading_days", team.Name, daysLeft)
	}
	c := newCard(l,
		colored(head, "warning"),
		text(t(l, "expiry_intro", day(l, expiresAt))),
		factSet(Fact{t(l, "team"), team.Name}, Fact{t(l, "expires_on"), when(l, expiresAt)}),
		InputToggle{Type: "Input.Toggle", ID: InputAttest, Label: t(l, "attest_label"), Title: t(l, "attest_title"),
			Wrap: true, IsRequired: true, ErrorMessage: t(l, "attest_error")},
	)
	c.Actions = []Action{execute(t(l, "renew"), VerbRenew, "positive", map[string]any{"teamId": team.ID})}
	if team.Link != "" {
		c.Actions = append(c.Actions, openURL(t(l, "open_team"), team.Link))
	}
	return Card{card: c}
}
