package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/stewardhq/steward/telemetry"
)

func runMigrate(ctx context.Context, env *cmdEnv, args []string) error {
	verb, done, err := env.parseVerb(args)
	if done {
		return err
	}
	if verb != "up" && verb != "status" {
		fmt.Fprintln(env.stderr, "steward migrate: say up (apply pending migrations) or status (list them)")
		return errUsage
	}
	cfg, err := loadConfig(env.fs, env.getenv, forDatabase)
	if err != nil {
		return err
	}
	log, err := telemetry.NewLogger(env.stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	db, q, err := openStore(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	if verb == "up" {
		applied, err := migrateAll(ctx, db, q)
		for _, m := range applied {
			fmt.Fprintf(env.stdout, "applied %04d_%s\n", m.Version, m.Name)
		}
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintln(env.stdout, "steward migrations: up to date")
		}
		fmt.Fprintln(env.stdout, "job queue migrations: up to date")
		return nil
	}
	ms, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tVERSION\tNAME\tSTATUS")
	for _, m := range ms {
		st := "pending"
		if m.Applied {
			st = "applied " + m.AppliedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "steward\t%04d\t%s\t%s\n", m.Version, m.Name, st)
	}
	js, err := q.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, m := range js {
		st := "pending"
		if m.Applied {
			st = "applied"
		}
		fmt.Fprintf(tw, "jobs (River)\t%04d\t%s\t%s\n", m.Version, m.Name, st)
	}
	return tw.Flush()
}
