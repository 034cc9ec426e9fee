package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/vault"
	"github.com/stewardhq/steward/work"
)

const tenantsHelp = `steward tenants: say what to do:
  add --id ID --name NAME --entra-tenant-id GUID
                    register a customer organisation (one Microsoft Entra tenant)
  list              list the tenants and whether each has a Graph credential
  credential --id ID --client-id GUID (--client-secret-file FILE | --certificate-file FILE)
                    store the tenant's app credential for Microsoft Graph, sealed
                    in the vault; a certificate file is PEM with the certificate
                    and its RSA private key`

func runTenants(ctx context.Context, env *cmdEnv, args []string) error {
	id := env.fs.String("id", "", "Steward's id for the tenant: 2-63 lowercase letters, digits or hyphens (e.g. contoso).")
	name := env.fs.String("name", "", "add: the organisation's name.")
	entra := env.fs.String("entra-tenant-id", "", "add: the Microsoft Entra directory (tenant) id, a GUID.")
	clientID := env.fs.String("client-id", "", "credential: the app registration's application (client) id.")
	secretFile := env.fs.String("client-secret-file", "", "credential: a file holding the client secret (never pass secrets on the command line).")
	certFile := env.fs.String("certificate-file", "", "credential: a PEM file with the certificate and its private key.")
	verb, done, err := env.parseVerb(args)
	if done {
		return err
	}
	usage := func(format string, args ...any) error {
		fmt.Fprintf(env.stderr, "steward tenants %s: "+format+"\n", append([]any{verb}, args...)...)
		return errUsage
	}
	switch verb {
	case "add":
		if *id == "" || *name == "" || *entra == "" {
			return usage("say which tenant: --id ID --name NAME --entra-tenant-id GUID")
		}
	case "list":
	case "credential":
		if *id == "" || *clientID == "" || (*secretFile == "") == (*certFile == "") {
			return usage("say which tenant and which credential: --id ID --client-id GUID and one of --client-secret-file FILE or --certificate-file FILE")
		}
	default:
		fmt.Fprintln(env.stderr, tenantsHelp)
		return errUsage
	}
	cfg, err := loadConfig(env.fs, env.getenv, forDatabase)
	if err != nil {
		return err
	}
	db, err := openMigrated(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	switch verb {
	case "add":
		t, err := db.CreateTenant(ctx, governance.Tenant{ID: *id, Name: *name, EntraTenantID: strings.ToLower(*entra)})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "tenant %s (%s) added for Entra tenant %s; next: steward tenants credential --id %s ...\n", t.ID, t.Name, t.EntraTenantID, t.ID)
		return nil
	case "list":
		return tenantsList(ctx, env, cfg, db)
	}
	kr, err := vault.OpenKeyring(cfg.KeyringFile, false)
	if err != nil {
		return fmt.Errorf("%w (create it with `steward keys init`)", err)
	}
	sc := work.StoredCredential{ClientID: *clientID}
	if *secretFile != "" {
		v, err := readPrivateFile(*secretFile)
		if err != nil {
			return err
		}
		sc.ClientSecret = strings.TrimSpace(v)
	} else {
		v, err := readPrivateFile(*certFile)
		if err != nil {
			return err
		}
		sc.CertificatePEM = v
	}
	creds := work.GraphCredentials{DB: db, Vault: vault.New(db, db, kr, vault.Options{})}
	if err := creds.Save(ctx, *id, sc); err != nil {
		return err
	}
	kind := "client secret"
	if sc.CertificatePEM != "" {
		kind = "certificate"
	}
	fmt.Fprintf(env.stdout, "the Graph credential of tenant %s (app %s, %s) is sealed in the vault\n", *id, sc.ClientID, kind)
	return nil
}

// readPrivateFile reads a secret from a file that only its owner may read.
func readPrivateFile(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%s is readable by other users (mode %v): chmod 600 it first", path, st.Mode().Perm())
	}
	return readSecretFile(path)
}

func tenantsList(ctx context.Context, env *cmdEnv, cfg Config, db *store.DB) error {
	ids, err := db.TenantIDs(ctx)
	if err != nil {
		return err
	}
	var v *vault.Vault
	if kr, err := vault.OpenKeyring(cfg.KeyringFile, false); err == nil {
		v = vault.New(db, db, kr, vault.Options{})
	}
	tw := tabwriter.NewWriter(env.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tENTRA TENANT\tGRAPH CREDENTIAL")
	for _, id := range ids {
		t, err := db.Tenant(ctx, id)
		if err != nil {
			return err
		}
		cred := "unknown (no keyring)"
		if v != nil {
			cred = "missing"
			if names, err := v.SecretNames(ctx, id); err == nil {
				for _, n := range names {
					if n == work.GraphCredentialName {
						cred = "stored"
					}
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.Name, t.EntraTenantID, cred)
	}
	return tw.Flush()
}
