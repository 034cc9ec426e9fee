package bot

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"

	"github.com/stewardhq/steward/cards"
	"github.com/stewardhq/steward/crm"
	"github.com/stewardhq/steward/governance"
)

// Messaging-extension command ids, as the app manifest (teamsapp)
// declares them.
const (
	CommandSearchAccounts      = "searchAccounts"
	CommandSearchOpportunities = "searchOpportunities"
	CommandSearchContacts      = "searchContacts"
	CommandRequestTeam         = "requestTeam"
	CommandShareTemplate       = "shareTemplate"
)

// Codes of the invoke answers that are not cards.
const (
	CodeCommandUnknown = "command_unknown"
	CodeValueInvalid   = "value_invalid"
	CodeFormUnknown    = "form_unknown"
)

// searchParameter is the search commands' one parameter; Teams sends
// initialRun when the user opens the extension before typing.
const (
	searchParameter = "query"
	initialRunParam = "initialRun"
	// initialResults is how many records an empty search lists: the most
	// recently changed, a few to pick from without typing.
	initialResults = 10
)

var searchKinds = map[string]crm.Kind{
	CommandSearchAccounts:      crm.KindAccount,
	CommandSearchOpportunities: crm.KindOpportunity,
	CommandSearchContacts:      crm.KindContact,
}

