package directory

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
)

// An app's certificates are the public halves of the key pairs it proves
// its identity with (Entra's keyCredentials of type AsymmetricX509Cert).
// App.Certificates holds each as base64 DER, the form of a keyCredential's
// "key" in an application manifest; fixtures and AddCertificate also take
// PEM, which is what people have at hand, and store it as base64 DER.

// DecodeCertificate parses a certificate given as PEM or as base64
// (standard) DER. Entra's certificate credentials are RSA keys, so any other
// key type is ErrInvalid.
func DecodeCertificate(s string) (*x509.Certificate, error) {
	s = strings.TrimSpace(s)
	var der []byte
	if strings.HasPrefix(s, "-----BEGIN") {
		b, _ := pem.Decode([]byte(s))
		if b == nil || b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%w: a PEM certificate must be one CERTIFICATE block", ErrInvalid)
		}
		der = b.Bytes
	} else {
		var err error
		if der, err = base64.StdEncoding.DecodeString(s); err != nil {
			return nil, fmt.Errorf("%w: a certificate must be PEM or base64 DER: %v", ErrInvalid, err)
		}
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrInvalid, err)
	}
	if _, ok := c.PublicKey.(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("%w: certificate key is %s; Entra certificate credentials are RSA", ErrInvalid, c.PublicKeyAlgorithm)
	}
	return c, nil
}

// ParseCertificates parses the app's registered certificates. AddApp and
// AddCertificate validated them, so an error means the App was built by
// hand.
func (a App) ParseCertificates() ([]*x509.Certificate, error) {
	out := make([]*x509.Certificate, 0, len(a.Certificates))
	for _, s := range a.Certificates {
		c, err := DecodeCertificate(s)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// normaliseCertificates returns certs as base64 DER, refusing invalid ones
// and duplicates (Entra refuses a keyCredential registered twice).
func normaliseCertificates(certs []string) ([]string, error) {
	var out []string
	for _, s := range certs {
		c, err := DecodeCertificate(s)
		if err != nil {
			return nil, err
		}
		b64 := base64.StdEncoding.EncodeToString(c.Raw)
		if slices.Contains(out, b64) {
			return nil, fmt.Errorf("%w: certificate %q is listed twice", ErrConflict, c.Subject)
		}
		out = append(out, b64)
	}
	return out, nil
}

// AddCertificate registers cert (PEM or base64 DER) as a credential of the
// app appID in tenant tid, as uploading it under "Certificates & secrets"
// does, and returns it parsed. ErrNotFound for an unknown tenant or app,
// ErrInvalid for a certificate that is not an RSA X.509 certificate,
// ErrConflict if it is already registered.
func (d *Directory) AddCertificate(tid, appID, cert string) (*x509.Certificate, error) {
	c, err := DecodeCertificate(cert)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ts, err := d.tenant(tid)
	if err != nil {
		return nil, err
	}
	a, ok := ts.apps[appID]
	if !ok {
		return nil, fmt.Errorf("%w: app %s in tenant %s", ErrNotFound, appID, tid)
	}
	certs, err := normaliseCertificates(append(slices.Clone(a.Certificates), cert))
	if err != nil {
		return nil, err
	}
	a.Certificates = certs
	return c, nil
}
