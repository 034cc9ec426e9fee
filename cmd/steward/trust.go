package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/m365sim"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/trust"
)

// forTrust: the trust center reads the configuration only; it opens
// nothing, so no setting is required.
var forTrust = purpose{}

// runTrust prints the trust center of the configuration it is given.
func runTrust(_ context.Context, env *cmdEnv, args []string) error {
	format := env.fs.String("format", "text", "Output: text, json, or pac (a proxy auto-config file that lets only the declared destinations through).")
	blocked := env.fs.String("pac-blocked", trust.DefaultPACBlocked, `With --format pac, what undeclared hosts get: a PAC answer such as "PROXY 127.0.0.1:9" (a black hole) or your inspecting proxy.`)
	if done, err := env.parse(args); done {
		return err
	}
	if err := extraArgs(env.fs.Args()); err != nil {
		return err
	}
	switch *format {
	case "text", "json", "pac":
	default:
		return fmt.Errorf("--format %q: expected text, json or pac", *format)
	}
	cfg, err := loadConfig(env.fs, env.getenv, forTrust)
	if err != nil {
		return err
	}
	if cfg.Simulator {
		if err := useSimEndpoints(&cfg); err != nil {
			return err
		}
	}
	center, err := trustCenter(cfg, time.Now(), *blocked)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		b, err := center.JSON()
		if err != nil {
			return err
		}
		_, err = env.stdout.Write(b)
		return err
	case "pac":
		_, err = fmt.Fprint(env.stdout, center.PAC())
		return err
	}
	_, err = fmt.Fprint(env.stdout, center.Text())
	return err
}

// useSimEndpoints fills the endpoints the in-process simulator would
// provide, as `steward dev` does at start. The simulator's address must be
// fixed for them to be known beforehand.
func useSimEndpoints(cfg *Config) error {
	_, port, err := net.SplitHostPort(cfg.SimulatorListen)
	if err != nil || port == "0" {
		return fmt.Errorf("simulator_listen %q picks a free port at start, so the simulator's endpoints are not known beforehand: set a fixed port such as 127.0.0.1:8081, or set login_url, graph_url and bot_openid_metadata_url", cfg.SimulatorListen)
	}
	sim, err := m365sim.New(m365sim.Options{BaseURL: "http://" + cfg.SimulatorListen})
	if err != nil {
		return err
	}
	for _, e := range []struct {
		field *string
		url   string
	}{{&cfg.LoginURL, sim.LoginURL()}, {&cfg.GraphURL, sim.GraphURL()}, {&cfg.BotOpenIDMetadataURL, sim.BotOpenIDMetadataURL()}} {
		if *e.field == "" {
			*e.field = e.url
		}
	}
	useSimBot(cfg, sim)
	return nil
}

// trustCenter builds the trust center of cfg: the destinations the egress
// allowlist enforces, the Graph permissions, the store's data inventory,
// the TLS policy and the security measures.
func trustCenter(cfg Config, now time.Time, pacBlocked string) (*trust.Center, error) {
	dests, err := egressDestinations(cfg)
	if err != nil {
		return nil, err
	}
	return trust.New(trust.Inputs{
		Destinations: dests, GraphPermissions: trust.GraphPermissions(), Data: trust.DataInventory(storedTables()),
		TLS: edge.DescribeTLS(), Certificates: certificateSource(cfg), Measures: trust.Measures(), GeneratedAt: now, Version: buildVersion(), PACBlocked: pacBlocked,
	})
}

// certificateSource says, for the trust center's TLS section, where the
// HTTPS listener's certificate comes from.
func certificateSource(cfg Config) string {
	switch {
	case len(cfg.ACMEHosts) > 0:
		how := "tls-alpn-01 on the HTTPS listener"
		if cfg.HTTPRedirectListen != "" {
			how += ", or http-01 on the plain-HTTP listener"
		}
		return fmt.Sprintf("obtained and renewed automatically with ACME from %s for %s (%s); the ACME account key and the certificates are kept sealed in the database",
			cfg.ACMEDirectoryURL, strings.Join(cfg.ACMEHosts, ", "), how)
	case cfg.DevTLS:
		// Before the files: dev_tls points tls_cert_file at the dev
		// CA's certificate.
		return "a local development CA (dev_tls), trusted by nobody else"
	case cfg.TLSCertFile != "":
		return "the operator's certificate files (tls_cert_file and tls_key_file), reloaded when they change"
	}
	return "none: plain HTTP, allowed only on loopback in dev"
}

// storedTables converts the store's declarations for the trust package,
// which does not import the store.
func storedTables() []trust.StoredTable {
	decls := store.DataDeclarations()
	out := make([]trust.StoredTable, len(decls))
	for i, d := range decls {
		out[i] = trust.StoredTable{Table: d.Table, Category: d.Category, Holds: d.Holds, Protection: d.Protection, Retention: d.Retention}
	}
	return out
}
