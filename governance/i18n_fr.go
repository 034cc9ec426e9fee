package governance

// frenchFormats translates every user-facing English format of this package
// and of the packages that build messages with governance.Errorf and Wrap
// too (web, store, identity, webhook, graph, crm; the key, which is the
// message id), into French (the value). The verbs keep their order; where
// French needs another order the value uses explicit argument indexes
// (%[2]s). French typography: a no-break space (\u00a0) before a colon, a
// narrow no-break space (\u202f) before ; ? ! and as the thousands
// separator. TestEveryMessageHasAFrenchTranslation keeps this table complete
// and free of stale entries.
//
// The table is assembled from one map per area, so that each area's
// messages live beside each other: i18n_fr_pages.go (sign-in, tabs),
// i18n_fr_admin.go (admin center), i18n_fr_catalog.go (catalog pages),
// i18n_fr_trust.go (trust center and egress).
var frenchFormats = mergeFormats(frenchCoreFormats, frenchPageFormats, frenchAdminFormats, frenchCatalogFormats, frenchTrustFormats)

// mergeFormats joins the area tables. An English format in two tables is a
// programming error caught by TestFrenchTablesDoNotOverlap.
func mergeFormats(tables ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, t := range tables {
		for k, v := range t {
			out[k] = v
		}
	}
	return out
}

