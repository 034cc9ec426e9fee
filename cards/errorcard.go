package cards

import "strings"

// Error tells the user something failed. message must be user-safe (e.g.
// from governance.Localize); an empty one becomes "try again".
func Error(locale, message string) Card {
	l := lang(locale)
	if strings.TrimSpace(message) == "" {
		message = t(l, "error_generic")
	}
	return Card{card: newCard(l, container("attention", colored(t(l, "error_heading"), "attention"), text(message)))}
}
