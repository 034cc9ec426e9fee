package governance

// frenchAdminFormats translates the messages of the admin center pages (web/admin*.go). See frenchFormats.
var frenchAdminFormats = map[string]string{}
