package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/stewardhq/steward/cards"
	"github.com/stewardhq/steward/governance"
)

// MaxApprovalCards is how many approval cards one "approvals" answer
// carries; the Approvals tab lists the rest.
const MaxApprovalCards = 5

// phrases are the assistant's own sentences, English and French. A missing
// id is a programming error the tests of both languages find.
var phrases = map[string][2]string{
	"not_understood":    {"Sorry, I didn't understand that. Here is what I can do:", "Désolé, je n’ai pas compris. Voici ce que je sais faire\u00a0:"},
	"status_which":      {"Which request? Send **status** followed by its number, for example **status req-1a2b3c**.", "Quelle demande\u00a0? Envoyez **statut** suivi de son numéro, par exemple **statut req-1a2b3c**."},
	"approvals_none":    {"Nothing is waiting for your decision.", "Aucune demande n’attend votre décision."},
	"approvals_more":    {"Here are the first %d. The Approvals tab lists them all.", "Voici les %d premières. L’onglet Approbations les liste toutes."},
	"approvals_link":    {"Open Approvals", "Ouvrir Approbations"},
	"new_team_tab":      {"Open the New team tab", "Ouvrir l’onglet Nouvelle équipe"},
	"request_submitted": {"Request submitted: %s", "Demande envoyée\u00a0: %s"},
	"sender_unknown":    {"Steward could not tell who you are. Sign in to Teams with your work account and try again.", "Steward n’a pas pu vous identifier. Connectez-vous à Teams avec votre compte professionnel et réessayez."},
	"decision_recorded": {"Your decision is recorded.", "Votre décision est enregistrée."},
	"comment_added":     {"Your comment is added.", "Votre commentaire est ajouté."},
	"version_conflict":  {"This request changed since the card was sent. Here it is as it stands now.", "Cette demande a changé depuis l’envoi de la carte. La voici dans son état actuel."},
	"renewed_heading":   {"Team renewed", "Équipe renouvelée"},
	"renewed_until":     {"It now expires on %s.", "Elle expire désormais le %s."},
	"renewed_forever":   {"It no longer expires.", "Elle n’expire plus."},
	"no_crm":            {"No CRM is connected to Steward yet. An integration manager can connect one in Steward's admin center.", "Aucun CRM n’est encore connecté à Steward. Un gestionnaire des intégrations peut en connecter un depuis le centre d’administration."},
	"no_records":        {"No record matches. Type part of a name.", "Aucun enregistrement ne correspond. Saisissez une partie d’un nom."},
	"search_hint":       {"Type part of a name to search.", "Saisissez une partie d’un nom pour chercher."},
	"search_down":       {"The CRM does not answer right now. Try again in a moment.", "Le CRM ne répond pas pour le moment. Réessayez dans un instant."},
	"form_title":        {"Request a team", "Demander une équipe"},
	"share_title":       {"Share a template", "Partager un modèle"},
	"template_gone":     {"This template is no longer in your catalog.", "Ce modèle ne figure plus dans votre catalogue."},
	"template_request":  {"Request a team", "Demander une équipe"},
	"template_catalog":  {"Browse templates", "Parcourir les modèles"},
	"template_shared":   {"Template shared.", "Modèle partagé."},
	"template_intro":    {"Request a team from the template **%s**.", "Demandez une équipe à partir du modèle **%s**."},
}

