package entra

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"time"
)

// signingKey is an RSA key with the self-signed certificate Microsoft
// publishes beside every key in x5c (some clients build the public key from
// the certificate instead of n and e).
type signingKey struct {
	kid     string // = x5t, as Microsoft does
	x5t     string // base64url SHA-1 thumbprint of the certificate
	priv    *rsa.PrivateKey
	certDER []byte
	created time.Time
}

func newSigningKey(now time.Time) (*signingKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("entra: generate signing key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("entra: certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		// Microsoft's signing certificates are issued to accounts.accesscontrol.windows.net.
		Subject:               pkix.Name{CommonName: "m365sim.accesscontrol.invalid"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return nil, fmt.Errorf("entra: self-sign certificate: %w", err)
	}
	sum := sha1.Sum(der)
	x5t := base64.RawURLEncoding.EncodeToString(sum[:])
	return &signingKey{kid: x5t, x5t: x5t, priv: priv, certDER: der, created: now.UTC()}, nil
}

// RotateKeys makes a new key the signing key. The previous key stays
// published and verifiable until the next rotation, so tokens signed just
// before a rotation keep working, as with Microsoft's overlapping keys.
func (e *Entra) RotateKeys() (string, error) {
	k, err := newSigningKey(e.now())
	if err != nil {
		return "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.keys = append(e.keys[len(e.keys)-1:], k)
	return k.kid, nil
}

// signer returns the current signing key.
func (e *Entra) signer() *signingKey {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.keys[len(e.keys)-1]
}

// publicKey returns the published key with this kid.
func (e *Entra) publicKey(kid string) (*rsa.PublicKey, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, k := range e.keys {
		if k.kid == kid {
			return &k.priv.PublicKey, true
		}
	}
	return nil, false
}

type jwk struct {
	Kty    string   `json:"kty"`
	Use    string   `json:"use"`
	Kid    string   `json:"kid"`
	X5t    string   `json:"x5t"`
	N      string   `json:"n"`
	E      string   `json:"e"`
	X5c    []string `json:"x5c"`
	Cloud  string   `json:"cloud_instance_name"`
	Issuer string   `json:"issuer"`
}

// handleKeys serves the JWKS. Each key carries the issuer it signs for, as
// Microsoft's v2.0 keys do ("{tenantid}" on the multi-tenant authorities).
func (e *Entra) handleKeys(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	iss := e.issuer("{tenantid}")
	if !multiTenant(tenant) {
		t, ok := e.dir.ResolveTenant(tenant)
		if !ok {
			e.writeError(w, r, errTenantNotFound(tenant, "invalid_tenant"))
			return
		}
		iss = e.issuer(t.ID)
	}
	e.mu.Lock()
	keys := make([]jwk, 0, len(e.keys))
	// Newest first: clients that take the first key get the signing one.
	for i := len(e.keys) - 1; i >= 0; i-- {
		k := e.keys[i]
		keys = append(keys, jwk{
			Kty:    "RSA",
			Use:    "sig",
			Kid:    k.kid,
			X5t:    k.x5t,
			N:      base64.RawURLEncoding.EncodeToString(k.priv.N.Bytes()),
			E:      base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.priv.E)).Bytes()),
			X5c:    []string{base64.StdEncoding.EncodeToString(k.certDER)},
			Cloud:  "microsoftonline.com",
			Issuer: iss,
		})
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"keys": keys}, false)
}
