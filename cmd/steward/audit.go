package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/store"
)

const auditHelp = `steward audit: say what to do:
  verify [--tenant ID]
                    check every tenant's (or one tenant's) audit hash chain; exit status 1 on any break
  export --tenant ID --format csv|json [--actor ID] [--action X|X.*] [--since RFC3339] [--until RFC3339]
                    write one tenant's audit events to stdout, oldest first`

// auditBatch is how many events verify and export read at a time: the
// trail is never held in memory whole.
const auditBatch = governance.AuditMaxLimit

func runAudit(ctx context.Context, env *cmdEnv, args []string) error {
	tenant := env.fs.String("tenant", "", "Tenant id (verify: all tenants when empty; export: required).")
	format := env.fs.String("format", "", "Export format: csv or json.")
	actor := env.fs.String("actor", "", "Export only events by this actor id (a per-user view).")
	action := env.fs.String("action", "", "Export only this action (request.approved) or action prefix (request.*).")
	since := env.fs.String("since", "", "Export only events at or after this time (RFC 3339, e.g. 2026-11-01T00:00:00Z).")
	until := env.fs.String("until", "", "Export only events before this time (RFC 3339).")
	verb, done, err := env.parseVerb(args)
	if done {
		return err
	}
	usage := func(format string, args ...any) error {
		fmt.Fprintf(env.stderr, "steward audit %s: "+format+"\n", append([]any{verb}, args...)...)
		return errUsage
	}
	var filter governance.AuditFilter
	switch verb {
	case "verify":
		set := setFlags(env, "format", "actor", "action", "since", "until")
		if len(set) > 0 {
			return usage("%s: export only (verify takes --tenant)", strings.Join(set, ", "))
		}
	case "export":
		if *tenant == "" {
			return usage("say which tenant: --tenant ID")
		}
		if *format != "csv" && *format != "json" {
			return usage("say which format: --format csv or --format json (got %q)", *format)
		}
		filter = governance.AuditFilter{ActorID: *actor, Action: *action, Limit: auditBatch}
		for _, tf := range []struct {
			name string
			raw  string
			dst  *time.Time
		}{{"since", *since, &filter.Since}, {"until", *until, &filter.Until}} {
			if tf.raw == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339Nano, tf.raw)
			if err != nil {
				return usage("--%s %q is not an RFC 3339 time: use e.g. 2026-11-01T00:00:00Z", tf.name, tf.raw)
			}
			*tf.dst = t
		}
		if err := filter.Validate(); err != nil {
			_, msg := governance.Public(err)
			return usage("%s", msg)
		}
	default: // includes no verb at all
		fmt.Fprintln(env.stderr, auditHelp)
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
	if verb == "verify" {
		return auditVerify(ctx, env.stdout, db, *tenant)
	}
	if _, err := db.Tenant(ctx, *tenant); err != nil {
		return err
	}
	w := bufio.NewWriter(env.stdout)
	if *format == "csv" {
		err = auditExportCSV(ctx, w, db, *tenant, filter)
	} else {
		err = auditExportJSON(ctx, w, db, *tenant, filter)
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

// setFlags lists the named flags given on the command line.
func setFlags(env *cmdEnv, names ...string) []string {
	var set []string
	env.fs.Visit(func(f *flag.Flag) {
		for _, n := range names {
			if f.Name == n {
				set = append(set, "--"+n)
			}
		}
	})
	return set
}

// auditVerify checks the chain of one tenant, or of every tenant, and prints
// one line per tenant (or per break). Any break makes it fail, naming the
// tenants and sequence numbers, so scripts and cron can alert on it.
func auditVerify(ctx context.Context, out io.Writer, db *store.DB, tenant string) error {
	tenants := []string{tenant}
	if tenant == "" {
		var err error
		if tenants, err = db.TenantIDs(ctx); err != nil {
			return err
		}
	} else if _, err := db.Tenant(ctx, tenant); err != nil {
		return err
	}
	var broken []string
	for _, id := range tenants {
		v := governance.NewAuditVerifier(id)
		var breaks []governance.AuditBreak
		from := int64(1)
		for {
			batch, err := db.AuditChain(ctx, id, from, auditBatch)
			if err != nil {
				return fmt.Errorf("tenant %s: %w", id, err)
			}
			breaks = append(breaks, v.Add(batch...)...)
			if len(batch) < auditBatch {
				break
			}
			from = batch[len(batch)-1].Seq + 1
		}
		if len(breaks) == 0 {
			// The head is worth recording elsewhere: a trail cut short at its
			// end still verifies, but no longer reaches a recorded head.
			fmt.Fprintf(out, "tenant %s: ok: %d events, head %s\n", id, v.Count(), v.HeadHex()[:16])
			continue
		}
		var seqs []string
		for _, b := range breaks {
			fmt.Fprintf(out, "tenant %s: BROKEN at seq %d: %s\n", id, b.Seq, b.Reason)
			if s := strconv.FormatInt(b.Seq, 10); len(seqs) == 0 || seqs[len(seqs)-1] != s {
				seqs = append(seqs, s)
			}
		}
		broken = append(broken, fmt.Sprintf("tenant %s at seq %s", id, strings.Join(seqs, ", ")))
	}
	if len(broken) > 0 {
		return fmt.Errorf("audit trail tampered with or damaged: %s", strings.Join(broken, "; "))
	}
	return nil
}

// auditPages calls fn with each page of the tenant's events matching f.
func auditPages(ctx context.Context, db *store.DB, tenant string, f governance.AuditFilter, fn func([]governance.AuditEvent) error) error {
	for {
		page, err := db.AuditEvents(ctx, tenant, f)
		if err != nil {
			return err
		}
		if err := fn(page); err != nil {
			return err
		}
		if len(page) < f.EffectiveLimit() {
			return nil
		}
		f.AfterSeq = page[len(page)-1].Seq
	}
}

func auditExportCSV(ctx context.Context, w io.Writer, db *store.DB, tenant string, f governance.AuditFilter) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(governance.AuditCSVHeader); err != nil {
		return err
	}
	err := auditPages(ctx, db, tenant, f, func(page []governance.AuditEvent) error {
		for _, e := range page {
			if err := cw.Write(governance.AuditCSVRow(e)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// auditExportJSON writes one JSON array, element by element, so a large
// export streams.
func auditExportJSON(ctx context.Context, w io.Writer, db *store.DB, tenant string, f governance.AuditFilter) error {
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	first := true
	err := auditPages(ctx, db, tenant, f, func(page []governance.AuditEvent) error {
		for _, e := range page {
			b, err := json.Marshal(governance.NewAuditRecord(e))
			if err != nil {
				return err
			}
			sep := ",\n"
			if first {
				sep, first = "\n", false
			}
			if _, err := io.WriteString(w, sep); err != nil {
				return err
			}
			if _, err := w.Write(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n]\n")
	return err
}
