package cards

import "strconv"

// RequestSummary is a request at a glance, with a link to it in Steward's
// "My requests" tab.
func RequestSummary(locale string, v RequestView) Card {
	l := lang(locale)
	if err := v.check(); err != nil {
		return Card{err: err}
	}
	c := newCard(l, heading(t(l, "summary_heading", v.TeamName)), factSet(v.facts(l)...))
	c.Actions = []Action{openURL(t(l, "open_in_steward"), v.Link)}
	return Card{card: c}
}

func itoa(n int) string { return strconv.Itoa(n) }
