package graph

import "net/http"

// permMe is GET /me's permission table: delegated User.Read is the least
// privileged; the wider user permissions cover it too.
var permMe = dirPerms("User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All")

// getMe is GET /me: the signed-in user of a delegated token. An app-only
// token has no user, and Graph answers 400 as below.
func (g *Graph) getMe(c *call) error {
	if !c.claims.Delegated() {
		return errf(http.StatusBadRequest, "BadRequest", "/me request is only valid with delegated authentication flow.")
	}
	c.r.SetPathValue("id", c.claims.ObjectID)
	return g.getUser(c)
}
