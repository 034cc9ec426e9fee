package cards

import (
	"fmt"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
)

// Languages the cards are written in. Teams sends a locale such as "fr-FR"
// or "en-US" with every activity; lang keeps its primary subtag when the
// catalogue has it and falls back to English otherwise.
const (
	langEnglish = "en"
	langFrench  = "fr"
)

func lang(locale string) string {
	primary, _, _ := strings.Cut(strings.TrimSpace(locale), "-")
	primary, _, _ = strings.Cut(primary, "_")
	if strings.EqualFold(primary, langFrench) {
		return langFrench
	}
	return langEnglish
}

// nbsp is the no-break space French puts before a colon.
const nbsp = "\u00a0"

// catalogue maps a message id to its English and French format strings.
// A missing id is a programming error: t panics, and the golden tests,
// which render every builder in both languages, find it before a user
// does.
var catalogue = map[string][2]string{
	"open_in_steward": {"Open in Steward", "Ouvrir dans Steward"},
	"team":            {"Team", "Équipe"},
	"template":        {"Template", "Modèle"},
	"requested_by":    {"Requested by", "Demandée par"},
	"state":           {"State", "État"},
	"owners":          {"Owners", "Propriétaires"},
	"members":         {"Members", "Membres"},
	"created":         {"Created", "Créée le"},
	"request_id":      {"Request", "Demande"},
	"description":     {"Description", "Description"},
	"justification":   {"Justification", "Justification"},
	"comment":         {"Comment", "Commentaire"},

	"summary_heading": {"Team request: %s", "Demande d’équipe" + nbsp + ": %s"},

	"state_draft":        {"Draft", "Brouillon"},
	"state_pending":      {"Waiting for approval", "En attente d’approbation"},
	"state_approved":     {"Approved", "Approuvée"},
	"state_rejected":     {"Rejected", "Refusée"},
	"state_provisioning": {"Being created", "En cours de création"},
	"state_completed":    {"Team created", "Équipe créée"},
	"state_failed":       {"Creation failed", "Échec de la création"},
	"state_cancelled":    {"Cancelled", "Annulée"},

	"approval_heading":     {"Approval needed: %s", "Approbation requise" + nbsp + ": %s"},
	"approval_intro":       {"%s asks for a new team from the template **%s**.", "%s demande une nouvelle équipe à partir du modèle **%s**."},
	"approval_comment":     {"Comment (optional)", "Commentaire (facultatif)"},
	"approval_placeholder": {"Tell the requester why", "Expliquez votre décision au demandeur"},
	"approve":              {"Approve", "Approuver"},
	"reject":               {"Reject", "Refuser"},
	"add_comment":          {"Comment", "Commenter"},
	"refresh":              {"Refresh", "Actualiser"},
	"approved_heading":     {"Request approved: %s", "Demande approuvée" + nbsp + ": %s"},
	"rejected_heading":     {"Request rejected: %s", "Demande refusée" + nbsp + ": %s"},
	"cancelled_heading":    {"Request cancelled: %s", "Demande annulée" + nbsp + ": %s"},
	"approved_by":          {"Approved by", "Approuvée par"},
	"rejected_by":          {"Rejected by", "Refusée par"},
	"cancelled_by":         {"Cancelled by", "Annulée par"},
	"decided_on":           {"On", "Le"},

	"ready_heading": {"Your team is ready: %s", "Votre équipe est prête" + nbsp + ": %s"},
	"ready_intro":   {"Steward created the team and applied its template.", "Steward a créé l’équipe et appliqué son modèle."},
	"channels":      {"Channels", "Canaux"},
	"open_team":     {"Open the team", "Ouvrir l’équipe"},

	"failed_heading": {"We could not create %s", "Impossible de créer l’équipe %s"},
	"reason":         {"Reason", "Motif"},
	"failed_retry":   {"An administrator can retry from Steward once the cause is fixed.", "Un administrateur peut relancer la création depuis Steward une fois la cause corrigée."},

	"expiry_heading_days":  {"%s expires in %d days", "L’équipe %s expire dans %d jours"},
	"expiry_heading_day":   {"%s expires tomorrow", "L’équipe %s expire demain"},
	"expiry_heading_today": {"%s expires today", "L’équipe %s expire aujourd’hui"},
	"expiry_intro":         {"Renew the team to keep it. If nobody does, it ends on %s as its template says.", "Renouvelez l’équipe pour la conserver. Sinon, elle prendra fin le %s, comme le prévoit son modèle."},
	"expires_on":           {"Expires on", "Expire le"},
	"attest_label":         {"Attestation", "Attestation"},
	"attest_title":         {"I confirm this team is still needed and its members are right", "Je confirme que cette équipe est toujours nécessaire et que ses membres sont les bons"},
	"attest_error":         {"Tick the box to renew the team.", "Cochez la case pour renouveler l’équipe."},
	"renew":                {"Renew", "Renouveler"},

	"repaired_heading": {"Membership repaired: %s", "Membres rétablis" + nbsp + ": %s"},
	"repaired_intro":   {"Someone removed permanent owners or members of this team. Steward put them back, as its template requires.", "Des propriétaires ou membres permanents de cette équipe avaient été retirés. Steward les a rétablis, comme l’exige son modèle."},
	"owners_readded":   {"Owners re-added", "Propriétaires rétablis"},
	"members_readded":  {"Members re-added", "Membres rétablis"},
	"repair_failed":    {"Steward could not put these people back:", "Steward n’a pas pu rétablir ces personnes" + nbsp + ":"},

	"welcome_heading":           {"Welcome to Steward, %s", "Bienvenue dans Steward, %s"},
	"welcome_heading_anonymous": {"Welcome to Steward", "Bienvenue dans Steward"},
	"welcome_intro":             {"I help you request new teams, follow your requests and decide on the ones waiting for you. Send me one of these commands:", "Je vous aide à demander de nouvelles équipes, à suivre vos demandes et à décider de celles qui vous attendent. Envoyez-moi l’une de ces commandes" + nbsp + ":"},
	"help_heading":              {"What Steward can do", "Ce que Steward sait faire"},
	"help_intro":                {"Send me one of these commands:", "Envoyez-moi l’une de ces commandes" + nbsp + ":"},
	"help_tabs":                 {"The Steward tabs show the same things, and the template catalog.", "Les onglets de Steward montrent les mêmes informations, ainsi que le catalogue des modèles."},
	"cmd_new":                   {"Request a new team from a template", "Demander une nouvelle équipe à partir d’un modèle"},
	"cmd_mine":                  {"Your requests and where they stand", "Vos demandes et leur avancement"},
	"cmd_approvals":             {"Requests waiting for your decision", "Les demandes qui attendent votre décision"},
	"cmd_help":                  {"This list", "Cette liste"},
	"cmd_status":                {"Where one request stands", "L’avancement d’une demande"},
	"cmd_status_arg":            {"status <request id>", "status <n° de demande>"},
	"open_catalog":              {"Browse templates", "Parcourir les modèles"},

	"list_heading": {"Your requests", "Vos demandes"},
	"list_empty":   {"You have no requests yet. Send **new team** to make one.", "Vous n’avez encore aucune demande. Envoyez **new team** pour en créer une."},
	"list_more":    {"Showing the latest %d of %d.", "Les %d plus récentes sur %d."},
	"open_all":     {"Open all", "Tout ouvrir"},

	"error_heading": {"Something went wrong", "Un problème est survenu"},
	"error_generic": {"Please try again in a moment.", "Veuillez réessayer dans un instant."},

	"kind_account":     {"Account", "Compte"},
	"kind_opportunity": {"Opportunity", "Opportunité"},
	"kind_contact":     {"Contact", "Contact"},
	"open_in_crm":      {"Open in CRM", "Ouvrir dans le CRM"},

	"form_heading":          {"Request a new team", "Demander une nouvelle équipe"},
	"form_template_error":   {"Choose a template.", "Choisissez un modèle."},
	"form_template_choose":  {"Choose a template", "Choisissez un modèle"},
	"form_name":             {"Team name", "Nom de l’équipe"},
	"form_name_error":       {"Give the team a name.", "Donnez un nom à l’équipe."},
	"form_description_hint": {"What the team is for", "À quoi servira l’équipe"},
	"form_submit":           {"Submit request", "Envoyer la demande"},
	"form_no_templates":     {"No template is available to you yet. Ask a Steward administrator to publish one.", "Aucun modèle ne vous est encore proposé. Demandez à un administrateur de Steward d’en publier un."},
	"share_heading":         {"Share a template", "Partager un modèle"},
	"share_intro":           {"Steward posts a card here so anyone in this conversation can request a team from the template.", "Steward publie ici une carte pour que chacun dans cette conversation puisse demander une équipe à partir du modèle."},
	"share_submit":          {"Share", "Partager"},
}

// t renders message id in lang.
func t(lang, id string, args ...any) string {
	m, ok := catalogue[id]
	if !ok {
		panic("cards: no message " + id)
	}
	f := m[0]
	if lang == langFrench {
		f = m[1]
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}

// stateName is a request state as people read it.
func stateName(lang string, s governance.RequestState) string {
	if !s.Valid() {
		return string(s)
	}
	return t(lang, "state_"+string(s))
}

var frenchMonths = [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}

// when formats an instant in UTC: cards go to people in many time zones and
// are cached by Teams, so a stated zone beats a guessed one.
func when(lang string, at time.Time) string {
	at = at.UTC()
	if lang == langFrench {
		return fmt.Sprintf("%d %s %d à %s UTC", at.Day(), frenchMonths[at.Month()-1], at.Year(), at.Format("15:04"))
	}
	return at.Format("Jan 2, 2006 at 15:04") + " UTC"
}

// day formats a date without the time.
func day(lang string, at time.Time) string {
	at = at.UTC()
	if lang == langFrench {
		return fmt.Sprintf("%d %s %d", at.Day(), frenchMonths[at.Month()-1], at.Year())
	}
	return at.Format("Jan 2, 2006")
}
