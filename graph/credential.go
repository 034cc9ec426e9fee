package graph

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
)

// Credential is how Steward proves it is its app registration in one
// customer's Microsoft Entra tenant: a client secret, or a certificate
// whose private key signs a client assertion. Certificates are what
// Microsoft recommends for production.
type Credential struct {
	EntraTenantID string // directory (tenant) id, a GUID
	ClientID      string // the app registration's application (client) id
	ClientSecret  string
	Certificate   *x509.Certificate
	Key           crypto.Signer // RSA: Entra accepts PS256 and RS256 assertions
}

// Credentials finds the credential of a Steward tenant (the vault in
// production; the demo fixture in dev).
type Credentials interface {
	Credential(ctx context.Context, tenantID string) (Credential, error)
}

// errNoCredential marks a tenant with no stored credential.
var errNoCredential = errors.New("graph: no app credential for tenant")

// ErrNoCredential wraps errNoCredential so Credentials implementations can
// say "not configured" in a way Classify recognises.
func ErrNoCredential(tenantID string) error {
	return fmt.Errorf("%w %s", errNoCredential, tenantID)
}

// IsNoCredential reports whether err says the tenant has no stored
// credential: no retry can fix that, only an administrator.
func IsNoCredential(err error) bool { return errors.Is(err, errNoCredential) }

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Validate reports what is missing or inconsistent.
func (c Credential) Validate() error {
	switch {
	case !guid.MatchString(c.EntraTenantID):
		return fmt.Errorf("graph: credential: entra tenant id %q is not a GUID", c.EntraTenantID)
	case !guid.MatchString(c.ClientID):
		return fmt.Errorf("graph: credential: client id %q is not a GUID", c.ClientID)
	case c.ClientSecret == "" && c.Certificate == nil:
		return errors.New("graph: credential: set a client secret or a certificate")
	case c.ClientSecret != "" && c.Certificate != nil:
		return errors.New("graph: credential: set a client secret or a certificate, not both")
	case c.Certificate != nil && c.Key == nil:
		return errors.New("graph: credential: the certificate's private key is missing")
	}
	if c.Certificate != nil {
		pub, ok := c.Key.Public().(*rsa.PublicKey)
		cpub, cok := c.Certificate.PublicKey.(*rsa.PublicKey)
		if !ok || !cok {
			return errors.New("graph: credential: the certificate must hold an RSA key (Entra signs and checks client assertions with RSA)")
		}
		if !pub.Equal(cpub) {
			return errors.New("graph: credential: the private key does not match the certificate")
		}
	}
	return nil
}

// ParseCertificatePEM reads a certificate and its private key from PEM
// (the format `openssl req -x509 -newkey rsa:2048` writes and Azure Key
// Vault exports): the first CERTIFICATE block and the first PRIVATE KEY,
// RSA PRIVATE KEY or EC PRIVATE KEY block.
func ParseCertificatePEM(data []byte) (*x509.Certificate, crypto.Signer, error) {
	var cert *x509.Certificate
	var key crypto.Signer
	for len(data) > 0 {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			if cert == nil {
				c, err := x509.ParseCertificate(b.Bytes)
				if err != nil {
					return nil, nil, fmt.Errorf("graph: certificate: %w", err)
				}
				cert = c
			}
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			if key != nil {
				continue
			}
			k, err := parseKey(b)
			if err != nil {
				return nil, nil, err
			}
			key = k
		}
	}
	if cert == nil {
		return nil, nil, errors.New("graph: certificate: no CERTIFICATE block in the PEM data")
	}
	if key == nil {
		return nil, nil, errors.New("graph: certificate: no private key block in the PEM data")
	}
	return cert, key, nil
}

func parseKey(b *pem.Block) (crypto.Signer, error) {
	var k any
	var err error
	switch b.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("graph: private key: %w", err)
	}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("graph: private key: unsupported type %T", k)
}
