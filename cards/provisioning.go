package cards

import "strings"

// ProvisioningComplete tells the requester their team exists, with its
// channels and a link to it.
func ProvisioningComplete(locale, teamName, teamLink string, channels []string) Card {
	l := lang(locale)
	if teamName == "" || teamLink == "" {
		return invalid("a provisioned team needs a name and a link")
	}
	body := []Element{colored(t(l, "ready_heading", teamName), "good"), text(t(l, "ready_intro"))}
	if len(channels) > 0 {
		body = append(body, subtle(t(l, "channels")), text(bullets(channels)))
	}
	c := newCard(l, body...)
	c.Actions = []Action{openURL(t(l, "open_team"), teamLink)}
	return Card{card: c}
}

// ProvisioningFailed tells the requester (or administrators) that Steward
// stopped creating a team, and why. link is where "Open in Steward" goes
// (an administrator's retry page, say); empty, the request's own v.Link.
func ProvisioningFailed(locale string, v RequestView, reason, link string) Card {
	l := lang(locale)
	if err := v.check(); err != nil {
		return Card{err: err}
	}
	if strings.TrimSpace(reason) == "" {
		return invalid("request %s failed without a reason", v.ID)
	}
	c := newCard(l,
		container("attention", colored(t(l, "failed_heading", v.TeamName), "attention"),
			factSet(Fact{t(l, "reason"), reason})),
		text(t(l, "failed_retry")),
		factSet(v.facts(l)...),
	)
	if link == "" {
		link = v.Link
	}
	c.Actions = []Action{openURL(t(l, "open_in_steward"), link)}
	return Card{card: c}
}

// bullets is a Markdown list; Teams separates Adaptive Card list items
// with a carriage return.
func bullets(items []string) string {
	return "- " + strings.Join(items, "\r- ")
}
