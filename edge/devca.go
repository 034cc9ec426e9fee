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
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
)

// DevCert locates the files of a developer's local certificate authority,
// its certificate revocation list and the loopback certificate it signed.
type DevCert struct {
	CAFile   string // the CA certificate to trust in a browser or OS store
	CertFile string // the loopback server certificate (chain: leaf only)
	KeyFile  string // its private key, mode 0600
	CRLFile  string // the CA's revocation list (DER), to serve at CRLURL
	CRLURL   string // where the leaf says the CRL is (its CRL distribution point)
	Created  bool   // true when this call made a new CA or leaf
}

// Lifetimes of the dev certificates: the CA lasts long enough not to be
// re-trusted often; the leaf stays under the 398 days browsers accept. The
// CRL is remade when it has less than two of its seven days left, so a
// client that caches it until its next update never holds an expired one.
const (
	devCALifetime   = 10 * 365 * 24 * time.Hour
	devLeafLifetime = 397 * 24 * time.Hour
	devLeafRenewal  = 30 * 24 * time.Hour
	devCRLLifetime  = 7 * 24 * time.Hour
	devCRLRenewal   = 2 * 24 * time.Hour
)

// DevCRLContentType is the media type of a DER CRL (RFC 2585).
const DevCRLContentType = "application/pkix-crl"

func devFiles(dir string) (DevCert, string) {
	return DevCert{
		CAFile: filepath.Join(dir, "dev-ca.pem"), CertFile: filepath.Join(dir, "localhost.pem"),
		KeyFile: filepath.Join(dir, "localhost-key.pem"), CRLFile: filepath.Join(dir, "dev-ca.crl"),
	}, filepath.Join(dir, "dev-ca-key.pem")
}

// EnsureDevCA makes, in dir, a local CA (ECDSA P-256, key mode 0600), its
// CRL, and a certificate for localhost, 127.0.0.1 and ::1 signed by it whose
// CRL distribution point is crlURL, or reuses the ones a previous run made.
// A leaf that expires within 30 days, that the CA did not sign, or that
// names another CRL URL (none, from an older Steward, or another port) is
// replaced, and the replaced one is revoked in the CRL (superseded); the CA
// is kept so a browser that trusts it keeps trusting. It is for `steward
// dev` only: the CA can sign anything.
func EnsureDevCA(dir, crlURL string, now time.Time) (DevCert, error) {
	d, caKeyFile := devFiles(dir)
	d.CRLURL = crlURL
	if u, err := url.Parse(crlURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return d, fmt.Errorf("dev TLS: CRL URL %q: expected an absolute http or https URL such as http://127.0.0.1:8080/dev-ca.crl", crlURL)
	}
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
	signed := err == nil && leaf.CheckSignatureFrom(ca) == nil
	if signed && now.Add(devLeafRenewal).Before(leaf.NotAfter) && slices.Equal(leaf.CRLDistributionPoints, []string{crlURL}) {
		if _, _, err := ensureDevCRL(d.CRLFile, ca, caKey, now, nil); err != nil {
			return d, fmt.Errorf("dev TLS: the CRL in %s: %w", dir, err)
		}
		return d, nil
	}
	var superseded *x509.Certificate
	if signed && now.Before(leaf.NotAfter) {
		superseded = leaf
	}
	if err := newDevLeaf(d.CertFile, d.KeyFile, crlURL, ca, caKey, now); err != nil {
		return d, fmt.Errorf("dev TLS: the loopback certificate in %s: %w", dir, err)
	}
	d.Created = true
	if _, _, err := ensureDevCRL(d.CRLFile, ca, caKey, now, superseded); err != nil {
		return d, fmt.Errorf("dev TLS: the CRL in %s: %w", dir, err)
	}
	return d, nil
}

