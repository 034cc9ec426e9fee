package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stewardhq/steward/cards"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/web"
)

// Types of an adaptiveCard/action answer (Universal Actions): a card that
// replaces the one acted on, or an error Teams shows the user.
const (
	TypeCardResponse  = ContentTypeAdaptiveCard
	TypeErrorResponse = "application/vnd.microsoft.error"
)

// CodeInvokeUnsupported answers an invoke name Steward does not handle.
const CodeInvokeUnsupported = "invoke_unsupported"

// CardActionResponse is the body of the answer to an adaptiveCard/action
// invoke, always sent with HTTP 200: StatusCode says how the action went.
type CardActionResponse struct {
	StatusCode int    `json:"statusCode"`
	Type       string `json:"type"`
	Value      any    `json:"value"`
}

// invoke answers an invoke by its name.
func (t *turn) invoke(ctx context.Context) InvokeResponse {
	switch t.act.Name {
	case InvokeAdaptiveCardAction:
		return t.cardAction(ctx)
	case InvokeComposeExtensionQuery:
		return t.extensionQuery(ctx)
	case InvokeComposeExtensionFetch:
		return t.extensionFetch(ctx)
	case InvokeComposeExtensionSubmit:
		return t.extensionSubmit(ctx)
	case InvokeTaskFetch:
		return t.taskFetch(ctx)
	case InvokeTaskSubmit:
		return t.taskSubmit(ctx)
	}
	return InvokeResponse{Status: http.StatusNotImplemented, Body: Problem{Code: CodeInvokeUnsupported, Message: "Steward does not handle this invoke"}}
}

// cardActionValue is the value of an adaptiveCard/action invoke.
type cardActionValue struct {
	Action struct {
		Type string          `json:"type"`
		Verb string          `json:"verb"`
		Data json.RawMessage `json:"data"`
	} `json:"action"`
	Trigger string `json:"trigger"` // manual, or automatic for a refresh
}

// cardAction runs a Universal Action. The card's data says which request
// or team the button was about, nothing more: every decision goes through
// the governance service with the principal resolved from the activity, so
// a forged card can only ask, never grant.
func (t *turn) cardAction(ctx context.Context) InvokeResponse {
	var v cardActionValue
	if err := strictJSON(t.act.Value, &v); err != nil || v.Action.Verb == "" {
		return cardFail(http.StatusBadRequest, "action_invalid", "the invoke carries no Action.Execute verb")
	}
	var d cards.ActionData
	if len(v.Action.Data) > 0 && !bytes.Equal(bytes.TrimSpace(v.Action.Data), []byte("null")) {
		if err := json.Unmarshal(v.Action.Data, &d); err != nil {
			return cardFail(http.StatusBadRequest, "action_data_invalid", "the action's data is not what Steward's cards send")
		}
	}
	p, err := t.principal(ctx)
	if err != nil {
		return t.cardError(err, "resolve principal")
	}
	lang := t.lang()
	switch v.Action.Verb {
	case cards.VerbApprove, cards.VerbReject:
		if d.RequestID == "" {
			return cardFail(http.StatusBadRequest, "request_id_missing", "the card names no request")
		}
		r, err := t.h.o.Requests.Decide(ctx, p, d.RequestID, d.Version, v.Action.Verb == cards.VerbApprove, d.Comment)
		if err != nil {
			return t.afterFailure(ctx, p, d.RequestID, err, "decide")
		}
		notice := ""
		if r.State == governance.StatePending {
			notice = say(lang, "decision_recorded") // the next stage decides now
		}
		return t.cardOf(ctx, p, r, notice, "good")
	case cards.VerbComment:
		if d.RequestID == "" {
			return cardFail(http.StatusBadRequest, "request_id_missing", "the card names no request")
		}
		r, err := t.h.o.Requests.Comment(ctx, p, d.RequestID, d.Comment)
		if err != nil {
			return t.afterFailure(ctx, p, d.RequestID, err, "comment")
		}
		return t.cardOf(ctx, p, r, say(lang, "comment_added"), "good")
	case cards.VerbRefresh:
		if d.RequestID == "" {
			return cardFail(http.StatusBadRequest, "request_id_missing", "the card names no request")
		}
		r, err := t.h.o.Reads.Request(ctx, p, d.RequestID)
		if err != nil {
			return t.cardError(err, "refresh")
		}
		return t.cardOf(ctx, p, r, "", "")
	case cards.VerbRenew:
		return t.renew(ctx, p, d)
	}
	return cardFail(http.StatusBadRequest, "verb_unknown", "Steward's cards have no action "+clip(v.Action.Verb, 40))
}

