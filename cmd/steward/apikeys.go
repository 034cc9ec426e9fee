package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/identity"
)

const apikeysHelp = `steward apikeys: say what to do:
  create --tenant ID --name NAME --scopes SCOPE[,SCOPE...] [--expires 90d]
                    make an API key for an integration (Power Automate, Zapier...);
                    the key is printed once, on stdout, and cannot be shown again
  list --tenant ID  list a tenant's API keys: prefixes, never secrets
  revoke --tenant ID --id KEYID
                    revoke a key; integrations using it are refused from then on
scopes: ` + "requests:read, requests:write, templates:read, templates:write, audit:read, webhooks:manage"

// apikeysPrincipal is who keys managed from the CLI are managed by: the
// system, acting in one tenant (an operator with the database and the
// pepper can do anything anyway). The audit trail names it as the actor.
func apikeysPrincipal(tenant string) governance.Principal {
	return governance.Principal{Kind: governance.PrincipalSystem, TenantID: tenant, ID: "steward-cli", Name: "steward apikeys"}
}

func runAPIKeys(ctx context.Context, env *cmdEnv, args []string) error {
	tenant := env.fs.String("tenant", "", "Tenant id.")
	name := env.fs.String("name", "", "create: what uses the key, e.g. \"Zapier: new requests\".")
	scopes := env.fs.String("scopes", "", "create: comma-separated scopes: "+strings.Join(governance.Scopes, ", ")+".")
	expires := env.fs.String("expires", "", "create: lifetime, in days (90d) or as a Go duration (36h); empty: never expires.")
	keyID := env.fs.String("id", "", "revoke: the key id (the 8 characters after the tenant in the key, as list shows).")
	verb, done, err := env.parseVerb(args)
	if done {
		return err
	}
	usage := func(format string, args ...any) error {
		fmt.Fprintf(env.stderr, "steward apikeys %s: "+format+"\n", append([]any{verb}, args...)...)
		return errUsage
	}
	var (
		key      governance.APIKey
		lifetime time.Duration
	)
	switch verb {
	case "create":
		if set := setFlags(env, "id"); len(set) > 0 {
			return usage("%s: revoke only", strings.Join(set, ", "))
		}
		if *tenant == "" || *name == "" || *scopes == "" {
			return usage("say which tenant, what the key is for and what it may do: --tenant ID --name NAME --scopes %s", strings.Join(governance.Scopes, ","))
		}
		key = governance.APIKey{Name: *name, Scopes: splitScopes(*scopes)}
		if err := governance.ValidateScopes(key.Scopes); err != nil {
			_, msg := governance.Public(err)
			return usage("%s", msg)
		}
		if lifetime, err = parseLifetime(*expires); err != nil {
			return usage("%v", err)
		}
	case "list", "revoke":
		if set := setFlags(env, "name", "scopes", "expires"); len(set) > 0 {
			return usage("%s: create only", strings.Join(set, ", "))
		}
		if verb == "list" {
			if set := setFlags(env, "id"); len(set) > 0 {
				return usage("%s: revoke only", strings.Join(set, ", "))
			}
		}
		if *tenant == "" {
			return usage("say which tenant: --tenant ID")
		}
		if verb == "revoke" && !governance.ValidAPIKeyID(*keyID) {
			return usage("say which key: --id KEYID (8 letters or digits, as `steward apikeys list` shows)")
		}
	default: // includes no verb at all
		fmt.Fprintln(env.stderr, apikeysHelp)
		return errUsage
	}
	cfg, err := loadConfig(env.fs, env.getenv, forDatabase)
	if err != nil {
		return err
	}
	var pepper []byte
	if verb == "create" {
		// Before anything is written: a pepper that others can read refuses here.
		if pepper, err = loadAPIKeyPepper(apiKeyPepperPath(cfg), true); err != nil {
			return err
		}
		defer clear(pepper)
	}
	db, err := openMigrated(ctx, env, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Tenant(ctx, *tenant); err != nil {
		return err
	}
	keys := identity.NewKeyManager(db, pepper, identity.KeyManagerOptions{})
	p := apikeysPrincipal(*tenant)
	switch verb {
	case "create":
		return apikeysCreate(ctx, env, keys, p, key, lifetime)
	case "list":
		return apikeysList(ctx, env, keys, p)
	default: // revoke
		return apikeysRevoke(ctx, env, keys, p, *keyID)
	}
}

func splitScopes(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseLifetime reads --expires: "" for a key that never expires, whole
// days as "90d", or a Go duration such as "36h".
func parseLifetime(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 3650 {
			return 0, fmt.Errorf("--expires %q: use a number of days from 1 to 3650, e.g. 90d", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d <= 0 {
			return 0, fmt.Errorf("--expires %q: use days (90d) or a positive duration (36h); leave it out for a key that never expires", s)
		}
	}
	return d, nil
}

func apikeysCreate(ctx context.Context, env *cmdEnv, keys *identity.KeyManager, p governance.Principal, k governance.APIKey, lifetime time.Duration) error {
	if lifetime > 0 {
		k.ExpiresAt = time.Now().Add(lifetime)
	}
	created, plaintext, err := keys.Create(ctx, p, k)
	if err != nil {
		return err
	}
	expiry := "never expires"
	if !created.ExpiresAt.IsZero() {
		expiry = "expires " + created.ExpiresAt.Format(time.RFC3339)
	}
	// The key alone on stdout, so `KEY=$(steward apikeys create ...)` works;
	// what it is and the warning on stderr.
	fmt.Fprintf(env.stderr, "created API key %s for tenant %s (%q; scopes %s; %s)\n",
		created.ID, created.TenantID, created.Name, strings.Join(created.Scopes, ","), expiry)
	fmt.Fprintln(env.stdout, plaintext)
	fmt.Fprintln(env.stderr, "This is the only time the key is shown: Steward stores only a keyed hash of it.\n"+
		"Put it in the integration's secret settings now; if it is lost, revoke it and create another.")
	return nil
}

func apikeysList(ctx context.Context, env *cmdEnv, km *identity.KeyManager, p governance.Principal) error {
	keys, err := km.List(ctx, p)
	if err != nil {
		return err
	}
	now := time.Now()
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPREFIX\tNAME\tSCOPES\tSTATE\tCREATED\tLAST USED\tEXPIRES")
	for _, k := range keys {
		state := "active"
		if err := k.Usable(now); err != nil {
			state, _ = governance.Public(err)
			state = strings.TrimPrefix(state, "api_key_")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, listCell(k.Name), strings.Join(k.Scopes, ","), state,
			listTime(k.CreatedAt, "-"), listTime(k.LastUsedAt, "never"), listTime(k.ExpiresAt, "never"))
	}
	fmt.Fprintf(tw, "\n%d API keys\n", len(keys))
	return tw.Flush()
}

// listCell keeps a user-chosen name from breaking the table's columns.
func listCell(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

func listTime(t time.Time, zero string) string {
	if t.IsZero() {
		return zero
	}
	return t.UTC().Format(time.RFC3339)
}

func apikeysRevoke(ctx context.Context, env *cmdEnv, keys *identity.KeyManager, p governance.Principal, id string) error {
	k, revoked, err := keys.Revoke(ctx, p, id)
	if err != nil {
		return err
	}
	if !revoked {
		fmt.Fprintf(env.stdout, "API key %s of tenant %s was already revoked on %s; nothing to do\n", id, p.TenantID, k.RevokedAt.Format(time.RFC3339))
		return nil
	}
	fmt.Fprintf(env.stdout, "revoked API key %s (%s) of tenant %s: integrations using it are refused from now on\n", id, k.Prefix, p.TenantID)
	return nil
}