// say renders phrase id in lang.
func say(lang, id string, args ...any) string {
	p, ok := phrases[id]
	if !ok {
		panic("bot: no phrase " + id)
	}
	f := p[0]
	if lang == governance.LangFrench {
		f = p[1]
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}

// message answers a user's message: a form submitted from a card in the
// chat (Action.Submit sends a message whose value holds the inputs), or a
// command or question in English or French.
func (t *turn) message(ctx context.Context) {
	p, err := t.principal(ctx)
	if err != nil {
		t.replyError(ctx, err, "resolve principal")
		return
	}
	if len(t.act.Value) > 0 && strings.TrimSpace(t.act.Text) == "" {
		var d cards.ActionData
		if json.Unmarshal(t.act.Value, &d) == nil && d.Form == cards.FormRequestTeam {
			t.submitFromChat(ctx, p, d)
			return
		}
	}
	in := parseIntent(t.act.Text)
	t.log.Info("bot: message", "intent", in.Kind.String())
	switch in.Kind {
	case intentNewTeam:
		t.newTeam(ctx, p, in.Arg)
	case intentMyRequests:
		t.myRequests(ctx, p)
	case intentApprovals:
		t.approvals(ctx, p)
	case intentStatus:
		t.status(ctx, p, in.Arg)
	case intentHelp:
		t.help(ctx, "")
	default:
		t.help(ctx, say(t.lang(), "not_understood"))
	}
}

func (t *turn) help(ctx context.Context, line string) {
	t.replyCard(ctx, "help", line, cards.Help(t.act.Locale))
}

// newTeam answers with the request form (the catalog's templates as a
// choice) and a link to the New team tab, which has the whole form.
func (t *turn) newTeam(ctx context.Context, p governance.Principal, purpose string) {
	opts, err := t.templateOptions(ctx, p)
	if err != nil {
		t.replyError(ctx, err, "read catalog")
		return
	}
	tab, err := t.links().Tab(cards.TabNew, "", "")
	if err != nil {
		t.replyError(ctx, err, "link new tab")
		return
	}
	content, err := extend(cards.RequestTeamForm(t.act.Locale, opts, clip(purpose, 256), ""), func(ac *cards.AdaptiveCard) {
		ac.Actions = append(ac.Actions, cards.ActionOpenURL{Type: "Action.OpenUrl", Title: say(t.lang(), "new_team_tab"), URL: tab})
	})
	if err != nil {
		t.replyError(ctx, err, "request form")
		return
	}
	t.reply(ctx, "new_team", Activity{Attachments: []Attachment{{ContentType: ContentTypeAdaptiveCard, Content: content}}})
}

func (t *turn) myRequests(ctx context.Context, p governance.Principal) {
	page, err := t.h.o.Reads.MyRequests(ctx, p, governance.Page{Limit: cards.MaxListRows + 1})
	if err != nil {
		t.replyError(ctx, err, "list requests")
		return
	}
	names := t.templateNames(ctx, p)
	views := make([]cards.RequestView, 0, len(page.Items))
	for _, r := range page.Items {
		v, err := t.view(r, names)
		if err != nil {
			t.replyError(ctx, err, "request link")
			return
		}
		views = append(views, v)
	}
	all, err := t.links().Tab(cards.TabRequests, "", "")
	if err != nil {
		t.replyError(ctx, err, "link requests tab")
		return
	}
	t.replyCard(ctx, "my_requests", "", cards.RequestList(t.act.Locale, views, all))
}

// approvals answers with one Approval card per pending request, at most
// MaxApprovalCards, and a link to the rest.
func (t *turn) approvals(ctx context.Context, p governance.Principal) {
	page, err := t.h.o.Reads.Approvals(ctx, p, governance.Page{Limit: MaxApprovalCards + 1})
	if err != nil {
		t.replyError(ctx, err, "list approvals")
		return
	}
	lang := t.lang()
	if len(page.Items) == 0 {
		t.reply(ctx, "approvals", Activity{Text: say(lang, "approvals_none")})
		return
	}
	names := t.templateNames(ctx, p)
	out := Activity{}
	for i, r := range page.Items {
		if i == MaxApprovalCards {
			tab, err := t.links().Tab(cards.TabApprovals, "", "")
			if err != nil {
				t.replyError(ctx, err, "link approvals tab")
				return
			}
			out.Text = say(lang, "approvals_more", MaxApprovalCards) + " [" + say(lang, "approvals_link") + "](" + tab + ")"
			break
		}
		att, err := t.requestCard(ctx, p, r, names)
		if err != nil {
			t.replyError(ctx, err, "approval card")
			return
		}
		out.Attachments = append(out.Attachments, att)
	}
	t.reply(ctx, "approvals", out)
}

func (t *turn) status(ctx context.Context, p governance.Principal, id string) {
	if id == "" {
		t.help(ctx, say(t.lang(), "status_which"))
		return
	}
	r, err := t.h.o.Reads.Request(ctx, p, id)
	if err != nil {
		t.replyError(ctx, err, "read request")
		return
	}
	att, err := t.requestCard(ctx, p, r, t.templateNames(ctx, p))
	if err != nil {
		t.replyError(ctx, err, "request card")
		return
	}
	t.reply(ctx, "status", Activity{Attachments: []Attachment{att}})
}

// submitFromChat submits the request form of a card in the chat.
func (t *turn) submitFromChat(ctx context.Context, p governance.Principal, d cards.ActionData) {
	r, err := t.submit(ctx, p, d)
	if err != nil {
		t.replyError(ctx, err, "submit request")
		return
	}
	att, err := t.summary(ctx, p, r)
	if err != nil {
		t.replyError(ctx, err, "request card")
		return
	}
	t.reply(ctx, "submitted", Activity{Text: say(t.lang(), "request_submitted", r.DisplayName), Attachments: []Attachment{att}})
}

// submit sends a request form's inputs to the workflow, which validates
// them (template visible to p, naming policy, duplicates).
func (t *turn) submit(ctx context.Context, p governance.Principal, d cards.ActionData) (governance.Request, error) {
	return t.h.o.Requests.Submit(ctx, p, governance.NewRequest{
		TemplateID: strings.TrimSpace(d.TemplateID), Name: strings.TrimSpace(d.DisplayName), Description: strings.TrimSpace(d.Description),
	})
}

func (t *turn) replyCard(ctx context.Context, purpose, text string, c cards.Card) {
	att, err := attach(c)
	if err != nil {
		t.log.Error("bot: build card", "purpose", purpose, "error", err)
		att, err = attach(cards.Error(t.act.Locale, ""))
		if err != nil {
			return
		}
	}
	t.reply(ctx, purpose, Activity{Text: text, Attachments: []Attachment{att}})
}

// replyError answers with the Error card: the governance message in the
// user's language ("there is no request …" for one they may not see),
// or a generic one for internal errors, which are logged.
func (t *turn) replyError(ctx context.Context, err error, what string) {
	_, msg := t.failure(err, what)
	t.replyCard(ctx, "error", "", cards.Error(t.act.Locale, msg))
}

// requestCard is the card of r's current state as p sees it: the Approval
// card with its buttons when p may decide r now, the decided Approval card
// once approved, rejected or cancelled, the summary otherwise.
func (t *turn) requestCard(ctx context.Context, p governance.Principal, r governance.Request, names map[string]string) (Attachment, error) {
	c, err := t.requestState(ctx, p, r, names)
	if err != nil {
		return Attachment{}, err
	}
	return attach(c)
}

func (t *turn) requestState(ctx context.Context, p governance.Principal, r governance.Request, names map[string]string) (cards.Card, error) {
	link, err := t.links().Request(r.ID, "")
	if err != nil {
		return cards.Card{}, err
	}
	name := templateName(names, r.TemplateID)
	switch {
	case r.State == governance.StatePending && t.canDecide(ctx, p, r):
		var approvers []string
		if t.act.From != nil && t.act.From.ID != "" {
			// The card refreshes itself for the one approver known here;
			// the others get it current when they open or act on it.
			approvers = []string{t.act.From.ID}
		}
		return cards.Approval(t.act.Locale, cards.NewApprovalView(r, name, link, approvers)), nil
	case r.State == governance.StateApproved, r.State == governance.StateRejected, r.State == governance.StateCancelled:
		return cards.Approval(t.act.Locale, cards.NewApprovalView(r, name, link, nil)), nil
	}
	return cards.RequestSummary(t.act.Locale, cards.NewRequestView(r, name, link)), nil
}

// canDecide reports whether p may decide r now, by the approval policy of
// the template version r was made from. Only a display choice: Decide
// checks again.
func (t *turn) canDecide(ctx context.Context, p governance.Principal, r governance.Request) bool {
	tpl, err := t.h.o.Catalog.TemplateVersion(ctx, p, r.TemplateID, r.TemplateVersion)
	if err != nil {
		return false
	}
	return tpl.Policies.Approval.CanDecide(p, r.RequesterID, r.Stage, r.Decisions, r.Escalated) == nil
}

// summary is the card of a request just submitted: what was asked and
// where it stands.
func (t *turn) summary(ctx context.Context, p governance.Principal, r governance.Request) (Attachment, error) {
	v, err := t.view(r, t.templateNames(ctx, p))
	if err != nil {
		return Attachment{}, err
	}
	return attach(cards.RequestSummary(t.act.Locale, v))
}

func (t *turn) view(r governance.Request, names map[string]string) (cards.RequestView, error) {
	link, err := t.links().Request(r.ID, "")
	if err != nil {
		return cards.RequestView{}, err
	}
	return cards.NewRequestView(r, templateName(names, r.TemplateID), link), nil
}

// templateNames maps the ids of p's catalog to names. A catalog that cannot
// be read leaves the ids showing: the answer is still right.
func (t *turn) templateNames(ctx context.Context, p governance.Principal) map[string]string {
	tpls, err := t.h.o.Catalog.Catalog(ctx, p, false)
	if err != nil {
		t.log.Warn("bot: read catalog for names", "error", err)
		return nil
	}
	out := make(map[string]string, len(tpls))
	for _, tp := range tpls {
		out[tp.ID] = tp.Name
	}
	return out
}

func templateName(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

// templateOptions are the templates p may request from.
func (t *turn) templateOptions(ctx context.Context, p governance.Principal) ([]cards.TemplateOption, error) {
	tpls, err := t.h.o.Catalog.Catalog(ctx, p, false)
	if err != nil {
		return nil, err
	}
	out := make([]cards.TemplateOption, 0, len(tpls))
	for _, tp := range tpls {
		out = append(out, cards.TemplateOption{ID: tp.ID, Name: tp.Name, Description: clip(tp.Description, 120)})
	}
	return out, nil
}

// clip cuts s to at most n runes.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n]))
}
