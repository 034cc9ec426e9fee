package cards

import "strings"

// TemplateOption is a catalog template a user may request a team from.
type TemplateOption struct {
	ID          string
	Name        string
	Description string
}

// Input limits match Microsoft 365's on a group's display name and
// description, so the form refuses what Graph would.
const (
	maxDisplayName = 256
	maxDescription = 1024
)

// RequestTeamForm is the "new team" task module: a template, a name and a
// description (prefilled with name and description), submitted with
// Action.Submit and data {"form": FormRequestTeam}.
func RequestTeamForm(locale string, templates []TemplateOption, name, description string) Card {
	l := lang(locale)
	if err := checkTemplates(templates); err != nil {
		return Card{err: err}
	}
	if len(templates) == 0 {
		return Card{card: newCard(l, heading(t(l, "form_heading")), text(t(l, "form_no_templates")))}
	}
	c := newCard(l,
		heading(t(l, "form_heading")),
		templateChoice(l, templates),
		InputText{Type: "Input.Text", ID: InputDisplayName, Label: t(l, "form_name"), Value: name,
			MaxLength: maxDisplayName, IsRequired: true, ErrorMessage: t(l, "form_name_error")},
		InputText{Type: "Input.Text", ID: InputDescription, Label: t(l, "description"), Value: description,
			Placeholder: t(l, "form_description_hint"), IsMultiline: true, MaxLength: maxDescription},
	)
	c.Actions = []Action{submit(t(l, "form_submit"), map[string]any{"form": FormRequestTeam})}
	return Card{card: c}
}

// ShareTemplate is the task module that picks a template to post in a
// conversation, submitted with data {"form": FormShareTemplate}.
func ShareTemplate(locale string, templates []TemplateOption) Card {
	l := lang(locale)
	if err := checkTemplates(templates); err != nil {
		return Card{err: err}
	}
	if len(templates) == 0 {
		return Card{card: newCard(l, heading(t(l, "share_heading")), text(t(l, "form_no_templates")))}
	}
	c := newCard(l, heading(t(l, "share_heading")), text(t(l, "share_intro")), templateChoice(l, templates))
	c.Actions = []Action{submit(t(l, "share_submit"), map[string]any{"form": FormShareTemplate})}
	return Card{card: c}
}

func templateChoice(l string, templates []TemplateOption) InputChoiceSet {
	cs := InputChoiceSet{Type: "Input.ChoiceSet", ID: InputTemplateID, Label: t(l, "template"),
		Placeholder: t(l, "form_template_choose"), Wrap: true, // compact (a drop-down) is the default style
		IsRequired: true, ErrorMessage: t(l, "form_template_error")}
	for _, tp := range templates {
		title := tp.Name
		if tp.Description != "" {
			title += " — " + tp.Description
		}
		cs.Choices = append(cs.Choices, Choice{Title: title, Value: tp.ID})
	}
	if len(templates) == 1 {
		cs.Value = templates[0].ID // nothing to choose: save the user a click
	}
	return cs
}

func checkTemplates(templates []TemplateOption) error {
	seen := make(map[string]bool, len(templates))
	for _, tp := range templates {
		switch {
		case tp.ID == "" || strings.TrimSpace(tp.Name) == "":
			return invalid("template option %q needs an id and a name", tp.ID).err
		case seen[tp.ID]:
			return invalid("template %s is offered twice", tp.ID).err
		}
		seen[tp.ID] = true
	}
	return nil
}
