package entra

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/stewardhq/steward/m365sim/directory"
)

// Certificate credentials, as learn.microsoft.com/entra/identity-platform/certificate-credentials
// documents them: the client signs a JWT with the private key of a
// certificate registered on the app (PS256, or RS256 which Entra still
// accepts), names the certificate by thumbprint in the header (x5t#S256,
// or the SHA-1 x5t), and sends it as client_assertion.
const (
	clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// certCredsDoc is where Entra's client assertion errors send developers.
	certCredsDoc = "https://learn.microsoft.com/entra/identity-platform/certificate-credentials"
	// assertionTime is how Entra (.NET round-trip format) prints instants
	// in AADSTS700024.
	assertionTime = "2006-01-02T15:04:05.0000000Z"
)

// assertionAlgs are the signature algorithms Entra accepts on assertions.
var assertionAlgs = []string{"PS256", "RS256"}

// verifyClientAssertion authenticates app in tenant tid by cred's client
// assertion. The checks run in the order a client can fix them: request
// shape, token shape, key, signature, claims, then replay. The error codes
// and messages are those Entra answers with (reference-error-codes, the
// certificate credentials page, and responses quoted in MSAL and Azure SDK
// issues); where Entra documents none, the nearest documented code is used.
func (e *Entra) verifyClientAssertion(tid string, app directory.App, cred clientCred) *aadError {
	switch {
	case cred.assertionType == "":
		return errMissing("client_assertion_type")
	case cred.assertionType != clientAssertionType:
		return newErr(http.StatusBadRequest, "invalid_request", 90011, "Unexpected client assertion type '%s'. Use '%s'.", cred.assertionType, clientAssertionType)
	case cred.assertion == "":
		return errMissing("client_assertion")
	}
	var claims jwt.RegisteredClaims
	tok, _, err := jwt.NewParser().ParseUnverified(cred.assertion, &claims)
	switch {
	case err != nil && errors.Is(err, jwt.ErrTokenUnverifiable):
		// The header decoded but names no algorithm golang-jwt knows.
		return errUnsupportedAlg()
	case err != nil:
		return errInvalidJWT("JWT token is invalid or malformed.")
	}
	if alg, _ := tok.Header["alg"].(string); alg != "PS256" && alg != "RS256" {
		return errUnsupportedAlg()
	}
	cert, aerr := findCertificate(app, tok.Header)
	if aerr != nil {
		return aerr
	}
	now := e.now()
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return newErr(http.StatusUnauthorized, "invalid_client", 700027, "Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key used by client: '%s', Found key 'Start=%s, End=%s']",
			sha1Hex(cert), cert.NotBefore.UTC().Format(assertionTime), cert.NotAfter.UTC().Format(assertionTime))
	}
	_, err = jwt.ParseWithClaims(cred.assertion, &jwt.RegisteredClaims{}, func(*jwt.Token) (any, error) {
		return cert.PublicKey, nil
	}, jwt.WithValidMethods(assertionAlgs), jwt.WithoutClaimsValidation())
	if err != nil {
		return newErr(http.StatusUnauthorized, "invalid_client", 700027, "Client assertion failed signature validation.")
	}
	switch {
	case claims.Subject != claims.Issuer:
		return newErr(http.StatusUnauthorized, "invalid_client", 50048, "Subject must match the issuer claim in the client assertion.")
	case claims.Issuer != cred.id:
		return newErr(http.StatusUnauthorized, "invalid_client", 700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at %s .", certCredsDoc)
	case !e.assertionAudienceAccepted(tid, cred.tenant, claims.Audience):
		return newErr(http.StatusUnauthorized, "invalid_client", 700023, "Client assertion audience claim does not match Realm issuer. Review the documentation at %s .", certCredsDoc)
	case claims.ExpiresAt == nil:
		return errInvalidJWT("Invalid JWT token. The client assertion has no 'exp' claim.")
	}
	// An assertion without nbf is valid from the epoch, as Entra reports it.
	nbf := time.Unix(0, 0)
	if claims.NotBefore != nil {
		nbf = claims.NotBefore.Time
	}
	exp := claims.ExpiresAt.Time
	// Entra sets no upper bound on an assertion's lifetime ("doesn't place
	// restrictions on the exp time currently"), so none is checked.
	if now.Add(clockSkew).Before(nbf) || !now.Add(-clockSkew).Before(exp) {
		return newErr(http.StatusUnauthorized, "invalid_client", 700024, "Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s. Review the documentation at %s .",
			now.UTC().Format(assertionTime), nbf.UTC().Format(assertionTime), exp.UTC().Format(assertionTime), certCredsDoc)
	}
	if claims.ID == "" {
		return errInvalidJWT("Invalid JWT token. The client assertion has no 'jti' claim.")
	}
	if !e.useAssertion(app.AppID, claims.ID, exp.Add(clockSkew)) {
		return errInvalidJWT("Invalid JWT token. The client assertion with jti '" + claims.ID + "' was already used; sign a new assertion for every request.")
	}
	return nil
}

