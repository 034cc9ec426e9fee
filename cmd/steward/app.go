package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/stewardhq/steward/blob"
	"github.com/stewardhq/steward/bot"
	"github.com/stewardhq/steward/cache"
	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/provision"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/telemetry"
	"github.com/stewardhq/steward/vault"
	"github.com/stewardhq/steward/web"
)

// app is a running Steward process: every component, opened in dependency
// order and closed in reverse.
type app struct {
	cfg     Config
	log     *slog.Logger
	db      *store.DB
	queue   *jobs.Queue
	cache   cache.Cache
	blobs   *blob.Local
	keyring *vault.Keyring
	vault   *vault.Vault
	metrics *telemetry.Metrics
	tracing *telemetry.Tracing
	svc     *services
	closers []func(context.Context) error

	acmeCerts *edge.ACME // acme_hosts' certificate source, made once (frontdoor.go)
}

// openStore opens the database and the job queue on it, the part shared by
// serve, dev, migrate and keys.
func openStore(ctx context.Context, cfg Config, log *slog.Logger, reg *telemetry.Metrics) (*store.DB, *jobs.Queue, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Logger: log})
	if err != nil {
		return nil, nil, err
	}
	jcfg := jobs.Config{Logger: log.With("component", "jobs"), Workers: cfg.JobWorkers, Queues: queues()}
	if reg != nil {
		jcfg.Registerer = reg.Registry
	}
	var q *jobs.Queue
	switch db.Engine() {
	case store.SQLite:
		q, err = jobs.NewSQLite(db.Writer(), jcfg)
	case store.Postgres:
		q, err = jobs.NewPostgres(db.Pool(), db.Writer(), jcfg)
	}
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("job queue: %w", err)
	}
	return db, q, nil
}

// migrateAll applies the store's migrations, then the job queue's.
func migrateAll(ctx context.Context, db *store.DB, q *jobs.Queue) ([]store.Migration, error) {
	applied, err := db.Migrate(ctx)
	if err != nil {
		return applied, err
	}
	if err := q.Migrate(ctx); err != nil {
		return applied, fmt.Errorf("job queue migrations: %w", err)
	}
	return applied, nil
}

// checkMigrated refuses to serve a database that is behind the code.
func checkMigrated(ctx context.Context, db *store.DB) error {
	ms, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if !m.Applied {
			return fmt.Errorf("the database is missing migration %04d_%s: run `steward migrate up` first (or set STEWARD_AUTO_MIGRATE=true)", m.Version, m.Name)
		}
	}
	return nil
}

func newApp(ctx context.Context, cfg Config, stderr io.Writer) (a *app, err error) {
	log, err := telemetry.NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	a = &app{cfg: cfg, log: log, metrics: telemetry.NewMetrics()}
	defer func() {
		if err != nil {
			a.close(context.Background())
		}
	}()
	if cfg.DevMode {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return a, fmt.Errorf("create data directory: %w", err)
		}
	}
	a.tracing, err = telemetry.NewTracing(ctx, cfg.OTLPEndpoint, buildVersion())
	if err != nil {
		return a, err
	}
	a.closers = append(a.closers, a.tracing.Shutdown)

	a.db, a.queue, err = openStore(ctx, cfg, log, a.metrics)
	if err != nil {
		return a, err
	}
	a.closers = append(a.closers, func(context.Context) error { return a.db.Close() })
	if err := registerMaintenance(a.queue, a.db); err != nil {
		return a, err
	}
	if cfg.AutoMigrate {
		if _, err := migrateAll(ctx, a.db, a.queue); err != nil {
			return a, err
		}
	} else if err := checkMigrated(ctx, a.db); err != nil {
		return a, err
	}

	if cfg.RedisURL != "" {
		r, err := cache.NewRedis(ctx, cache.RedisOptions{URL: cfg.RedisURL})
		if err != nil {
			return a, err
		}
		a.cache = r
	} else {
		a.cache = cache.NewMemory(cache.MemoryOptions{})
	}
	a.closers = append(a.closers, func(context.Context) error { return a.cache.Close() })

	if a.blobs, err = blob.NewLocal(cfg.BlobDir, blob.LocalOptions{}); err != nil {
		return a, err
	}
	a.closers = append(a.closers, func(context.Context) error { return a.blobs.Close() })

	// dev creates its keyring on first run; production never invents key
	// material: a missing keyring there means a missing volume.
	a.keyring, err = vault.OpenKeyring(cfg.KeyringFile, cfg.DevMode)
	if err != nil {
		return a, fmt.Errorf("%w (create it with `steward keys init`)", err)
	}
	a.vault = vault.New(a.db, a.db, a.keyring, vault.Options{})
	if a.svc, err = a.wire(ctx); err != nil {
		return a, err
	}
	return a, nil
}

