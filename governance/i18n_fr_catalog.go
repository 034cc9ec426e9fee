package governance

// frenchCatalogFormats translates the messages of the catalog pages (web/catalog*.go). See frenchFormats.
var frenchCatalogFormats = map[string]string{
	// web/catalog_pages.go
	"the template form is larger than %d KiB; shorten the long lists or publish the template with the API (PUT /api/v1/templates/{id})": "le formulaire du modèle dépasse %d Kio\u202f; raccourcissez les longues listes ou publiez le modèle avec l’API (PUT /api/v1/templates/{id})",
	"import a template file of at most %d KiB (the limit of POST /api/v1/templates/import too)":                                         "importez un fichier de modèle de %d\u202fKio au plus (c’est aussi la limite de POST /api/v1/templates/import)",
	"the form lacks the version of the template you edited; reload the page and try again":                                              "il manque au formulaire la version du modèle que vous avez modifiée\u202f; rechargez la page et réessayez",
	"choose a template file exported from Steward (.json) to import":                                                                    "choisissez un fichier de modèle exporté de Steward (.json) à importer",
	"the file could not be read; choose it again":                                                                                       "le fichier n’a pas pu être lu\u202f; choisissez-le de nouveau",
	"the file is empty; choose a template file exported from Steward":                                                                   "le fichier est vide\u202f; choisissez un fichier de modèle exporté de Steward",

	// web/catalog_form.go
	"%s must be a whole number, not %q": "%s doit être un nombre entier, pas %q",
	"channel %q, tab line %d: write a tab as name | appId | contentUrl, optionally followed by | websiteUrl | entityId":                "canal %q, ligne d’onglet %d\u00a0: écrivez un onglet sous la forme nom | appId | contentUrl, éventuellement suivi de | websiteUrl | entityId",
	"escalation, line %d: write an approver as user | id or group | id, optionally followed by | name":                                 "remontée, ligne %d\u00a0: écrivez un approbateur sous la forme user | id ou group | id, éventuellement suivi de | nom",
	"approval stage %q, line %d: write an approver as user | id or group | id, optionally followed by | name":                          "étape d’approbation %q, ligne %d\u00a0: écrivez un approbateur sous la forme user | id ou group | id, éventuellement suivi de | nom",
	"a template has at most %d channels besides General, %d request fields and %d approval stages":                                     "un modèle a au plus %d canaux en plus de Général, %d questions et %d étapes d’approbation",
	"the advanced team settings must be a JSON object with memberSettings, guestSettings, messagingSettings, funSettings or files: %s": "les paramètres avancés de l’équipe doivent être un objet JSON avec memberSettings, guestSettings, messagingSettings, funSettings ou files\u00a0: %s",
	"the advanced team settings must hold a single JSON object: remove what follows it":                                                "les paramètres avancés de l’équipe doivent contenir un seul objet JSON\u00a0: supprimez ce qui le suit",
}
