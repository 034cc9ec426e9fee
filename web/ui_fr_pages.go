package web

// uiFrenchPages: see uiFrench.
var uiFrenchPages = map[string]string{}