// extensionValue is the value of composeExtension invokes.
type extensionValue struct {
	CommandID  string `json:"commandId"`
	Parameters []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"parameters"`
	QueryOptions struct {
		Skip  int `json:"skip"`
		Count int `json:"count"`
	} `json:"queryOptions"`
	Data           json.RawMessage `json:"data"`
	MessagePayload *struct {
		Body struct {
			ContentType string `json:"contentType"`
			Content     string `json:"content"`
		} `json:"body"`
	} `json:"messagePayload"`
}

func (v extensionValue) param(name string) string {
	for _, p := range v.Parameters {
		if p.Name == name {
			switch x := p.Value.(type) {
			case string:
				return x
			case bool:
				if x {
					return "true"
				}
				return "false"
			}
		}
	}
	return ""
}

// Response shapes of messaging extensions and dialogs (task modules).
type (
	extensionResponse struct {
		ComposeExtension extensionResult `json:"composeExtension"`
	}
	extensionResult struct {
		Type             string       `json:"type"` // result or message
		AttachmentLayout string       `json:"attachmentLayout,omitempty"`
		Attachments      []Attachment `json:"attachments,omitempty"`
		Text             string       `json:"text,omitempty"`
	}
	taskResponse struct {
		Task taskAnswer `json:"task"`
	}
	taskAnswer struct {
		Type  string `json:"type"` // continue (show a dialog) or message (close it with a text)
		Value any    `json:"value"`
	}
	taskInfo struct {
		Title  string     `json:"title"`
		Height string     `json:"height"`
		Width  string     `json:"width"`
		Card   Attachment `json:"card"`
	}
)

func extensionCards(atts []Attachment) InvokeResponse {
	if atts == nil {
		atts = []Attachment{}
	}
	return InvokeResponse{Status: http.StatusOK, Body: extensionResponse{extensionResult{Type: "result", AttachmentLayout: "list", Attachments: atts}}}
}

func extensionMessage(text string) InvokeResponse {
	return InvokeResponse{Status: http.StatusOK, Body: extensionResponse{extensionResult{Type: "message", Text: text}}}
}

func taskContinue(title string, card json.RawMessage) InvokeResponse {
	return InvokeResponse{Status: http.StatusOK, Body: taskResponse{taskAnswer{Type: "continue", Value: taskInfo{
		Title: title, Height: "large", Width: "medium", Card: Attachment{ContentType: ContentTypeAdaptiveCard, Content: card}}}}}
}

func taskMessage(text string) InvokeResponse {
	return InvokeResponse{Status: http.StatusOK, Body: taskResponse{taskAnswer{Type: "message", Value: text}}}
}

func badInvoke(code, message string) InvokeResponse {
	return InvokeResponse{Status: http.StatusBadRequest, Body: Problem{Code: code, Message: message}}
}

// extensionQuery searches the tenant's CRM. Records are the tenant's, not
// the user's: the search needs no principal, which keeps it within the
// deadline.
func (t *turn) extensionQuery(ctx context.Context) InvokeResponse {
	var v extensionValue
	if err := strictJSON(t.act.Value, &v); err != nil {
		return badInvoke(CodeValueInvalid, "the query invoke has no readable value")
	}
	kind, ok := searchKinds[v.CommandID]
	if !ok {
		return badInvoke(CodeCommandUnknown, "Steward has no search command "+clip(v.CommandID, 40))
	}
	lang := t.lang()
	if t.h.o.CRM == nil {
		return extensionMessage(say(lang, "no_crm"))
	}
	text := strings.TrimSpace(v.param(searchParameter))
	initial := v.param(initialRunParam) == "true"
	if initial {
		text = ""
	}
	count := v.QueryOptions.Count
	if count <= 0 || count > crm.DefaultLimit {
		count = crm.DefaultLimit
	}
	if text == "" {
		count = min(count, initialResults)
	}
	skip := max(v.QueryOptions.Skip, 0)
	if skip >= crm.MaxLimit {
		return extensionCards(nil) // the search returns no further pages
	}
	recs, err := t.h.o.CRM.Search(ctx, t.tenant.ID, crm.Query{Kind: kind, Text: text, Limit: min(skip+count, crm.MaxLimit)})
	switch {
	case governance.IsKind(err, governance.KindInvalid):
		_, msg := governance.Localize(err, lang)
		return extensionMessage(msg)
	case err != nil:
		t.log.Warn("bot: crm search", "error", err)
		return extensionMessage(say(lang, "search_down"))
	}
	if skip > len(recs) {
		recs = nil
	} else {
		recs = recs[skip:]
	}
	if len(recs) == 0 && skip == 0 {
		if text == "" {
			return extensionMessage(say(lang, "search_hint"))
		}
		return extensionMessage(say(lang, "no_records"))
	}
	atts := make([]Attachment, 0, len(recs))
	for _, r := range recs {
		att, err := recordAttachment(t.act.Locale, r)
		if err != nil {
			t.log.Warn("bot: crm record card", "kind", r.Kind, "record_id", r.ID, "error", err)
			continue
		}
		atts = append(atts, att)
	}
	return extensionCards(atts)
}

// recordAttachment is one search result: the card to insert, and the
// thumbnail Teams lists it with.
func recordAttachment(locale string, r crm.Record) (Attachment, error) {
	rec := cards.Record{Kind: string(r.Kind), ID: r.ID, Title: r.Title, Subtitle: r.Subtitle, URL: r.URL}
	for _, f := range r.Fields {
		rec.Fields = append(rec.Fields, cards.Fact{Title: f.Name, Value: f.Value})
	}
	att, err := attach(cards.RecordCard(locale, rec))
	if err != nil {
		return Attachment{}, err
	}
	preview, err := cards.RecordPreview(locale, rec).JSON()
	if err != nil {
		return Attachment{}, err
	}
	att.Preview = &Attachment{ContentType: cards.PreviewContentType, Content: preview}
	return att, nil
}

// extensionFetch opens the dialog of an action command: the request form,
// prefilled from the message it was run on, or the template picker.
func (t *turn) extensionFetch(ctx context.Context) InvokeResponse {
	var v extensionValue
	if err := strictJSON(t.act.Value, &v); err != nil {
		return badInvoke(CodeValueInvalid, "the fetchTask invoke has no readable value")
	}
	p, err := t.principal(ctx)
	if err != nil {
		return t.taskError(err, "resolve principal")
	}
	switch v.CommandID {
	case CommandRequestTeam:
		name, desc := prefill(v)
		return t.requestForm(ctx, p, cards.ActionData{DisplayName: name, Description: desc}, "")
	case CommandShareTemplate:
		return t.shareForm(ctx, p, "")
	}
	return badInvoke(CodeCommandUnknown, "Steward has no action command "+clip(v.CommandID, 40))
}

// extensionSubmit handles a dialog submitted from the compose box or a
// message: a team request (answered with its summary card to insert, or
// the form again with what to fix), or the template to share (answered
// with its card to insert).
func (t *turn) extensionSubmit(ctx context.Context) InvokeResponse {
	var v extensionValue
	if err := strictJSON(t.act.Value, &v); err != nil {
		return badInvoke(CodeValueInvalid, "the submitAction invoke has no readable value")
	}
	var d cards.ActionData
	if len(v.Data) > 0 {
		if err := json.Unmarshal(v.Data, &d); err != nil {
			return badInvoke(CodeValueInvalid, "the dialog's data is not what Steward's forms send")
		}
	}
	p, err := t.principal(ctx)
	if err != nil {
		return t.taskError(err, "resolve principal")
	}
	switch v.CommandID {
	case CommandRequestTeam:
		r, err := t.submit(ctx, p, d)
		if err != nil {
			return t.formAgain(ctx, p, d, err)
		}
		att, err := t.summary(ctx, p, r)
		if err != nil {
			return t.taskError(err, "request card")
		}
		return extensionCards([]Attachment{att})
	case CommandShareTemplate:
		card, ok, err := t.templateCard(ctx, p, d.TemplateID)
		switch {
		case err != nil:
			return t.taskError(err, "template card")
		case !ok:
			return t.shareForm(ctx, p, say(t.lang(), "template_gone"))
		}
		return extensionCards([]Attachment{{ContentType: ContentTypeAdaptiveCard, Content: card}})
	}
	return badInvoke(CodeCommandUnknown, "Steward has no action command "+clip(v.CommandID, 40))
}

// taskValue is the value of task/fetch and task/submit: the data of the
// card button (fetch) or of the dialog's Action.Submit (submit).
type taskValue struct {
	Data cards.ActionData `json:"data"`
}

// taskFetch opens a dialog from a card button (Action.Submit with
// msteams.type task/fetch): the request form, with the template the card
// was about chosen, or the template picker.
func (t *turn) taskFetch(ctx context.Context) InvokeResponse {
	var v taskValue
	if err := strictJSON(t.act.Value, &v); err != nil {
		return badInvoke(CodeValueInvalid, "the task/fetch invoke has no readable value")
	}
	p, err := t.principal(ctx)
	if err != nil {
		return t.taskError(err, "resolve principal")
	}
	switch v.Data.Form {
	case cards.FormRequestTeam:
		return t.requestForm(ctx, p, v.Data, "")
	case cards.FormShareTemplate:
		return t.shareForm(ctx, p, "")
	}
	return badInvoke(CodeFormUnknown, "Steward has no form "+clip(v.Data.Form, 40))
}

// taskSubmit handles a dialog opened by task/fetch: the request is
// submitted and the dialog closes with a line saying so, or shows the form
// again with what to fix; a shared template is posted in the conversation.
func (t *turn) taskSubmit(ctx context.Context) InvokeResponse {
	var v taskValue
	if err := strictJSON(t.act.Value, &v); err != nil {
		return badInvoke(CodeValueInvalid, "the task/submit invoke has no readable value")
	}
	p, err := t.principal(ctx)
	if err != nil {
		return t.taskError(err, "resolve principal")
	}
	lang := t.lang()
	switch v.Data.Form {
	case cards.FormRequestTeam:
		r, err := t.submit(ctx, p, v.Data)
		if err != nil {
			return t.formAgain(ctx, p, v.Data, err)
		}
		return taskMessage(say(lang, "request_submitted", r.DisplayName))
	case cards.FormShareTemplate:
		card, ok, err := t.templateCard(ctx, p, v.Data.TemplateID)
		switch {
		case err != nil:
			return t.taskError(err, "template card")
		case !ok:
			return t.shareForm(ctx, p, say(lang, "template_gone"))
		}
		t.reply(ctx, "share_template", Activity{Attachments: []Attachment{{ContentType: ContentTypeAdaptiveCard, Content: card}}})
		return taskMessage(say(lang, "template_shared"))
	}
	return badInvoke(CodeFormUnknown, "Steward has no form "+clip(v.Data.Form, 40))
}

// requestForm is the request dialog prefilled with d. A template d names
// that p may use is the only choice, so the form opens on it.
func (t *turn) requestForm(ctx context.Context, p governance.Principal, d cards.ActionData, problem string) InvokeResponse {
	opts, err := t.templateOptions(ctx, p)
	if err != nil {
		return t.taskError(err, "read catalog")
	}
	if d.TemplateID != "" {
		for _, o := range opts {
			if o.ID == d.TemplateID {
				opts = []cards.TemplateOption{o}
				break
			}
		}
	}
	c := cards.RequestTeamForm(t.act.Locale, opts, clip(d.DisplayName, 256), clip(d.Description, 1024))
	return t.dialog(say(t.lang(), "form_title"), c, problem)
}

func (t *turn) shareForm(ctx context.Context, p governance.Principal, problem string) InvokeResponse {
	opts, err := t.templateOptions(ctx, p)
	if err != nil {
		return t.taskError(err, "read catalog")
	}
	return t.dialog(say(t.lang(), "share_title"), cards.ShareTemplate(t.act.Locale, opts), problem)
}

func (t *turn) dialog(title string, c cards.Card, problem string) InvokeResponse {
	var content json.RawMessage
	var err error
	if problem != "" {
		content, err = withNotice(c, problem, "attention")
	} else {
		content, err = c.JSON()
	}
	if err != nil {
		return t.taskError(err, "dialog card")
	}
	return taskContinue(title, content)
}

// formAgain shows the request form again after Submit refused it: what the
// user typed stays, and the reason is above it. Errors the user cannot fix
// in the form close the dialog with the reason.
func (t *turn) formAgain(ctx context.Context, p governance.Principal, d cards.ActionData, err error) InvokeResponse {
	switch governance.KindOf(err) {
	case governance.KindInvalid, governance.KindConflict, governance.KindNotFound:
		_, msg := governance.Localize(err, t.lang())
		d.TemplateID = "" // offer every template again: the chosen one may be the problem
		return t.requestForm(ctx, p, d, msg)
	}
	return t.taskError(err, "submit request")
}

// taskError closes a dialog with the error's message.
func (t *turn) taskError(err error, what string) InvokeResponse {
	_, msg := t.failure(err, what)
	return taskMessage(msg)
}

// templateCard is the card a shared template is posted as: what it is, a
// button that opens the request dialog on it, and the catalog. ok is false
// when p's catalog has no such template.
func (t *turn) templateCard(ctx context.Context, p governance.Principal, id string) (json.RawMessage, bool, error) {
	tpls, err := t.h.o.Catalog.Catalog(ctx, p, false)
	if err != nil {
		return nil, false, err
	}
	for _, tp := range tpls {
		if tp.ID != id || id == "" {
			continue
		}
		lang := t.lang()
		catalog, err := t.links().Tab(cards.TabCatalog, "", "")
		if err != nil {
			return nil, false, err
		}
		lines := []string{say(lang, "template_intro", tp.Name)}
		if d := strings.TrimSpace(tp.Description); d != "" {
			lines = append(lines, d)
		}
		card, err := plainCard(lang, tp.Name, lines,
			cards.ActionSubmit{Type: "Action.Submit", Title: say(lang, "template_request"), Style: "positive", Data: map[string]any{
				"msteams": map[string]any{"type": "task/fetch"}, "form": cards.FormRequestTeam, "templateId": tp.ID}},
			cards.ActionOpenURL{Type: "Action.OpenUrl", Title: say(lang, "template_catalog"), URL: catalog})
		return card, err == nil, err
	}
	return nil, false, nil
}

var (
	breakTags = regexp.MustCompile(`(?i)<br\s*/?>|</p>|</div>|</li>`)
	anyTag    = regexp.MustCompile(`<[^>]*>`)
)

// prefill takes the name and description of a team requested from a
// message: the message's first line names it, the whole text describes it.
func prefill(v extensionValue) (name, description string) {
	if v.MessagePayload == nil {
		return "", ""
	}
	text := v.MessagePayload.Body.Content
	if strings.EqualFold(v.MessagePayload.Body.ContentType, "html") || strings.Contains(text, "<") {
		text = breakTags.ReplaceAllString(text, "\n")
		text = html.UnescapeString(anyTag.ReplaceAllString(text, ""))
	}
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return "", ""
	}
	return clip(lines[0], 256), clip(strings.Join(lines, "\n"), 1024)
}