// DevCRL returns the CRL of the dev CA in dir (DER), remade when it is
// missing, damaged, not signed by the CA or stale, and the time after
// which to ask again.
func DevCRL(dir string, now time.Time) ([]byte, time.Time, error) {
	d, caKeyFile := devFiles(dir)
	ca, caKey, err := loadPair(d.CAFile, caKeyFile)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("dev TLS: the local CA in %s: %w", dir, err)
	}
	der, refresh, err := ensureDevCRL(d.CRLFile, ca, caKey, now, nil)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("dev TLS: the CRL in %s: %w", dir, err)
	}
	return der, refresh, nil
}

// ensureDevCRL keeps file a current CRL of ca: the one there when it is
// signed by ca and not stale and revoke is nil; otherwise a new one, its
// number one above the old one's, carrying the old entries whose
// certificates may still be valid, plus revoke. It returns the CRL and when
// it turns stale.
func ensureDevCRL(file string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time, revoke *x509.Certificate) ([]byte, time.Time, error) {
	number := big.NewInt(1)
	var entries []x509.RevocationListEntry
	if der, err := os.ReadFile(file); err == nil {
		if old, err := x509.ParseRevocationList(der); err == nil && old.CheckSignatureFrom(ca) == nil {
			refresh := old.NextUpdate.Add(-devCRLRenewal)
			if revoke == nil && now.Before(refresh) && !now.Before(old.ThisUpdate) {
				return der, refresh, nil
			}
			number.Add(old.Number, big.NewInt(1))
			for _, e := range old.RevokedCertificateEntries {
				// A revoked leaf lived at most devLeafLifetime: past
				// that it has expired and needs no entry.
				if now.Before(e.RevocationTime.Add(devLeafLifetime)) {
					entries = append(entries, x509.RevocationListEntry{SerialNumber: e.SerialNumber, RevocationTime: e.RevocationTime, ReasonCode: e.ReasonCode})
				}
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, time.Time{}, err
	}
	if revoke != nil {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: revoke.SerialNumber, RevocationTime: now.UTC(), ReasonCode: crlReasonSuperseded})
	}
	tmpl := &x509.RevocationList{
		Number: number, ThisUpdate: now.UTC(), NextUpdate: now.Add(devCRLLifetime).UTC(),
		RevokedCertificateEntries: entries,
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca, caKey)
	if err != nil {
		return nil, time.Time{}, err
	}
	if err := writeFileAtomic(file, der, 0o644); err != nil {
		return nil, time.Time{}, err
	}
	return der, tmpl.NextUpdate.Add(-devCRLRenewal), nil
}

// crlReasonSuperseded is the CRLReason of a leaf replaced by a new one
// (RFC 5280, 5.3.1).
const crlReasonSuperseded = 4

// DevCRLHandler serves the CRL of the dev CA in dir, DER-encoded, to GET
// and HEAD: the leaf's CRL distribution point. It keeps the CRL in memory
// and asks DevCRL again once it turns stale; a failure is logged to log.
func DevCRLHandler(dir string, now func() time.Time, log *slog.Logger) http.Handler {
	var (
		mu      sync.Mutex
		der     []byte
		refresh time.Time
	)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed: GET the CRL", http.StatusMethodNotAllowed)
			return
		}
		mu.Lock()
		t := now()
		if der == nil || !t.Before(refresh) {
			b, next, err := DevCRL(dir, t)
			if err != nil {
				mu.Unlock()
				log.Error("dev TLS: serve the CRL", "err", err)
				http.Error(w, "the dev CA's CRL is unavailable: see the server log", http.StatusInternalServerError)
				return
			}
			der, refresh = b, next
		}
		body, until := der, refresh
		mu.Unlock()
		w.Header().Set("Content-Type", DevCRLContentType)
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(until.Sub(t).Seconds())))
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodGet {
			_, _ = w.Write(body)
		}
	})
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

func newDevLeaf(certFile, keyFile, crlURL string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time) error {
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

		CRLDistributionPoints: []string{crlURL},
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
