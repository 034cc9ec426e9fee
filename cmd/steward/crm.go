package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stewardhq/steward/crm"
)

const crmHelp = `steward crm: say what to do:
  import --tenant ID --kind account|opportunity|contact --file FILE.csv|FILE.json
                    load CRM records into the built-in connector the Teams
                    messaging extension searches (upserted by id; bad rows are
                    listed and skipped)
  search --tenant ID [--kind KIND] --query TEXT
                    search them as the messaging extension does`

// runCRM imports CRM records into the built-in connector and searches them.
func runCRM(ctx context.Context, env *cmdEnv, args []string) error {
	tenant := env.fs.String("tenant", "", "The Steward tenant id (e.g. contoso).")
	kind := env.fs.String("kind", "", "import: account, opportunity or contact; search: one of them, or empty for all.")
	format := env.fs.String("format", "", "import: csv or json. Empty: from the file's extension.")
	file := env.fs.String("file", "", "import: the CSV (with a header row) or JSON (an array of objects) file.")
	query := env.fs.String("query", "", "search: the words to look for (prefixes match).")
	verb, done, err := env.parseVerb(args)
	if done {
		return err
	}
	usage := func(format string, args ...any) error {
		fmt.Fprintf(env.stderr, "steward crm %s: "+format+"\n", append([]any{verb}, args...)...)
		return errUsage
	}
	switch verb {
	case "import":
		if *tenant == "" || *kind == "" || *file == "" {
			return usage("say which tenant, which kind and which file: --tenant ID --kind account|opportunity|contact --file FILE")
		}
		if *format == "" {
			*format = strings.TrimPrefix(strings.ToLower(filepath.Ext(*file)), ".")
		}
	case "search":
		if *tenant == "" || strings.TrimSpace(*query) == "" {
			return usage("say which tenant and what to look for: --tenant ID --query TEXT")
		}
	default:
		fmt.Fprintln(env.stderr, crmHelp)
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
	if _, err := db.Tenant(ctx, *tenant); err != nil {
		return err
	}
	b := crm.NewBuiltin(db, crm.IndexOptions{})
	if verb == "search" {
		recs, err := b.Search(ctx, *tenant, crm.Query{Kind: crm.Kind(*kind), Text: *query})
		if err != nil {
			return err
		}
		for _, r := range recs {
			fmt.Fprintf(env.stdout, "%s\t%s\t%s\t%s\n", r.Kind, r.ID, r.Title, r.Subtitle)
		}
		fmt.Fprintf(env.stdout, "%d found\n", len(recs))
		return nil
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := b.Import(ctx, *tenant, crm.Kind(*kind), *format, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "%s: %d created, %d updated, %d unchanged, %d rejected\n", *file, res.Created, res.Updated, res.Unchanged, res.RejectedRows)
	for _, r := range res.Rejected {
		fmt.Fprintf(env.stdout, "  %s\n", r)
	}
	if res.RejectedRows > len(res.Rejected) {
		fmt.Fprintf(env.stdout, "  … and %d more\n", res.RejectedRows-len(res.Rejected))
	}
	return nil
}
