package web

// uiFrenchAdmin: see uiFrench.
var uiFrenchAdmin = map[string]string{}
