package web

// uiFrenchCatalog: see uiFrench.
var uiFrenchCatalog = map[string]string{}