var frenchCoreFormats = map[string]string{
	internalMessage: "Une erreur s’est produite de notre côté. Elle a été enregistrée\u202f; réessayez plus tard.",

	// provisioning_service.go
	"only Steward's provisioning worker can provision teams": "seul le processus de création d’équipes de Steward peut créer des équipes",

	// managed_team.go, store/managed_teams.go
	"only Steward's reconciler can record membership repairs": "seul le processus de mise en conformité de Steward peut enregistrer une réparation des membres",
	"a membership repair must name at least one person":       "une réparation des membres doit nommer au moins une personne",
	"team %q is already managed":                              "l’équipe %q est déjà gérée",
	"team %q is not managed by Steward":                       "l’équipe %q n’est pas gérée par Steward",

	// template_rollout.go
	"a rollout must move a team to a later template version (from %d to %d)": "un déploiement doit faire passer une équipe à une version ultérieure du modèle (de %d à %d)",
	"team %q is at version %d of template %q, not version %d of %q":          "l’équipe %q est à la version %d du modèle %q, pas à la version %d de %q",

	// lifecycle_service.go, store/managed_team_lifecycle.go
	"only the team's owners or an administrator can see its lifecycle":                                   "seuls les propriétaires de l’équipe ou un administrateur peuvent consulter son cycle de vie",
	"renewing a team confirms its owners and members, which only a person signed in can do":              "renouveler une équipe confirme ses propriétaires et ses membres, ce que seule une personne connectée peut faire",
	"only the team's owners or an administrator can renew it":                                            "seuls les propriétaires de l’équipe ou un administrateur peuvent la renouveler",
	"this team was archived or deleted, so it can no longer be renewed":                                  "cette équipe a été archivée ou supprimée\u202f; elle ne peut plus être renouvelée",
	"this team's template does not expire teams: there is nothing to renew":                              "le modèle de cette équipe ne fait pas expirer les équipes\u00a0: il n’y a rien à renouveler",
	"confirm that the team's owners and members are still right (\"attest\": true) to renew it":          "confirmez que les propriétaires et les membres de l’équipe sont toujours les bons (\"attest\"\u00a0: true) pour la renouveler",
	"only Steward's lifecycle reconciler can record lifecycle steps":                                     "seul le processus de cycle de vie de Steward peut enregistrer les étapes du cycle de vie",
	"unknown team end %q: use archived, deleted or gone":                                                 "fin d’équipe %q inconnue\u202f; utilisez archived, deleted ou gone",
	"team %q was changed by someone else (now at version %d): read it again and apply your change again": "l’équipe %q a été modifiée par quelqu’un d’autre (elle est maintenant à la version %d)\u00a0: relisez-la et appliquez de nouveau votre modification",

	// apikey.go
	"an API key needs at least one scope: %s": "une clé d’API nécessite au moins une portée\u00a0: %s",
	"unknown scope %q: use one of %s":         "portée %q inconnue\u202f; utilisez l’une des suivantes\u00a0: %s",
	"scope %q is listed twice":                "la portée %q figure deux fois",
	"tenant id %q is invalid":                 "l’identifiant de locataire %q n’est pas valide",
	"the API key is not valid":                "la clé d’API n’est pas valide",
	"this API key was revoked on %s; ask an administrator of your organisation for a new one":              "cette clé d’API a été révoquée le %s\u202f; demandez-en une nouvelle à un administrateur de votre organisation",
	"this API key expired on %s; ask an administrator of your organisation for a new one":                  "cette clé d’API a expiré le %s\u202f; demandez-en une nouvelle à un administrateur de votre organisation",
	"API key id %q is invalid: 8 letters or digits":                                                        "l’identifiant de clé d’API %q n’est pas valide\u00a0: 8 lettres ou chiffres attendus",
	"API key prefix %q does not match its tenant and id":                                                   "le préfixe de clé d’API %q ne correspond pas à son locataire et à son identifiant",
	"an API key needs a name of 1 to 100 characters that says what uses it, e.g. \"Zapier: new requests\"": "une clé d’API nécessite un nom de 1 à 100 caractères indiquant ce qui l’utilise, par exemple \"Zapier\u00a0: nouvelles demandes\"",
	"an API key records who created it":                                                                    "une clé d’API doit indiquer qui l’a créée",
	"sign in to continue":                                                                                  "connectez-vous pour continuer",
	"this API key lacks the scope %s; create a key with it":                                                "il manque à cette clé d’API la portée %s\u202f; créez une clé qui l’inclut",

	// apikey_grant.go
	"you cannot give a key the scope %s: it reaches what only the role %s may, and you do not hold it": "vous ne pouvez pas donner la portée %s à une clé\u00a0: elle permet ce que seul le rôle %s autorise, et vous ne l’avez pas",

	// approval.go
	"approval has at most 5 stages":                               "une approbation comporte au plus 5 étapes",
	"approval stage %d needs a name":                              "l’étape d’approbation %d doit avoir un nom",
	"approval stage %d needs 1 to 50 approvers":                   "l’étape d’approbation %d doit avoir de 1 à 50 approbateurs",
	"approval stage %d: rule must be \"any\" or \"all\"":          "étape d’approbation %d\u00a0: la règle doit valoir \"any\" ou \"all\"",
	"auto-approve: %q is not an Entra group id (a GUID)":          "approbation automatique\u00a0: %q n’est pas un identifiant de groupe Entra (un GUID)",
	"reminder and escalation delays must be 0 (off) to 720 hours": "les délais de rappel et d’escalade doivent être compris entre 0 (désactivé) et 720 heures",
	"escalation needs someone to escalate to":                     "l’escalade nécessite un destinataire",
	"%s: an approver is a \"user\" or a \"group\"":                "%s\u00a0: un approbateur est un \"user\" ou un \"group\"",
	"%s: approver %q is not an Entra object id (a GUID)":          "%s\u00a0: l’approbateur %q n’est pas un identifiant d’objet Entra (un GUID)",
	"this request is not waiting for an approval":                 "cette demande n’attend pas d’approbation",
	"you cannot decide your own request":                          "vous ne pouvez pas statuer sur votre propre demande",
	"you have already decided this stage":                         "vous avez déjà statué sur cette étape",
	"you are not an approver of stage %q of this request":         "vous n’êtes pas approbateur de l’étape %q de cette demande",

	// audit.go
	"an audit event needs a tenant id":                                                           "un événement d’audit nécessite un identifiant de locataire",
	"audit actor type %q is invalid: use user, app, system or api_key":                           "le type d’acteur d’audit %q n’est pas valide\u00a0: utilisez user, app, system ou api_key",
	"an audit event needs an actor id of 1 to %d characters":                                     "un événement d’audit nécessite un identifiant d’acteur de 1 à %d caractères",
	"the audit actor name is longer than %d characters":                                          "le nom de l’acteur d’audit dépasse %d caractères",
	"audit action %q is invalid: use dotted lowercase words such as request.created":             "l’action d’audit %q n’est pas valide\u00a0: utilisez des mots en minuscules séparés par des points, comme request.created",
	"audit subject type %q is invalid: use one lowercase word such as request or template":       "le type de sujet d’audit %q n’est pas valide\u00a0: utilisez un seul mot en minuscules, comme request ou template",
	"audit subject and request ids must be at most %d characters":                                "les identifiants de sujet et de demande d’audit doivent comporter au plus %d caractères",
	"the audit event's %s state is not valid JSON: %v":                                           "l’état %s de l’événement d’audit n’est pas du JSON valide\u00a0: %v",
	"limit %d is out of range: use 1 to %d (0 for the default %d)":                               "la limite %d est hors plage\u00a0: utilisez une valeur de 1 à %d (0 pour la valeur par défaut, %d)",
	"after_seq %d is negative: use 0 for the first page":                                         "after_seq %d est négatif\u00a0: utilisez 0 pour la première page",
	"action %q is invalid: use an action such as request.approved or a prefix such as request.*": "l’action %q n’est pas valide\u00a0: utilisez une action comme request.approved ou un préfixe comme request.*",
	"subject type %q is invalid: use one lowercase word such as request":                         "le type de sujet %q n’est pas valide\u00a0: utilisez un seul mot en minuscules, comme request",
	"a subject id needs its subject type":                                                        "un identifiant de sujet nécessite son type de sujet",
	"actor and subject ids must be at most %d characters":                                        "les identifiants d’acteur et de sujet doivent comporter au plus %d caractères",
	"until (%s) must be after since (%s)":                                                        "until (%s) doit être postérieur à since (%s)",

	// naming.go
	"The naming policy is invalid: %s.": "La stratégie de nommage n’est pas valide\u00a0: %s.",

	// naming_mailnickname.go
	"No free email alias was found for %q after %d attempts; choose a more distinctive team name.": "Aucun alias de messagerie libre n’a été trouvé pour %q après %d tentatives\u202f; choisissez un nom d’équipe plus distinctif.",

	// request.go
	"this request is %s and cannot become %s":                                "cette demande est à l’état %s et ne peut pas passer à l’état %s",
	"a team needs at least one owner":                                        "une équipe nécessite au moins un propriétaire",
	"this template needs at least %d owners; add %d more":                    "ce modèle exige au moins %d propriétaires\u202f; ajoutez-en %d de plus",
	"this template needs at least %d members (owners included); add %d more": "ce modèle exige au moins %d membres (propriétaires compris)\u202f; ajoutez-en %d de plus",
	"%q is not an Entra user id":                                             "%q n’est pas un identifiant d’utilisateur Entra",
	"guests are not allowed in teams made from this template":                "les invités ne sont pas autorisés dans les équipes créées à partir de ce modèle",
	"guest %s is not from an allowed domain (%s)":                            "l’invité %s n’appartient pas à un domaine autorisé (%s)",
	"a guest cannot be an owner":                                             "un invité ne peut pas être propriétaire",
	"%s is required":                                                         "le champ %s est obligatoire",
	"%s must be one of: %s":                                                  "le champ %s doit valoir l’une de ces valeurs\u00a0: %s",
	"%s must be at most 256 characters":                                      "le champ %s doit comporter au plus 256 caractères",
	"the template asks no question %q":                                       "le modèle ne pose pas de question %q",
	"the description must be at most %d characters":                          "la description doit comporter au plus %d caractères",
	"the justification must be at most 2000 characters":                      "la justification doit comporter au plus 2\u202f000 caractères",

	// request_edit.go
	"a comment has 1 to 2000 characters": "un commentaire comporte de 1 à 2\u202f000 caractères",
	"only the requester, the current approvers and administrators can comment on this request": "seuls le demandeur, les approbateurs actuels et les administrateurs peuvent commenter cette demande",
	"this request changed since you opened it: reload it":                                      "cette demande a changé depuis que vous l’avez ouverte\u00a0: rechargez-la",
	"this request is %s and can no longer be edited":                                           "cette demande est à l’état %s et ne peut plus être modifiée",
	"only an approver of the current stage or an administrator can edit this request":          "seuls un approbateur de l’étape en cours ou un administrateur peuvent modifier cette demande",

	// request_read.go
	"there is no request %q":                  "la demande %q n’existe pas",
	"there is no template %q in your catalog": "le modèle %q n’existe pas dans votre catalogue",
	"unknown request state %q: use draft, pending, approved, rejected, provisioning, completed, failed or cancelled": "état de demande %q inconnu\u00a0: utilisez draft, pending, approved, rejected, provisioning, completed, failed ou cancelled",
	"limit must be 1 to %d": "limit doit être compris entre 1 et %d",
	"before and beforeId go together: pass both from the previous page's next": "before et beforeId vont ensemble\u00a0: transmettez les deux valeurs de next de la page précédente",
	"only catalog managers see retired templates":                              "seuls les gestionnaires du catalogue voient les modèles retirés",
	"a team name has at most %d characters":                                    "un nom d’équipe comporte au plus %d caractères",

	// request_service.go
	"this API key needs the scope %s":                                                  "cette clé d’API nécessite la portée %s",
	"only a failed provisioning can be retried; this request is %s":                    "seul un provisionnement en échec peut être relancé\u202f; cette demande est à l’état %s",
	"give the team a name":                                                             "donnez un nom à l’équipe",
	"a team named %q already exists or is requested (request %s): choose another name": "une équipe nommée %q existe déjà ou a déjà été demandée (demande %s)\u00a0: choisissez un autre nom",
	"a comment has at most 2000 characters":                                            "un commentaire comporte au plus 2\u202f000 caractères",
	"this request changed since you opened it: reload it and decide again":             "cette demande a changé depuis que vous l’avez ouverte\u00a0: rechargez-la et statuez à nouveau",
	"this request is %s: there is nothing to decide":                                   "cette demande est à l’état %s\u00a0: il n’y a rien à décider",
	"only the requester or an administrator can cancel this request":                   "seuls le demandeur ou un administrateur peuvent annuler cette demande",

	// role.go
	"this needs the role %s; ask an administrator of your organisation":                                   "cette action nécessite le rôle %s\u202f; adressez-vous à un administrateur de votre organisation",
	"unknown role %q: use one of end_user, approver, catalog_manager, integration_manager, administrator": "rôle %q inconnu\u00a0: utilisez l’un des rôles end_user, approver, catalog_manager, integration_manager, administrator",
	"everyone is an end user; there is nothing to assign":                                                 "tout le monde est utilisateur final\u202f; il n’y a rien à attribuer",
	"a role is assigned to a \"user\" or a \"group\"":                                                     "un rôle s’attribue à un \"user\" ou à un \"group\"",
	"the subject must be an Entra object id (a GUID)":                                                     "le sujet doit être un identifiant d’objet Entra (un GUID)",

	// role_service.go
	"managing roles needs a signed-in administrator; API keys cannot do it": "la gestion des rôles nécessite un administrateur connecté\u202f; les clés d’API ne le permettent pas",

	// template.go
	"name must be 1 to %d characters":                                                                  "le nom doit comporter de 1 à %d caractères",
	"description must be at most %d characters":                                                        "la description doit comporter au plus %d caractères",
	"audience %q is not an Entra group id (a GUID)":                                                    "l’audience %q n’est pas un identifiant de groupe Entra (un GUID)",
	"the naming policy uses {%s}, which is not one of the template's fields":                           "la stratégie de nommage utilise {%s}, qui ne fait pas partie des champs du modèle",
	"field %d: id %q must be 1 to 40 lowercase letters, digits or underscores, starting with a letter": "champ %d\u00a0: l’identifiant %q doit comporter de 1 à 40 lettres minuscules, chiffres ou traits de soulignement, et commencer par une lettre",
	"field %q is defined twice":                                                                        "le champ %q est défini deux fois",
	"field %q needs a label":                                                                           "le champ %q doit avoir un libellé",
	"spec.visibility must be \"public\" or \"private\"":                                                "spec.visibility doit valoir \"public\" ou \"private\"",
	"a team has at most %d channels, General included":                                                 "une équipe comporte au plus %d canaux, General compris",
	"%s: a channel name has 1 to %d characters":                                                        "%s\u00a0: un nom de canal comporte de 1 à %d caractères",
	"%s: channel names cannot contain ~ # %% & * { } + / \\ : < > ? | ' \" , or \"..\"":                "%s\u00a0: les noms de canaux ne peuvent pas contenir ~ # %% & * { } + / \\\u00a0: < >\u202f? | ' \" , ni \"..\"",
	"%s: a channel name cannot start with _ or . or end with .":                                        "%s\u00a0: un nom de canal ne peut pas commencer par _ ou . ni se terminer par .",
	"%s: the team already has a channel with that name (General exists in every team)":                 "%s\u00a0: l’équipe a déjà un canal portant ce nom (General existe dans chaque équipe)",
	"%s: membershipType must be \"standard\" or \"private\"":                                           "%s\u00a0: membershipType doit valoir \"standard\" ou \"private\"",
	"%s: a tab needs a name and an appId":                                                              "%s\u00a0: un onglet nécessite un nom et un appId",
	"%s: contentUrl must be an https URL":                                                              "%s\u00a0: contentUrl doit être une URL https",
	"%s: app %q must be listed in spec.apps before a tab can use it":                                   "%s\u00a0: l’application %q doit figurer dans spec.apps pour qu’un onglet puisse l’utiliser",
	"spec.funSettings.giphyContentRating must be \"strict\" or \"moderate\"":                           "spec.funSettings.giphyContentRating doit valoir \"strict\" ou \"moderate\"",
	"file %d: channel %q is not part of the template":                                                  "fichier %d\u00a0: le canal %q ne fait pas partie du modèle",
	"file %d: a file needs a source and a path inside the channel's folder":                            "fichier %d\u00a0: un fichier nécessite une source et un chemin dans le dossier du canal",
	"the welcome message must be at most 4000 characters":                                              "le message de bienvenue doit comporter au plus 4\u202f000 caractères",
	"naming policy: %s": "stratégie de nommage\u00a0: %s",
	"permanent owner or member %q is not an Entra user id (a GUID)":             "le propriétaire ou membre permanent %q n’est pas un identifiant d’utilisateur Entra (un GUID)",
	"minimum owners (0 to 100) and members (0 to 10000) are out of range":       "les minimums de propriétaires (0 à 100) et de membres (0 à 10\u202f000) sont hors plage",
	"guest domain %q is not a domain name such as partner.example":              "le domaine invité %q n’est pas un nom de domaine comme partner.example",
	"guest domains are listed but guests are not allowed":                       "des domaines invités sont indiqués, mais les invités ne sont pas autorisés",
	"lifecycle days must be 0 (off) to 3650":                                    "la durée de vie doit être comprise entre 0 (désactivée) et 3\u202f650 jours",
	"lifecycle.onExpiry must be \"archive\" or \"delete\"":                      "lifecycle.onExpiry doit valoir \"archive\" ou \"delete\"",
	"expiry warning %d days before must be positive and less than the lifetime": "l’avertissement d’expiration %d jours avant doit être positif et inférieur à la durée de vie",
	"the sensitivity label must be a Microsoft Purview label id (a GUID)":       "l’étiquette de confidentialité doit être un identifiant d’étiquette Microsoft Purview (un GUID)",

	// template_service.go
	"template id %q is invalid: use 2 to 63 lowercase letters, digits or hyphens, starting with a letter or digit": "l’identifiant de modèle %q n’est pas valide\u00a0: utilisez de 2 à 63 lettres minuscules, chiffres ou traits d’union, en commençant par une lettre ou un chiffre",
	"template %q is at version %d but you edited version %d: reload it and apply your change again":                "le modèle %q est à la version %d, mais vous avez modifié la version %d\u00a0: rechargez-le et appliquez à nouveau votre modification",
	"template %q changed since you opened it: reload it":                                                           "le modèle %q a changé depuis que vous l’avez ouvert\u00a0: rechargez-le",
	"template %q is already retired":               "le modèle %q est déjà retiré",
	"an exported template is at most 1 MiB":        "un modèle exporté fait au plus 1\u00a0Mio",
	"this is not an exported Steward template: %s": "ce n’est pas un modèle Steward exporté\u00a0: %s",
	"unsupported template format %q: expected %q":  "format de modèle %q non pris en charge\u00a0: %q attendu",

	// template_from_team.go
	"team id %q is not a team id: use the team's group id, a GUID (the groupId in the team's link in Teams)": "%q n’est pas un identifiant d’équipe\u00a0: utilisez l’identifiant de groupe de l’équipe, un GUID (le paramètre groupId du lien de l’équipe dans Teams)",
	"this Steward server cannot read teams: Microsoft Graph is not configured for it":                        "ce serveur Steward ne peut pas lire les équipes\u00a0: Microsoft Graph n’y est pas configuré",
	"there is no team %q in your organisation: check the team id (the groupId in the team's link in Teams)":  "l’équipe %q n’existe pas dans votre organisation\u00a0: vérifiez l’identifiant de l’équipe (le paramètre groupId du lien de l’équipe dans Teams)",

	// template_read.go (and web, which checks the path the same way)
	"a template version is a whole number from 1":    "une version de modèle est un nombre entier à partir de 1",
	"template %q has no version %d that you may see": "le modèle %q n’a pas de version %d que vous puissiez consulter",

	// tenant.go
	"tenant id %q is invalid: use 2 to 63 lowercase letters, digits or hyphens, starting with a letter or digit": "l’identifiant de locataire %q n’est pas valide\u00a0: utilisez de 2 à 63 lettres minuscules, chiffres ou traits d’union, en commençant par une lettre ou un chiffre",
	"tenant name must be 1 to 256 characters":                                                     "le nom du locataire doit comporter de 1 à 256 caractères",
	"Entra tenant id %q is invalid: expected a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47": "l’identifiant de locataire Entra %q n’est pas valide\u00a0: un GUID est attendu, par exemple 72f988bf-86f1-41af-91ab-2d7cd011db47",

	// webhook.go
	"a webhook needs a tenant and an id":                                                                  "un webhook nécessite un locataire et un identifiant",
	"choose at least one event, or \"*\" for all events":                                                  "choisissez au moins un événement, ou \"*\" pour tous les événements",
	"\"*\" already means every event: do not list other events with it":                                   "\"*\" désigne déjà tous les événements\u00a0: n’indiquez pas d’autres événements avec lui",
	"unknown event %q: use one of %s, or \"*\"":                                                           "événement %q inconnu\u00a0: utilisez l’un des événements %s, ou \"*\"",
	"event %q is listed twice":                                                                            "l’événement %q figure deux fois",
	"the description is %d characters; the limit is 500":                                                  "la description comporte %d caractères\u202f; la limite est de 500",
	"webhook URL: enter the https:// URL of your endpoint":                                                "URL du webhook\u00a0: saisissez l’URL https:// de votre point de terminaison",
	"webhook URL: it is %d characters long; the limit is %d":                                              "URL du webhook\u00a0: elle comporte %d caractères\u202f; la limite est de %d",
	"webhook URL: it does not parse; use a URL like https://hooks.example.com/steward":                    "URL du webhook\u00a0: elle est illisible\u202f; utilisez une URL comme https://hooks.example.com/steward",
	"webhook URL: use an absolute URL like https://hooks.example.com/steward":                             "URL du webhook\u00a0: utilisez une URL absolue comme https://hooks.example.com/steward",
	"webhook URL: remove the user name and password; authenticate the request with its signature instead": "URL du webhook\u00a0: retirez le nom d’utilisateur et le mot de passe\u202f; authentifiez plutôt la requête par sa signature",
	"webhook URL: remove the #fragment; it is never sent to the server":                                   "URL du webhook\u00a0: retirez le #fragment\u202f; il n’est jamais envoyé au serveur",
	"webhook URL: it has no host name":                                                                    "URL du webhook\u00a0: elle n’a pas de nom d’hôte",
	"webhook URL: use https://; plain http is allowed only for a loopback endpoint in dev mode":           "URL du webhook\u00a0: utilisez https://\u202f; le http simple n’est autorisé que pour un point de terminaison de bouclage en mode développement",
	"webhook URL: the scheme %q is not supported; use https://":                                           "URL du webhook\u00a0: le schéma %q n’est pas pris en charge\u202f; utilisez https://",
	"webhook URL: %s is not a public address; webhooks are delivered only to public endpoints":            "URL du webhook\u00a0: %s n’est pas une adresse publique\u202f; les webhooks ne sont livrés qu’à des points de terminaison publics",
	"webhook URL: %s is this machine; webhooks are delivered only to public endpoints":                    "URL du webhook\u00a0: %s désigne cette machine\u202f; les webhooks ne sont livrés qu’à des points de terminaison publics",

	// web (the HTTP surface builds these with governance.Errorf)
	"send a JSON object as the request body":                                          "envoyez un objet JSON comme corps de la requête",
	"the request body has an unknown field %s":                                        "le corps de la requête contient un champ inconnu, %s",
	"the field %q must be true or false":                                              "le champ %q doit valoir true ou false",
	"the field %q must be a JSON string":                                              "le champ %q doit être une chaîne JSON",
	"the field %q must be a whole number":                                             "le champ %q doit être un nombre entier",
	"the field %q must be a number":                                                   "le champ %q doit être un nombre",
	"the field %q must be a JSON array":                                               "le champ %q doit être un tableau JSON",
	"the field %q must be a JSON object":                                              "le champ %q doit être un objet JSON",
	"the request body is larger than %d KiB":                                          "le corps de la requête dépasse %d\u00a0Kio",
	"the request body is not valid JSON":                                              "le corps de la requête n’est pas du JSON valide",
	"the request body must be one JSON object":                                        "le corps de la requête doit être un seul objet JSON",
	"limit must be a whole number from 1 to %d":                                       "limit doit être un nombre entier de 1 à %d",
	"before must be an RFC 3339 time, as in the previous page's next.before":          "before doit être une date et heure RFC 3339, comme next.before de la page précédente",
	"state filters scope=all only":                                                    "le filtre state ne s’applique qu’avec scope=all",
	"scope must be mine, approvals or all":                                            "scope doit valoir mine, approvals ou all",
	"a decision needs approve (true or false) and the version of the request you saw": "une décision nécessite approve (true ou false) et la version de la demande que vous avez consultée",
	"%s must be true or false":                                                        "%s doit valoir true ou false",
	"there is nothing at %s %s; see / for the available endpoints":                    "il n’y a rien à %s %s\u202f; consultez / pour voir les points de terminaison disponibles",
	"/metrics answers loopback clients only; set STEWARD_METRICS_TOKEN to let remote scrapers in with a bearer token": "/metrics ne répond qu’aux clients en boucle locale\u202f; définissez STEWARD_METRICS_TOKEN pour admettre les collecteurs distants munis d’un jeton porteur (bearer)",
	"send the version of the template you edited, as version":                                                         "envoyez, dans version, la version du modèle que vous avez modifiée",
	"the request body could not be read":                                                                              "le corps de la requête n’a pas pu être lu",
	"%s must be an RFC 3339 date and time with its time zone (Z for UTC)":                                             "%s doit être une date et heure RFC 3339 avec son fuseau horaire (Z pour UTC)",
	"afterSeq must be a whole number, 0 or more: the previous page's nextAfterSeq":                                    "afterSeq doit être un nombre entier positif ou nul\u00a0: le nextAfterSeq de la page précédente",
	"format must be csv or json":                                                                                      "format doit valoir csv ou json",
	"scope must be company or mine":                                                                                   "scope doit valoir company ou mine",
	"send the metrics token as Authorization: Bearer <token>":                                                         "envoyez le jeton de métriques dans l’en-tête Authorization, sous la forme «\u00a0Bearer <token>\u00a0»",
	"dates and times are RFC 3339 strings with a time zone, such as %s":                                               "les dates et heures sont des chaînes RFC 3339 avec leur fuseau horaire, par exemple %s",
	"send the version of the webhook you edited, as version":                                                          "envoyez, dans version, la version du webhook que vous avez modifiée",

	// store (its not-found, conflict and validation errors reach users as they are)
	"tenant %q does not exist":                                                                           "le locataire %q n’existe pas",
	"a tenant with id %q or Entra tenant id %q already exists":                                           "un locataire d’identifiant %q ou d’identifiant de locataire Entra %q existe déjà",
	"no tenant is registered for an empty Entra tenant id":                                               "aucun locataire n’est enregistré pour un identifiant de locataire Entra vide",
	"no tenant is registered for Entra tenant %q":                                                        "aucun locataire n’est enregistré pour le locataire Entra %q",
	"Entra tenant %q is already registered to another tenant":                                            "le locataire Entra %q est déjà enregistré pour un autre locataire",
	"tenant %q was changed by someone else (now at version %d): reload it and apply your change again":   "le locataire %q a été modifié par quelqu’un d’autre (il est maintenant à la version %d)\u00a0: rechargez-le et appliquez à nouveau votre modification",
	"template %q was changed by someone else (now at version %d): reload it and apply your change again": "le modèle %q a été modifié par quelqu’un d’autre (il est maintenant à la version %d)\u00a0: rechargez-le et appliquez à nouveau votre modification",
	"request %q was changed by someone else (now at version %d): reload it and apply your change again":  "la demande %q a été modifiée par quelqu’un d’autre (elle est maintenant à la version %d)\u00a0: rechargez-la et appliquez à nouveau votre modification",
	"webhook %q was changed by someone else (now at version %d): reload it and apply your change again":  "le webhook %q a été modifié par quelqu’un d’autre (il est maintenant à la version %d)\u00a0: rechargez-le et appliquez à nouveau votre modification",
	"secret %q was changed by someone else (now at version %d): reload it and apply your change again":   "le secret %q a été modifié par quelqu’un d’autre (il est maintenant à la version %d)\u00a0: rechargez-le et appliquez à nouveau votre modification",
	"data key %q was changed by someone else (now at version %d): reload it and apply your change again": "la clé de données %q a été modifiée par quelqu’un d’autre (elle est maintenant à la version %d)\u00a0: rechargez-la et appliquez à nouveau votre modification",
	"webhook %q does not exist":              "le webhook %q n’existe pas",
	"secret %q does not exist":               "le secret %q n’existe pas",
	"data key %q does not exist":             "la clé de données %q n’existe pas",
	"request %q does not exist":              "la demande %q n’existe pas",
	"there is no template %q":                "le modèle %q n’existe pas",
	"template %q has no version %d":          "le modèle %q n’a pas de version %d",
	"a template needs a tenant id and an id": "un modèle nécessite un identifiant de locataire et un identifiant",
	"a template with id %q already exists":   "un modèle d’identifiant %q existe déjà",
	"template %q already has a version %d: reload it and apply your change again":                 "le modèle %q a déjà une version %d\u00a0: rechargez-le et appliquez à nouveau votre modification",
	"a request needs a tenant id and an id":                                                       "une demande nécessite un identifiant de locataire et un identifiant",
	"a request needs the template and the version it is made from":                                "une demande nécessite le modèle et la version dont elle est issue",
	"a request needs a requester":                                                                 "une demande nécessite un demandeur",
	"unknown request state %q":                                                                    "état de demande %q inconnu",
	"a request with id %q already exists":                                                         "une demande d’identifiant %q existe déjà",
	"a request keeps the template version it was made from and its requester":                     "une demande conserve la version du modèle dont elle est issue et son demandeur",
	"at most %d principal and group ids can be matched at once":                                   "au plus %d identifiants de principaux et de groupes peuvent être recherchés à la fois",
	"request %q has no provisioning checkpoint":                                                   "la demande %q n’a pas de point de reprise de provisionnement",
	"group %s does not have the role %s":                                                          "le groupe %s n’a pas le rôle %s",
	"user %s does not have the role %s":                                                           "l’utilisateur %s n’a pas le rôle %s",
	"tenant %q has no active data key":                                                            "le locataire %q n’a pas de clé de données active",
	"tenant %q has no data key %q":                                                                "le locataire %q n’a pas de clé de données %q",
	"tenant %q already has a data key %q":                                                         "le locataire %q a déjà une clé de données %q",
	"tenant %q has no secret %q":                                                                  "le locataire %q n’a pas de secret %q",
	"an API key must expire in the future":                                                        "une clé d’API doit expirer dans le futur",
	"tenant %q already has an API key %q":                                                         "le locataire %q a déjà une clé d’API %q",
	"tenant %q has no API key %q":                                                                 "le locataire %q n’a pas de clé d’API %q",
	"tenant %q already has a webhook %q":                                                          "le locataire %q a déjà un webhook %q",
	"tenant %q has no webhook %q":                                                                 "le locataire %q n’a pas de webhook %q",
	"tenant %q already has a webhook delivery %q":                                                 "le locataire %q a déjà une livraison de webhook %q",
	"tenant %q has no webhook delivery %q":                                                        "le locataire %q n’a pas de livraison de webhook %q",
	"this delivery is still being attempted; wait until it has succeeded or failed":               "cette livraison est encore en cours de tentative\u202f; attendez qu’elle ait réussi ou échoué",
	"another audit event was recorded at the same time: try again":                                "un autre événement d’audit a été enregistré au même moment\u00a0: réessayez",
	"limit %d is out of range: use 1 to %d":                                                       "la limite %d est hors plage\u00a0: utilisez une valeur de 1 à %d",
	"the audit event's state is not valid JSON":                                                   "l’état de l’événement d’audit n’est pas du JSON valide",
	"the PostgreSQL URL does not parse: %v":                                                       "l’URL PostgreSQL est illisible\u00a0: %v",
	"the PostgreSQL URL is not valid: %s":                                                         "l’URL PostgreSQL n’est pas valide\u00a0: %s",
	"unsupported database URL: use %s (e.g. %s) or %s":                                            "URL de base de données non prise en charge\u00a0: utilisez %s (par exemple %s) ou %s",
	"a SQLite URL needs a file path, e.g. %s (in-memory databases lose data)":                     "une URL SQLite nécessite un chemin de fichier, par exemple %s (les bases en mémoire perdent leurs données)",
	"The database is not reachable. Check STEWARD_DATABASE_URL and that the database is running.": "La base de données est injoignable. Vérifiez STEWARD_DATABASE_URL et que la base de données est démarrée.",

	// store/bot_conversations.go
	"a bot conversation needs a kind (user or team), a subject and a reference": "une conversation du bot nécessite un type (user ou team), un sujet et une référence",
	"the bot has no conversation with %s %q":                                    "le bot n’a pas de conversation avec %s %q",
	"a card post needs a subject, a conversation, an activity and a reference":  "une publication de carte nécessite un sujet, une conversation, une activité et une référence",

	// identity
	"sign in again: the access token is not valid":                                                    "reconnectez-vous\u00a0: le jeton d’accès n’est pas valide",
	"Microsoft sign-in cannot be reached right now; try again in a minute":                            "la connexion Microsoft est injoignable pour le moment\u202f; réessayez dans une minute",
	"managing API keys needs a signed-in integration manager or administrator; API keys cannot do it": "la gestion des clés d’API nécessite un gestionnaire des intégrations ou un administrateur connecté\u202f; les clés d’API ne le permettent pas",

	// webhook
	"unknown webhook event %q":                                                                     "événement de webhook %q inconnu",
	"the event data cannot be encoded as JSON":                                                     "les données de l’événement ne peuvent pas être encodées en JSON",
	"say what to change: url, events, enabled or description":                                      "indiquez ce qu’il faut modifier\u00a0: url, events, enabled ou description",
	"webhook %q is at version %d but you edited version %d: reload it and apply your change again": "le webhook %q est à la version %d, mais vous avez modifié la version %d\u00a0: rechargez-le et appliquez à nouveau votre modification",
	"webhook %q has no delivery %q":                                                                "le webhook %q n’a pas de livraison %q",

	// graph (Classify: Microsoft Graph's failures, as users see them)
	"Steward has no Microsoft Graph credentials for this tenant: an administrator must add them in the admin center":      "Steward n’a pas d’identifiants Microsoft Graph pour ce locataire\u00a0: un administrateur doit les ajouter dans le centre d’administration",
	"Microsoft Graph could not be reached; try again in a few minutes":                                                    "Microsoft Graph est injoignable\u202f; réessayez dans quelques minutes",
	"Microsoft Graph has no such object":                                                                                  "Microsoft Graph ne connaît pas cet objet",
	"Steward's app registration lacks a Microsoft Graph permission this needs: an administrator must grant admin consent": "il manque à l’inscription d’application de Steward une autorisation Microsoft Graph nécessaire\u00a0: un administrateur doit accorder le consentement administrateur",
	"Microsoft Graph is busy; try again in a minute":                                                                      "Microsoft Graph est surchargé\u202f; réessayez dans une minute",
	"Microsoft Graph refused the request":                                                                                 "Microsoft Graph a refusé la demande",

	// crm/… (the built-in CRM: record search and CSV or JSON importation)
	"unknown record kind %q: use account, opportunity or contact":                                              "type d’enregistrement %q inconnu\u00a0: utilisez account, opportunity ou contact",
	"unknown import format %q: use csv or json":                                                                "format d’importation %q inconnu\u00a0: utilisez csv ou json",
	"the file is larger than %d MB: split it into several imports":                                             "le fichier dépasse %d\u00a0Mo\u00a0: répartissez-le en plusieurs importations",
	"this import would bring the tenant to %d records; at most %d are allowed: delete records of a kind first": "cette importation porterait le locataire à %d enregistrements\u202f; au plus %d sont autorisés\u00a0: supprimez d’abord les enregistrements d’un type",
	"the file has more than %d rows: split it into several imports":                                            "le fichier compte plus de %d lignes\u00a0: répartissez-le en plusieurs importations",
	"the limit must be between 1 and %d":                                                                       "la limite doit être comprise entre 1 et %d",
	"the search text is longer than %d characters":                                                             "le texte recherché dépasse %d caractères",
	"the file is empty: it needs a header row naming the columns, with at least %s and %s":                     "le fichier est vide\u00a0: il lui faut une ligne d’en-tête qui nomme les colonnes, dont au moins %s et %s",
	"the file has %d columns; at most %d are allowed":                                                          "le fichier compte %d colonnes\u202f; au plus %d sont autorisées",
	"column %d of the header row %s":                                                                           "la colonne %d de la ligne d’en-tête %s",
	"the header row names the column %q twice":                                                                 "la ligne d’en-tête nomme deux fois la colonne %q",
	"the header row has no %q column: every file needs the columns %s and %s":                                  "la ligne d’en-tête n’a pas de colonne %q\u00a0: tout fichier doit comporter les colonnes %s et %s",
	"the CSV is malformed at line %d: %s":                                                                      "le fichier CSV est mal formé à la ligne %d\u00a0: %s",
	"the CSV could not be read":                                                                                "le fichier CSV n’a pas pu être lu",
	"the file is empty: it needs a JSON array of objects, each with at least %s and %s":                        "le fichier est vide\u00a0: il lui faut un tableau JSON d’objets, chacun avec au moins %s et %s",
	"the JSON must be an array of objects, e.g. %s":                                                            "le JSON doit être un tableau d’objets, par exemple %s",
	"the JSON has more after its array, at line %d":                                                            "le JSON contient autre chose après son tableau, à la ligne %d",
	"the JSON is malformed at line %d: %s":                                                                     "le JSON est mal formé à la ligne %d\u00a0: %s",
	"the JSON ends before its array is closed":                                                                 "le JSON se termine avant la fermeture de son tableau",
	"the JSON could not be read":                                                                               "le JSON n’a pas pu être lu",
}

