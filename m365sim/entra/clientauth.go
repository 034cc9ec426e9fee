package entra

import (
	"crypto/subtle"
	"net/http"
	"net/url"

	"github.com/stewardhq/steward/m365sim/directory"
)

// clientCred is what a token request presents to authenticate the client:
// a secret, a client assertion (certificate credential), or nothing for a
// public client.
type clientCred struct {
	id, secret               string
	assertionType, assertion string
	// tenant is the {tenant} segment of the token URL as requested, which
	// a client assertion's audience may name.
	tenant string
}

func (c clientCred) hasAssertion() bool { return c.assertion != "" || c.assertionType != "" }

// clientCredentials reads client_id and client_secret from HTTP Basic
// (form-url-encoded per RFC 6749 §2.3.1) or from the body, and a client
// assertion from the body (RFC 7523 §2.2 defines no other place).
func clientCredentials(r *http.Request, tenant string) clientCred {
	c := clientCred{
		id: r.PostForm.Get("client_id"), secret: r.PostForm.Get("client_secret"),
		assertionType: r.PostForm.Get("client_assertion_type"), assertion: r.PostForm.Get("client_assertion"),
		tenant: tenant,
	}
	if id, secret, ok := r.BasicAuth(); ok {
		c.id, c.secret = id, secret
		uid, err1 := url.QueryUnescape(id)
		usecret, err2 := url.QueryUnescape(secret)
		if err1 == nil && err2 == nil {
			c.id, c.secret = uid, usecret
		}
	}
	return c
}

// authenticate checks the client's credential for tenant tid and returns
// azpacr: "0" for a public client, "1" for a secret, "2" for a certificate
// (Entra's documented values). An app with secrets or certificates is a
// confidential client and must present one of them; an app with neither is
// public and must not, unless the grant needs a confidential client.
func (e *Entra) authenticate(tid string, app directory.App, cred clientCred, confidentialOnly bool) (string, *aadError) {
	if cred.secret != "" && cred.hasAssertion() {
		// Entra authenticates a request by one credential; which of two it
		// would pick is not documented, so both is a malformed request.
		return "", newErr(http.StatusBadRequest, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid. Send either 'client_secret' or 'client_assertion', not both.")
	}
	if len(app.Secrets) == 0 && len(app.Certificates) == 0 {
		if cred.secret != "" || cred.hasAssertion() {
			return "", newErr(http.StatusUnauthorized, "invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")
		}
		if confidentialOnly {
			return "", errNoCredential()
		}
		return "0", nil
	}
	if cred.hasAssertion() {
		if aerr := e.verifyClientAssertion(tid, app, cred); aerr != nil {
			return "", aerr
		}
		return "2", nil
	}
	if cred.secret == "" {
		return "", errNoCredential()
	}
	for _, s := range app.Secrets {
		if subtle.ConstantTimeCompare([]byte(s), []byte(cred.secret)) == 1 {
			return "1", nil
		}
	}
	return "", newErr(http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", app.AppID)
}

func errNoCredential() *aadError {
	return newErr(http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
}
