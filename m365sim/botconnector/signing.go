package botconnector

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Issuer is the iss of every token the Bot Connector signs for bots.
const Issuer = "https://api.botframework.com"

// ChannelID is the channel this simulator plays.
const ChannelID = "msteams"

// tokenLifetime is how long an activity token lives, like the real
// channel's (about an hour).
const tokenLifetime = time.Hour

// signingKey is one published (or deliberately unpublished) RSA key.
type signingKey struct {
	kid          string
	priv         *rsa.PrivateKey
	der          []byte // self-signed certificate, for x5c / x5t
	endorsements []string
}

func newSigningKey(name string, endorsements []string, now time.Time) (*signingKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("botconnector: generate %s key: %w", name, err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "m365sim " + name + " signing key"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(5 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return nil, fmt.Errorf("botconnector: certificate for %s key: %w", name, err)
	}
	sum := sha256.Sum256(der)
	return &signingKey{
		kid:          hex.EncodeToString(sum[:10]),
		priv:         priv,
		der:          der,
		endorsements: endorsements,
	}, nil
}

// x5t is the base64url SHA-1 thumbprint of the certificate, as JWKS
// documents publish it (SHA-1 is the format, not a security choice here).
func (k *signingKey) x5t() string {
	sum := sha1.Sum(k.der)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// JWK is one key of the channel's JWKS, as login.botframework.com publishes
// it: the usual RSA fields plus the Bot Framework's "endorsements" — the
// channel ids the key may sign activities for.
type JWK struct {
	Kty          string   `json:"kty"`
	Use          string   `json:"use"`
	Kid          string   `json:"kid"`
	X5t          string   `json:"x5t"`
	N            string   `json:"n"`
	E            string   `json:"e"`
	X5c          []string `json:"x5c"`
	Endorsements []string `json:"endorsements"`
}

func (k *signingKey) jwk() JWK {
	return JWK{
		Kty:          "RSA",
		Use:          "sig",
		Kid:          k.kid,
		X5t:          k.x5t(),
		N:            base64.RawURLEncoding.EncodeToString(k.priv.N.Bytes()),
		E:            base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.priv.E)).Bytes()),
		X5c:          []string{base64.StdEncoding.EncodeToString(k.der)},
		Endorsements: slices.Clone(k.endorsements),
	}
}

// keyring holds the channel's keys. The JWKS publishes the key endorsed
// for msteams and one endorsed for another channel only (the real JWKS also
// mixes keys of different channels); a third key is never published. The
// last two exist so forged-token tests have something to sign with; they are
// generated in the background so that start-up waits for one RSA key, not
// three. Everything that reads them waits for them.
type keyring struct {
	endorsed *signingKey

	extrasReady chan struct{} // closed once unendorsed, unknown and extrasErr are set
	unendorsed  *signingKey
	unknown     *signingKey
	extrasErr   error
}

func newKeyring(now time.Time) (*keyring, error) {
	kr := &keyring{extrasReady: make(chan struct{})}
	go func() {
		defer close(kr.extrasReady)
		var err error
		if kr.unendorsed, err = newSigningKey("webchat", []string{"webchat"}, now); err != nil {
			kr.extrasErr = err
			return
		}
		kr.unknown, kr.extrasErr = newSigningKey("unpublished", []string{ChannelID}, now)
	}()
	var err error
	if kr.endorsed, err = newSigningKey("msteams", []string{ChannelID}, now); err != nil {
		return nil, err
	}
	return kr, nil
}

// extras waits for the forged-token keys.
func (kr *keyring) extras() (unendorsed, unknown *signingKey, err error) {
	<-kr.extrasReady
	return kr.unendorsed, kr.unknown, kr.extrasErr
}

func (kr *keyring) published() ([]JWK, error) {
	unendorsed, _, err := kr.extras()
	if err != nil {
		return nil, err
	}
	return []JWK{kr.endorsed.jwk(), unendorsed.jwk()}, nil
}

// TokenOptions alters the token Deliver signs, so Steward's tests can prove
// its bot rejects forged activities. The zero value signs exactly as the
// Bot Connector does.
type TokenOptions struct {
	// Unendorsed signs with a key that is in the JWKS but endorsed for
	// "webchat" only, not "msteams".
	Unendorsed bool
	// UnknownKey signs with a key that is not in the JWKS.
	UnknownKey bool
	// ServiceURL, when set, replaces the serviceurl claim (the activity's
	// serviceUrl is left as is).
	ServiceURL string
	// Audience, when set, replaces aud (normally the bot's app id).
	Audience string
	// Issuer, when set, replaces iss.
	Issuer string
	// IssuedAt, when set, replaces the injected clock's now for iat, nbf
	// and exp (exp = IssuedAt + 1 h), e.g. to send an expired token.
	IssuedAt time.Time
	// NoToken sends the activity without an Authorization header.
	NoToken bool
}

// sign returns the bearer token for an activity addressed to botAppID.
func (c *Connector) sign(botAppID, serviceURL string, o TokenOptions) (string, error) {
	key := c.keys.endorsed
	if o.Unendorsed || o.UnknownKey {
		unendorsed, unknown, err := c.keys.extras()
		if err != nil {
			return "", err
		}
		key = unendorsed
		if o.UnknownKey {
			key = unknown
		}
	}
	iat := c.now()
	if !o.IssuedAt.IsZero() {
		iat = o.IssuedAt
	}
	claims := jwt.MapClaims{
		"iss":        firstNonEmpty(o.Issuer, Issuer),
		"aud":        firstNonEmpty(o.Audience, botAppID),
		"iat":        iat.Unix(),
		"nbf":        iat.Unix(),
		"exp":        iat.Add(tokenLifetime).Unix(),
		"serviceurl": firstNonEmpty(o.ServiceURL, serviceURL),
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = key.kid
	tok.Header["x5t"] = key.x5t()
	s, err := tok.SignedString(key.priv)
	if err != nil {
		return "", fmt.Errorf("botconnector: sign activity token: %w", err)
	}
	return s, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// openIDMetadata mirrors https://login.botframework.com/v1/.well-known/openidconfiguration.
type openIDMetadata struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
}

func (c *Connector) handleMetadata(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, openIDMetadata{
		Issuer: Issuer,
		// The real document names an endpoint that does not exist
		// (https://invalid.botframework.com); bots never use it.
		AuthorizationEndpoint:             c.base + "/botframework/invalid",
		JWKSURI:                           c.JWKSURL(),
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		TokenEndpointAuthMethodsSupported: []string{"private_key_jwt"},
	})
}

func (c *Connector) handleKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := c.keys.published()
	if err != nil {
		writeError(w, newAPIError(http.StatusInternalServerError, "ServiceError", err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Keys []JWK `json:"keys"`
	}{keys})
}
