package main

import "net/http"

// frontDoor wraps the server's handler with the edge protections, outermost
// first. It is the one place the chain is assembled.
func (a *app) frontDoor(h http.Handler) http.Handler {
	return h
}
