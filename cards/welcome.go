package cards

import "strings"

// Welcome greets a user who installed Steward and lists the bot's
// commands. The commands are the same words in every language: they are
// what the bot parses.
func Welcome(locale, userName string) Card {
	l := lang(locale)
	head := t(l, "welcome_heading", userName)
	if strings.TrimSpace(userName) == "" {
		head = t(l, "welcome_heading_anonymous")
	}
	return Card{card: newCard(l, heading(head), text(t(l, "welcome_intro")), factSet(commands(l)...))}
}

// Help lists the bot's commands.
func Help(locale string) Card {
	l := lang(locale)
	return Card{card: newCard(l, heading(t(l, "help_heading")), text(t(l, "help_intro")),
		factSet(commands(l)...), subtle(t(l, "help_tabs")))}
}

func commands(l string) []Fact {
	return []Fact{
		{"new team", t(l, "cmd_new")},
		{"my requests", t(l, "cmd_mine")},
		{"approvals", t(l, "cmd_approvals")},
		{"help", t(l, "cmd_help")},
		{t(l, "cmd_status_arg"), t(l, "cmd_status")},
	}
}