// afterFailure answers a failed decision or comment. A stale card (the
// request changed since it was sent) gets the current card with a line that
// says so, which is more useful than an error the user can only dismiss.
func (t *turn) afterFailure(ctx context.Context, p governance.Principal, requestID string, err error, what string) InvokeResponse {
	var ge *governance.Error
	if errors.As(err, &ge) && (ge.Code == "request_version_conflict" || ge.Code == "request_not_pending") {
		r, rerr := t.h.o.Reads.Request(ctx, p, requestID)
		if rerr == nil {
			return t.cardOf(ctx, p, r, say(t.lang(), "version_conflict"), "warning")
		}
	}
	return t.cardError(err, what)
}

// cardOf answers with the card of r's current state for p.
func (t *turn) cardOf(ctx context.Context, p governance.Principal, r governance.Request, notice, color string) InvokeResponse {
	c, err := t.requestState(ctx, p, r, t.templateNames(ctx, p))
	if err != nil {
		return t.cardError(err, "request card")
	}
	var content json.RawMessage
	if notice != "" {
		content, err = withNotice(c, notice, color)
	} else {
		content, err = c.JSON()
	}
	if err != nil {
		return t.cardError(err, "request card")
	}
	return cardOK(content)
}

func (t *turn) renew(ctx context.Context, p governance.Principal, d cards.ActionData) InvokeResponse {
	if d.TeamID == "" {
		return cardFail(http.StatusBadRequest, "team_id_missing", "the card names no team")
	}
	if t.h.o.Lifecycle == nil {
		return t.cardError(governance.Errorf(governance.KindUnavailable, "lifecycle_not_configured",
			"this Steward server cannot renew teams"), "renew")
	}
	team, err := t.h.o.Lifecycle.Renew(ctx, p, d.TeamID, strings.EqualFold(d.Attest, "true"))
	if err != nil {
		return t.cardError(err, "renew")
	}
	lang := t.lang()
	line := say(lang, "renewed_forever")
	if !team.Lifecycle.ExpiresAt.IsZero() {
		line = say(lang, "renewed_until", formatDay(lang, team.Lifecycle.ExpiresAt))
	}
	content, err := plainCard(lang, say(lang, "renewed_heading"), []string{line})
	if err != nil {
		return t.cardError(err, "renew card")
	}
	return cardOK(content)
}

func cardOK(card json.RawMessage) InvokeResponse {
	return InvokeResponse{Status: http.StatusOK, Body: CardActionResponse{StatusCode: http.StatusOK, Type: TypeCardResponse, Value: card}}
}

func cardFail(status int, code, message string) InvokeResponse {
	return InvokeResponse{Status: http.StatusOK, Body: CardActionResponse{StatusCode: status, Type: TypeErrorResponse,
		Value: Problem{Code: code, Message: message}}}
}

// cardError answers a failed action with the status of the error's kind
// and its message in the user's language.
func (t *turn) cardError(err error, what string) InvokeResponse {
	code, msg := t.failure(err, what)
	return cardFail(statusOf(err), code, msg)
}

// statusOf is the HTTP status of an error's kind, as the REST API
// answers it (web.StatusOf); an action without a sender is a bad request.
func statusOf(err error) int {
	if errors.Is(err, errNoSender) {
		return http.StatusBadRequest
	}
	return web.StatusOf(governance.KindOf(err))
}

// strictJSON decodes an invoke's value, refusing an absent one.
func strictJSON(raw json.RawMessage, v any) error {
	if t := bytes.TrimSpace(raw); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return errEmptyValue
	}
	return json.Unmarshal(raw, v)
}

var errEmptyValue = errors.New("bot: the invoke has no value")

var frenchMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// formatDay writes a date as people of lang read it (UTC, as the cards do).
func formatDay(lang string, at time.Time) string {
	at = at.UTC()
	if lang == governance.LangFrench {
		return fmt.Sprintf("%d %s %d", at.Day(), frenchMonths[at.Month()-1], at.Year())
	}
	return at.Format("January 2, 2006")
}
