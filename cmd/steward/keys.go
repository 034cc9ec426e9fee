package main

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/telemetry"
	"github.com/stewardhq/steward/vault"
)

const keysHelp = `steward keys: say what to do:
  init              create the keyring (key-encryption keys) if it does not exist
  status            list key-encryption keys and how many data keys each wraps
  rotate            add a new key-encryption key and re-wrap every tenant's data keys under it
                    (secrets are not re-encrypted; running servers keep working); the ACME
                    cache's entries are sealed again under it
  rotate-data-key --tenant ID
                    give one tenant a new data key for new secrets (old ones stay readable)`

func runKeys(ctx context.Context, env *cmdEnv, args []string) error {
	tenant := env.fs.String("tenant", "", "Tenant id, for rotate-data-key.")
	verb, done, err := env.parseVerb(args)
	if done {
		return err
	}
	need := forDatabase
	if verb == "init" {
		need = forKeyring
	}
	cfg, err := loadConfig(env.fs, env.getenv, need)
	if err != nil {
		return err
	}
	switch verb {
	case "init":
		if _, err := os.Stat(cfg.KeyringFile); err == nil {
			fmt.Fprintf(env.stdout, "keyring %s already exists; nothing to do\n", cfg.KeyringFile)
			return nil
		}
		kr, err := vault.OpenKeyring(cfg.KeyringFile, true)
		if err != nil {
			return err
		}
		id, err := kr.ActiveKEKID(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "created keyring %s with key-encryption key %s (mode 0600: back it up; without it stored secrets cannot be read)\n", cfg.KeyringFile, id)
		return nil
	case "status", "rotate", "rotate-data-key":
	default: // includes no verb at all
		fmt.Fprintln(env.stderr, keysHelp)
		return errUsage
	}
	if verb == "rotate-data-key" && *tenant == "" {
		fmt.Fprintln(env.stderr, "steward keys rotate-data-key: say which tenant: --tenant ID")
		return errUsage
	}
	log, err := telemetry.NewLogger(env.stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	kr, err := vault.OpenKeyring(cfg.KeyringFile, false)
	if err != nil {
		return fmt.Errorf("%w (create it with `steward keys init`)", err)
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Logger: log})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkMigrated(ctx, db); err != nil {
		return err
	}
	v := vault.New(db, db, kr, vault.Options{})
	switch verb {
	case "status":
		tenants, err := db.TenantIDs(ctx)
		if err != nil {
			return err
		}
		return keyStatus(ctx, env, kr, db, tenants)
	case "rotate":
		newID, err := kr.Rotate()
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "new key-encryption key %s is active\n", newID)
		rep, err := rewrapAll(ctx, db, v)
		if err != nil {
			return fmt.Errorf("re-wrap data keys (the new key is active; run `steward keys rotate` again to finish): %w", err)
		}
		fmt.Fprintf(env.stdout, "re-wrapped %d of %d data keys across %d tenants; secrets were not re-encrypted\n", rep.Rewrapped, rep.DataKeys, rep.Tenants)
		// The ACME cache (account key, certificates) is sealed per entry
		// under the KEK directly: seal it again under the new one.
		n, err := db.ACMECache(edge.NewACMESealer(kr)).Reseal(ctx)
		if err != nil {
			return fmt.Errorf("reseal the ACME cache (the new key is active; run `steward keys rotate` again to finish): %w", err)
		}
		if n > 0 {
			fmt.Fprintf(env.stdout, "resealed %d ACME cache entries under the new key\n", n)
		}
		return nil
	default: // rotate-data-key
		if _, err := db.Tenant(ctx, *tenant); err != nil {
			return err
		}
		id, err := v.RotateDataKey(ctx, *tenant)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "tenant %s: new data key %s seals new secrets; older data keys stay for reading\n", *tenant, id)
		return nil
	}
}

// rewrapAll re-wraps every tenant's data keys under the active KEK. Tenants
// are listed after the new KEK became active, and a second pass catches data
// keys that running servers wrapped with the old KEK while the first pass
// ran (they re-read the keyring when it changes, so the window is short).
func rewrapAll(ctx context.Context, db *store.DB, v *vault.Vault) (vault.RotateReport, error) {
	var total vault.RotateReport
	for pass := 0; pass < 2; pass++ {
		tenants, err := db.TenantIDs(ctx)
		if err != nil {
			return total, err
		}
		rep, err := v.RotateKEK(ctx, tenants)
		if err != nil {
			return total, err
		}
		total.Rewrapped += rep.Rewrapped
		if pass == 0 {
			total.Tenants, total.DataKeys = rep.Tenants, rep.DataKeys
		} else {
			total.Tenants = max(total.Tenants, rep.Tenants)
			total.DataKeys = max(total.DataKeys, rep.DataKeys)
		}
	}
	return total, nil
}

func keyStatus(ctx context.Context, env *cmdEnv, kr *vault.Keyring, db *store.DB, tenants []string) error {
	active, err := kr.ActiveKEKID(ctx)
	if err != nil {
		return err
	}
	wraps := map[string]int{}
	for _, t := range tenants {
		keys, err := db.DataKeys(ctx, t)
		if err != nil {
			return err
		}
		for _, k := range keys {
			wraps[k.KEKID]++
		}
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY-ENCRYPTION KEY\tSTATE\tDATA KEYS WRAPPED")
	for _, id := range kr.KEKIDs() {
		state := "retired"
		if id == active {
			state = "active"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\n", id, state, wraps[id])
		delete(wraps, id)
	}
	for id, n := range wraps {
		fmt.Fprintf(tw, "%s\tMISSING FROM KEYRING\t%d\n", id, n)
	}
	fmt.Fprintf(tw, "\n%d tenants\t\t\n", len(tenants))
	return tw.Flush()
}
