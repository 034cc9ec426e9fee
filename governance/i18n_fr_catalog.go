package governance

// frenchCatalogFormats translates the messages of the catalog pages (web/catalog*.go). See frenchFormats.
var frenchCatalogFormats = map[string]string{}
