package edge

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// DevCert locates the files of a developer's local certificate authority
// and the loopback certificate it signed.
type DevCert struct {
	CAFile   string // the CA certificate to trust in a browser or OS store
	CertFile string // the loopback server certificate (chain: leaf only)
	KeyFile  string // its private key, mode 0600
	Created  bool   // true when this call made new files
}

// Lifetimes of the dev certificates: the CA lasts long enough not to be
// re-trusted often; the leaf stays under the 398 days browsers accept.
const (
	devCALifetime   = 10 * 365 * 24 * time.Hour
	devLeafLifetime = 397 * 24 * time.Hour
	devLeafRenewal  = 30 * 24 * time.Hour
)

// EnsureDevCA makes, in dir, a local CA (ECDSA P-256, key mode 0600) and a
// certificate for localhost, 127.0.0.1 and ::1 signed by it, or reuses the
// ones a previous run made. A leaf that expires within 30 days, or that the
// CA did not sign, is replaced; the CA is kept so a browser that trusts it
// keeps trusting. It is for `steward dev` only: the CA can sign anything.
func EnsureDevCA(dir string, now time.Time) (DevCert, error) {
	d := DevCert{
		CAFile: filepath.Join(dir, "dev-ca.pem"), CertFile: filepath.Join(dir, "localhost.pem"),
		KeyFile: filepath.Join(dir, "localhost-key.pem"),
	}
	caKeyFile := filepath.Join(dir, "dev-ca-key.pem")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return d, fmt.Errorf("dev TLS: create %s: %w", dir, err)
	}
	ca, caKey, err := loadPair(d.CAFile, caKeyFile)
	if errors.Is(err, fs.ErrNotExist) {
		ca, caKey, err = newDevCA(d.CAFile, caKeyFile, now)
		d.Created = true
	}
	if err != nil {
		return d, fmt.Errorf("dev TLS: the local CA in %s: %w (delete dev-ca*.pem to make a new one)", dir, err)
	}
	leaf, _, err := loadPair(d.CertFile, d.KeyFile)
	if err == nil && leaf.CheckSignatureFrom(ca) == nil && now.Add(devLeafRenewal).Before(leaf.NotAfter) {
		return d, nil
	}
	if err := newDevLeaf(d.CertFile, d.KeyFile, ca, caKey, now); err != nil {
		return d, fmt.Errorf("dev TLS: the loopback certificate in %s: %w", dir, err)
	}
	d.Created = true
	return d, nil
}

func newDevCA(certFile, keyFile string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Steward dev CA (this machine only)", Organization: []string{"Steward dev"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(devCALifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	if err := writePair(certFile, keyFile, der, key); err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(der)
	return ca, key, err
}

func newDevLeaf(certFile, keyFile string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(devLeafLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	return writePair(certFile, keyFile, der, key)
}

// writePair writes the key first, 0600, so no reader ever sees a new
// certificate beside an old key.
func writePair(certFile, keyFile string, der []byte, key *ecdsa.PrivateKey) error {
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	return writeFileAtomic(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// loadPair reads a certificate and its ECDSA key; a missing file is
// reported as fs.ErrNotExist.
func loadPair(certFile, keyFile string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, nil, err
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, errors.New("the key is not an ECDSA key")
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	return cert, key, err
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return n
}