func errInvalidJWT(msg string) *aadError {
	return newErr(http.StatusUnauthorized, "invalid_client", 50027, "%s", msg)
}

func errUnsupportedAlg() *aadError {
	return newErr(http.StatusBadRequest, "invalid_request", 5002730, "Invalid JWT token. Unsupported key for the signing algorithm. Sign client assertions with PS256 or RS256.")
}

// findCertificate returns the app's certificate the assertion header names
// by x5t#S256 (SHA-256 thumbprint) or, failing that, x5t (SHA-1).
func findCertificate(app directory.App, header map[string]any) (*x509.Certificate, *aadError) {
	thumb, sha256Thumb := "", false
	if v, ok := header["x5t#S256"].(string); ok && v != "" {
		thumb, sha256Thumb = v, true
	} else if v, ok := header["x5t"].(string); ok && v != "" {
		thumb = v
	} else {
		return nil, errInvalidJWT("Invalid JWT token. No certificate thumbprint specified in token header.")
	}
	want, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(thumb, "="))
	certs, perr := app.ParseCertificates()
	if err == nil && perr == nil {
		for _, c := range certs {
			var sum []byte
			if sha256Thumb {
				s := sha256.Sum256(c.Raw)
				sum = s[:]
			} else {
				s := sha1.Sum(c.Raw)
				sum = s[:]
			}
			if bytes.Equal(sum, want) {
				return c, nil
			}
		}
	}
	shown := thumb
	if err == nil {
		shown = strings.ToUpper(hex.EncodeToString(want))
	}
	return nil, newErr(http.StatusUnauthorized, "invalid_client", 700027, "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments#app-registration-and-token-service-root-endpoints.]", shown, app.AppID)
}

// sha1Hex is a certificate's thumbprint as the Entra admin center shows it.
func sha1Hex(c *x509.Certificate) string {
	s := sha1.Sum(c.Raw)
	return strings.ToUpper(hex.EncodeToString(s[:]))
}

// assertionAudienceAccepted reports whether aud names this authority's
// token endpoint for tenant tid: by the tenant segment the request used
// (which may be common or organizations when the grant names the tenant),
// by the tenant id or by its domain, at the v2.0 or the v1.0 endpoint, as
// Entra's realm check accepts all of them.
func (e *Entra) assertionAudienceAccepted(tid, pathTenant string, aud jwt.ClaimStrings) bool {
	tenants := []string{pathTenant}
	if t, ok := e.dir.ResolveTenant(tid); ok {
		tenants = append(tenants, t.ID, t.Domain)
	}
	for _, a := range aud {
		a = strings.TrimSuffix(a, "/")
		for _, t := range tenants {
			if t == "" {
				continue
			}
			for _, path := range []string{"/oauth2/v2.0/token", "/oauth2/token"} {
				if strings.EqualFold(a, e.base+"/"+t+path) {
					return true
				}
			}
		}
	}
	return false
}

// useAssertion records the jti of an accepted assertion of appID until
// until, and reports false if it was already recorded: each assertion
// authenticates one request. jti values are per issuer (RFC 7519 §4.1.7),
// and the issuer is the app.
func (e *Entra) useAssertion(appID, jti string, until time.Time) bool {
	key := appID + "\x00" + jti
	e.mu.Lock()
	defer e.mu.Unlock()
	if t, ok := e.assertions[key]; ok && e.now().Before(t) {
		return false
	}
	e.assertions[key] = until
	e.pruneLocked()
	return true
}
