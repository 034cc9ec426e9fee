package cards

import (
	"encoding/json"
	"fmt"
	"strings"
)

// PreviewContentType is the content type of a messaging-extension result's
// preview: Teams lists results as thumbnail cards.
const PreviewContentType = "application/vnd.microsoft.card.thumbnail"

// Record is a CRM record found by the messaging extension.
type Record struct {
	Kind     string // account, opportunity or contact
	ID       string
	Title    string
	Subtitle string
	Fields   []Fact
	URL      string // the record in the CRM; optional
}

func (r Record) check() error {
	switch r.Kind {
	case "account", "opportunity", "contact":
	default:
		return invalid("record %s has kind %q, not account, opportunity or contact", r.ID, r.Kind).err
	}
	if r.ID == "" || strings.TrimSpace(r.Title) == "" {
		return invalid("%s record needs an id and a title", r.Kind).err
	}
	return nil
}

// RecordCard is the card a messaging-extension result inserts in the
// conversation.
func RecordCard(locale string, r Record) Card {
	l := lang(locale)
	if err := r.check(); err != nil {
		return Card{err: err}
	}
	body := []Element{subtle(t(l, "kind_"+r.Kind)), heading(r.Title)}
	if r.Subtitle != "" {
		body = append(body, text(r.Subtitle))
	}
	if len(r.Fields) > 0 {
		body = append(body, factSet(r.Fields...))
	}
	c := newCard(l, body...)
	if r.URL != "" {
		c.Actions = []Action{openURL(t(l, "open_in_crm"), r.URL)}
	}
	return Card{card: c}
}

// Preview is a thumbnail card: the content of a messaging-extension
// result's preview attachment (contentType PreviewContentType).
type Preview struct {
	Title string `json:"title"`
	Text  string `json:"text,omitempty"`
	err   error
}

// JSON is the preview's content, or the error its builder recorded.
func (p Preview) JSON() ([]byte, error) {
	if p.err != nil {
		return nil, p.err
	}
	b, err := marshal(struct {
		Title string `json:"title"`
		Text  string `json:"text,omitempty"`
	}{p.Title, p.Text})
	if err != nil {
		return nil, fmt.Errorf("cards: marshal preview: %w", err)
	}
	return b, nil
}

// RecordPreview is how a record is listed among search results.
func RecordPreview(locale string, r Record) Preview {
	l := lang(locale)
	if err := r.check(); err != nil {
		return Preview{err: err}
	}
	text := t(l, "kind_"+r.Kind)
	if r.Subtitle != "" {
		text += " · " + r.Subtitle
	}
	return Preview{Title: r.Title, Text: text}
}

// marshal is json.Marshal without HTML escaping: cards carry URLs with
// "&" and text with "<", which Teams reads either way, and the golden
// files stay readable.
func marshal(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}
