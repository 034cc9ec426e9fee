package edge

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/stewardhq/steward/governance"
)

// CertSource hands the TLS listener its certificate for each handshake.
// *CertFiles implements it.
type CertSource interface {
	GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error)
}

var _ CertSource = (*CertFiles)(nil)

// ServerTLSConfig is the HTTPS listener's configuration, built only from the
// policy in tlspolicy.go (the one the trust center publishes): TLS 1.2 at
// least, ECDHE AEAD suites for 1.2, X25519 then P-256, and HTTP/2 offered
// through ALPN before HTTP/1.1.
func ServerTLSConfig(certs CertSource) *tls.Config {
	return &tls.Config{
		MinVersion:       TLSMinVersion,
		CipherSuites:     TLS12CipherSuites(),
		CurvePreferences: TLSCurves(),
		NextProtos:       []string{"h2", "http/1.1"},
		GetCertificate:   certs.GetCertificate,
	}
}

// DefaultCertCheckInterval is how often CertFiles looks at its files.
const DefaultCertCheckInterval = 10 * time.Second

// CertFilesOptions tunes CertFiles; the zero value is ready for production.
type CertFilesOptions struct {
	// CheckInterval is the least time between two looks at the files
	// (made during a handshake); 0 means DefaultCertCheckInterval.
	CheckInterval time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger records reloads and refused files; nil discards.
	Logger *slog.Logger
}

// CertFiles serves a certificate and key read from PEM files and reloads
// them when either file changes (size or modification time), so a renewed
// certificate (cert-manager, certbot, a mounted Kubernetes secret) is served
// without a restart. A pair that fails to load is logged and the last good
// one kept.
type CertFiles struct {
	certFile, keyFile string
	interval          time.Duration
	now               func() time.Time
	log               *slog.Logger

	mu        sync.Mutex
	cert      *tls.Certificate
	stamp     fileStamp // of the files last tried, loaded or not
	checkedAt time.Time
}

// fileStamp is what tells a changed file apart without reading it.
type fileStamp struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
}

// NewCertFiles loads the pair once; it fails if that first load does.
func NewCertFiles(certFile, keyFile string, opts CertFilesOptions) (*CertFiles, error) {
	c := &CertFiles{certFile: certFile, keyFile: keyFile, interval: opts.CheckInterval, now: opts.Now, log: opts.Logger}
	if c.interval <= 0 {
		c.interval = DefaultCertCheckInterval
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	st, err := c.stat()
	if err != nil {
		return nil, governance.Wrap(governance.KindInvalid, "tls_files_unreadable",
			"cannot read tls_cert_file or tls_key_file: check the paths and that Steward may read them", err)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, governance.Wrap(governance.KindInvalid, "tls_key_pair_invalid",
			"tls_cert_file and tls_key_file do not hold a matching PEM certificate chain and private key", err)
	}
	c.cert, c.stamp, c.checkedAt = &cert, st, c.now()
	return c, nil
}

// GetCertificate returns the current pair, first reloading it when the
// files changed since the last look (at most once per check interval).
func (c *CertFiles) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); now.Sub(c.checkedAt) >= c.interval {
		c.checkedAt = now
		c.reload()
	}
	return c.cert, nil
}

// reload reads the files again if their stamp moved. It runs under mu.
func (c *CertFiles) reload() {
	st, err := c.stat()
	if err != nil {
		c.log.Error("TLS certificate files unreadable; serving the last good certificate", "cert_file", c.certFile, "key_file", c.keyFile, "err", err)
		return
	}
	if st == c.stamp {
		return
	}
	// Remember what was tried even if it fails: a half-written pair is
	// retried once the other file changes, not parsed on every handshake.
	c.stamp = st
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		c.log.Error("TLS certificate files changed but do not load; serving the last good certificate", "cert_file", c.certFile, "key_file", c.keyFile, "err", err)
		return
	}
	c.cert = &cert
	expires := time.Time{}
	if cert.Leaf != nil {
		expires = cert.Leaf.NotAfter
	}
	c.log.Info("TLS certificate reloaded", "cert_file", c.certFile, "not_after", expires)
}

func (c *CertFiles) stat() (fileStamp, error) {
	cs, err1 := os.Stat(c.certFile)
	ks, err2 := os.Stat(c.keyFile)
	if err := errors.Join(err1, err2); err != nil {
		return fileStamp{}, err
	}
	return fileStamp{certMod: cs.ModTime(), keyMod: ks.ModTime(), certSize: cs.Size(), keySize: ks.Size()}, nil
}
