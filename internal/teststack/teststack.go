// Package teststack assembles, for tests, the stack a service call runs on:
// a migrated store (SQLite or PostgreSQL by DSN), the job queue on it, a
// vault with a throwaway keyring, and the webhook dispatcher, started and
// stopped with the test. It is wired as cmd wires it, so tests exercise the
// real transactions, jobs and deliveries.
package teststack

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/provision"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/vault"
	"github.com/stewardhq/steward/webhook"
)

// Options adjust the stack; the zero value is a quiet SQLite-ready stack
// whose webhooks may reach loopback receivers.
type Options struct {
	Now func() time.Time // the store's clock
	// Register adds workers and periodic jobs (and builds whatever needs
	// the stack to do so) before the queue starts.
	Register func(s *Stack)
	// Queues are the named job queues worked besides the default one;
	// nil: provisioning's.
	Queues map[string]int
}

// Stack is a running set of components.
type Stack struct {
	DB    *store.DB
	Queue *jobs.Queue
	Vault *vault.Vault
	Hooks *webhook.Dispatcher
}

// New builds and starts a stack on dsn, torn down at the end of the test.
func New(t *testing.T, dsn string, opts Options) *Stack {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	db, err := store.Open(ctx, dsn, store.Options{Logger: log, Now: opts.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := jobs.Config{Logger: log, FetchPollInterval: 50 * time.Millisecond, RetryBackoff: 20 * time.Millisecond, Queues: opts.Queues}
	if cfg.Queues == nil {
		cfg.Queues = provision.Queues()
	}
	var q *jobs.Queue
	if db.Engine() == store.Postgres {
		q, err = jobs.NewPostgres(db.Pool(), db.Writer(), cfg)
	} else {
		q, err = jobs.NewSQLite(db.Writer(), cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	kr, err := vault.OpenKeyring(filepath.Join(t.TempDir(), "keyring.json"), true)
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(db, db, kr, vault.Options{})
	hooks := webhook.New(db, q, v, edge.Guard{AllowLoopback: true}.Client(5*time.Second), webhook.Options{DevMode: true, Logger: log})
	s := &Stack{DB: db, Queue: q, Vault: v, Hooks: hooks}
	if opts.Register != nil {
		opts.Register(s)
	}
	if err := q.Start(context.WithoutCancel(ctx)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = q.Stop(ctx)
	})
	return s
}
