package main

import (
	"path/filepath"
	"time"

	"github.com/stewardhq/steward/edge"
)

// useDevTLS makes (once) or reuses the local dev CA and its loopback
// certificate in the data directory, points the TLS settings at them and
// says where the CA is, so a browser can be told to trust it.
func (a *app) useDevTLS() error {
	d, err := edge.EnsureDevCA(devTLSDir(a.cfg), time.Now())
	if err != nil {
		return err
	}
	a.cfg.TLSCertFile, a.cfg.TLSKeyFile = d.CertFile, d.KeyFile
	a.log.Info("dev TLS: trust this CA in your browser (dev only: it is on this machine alone)", "ca_file", d.CAFile, "created", d.Created)
	return nil
}

// devTLSDir is where `steward dev` keeps its local CA and certificate.
func devTLSDir(c Config) string { return filepath.Join(c.DataDir, "tls") }
