package cards

import (
	"github.com/stewardhq/steward/governance"
)

// MaxListRows is how many requests RequestList shows; the "Open all" link
// leads to the rest.
const MaxListRows = 10

// RequestList is the answer to "my requests": the first MaxListRows of vs
// (the caller orders them, newest first) and a link to all of them.
func RequestList(locale string, vs []RequestView, allLink string) Card {
	l := lang(locale)
	if allLink == "" {
		return invalid("request list without a link to all requests")
	}
	body := []Element{heading(t(l, "list_heading"))}
	if len(vs) == 0 {
		body = append(body, text(t(l, "list_empty")))
	}
	for i, v := range vs {
		if i == MaxListRows {
			body = append(body, subtle(t(l, "list_more", MaxListRows, len(vs))))
			break
		}
		if err := v.check(); err != nil {
			return Card{err: err}
		}
		body = append(body, row(l, v))
	}
	c := newCard(l, body...)
	c.Actions = []Action{openURL(t(l, "open_all"), allLink)}
	return Card{card: c}
}

func row(l string, v RequestView) ColumnSet {
	detail := v.TemplateName
	if !v.CreatedAt.IsZero() {
		detail += " · " + day(l, v.CreatedAt)
	}
	name := TextBlock{Type: "TextBlock", Text: v.TeamName, Wrap: true, Weight: "bolder"}
	// The row opens the request with Action.OpenUrl rather than a Markdown
	// link: Teams opens a deep link from a TextBlock in a browser tab on
	// some clients, and from an OpenUrl action inside Teams.
	return ColumnSet{Type: "ColumnSet", Separator: true, SelectAction: openURL(v.TeamName, v.Link), Columns: []Column{
		{Type: "Column", Width: "stretch", Items: []Element{name, subtle(detail)}},
		{Type: "Column", Width: "auto", VerticalContentAlignment: "center",
			Items: []Element{TextBlock{Type: "TextBlock", Text: stateName(l, v.State), Color: stateColor(v.State), Wrap: true}}},
	}}
}

// stateColor makes final and failing states stand out.
func stateColor(s governance.RequestState) string {
	switch s {
	case governance.StateCompleted, governance.StateApproved:
		return "good"
	case governance.StateRejected, governance.StateFailed:
		return "attention"
	case governance.StatePending, governance.StateProvisioning:
		return "accent"
	}
	return "default"
}