// frenchNamingMessages is namingMessages in French, with the same keys and
// placeholders.
var frenchNamingMessages = map[string]string{
	NamingEmpty:    "Saisissez un nom pour l’équipe.",
	NamingTooShort: "Utilisez au moins {min} caractères pour le nom, sans compter le préfixe et le suffixe (vous en avez saisi {length}).",
	NamingTooLong:  "Un nom d’équipe peut comporter au plus {max} caractères, préfixe et suffixe compris\u202f; celui-ci en compte {length}, retirez-en donc {excess}.",

	NamingBlockedWord + ".name":  `"{word}" n’est pas autorisé dans les noms d’équipe` + "\u202f; " + `retirez-le ou utilisez un autre mot.`,
	NamingBlockedWord + ".field": `"{word}" n’est pas autorisé dans les noms d’équipe` + "\u202f; " + `modifiez le champ "{field}".`,

	NamingCharacterNotAllowed + ".name":   "Retirez {character} du nom\u00a0: un nom d’équipe ne peut contenir que {allowed}.",
	NamingCharacterNotAllowed + ".policy": "Le {part} du nom d’équipe contient {character}, que ce modèle n’autorise pas (uniquement {allowed})\u202f; demandez au propriétaire du modèle de corriger la stratégie de nommage.",

	NamingTokenMissing + ".attribute": "Le nom d’équipe inclut votre {token} issu de l’annuaire de l’entreprise, mais votre profil n’en contient pas\u202f; demandez à votre administrateur informatique de le renseigner.",
	NamingTokenMissing + ".field":     `Renseignez le champ "{token}"` + "\u00a0: " + `le nom d’équipe l’inclut.`,

	NamingTokenUnknown: "La stratégie de nommage utilise {token}, que Steward ne connaît pas\u202f; demandez au propriétaire du modèle de corriger la stratégie de nommage.",
}

// frenchNamingParts translates the {part} argument of naming violations.
var frenchNamingParts = map[string]string{"prefix": "préfixe", "suffix": "suffixe"}
