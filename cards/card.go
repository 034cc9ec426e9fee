package cards

import (
	"errors"
	"fmt"
)

// ContentType is the attachment content type of an Adaptive Card.
const ContentType = "application/vnd.microsoft.card.adaptive"

// Card is a built Adaptive Card, or the reason it could not be built.
type Card struct {
	card AdaptiveCard
	err  error
}

// ErrInvalid is wrapped by every error a builder records, so callers can
// tell bad input from a marshalling failure.
var ErrInvalid = errors.New("cards: invalid input")

// JSON is the card's JSON, ready to be an attachment's content, or the
// error a builder recorded.
func (c Card) JSON() ([]byte, error) {
	if c.err != nil {
		return nil, c.err
	}
	b, err := marshal(c.card)
	if err != nil {
		return nil, fmt.Errorf("cards: marshal: %w", err)
	}
	return b, nil
}

// MarshalJSON makes a Card usable directly as an attachment's content.
func (c Card) MarshalJSON() ([]byte, error) { return c.JSON() }

// Err is the error a builder recorded, if any.
func (c Card) Err() error { return c.err }

// Adaptive is the card's structure, for callers that inspect or extend it.
func (c Card) Adaptive() AdaptiveCard { return c.card }

// newCard starts a card in lang with its body.
func newCard(lang string, body ...Element) AdaptiveCard {
	return AdaptiveCard{Schema: schemaURL, Type: "AdaptiveCard", Version: cardVersion, Lang: lang, Body: body}
}

// invalid is a Card that carries a bad-input error.
func invalid(format string, args ...any) Card {
	return Card{err: fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))}
}

// Small constructors keep the builders readable and the type names right.

func heading(s string) TextBlock {
	return TextBlock{Type: "TextBlock", Text: s, Wrap: true, Size: "medium", Weight: "bolder", Style: "heading"}
}

func text(s string) TextBlock { return TextBlock{Type: "TextBlock", Text: s, Wrap: true} }

func subtle(s string) TextBlock {
	return TextBlock{Type: "TextBlock", Text: s, Wrap: true, IsSubtle: true, Size: "small"}
}

func colored(s, color string) TextBlock {
	return TextBlock{Type: "TextBlock", Text: s, Wrap: true, Color: color, Weight: "bolder"}
}

func factSet(facts ...Fact) FactSet { return FactSet{Type: "FactSet", Facts: facts} }

func container(style string, items ...Element) Container {
	return Container{Type: "Container", Style: style, Items: items}
}

func openURL(title, url string) ActionOpenURL {
	return ActionOpenURL{Type: "Action.OpenUrl", Title: title, URL: url}
}

func execute(title, verb, style string, data map[string]any) ActionExecute {
	return ActionExecute{Type: "Action.Execute", Title: title, Verb: verb, Data: data, Style: style}
}

func submit(title string, data map[string]any) ActionSubmit {
	return ActionSubmit{Type: "Action.Submit", Title: title, Data: data, Style: "positive"}
}