// close releases components in reverse order of opening.
func (a *app) close(ctx context.Context) {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](ctx); err != nil {
			a.log.Warn("shutdown step failed", "err", err)
		}
	}
	a.closers = nil
}

// serve listens, announces itself through ready, and blocks until ctx ends;
// then it stops HTTP first (no new work arrives), then the job queue (running
// jobs finish), then closes everything else.
func (a *app) serve(ctx context.Context, ready func(baseURL string)) error {
	hs := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Listen, err)
	}
	scheme := "http"
	if a.tlsOn() {
		if hs.TLSConfig, err = a.serverTLS(ln.Addr()); err != nil {
			ln.Close()
			return err
		}
		scheme = "https"
	}
	base := a.cfg.PublicURL
	if base == "" {
		base = scheme + "://" + displayAddr(ln.Addr())
	}
	srv := web.New(web.Options{
		Logger:  a.log,
		Version: buildVersion(),
		Checks: []web.Check{
			{Name: "store", Ping: a.db.Ping},
			{Name: "cache", Ping: a.cache.Ping},
			{Name: "blobs", Ping: func(context.Context) error { return dirExists(a.cfg.BlobDir) }},
		},
		Metrics:      a.metrics,
		Tracing:      a.tracing,
		MetricsToken: a.cfg.MetricsToken,
		API:          a.svc.api,
		Bot:          a.svc.bot,
	})
	// The pages need Steward's app registration (sign-in, tokens).
	if a.cfg.AppID != "" {
		if err := a.wireUI(srv, base); err != nil {
			ln.Close()
			return fmt.Errorf("web pages: %w", err)
		}
	}
	hs.Handler = a.frontDoor(a.devCRLRoute(srv.Handler()))
	redirect, err := a.redirectServer(ctx, base, ln.Addr())
	if err != nil {
		ln.Close()
		return err
	}
	// Jobs start before the listener answers, so work accepted over HTTP is
	// picked up; they stop after it, so no request enqueues into a stopped queue.
	if err := a.queue.Start(context.WithoutCancel(ctx)); err != nil {
		ln.Close()
		return fmt.Errorf("start job queue: %w", err)
	}
	errc := make(chan error, 1)
	go func() {
		if hs.TLSConfig != nil {
			errc <- hs.ServeTLS(ln, "", "") // ServeTLS, unlike Serve, enables HTTP/2
			return
		}
		errc <- hs.Serve(ln)
	}()
	if redirect != nil {
		go func() {
			if err := redirect.serve(); err != nil {
				errc <- fmt.Errorf("HTTP redirect listener: %w", err)
			}
		}()
	}

	a.log.Info("steward ready", "addr", ln.Addr().String(), "url", base, "version", buildVersion(), "store", string(a.db.Engine()))
	if ready != nil {
		ready(base)
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	if redirect != nil {
		_ = redirect.hs.Shutdown(sctx)
	}
	if err := hs.Shutdown(sctx); err != nil {
		a.log.Warn("HTTP shutdown incomplete", "err", err)
	}
	if err := a.queue.Stop(sctx); err != nil {
		a.log.Warn("job queue shutdown incomplete", "err", err)
	}
	a.close(sctx)
	a.log.Info("stopped")
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return nil
}

// dirExists reports a missing or unreadable directory, e.g. an unmounted volume.
func dirExists(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return net.JoinHostPort("localhost", fmt.Sprint(tcp.Port))
}

// openMigrated opens the store for a command that reads or writes it
// (audit, apikeys, tenants): a logger from cfg, then the database, which
// must be at the code's migration.
func openMigrated(ctx context.Context, env *cmdEnv, cfg Config) (*store.DB, error) {
	log, err := telemetry.NewLogger(env.stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	if err := checkMigrated(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// queues are the named job queues and their workers: provisioning's and
// the bot's outbox.
func queues() map[string]int {
	q := provision.Queues()
	maps.Copy(q, bot.Queues())
	return q
}
