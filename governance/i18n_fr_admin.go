package governance

// frenchAdminFormats translates the messages of the admin center pages (web/admin*.go). See frenchFormats.
var frenchAdminFormats = map[string]string{
	"the admin center is not set up on this server":                                                      "le centre d’administration n’est pas configuré sur ce serveur",
	"this part of the admin center is for people with the %s role; ask an administrator":                 "cette partie du centre d’administration est réservée aux personnes qui ont le rôle %s\u202f; demandez à un administrateur",
	"the file is larger than %d MB: split it into several files":                                         "le fichier dépasse %d Mo\u00a0: découpez-le en plusieurs fichiers",
	"the form could not be read; choose the file again and send it":                                      "le formulaire n’a pas pu être lu\u202f; choisissez de nouveau le fichier et envoyez-le",
	"the form lacks the webhook's version; reload the page and try again":                                "il manque au formulaire la version du webhook\u202f; rechargez la page et réessayez",
	"the expiry date must be a date such as 2027-12-31":                                                  "la date d’expiration doit être une date comme 2027-12-31",
	"choose a CSV or JSON file to import":                                                                "choisissez un fichier CSV ou JSON à importer",
	"the file must be .csv or .json, or say which format it is":                                          "le fichier doit être en .csv ou .json, ou précisez son format",
	"type the client secret, or choose a certificate instead":                                            "saisissez le secret client, ou choisissez plutôt un certificat",
	"choose the PEM file with the certificate (and its private key, in the same file or the second one)": "choisissez le fichier PEM du certificat (et sa clé privée, dans le même fichier ou dans le second)",
	"choose a client secret or a certificate":                                                            "choisissez un secret client ou un certificat",
	"a certificate or key file has at most 64 KB: choose the PEM file":                                   "un fichier de certificat ou de clé fait au plus 64 Ko\u00a0: choisissez le fichier PEM",
	"%s must be a date and time such as 2026-11-22T09:30 (UTC)":                                          "%s doit être une date et une heure comme 2026-11-22T09:30 (UTC)",
}
