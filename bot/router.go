package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/stewardhq/steward/cards"
	"github.com/stewardhq/steward/governance"
)

// turn is one authenticated activity being answered.
type turn struct {
	h             *Handler
	act           *Activity
	tenant        governance.Tenant
	entraTenantID string
	log           *slog.Logger
}

// route answers the activity: invokes synchronously with their response,
// messages and installs with 200 and a reply sent in the conversation,
// everything else with 200 and no body.
func (t *turn) route(ctx context.Context) InvokeResponse {
	switch t.act.Type {
	case TypeInvoke:
		ctx, cancel := context.WithTimeout(ctx, InvokeTimeout)
		defer cancel()
		return t.invoke(ctx)
	case TypeMessage:
		ctx, cancel := context.WithTimeout(ctx, ReplyTimeout)
		defer cancel()
		t.message(ctx)
	case TypeConversationUpdate:
		if t.personal() && t.botAdded() {
			ctx, cancel := context.WithTimeout(ctx, ReplyTimeout)
			defer cancel()
			t.welcome(ctx)
		}
	case TypeInstallationUpdate:
		if t.personal() && t.act.Action == "add" {
			ctx, cancel := context.WithTimeout(ctx, ReplyTimeout)
			defer cancel()
			t.welcome(ctx)
		}
	}
	return InvokeResponse{Status: http.StatusOK}
}

func (t *turn) personal() bool {
	return t.act.Conversation != nil && (t.act.Conversation.ConversationType == "personal" || t.act.Conversation.ConversationType == "")
}

// botAdded reports whether the bot itself is among membersAdded (a user
// joining a chat the bot is already in is not an install).
func (t *turn) botAdded() bool {
	if t.act.Recipient == nil {
		return false
	}
	for _, m := range t.act.MembersAdded {
		if m.ID == t.act.Recipient.ID {
			return true
		}
	}
	return false
}

// welcome greets a user who installed Steward, once per conversation.
func (t *turn) welcome(ctx context.Context) {
	if t.act.Conversation == nil || !t.h.welcomed.putIfAbsent(t.tenant.ID+"|"+t.act.Conversation.ID, true) {
		return
	}
	name := ""
	if t.act.From != nil {
		name = t.act.From.Name
	}
	att, err := attach(cards.Welcome(t.act.Locale, name))
	if err != nil {
		t.log.Error("bot: welcome card", "error", err)
		return
	}
	t.reply(ctx, "welcome", Activity{Attachments: []Attachment{att}})
}

// reply sends out in the activity's conversation: through the outbox when
// there is one (durable, within Teams' rate limits, deduplicated by key),
// else as a direct reply through the connector. Failures are logged: the
// channel's HTTP call is answered 200 either way, since a retry of the
// activity would not help the connector.
func (t *turn) reply(ctx context.Context, purpose string, out Activity) {
	ref := t.act.Reference()
	if ref.Conversation.TenantID == "" {
		ref.Conversation.TenantID = t.entraTenantID
	}
	if t.h.o.Outbox != nil {
		body, err := json.Marshal(out)
		if err != nil {
			t.log.Error("bot: encode reply", "error", err)
			return
		}
		_, err = t.h.o.Outbox.Enqueue(ctx, SendJob{
			TenantID: t.tenant.ID, Ref: ref, Activity: body,
			Key: "reply:" + purpose + ":" + BaseConversationID(ref.Conversation.ID) + ":" + t.act.ID,
		})
		if err != nil {
			t.log.Error("bot: queue reply", "error", err)
		}
		return
	}
	var err error
	if t.act.ID != "" {
		_, err = t.h.o.Connector.Reply(ctx, ref, t.act.ID, out)
	} else {
		_, err = t.h.o.Connector.Send(ctx, ref, out)
	}
	if err != nil {
		t.log.Error("bot: send reply", "error", err)
	}
}

// principal is the sender as governance sees them.
func (t *turn) principal(ctx context.Context) (governance.Principal, error) {
	return t.h.principals.of(ctx, t.tenant.ID, t.act)
}

// lang is the language of the answers: French for a fr-* locale.
func (t *turn) lang() string {
	primary, _, _ := strings.Cut(strings.TrimSpace(t.act.Locale), "-")
	if strings.EqualFold(primary, "fr") {
		return governance.LangFrench
	}
	return governance.LangEnglish
}

// links makes deep links into Steward's tabs for the activity's tenant.
func (t *turn) links() cards.Steward {
	return cards.Steward{AppID: t.h.o.Links.AppID, BaseURL: t.h.o.Links.BaseURL, TenantID: t.entraTenantID}
}

// failure logs err unless it is a classified, user-caused error, and
// returns its code and the message to show, in the user's language.
func (t *turn) failure(err error, what string) (code, message string) {
	if errors.Is(err, errNoSender) {
		return CodeSenderUnknown, say(t.lang(), "sender_unknown")
	}
	switch governance.KindOf(err) {
	case governance.KindInternal, governance.KindUnavailable:
		t.log.Error("bot: "+what, "error", err)
	}
	return governance.Localize(err, t.lang())
}

// attach makes a card an attachment.
func attach(c cards.Card) (Attachment, error) {
	b, err := c.JSON()
	if err != nil {
		return Attachment{}, fmt.Errorf("bot: card: %w", err)
	}
	return Attachment{ContentType: ContentTypeAdaptiveCard, Content: b}, nil
}

// extend builds c and lets f change its structure before it is encoded
// (a notice above the body, another button).
func extend(c cards.Card, f func(ac *cards.AdaptiveCard)) (json.RawMessage, error) {
	if err := c.Err(); err != nil {
		return nil, fmt.Errorf("bot: card: %w", err)
	}
	ac := c.Adaptive()
	ac.Body = append([]cards.Element{}, ac.Body...)
	ac.Actions = append([]cards.Action{}, ac.Actions...)
	f(&ac)
	return marshalJSON(ac)
}

// withNotice puts a line above a card's body: what just happened.
func withNotice(c cards.Card, notice, color string) (json.RawMessage, error) {
	return extend(c, func(ac *cards.AdaptiveCard) {
		ac.Body = append([]cards.Element{cards.TextBlock{Type: "TextBlock", Text: notice, Wrap: true, Weight: "bolder", Color: color}}, ac.Body...)
	})
}

// plainCard is a card of Steward's own making for the few answers the
// cards package has no builder for: a heading, lines of text, buttons.
func plainCard(lang, head string, lines []string, actions ...cards.Action) (json.RawMessage, error) {
	ac := cards.AdaptiveCard{Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.5", Lang: lang,
		Body: []cards.Element{cards.TextBlock{Type: "TextBlock", Text: head, Wrap: true, Size: "medium", Weight: "bolder", Style: "heading"}}}
	for _, l := range lines {
		ac.Body = append(ac.Body, cards.TextBlock{Type: "TextBlock", Text: l, Wrap: true})
	}
	ac.Actions = actions
	return marshalJSON(ac)
}
