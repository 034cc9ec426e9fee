package governance

// frenchPageFormats translates the messages of the sign-in flow and the tabs (web/ui*.go, identity/organization.go). See frenchFormats.
var frenchPageFormats = map[string]string{}
