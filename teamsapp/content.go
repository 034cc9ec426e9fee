package teamsapp

// text is one user-visible string in both languages the package ships. The
// English is the manifest's; the French goes to fr.json under the key of
// the same field, so the two can never list different commands or tabs.
type text struct{ en, fr string }

var (
	shortName = text{"Steward", "Steward"}
	fullName  = text{"Steward — Teams governance", "Steward — gouvernance de Teams"}
	shortDesc = text{
		"Request, approve and govern Microsoft Teams from templates.",
		"Demandez, approuvez et gouvernez vos équipes Teams par modèles.",
	}
	fullDesc = text{
		"Steward brings governance to Microsoft Teams. Request a new team from your organisation's " +
			"catalog of templates; approvers decide from an actionable card; Steward creates the team " +
			"with its channels, tabs, apps and members, and keeps it compliant for its whole life: " +
			"naming, membership, guests, expiry and archiving. Search CRM accounts, opportunities and " +
			"contacts from a conversation and share them as cards.",
		"Steward apporte la gouvernance à Microsoft Teams. Demandez une nouvelle équipe à partir du " +
			"catalogue de modèles de votre organisation ; les approbateurs décident depuis une carte " +
			"interactive ; Steward crée l'équipe avec ses canaux, onglets, applications et membres, puis " +
			"la maintient conforme toute sa vie : nommage, membres, invités, expiration et archivage. " +
			"Recherchez des comptes, opportunités et contacts CRM depuis une conversation et partagez-les " +
			"sous forme de cartes.",
	}
)

// botCommand is one command the bot lists in Teams' command menu. The title
// is what the user sends, so the bot must recognise both languages' titles.
type botCommand struct{ title, description text }

var botCommands = []botCommand{
	{text{"new team", "nouvelle équipe"},
		text{"Request a new team from a template.", "Demander une nouvelle équipe à partir d'un modèle."}},
	{text{"my requests", "mes demandes"},
		text{"See the teams you asked for and where each request stands.", "Voir les équipes que vous avez demandées et où en est chaque demande."}},
	{text{"approvals", "approbations"},
		text{"Review the requests waiting for your decision.", "Examiner les demandes qui attendent votre décision."}},
	{text{"status", "statut"},
		text{"Check a team's compliance: owners, guests and expiry.", "Vérifier la conformité d'une équipe : propriétaires, invités et expiration."}},
	{text{"help", "aide"},
		text{"What Steward can do and how to ask for it.", "Ce que Steward sait faire et comment le lui demander."}},
}

// botCommandScopes are the scopes that get a command list, one list each as
// Teams requires.
var botCommandScopes = []string{"personal", "team"}

// extensionCommand is one messaging-extension command. Search commands take
// one "query" parameter; action commands open a dialog Steward serves
// (fetchTask), so they declare no parameters.
type extensionCommand struct {
	id, kind    string // kind: "query" or "action"
	context     []string
	title, desc text
	param       *extensionParam
}

type extensionParam struct{ title, desc text }

var searchContext = []string{"compose", "commandBox"}

var extensionCommands = []extensionCommand{
	{id: "searchAccounts", kind: "query", context: searchContext,
		title: text{"Accounts", "Comptes"},
		desc:  text{"Search CRM accounts and share one as a card.", "Rechercher des comptes CRM et en partager un sous forme de carte."},
		param: &extensionParam{text{"Account name", "Nom du compte"}, text{"All or part of the account's name.", "Tout ou partie du nom du compte."}}},
	{id: "searchOpportunities", kind: "query", context: searchContext,
		title: text{"Opportunities", "Opportunités"},
		desc:  text{"Search CRM opportunities and share one as a card.", "Rechercher des opportunités CRM et en partager une sous forme de carte."},
		param: &extensionParam{text{"Opportunity", "Opportunité"}, text{"All or part of the opportunity's name.", "Tout ou partie du nom de l'opportunité."}}},
	{id: "searchContacts", kind: "query", context: searchContext,
		title: text{"Contacts", "Contacts"},
		desc:  text{"Search CRM contacts and share one as a card.", "Rechercher des contacts CRM et en partager un sous forme de carte."},
		param: &extensionParam{text{"Contact", "Contact"}, text{"Name or email address of the contact.", "Nom ou adresse e-mail du contact."}}},
	{id: "requestTeam", kind: "action", context: []string{"message", "compose", "commandBox"},
		title: text{"Request a team", "Demander une équipe"},
		desc:  text{"Request a team for this conversation or message.", "Demander une équipe pour cette conversation ou ce message."}},
	{id: "shareTemplate", kind: "action", context: []string{"compose", "commandBox"},
		title: text{"Share a template", "Partager un modèle"},
		desc:  text{"Share a team template so others can request it.", "Partager un modèle d'équipe pour que d'autres puissent le demander."}},
}

// staticTab is a personal tab; its page is {base}/tabs/{entityID}.
type staticTab struct {
	entityID string
	name     text
}

var staticTabs = []staticTab{
	{"home", text{"Home", "Accueil"}},
	{"new", text{"New team", "Nouvelle équipe"}},
	{"requests", text{"My requests", "Mes demandes"}},
	{"approvals", text{"Approvals", "Approbations"}},
	{"catalog", text{"Catalog", "Catalogue"}},
}

// configTabPath is the configurable tab's configuration page, added to a
// team or group chat.
const configTabPath = "/tabs/config"
