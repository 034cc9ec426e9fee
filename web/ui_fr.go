package web

// uiFrench translates the pages' English strings (the keys) into French.
var uiFrench = map[string]string{}
