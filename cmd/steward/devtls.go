package main

import (
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/stewardhq/steward/edge"
)

// devCRLPath is where `steward dev` serves its local CA's certificate
// revocation list, the CRL distribution point of the loopback certificate.
const devCRLPath = "/dev-ca.crl"

// useDevTLS makes (once) or reuses the local dev CA and its loopback
// certificate in the data directory, points the TLS settings at them and
// says where the CA is, so a browser can be told to trust it. The
// certificate names the CRL on the listener at addr, so a new port means a
// new certificate (from the same CA).
func (a *app) useDevTLS(addr net.Addr) error {
	crlURL, err := devCRLURL(addr)
	if err != nil {
		return err
	}
	d, err := edge.EnsureDevCA(devTLSDir(a.cfg), crlURL, time.Now())
	if err != nil {
		return err
	}
	a.cfg.TLSCertFile, a.cfg.TLSKeyFile = d.CertFile, d.KeyFile
	a.log.Info("dev TLS: trust this CA in your browser (dev only: it is on this machine alone)",
		"ca_file", d.CAFile, "crl_url", d.CRLURL, "created", d.Created)
	return nil
}

// devCRLURL is the CRL's address on the HTTPS listener at addr: its own IP
// (dev_tls listens on loopback, which the certificate and the Host
// allowlist of dev both cover) and port.
func devCRLURL(addr net.Addr) (string, error) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() || tcp.Port == 0 {
		return "", fmt.Errorf("dev TLS: the listener %v has no loopback address and port to publish the CRL at", addr)
	}
	return "https://" + net.JoinHostPort(tcp.IP.String(), fmt.Sprint(tcp.Port)) + devCRLPath, nil
}

// devCRLRoute serves the dev CA's CRL at devCRLPath when dev_tls is on, and
// everything else with h.
func (a *app) devCRLRoute(h http.Handler) http.Handler {
	if !a.cfg.DevTLS {
		return h
	}
	mux := http.NewServeMux()
	mux.Handle(devCRLPath, edge.DevCRLHandler(devTLSDir(a.cfg), time.Now, a.log.With("component", "tls")))
	mux.Handle("/", h)
	return mux
}

// devTLSDir is where `steward dev` keeps its local CA and certificate.
func devTLSDir(c Config) string { return filepath.Join(c.DataDir, "tls") }
