package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// Engine names the database a Queue runs on.
type Engine string

// The engines a Queue can run on.
const (
	EngineSQLite   Engine = "sqlite"
	EnginePostgres Engine = "postgres"
)

// Defaults applied by NewSQLite and NewPostgres to zero Config fields.
const (
	DefaultWorkers         = 10
	DefaultMaxAttempts     = 25
	DefaultRetryBackoff    = time.Second
	DefaultRetryBackoffMax = time.Hour
)

// cancelGrace bounds how long Stop waits for cancelled jobs to return once
// its caller's deadline has passed: a worker that ignores its context must not
// hold shutdown hostage.
const cancelGrace = 5 * time.Second

// Config configures a Queue. The zero value is usable.
type Config struct {
	// Logger receives River's logs. Nil discards them.
	Logger *slog.Logger
	// Workers is the maximum number of jobs worked at once by this process
	// in the default queue (default 10).
	Workers int
	// Queues are further named queues and their worker counts, for work
	// that must not wait behind other work (provisioning holds workers
	// while it waits for Graph's budget; its follow-ups must not starve).
	Queues map[string]int
	// Registerer, when set, receives steward_jobs_completed_total,
	// steward_jobs_failed_total and steward_job_duration_seconds, labelled by
	// job kind.
	Registerer prometheus.Registerer
	// Now replaces the clock River and the retry policy read, for tests.
	Now func() time.Time
	// FetchPollInterval is how often workers look for jobs they were not
	// told about (River's default is 1 s). On SQLite every job inserted with
	// InsertTx waits for this poll; on PostgreSQL it is only a fallback to
	// LISTEN/NOTIFY.
	FetchPollInterval time.Duration
	// MaxAttempts is how many times a job runs before it is discarded
	// (default 25), unless its InsertOpts say otherwise.
	MaxAttempts int
	// RetryBackoff is the delay before the first retry (default 1 s); it
	// doubles on each further failure, up to RetryBackoffMax (default 1 h).
	RetryBackoff    time.Duration
	RetryBackoffMax time.Duration

	// testOnly disables River's randomized start-up stagger of maintenance
	// services (up to 1 s), which only slows tests down.
	testOnly bool
}

// RescueAfter is how long a job may stay running before River considers
// its process dead and runs it again; worker timeouts must stay below it.
const RescueAfter = 10 * time.Minute

// JobRef identifies an inserted job. Duplicate is true when the job was
// unique and an equal job already existed: ID is then that job's id and
// nothing was inserted.
type JobRef struct {
	ID        int64
	Duplicate bool
}

// workClient is what Queue needs of the River client that works jobs; it
// hides the client's transaction type, which differs between engines.
type workClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	PeriodicJobs() *river.PeriodicJobBundle
}

// migrator is the transaction-type-free part of rivermigrate.Migrator.
type migrator interface {
	Migrate(ctx context.Context, direction rivermigrate.Direction, opts *rivermigrate.MigrateOpts) (*rivermigrate.MigrateResult, error)
	ExistingVersions(ctx context.Context) ([]rivermigrate.Migration, error)
	AllVersions() []rivermigrate.Migration
}

// Queue is Steward's durable job queue. Build it with NewSQLite or
// NewPostgres, then Migrate, Register workers, AddPeriodic jobs, and Start.
// Insert and InsertTx may be called before Start; the jobs wait.
type Queue struct {
	engine  Engine
	logger  *slog.Logger
	workers *river.Workers

	work     workClient                                       // works jobs; Insert outside a transaction
	txClient *river.Client[*sql.Tx]                           // InsertTx in a store transaction
	exec     riverdriver.Executor                             // Depth
	migrator migrator                                         // Migrate, MigrationStatus
	lock     func(context.Context) (unlock func(), err error) // serializes Migrate across processes
	sqlite   *sql.DB                                          // SQLite only: resets orphaned running jobs at Start

	mu      sync.Mutex
	started bool
}

// NewSQLite returns a Queue that keeps its jobs in the SQLite database behind
// writer, the store's single-connection writer handle (see the package
// documentation for what sharing it implies). Transactions given to InsertTx
// must come from writer.
func NewSQLite(writer *sql.DB, cfg Config) (*Queue, error) {
	if writer == nil {
		return nil, errors.New("jobs: NewSQLite: writer is nil")
	}
	q, rcfg, err := newQueue(EngineSQLite, cfg)
	if err != nil {
		return nil, err
	}
	q.sqlite = writer
	driver := riversqlite.New(writer)
	client, err := river.NewClient(driver, rcfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: new sqlite client: %w", err)
	}
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: q.logger})
	if err != nil {
		return nil, fmt.Errorf("jobs: new sqlite migrator: %w", err)
	}
	q.work, q.txClient, q.exec, q.migrator = client, client, driver.GetExecutor(), m
	// One writer connection already serializes migrations in this process,
	// and SQLite has no second process writing to the file.
	q.lock = func(context.Context) (func(), error) { return func() {}, nil }
	return q, nil
}

// NewPostgres returns a Queue that keeps its jobs in PostgreSQL, in the first
// schema of the connections' search_path. pool works jobs (one of its
// connections is held for LISTEN while the queue runs); db must be made from
// the same pool with stdlib.OpenDBFromPool, and transactions given to
// InsertTx must come from db.
func NewPostgres(pool *pgxpool.Pool, db *sql.DB, cfg Config) (*Queue, error) {
	if pool == nil || db == nil {
		return nil, errors.New("jobs: NewPostgres: pool and db are required")
	}
	q, rcfg, err := newQueue(EnginePostgres, cfg)
	if err != nil {
		return nil, err
	}
	driver := riverpgxv5.New(pool)
	client, err := river.NewClient(driver, rcfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: new postgres client: %w", err)
	}
	// An insert-only client (no Queues): database/sql transactions cannot
	// be turned into pgx ones, so InsertTx needs River's database/sql
	// driver. It shares Workers (unknown kinds are rejected), middleware
	// (tenancy) and MaxAttempts with the working client, so both insert
	// identical rows. Its NOTIFY is sent at commit and wakes the workers.
	insertCfg := *rcfg
	insertCfg.Queues, insertCfg.PeriodicJobs = nil, nil
	txClient, err := river.NewClient(riverdatabasesql.New(db), &insertCfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: new postgres insert client: %w", err)
	}
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: q.logger})
	if err != nil {
		return nil, fmt.Errorf("jobs: new postgres migrator: %w", err)
	}
	q.work, q.txClient, q.exec, q.migrator = client, txClient, driver.GetExecutor(), m
	q.lock = func(ctx context.Context) (func(), error) { return advisoryLock(ctx, pool) }
	return q, nil
}

// newQueue validates cfg and builds the River configuration both engines
// share.
func newQueue(engine Engine, cfg Config) (*Queue, *river.Config, error) {
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.Workers < 1 || cfg.Workers > river.QueueNumWorkersMax {
		return nil, nil, fmt.Errorf("jobs: Workers is %d: use 1 to %d", cfg.Workers, river.QueueNumWorkersMax)
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.MaxAttempts < 1 {
		return nil, nil, fmt.Errorf("jobs: MaxAttempts is %d: use 1 or more", cfg.MaxAttempts)
	}
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = DefaultRetryBackoff
	}
	if cfg.RetryBackoffMax == 0 {
		cfg.RetryBackoffMax = DefaultRetryBackoffMax
	}
	if cfg.RetryBackoff < 0 || cfg.RetryBackoffMax < cfg.RetryBackoff {
		return nil, nil, fmt.Errorf("jobs: retry backoff %s..%s: use 0 < RetryBackoff <= RetryBackoffMax", cfg.RetryBackoff, cfg.RetryBackoffMax)
	}
	if cfg.FetchPollInterval < 0 {
		return nil, nil, fmt.Errorf("jobs: FetchPollInterval is %s: use a positive duration", cfg.FetchPollInterval)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}

	middleware := []rivertype.Middleware{&tenancyMiddleware{}}
	if cfg.Registerer != nil {
		m, err := newMetrics(cfg.Registerer)
		if err != nil {
			return nil, nil, err
		}
		middleware = append(middleware, m)
	}

	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
	for name, n := range cfg.Queues {
		if n < 1 {
			return nil, nil, fmt.Errorf("jobs: queue %s needs at least one worker", name)
		}
		queues[name] = river.QueueConfig{MaxWorkers: n}
	}
	q := &Queue{engine: engine, logger: logger, workers: river.NewWorkers()}
	rcfg := &river.Config{
		Logger:      logger,
		MaxAttempts: cfg.MaxAttempts,
		Middleware:  middleware,
		Queues:      queues,
		// On PostgreSQL, replicas share the jobs: one left running by a
		// replica that died is rescued after this long (longer than any
		// worker's timeout, so a live run is never taken away).
		RescueStuckJobsAfter: RescueAfter,
		RetryPolicy:          &backoff{base: cfg.RetryBackoff, max: cfg.RetryBackoffMax, now: func() time.Time { return now().UTC() }},
		TestOnly:             cfg.testOnly,
		// Registered later by Register: River reads the bundle when it
		// inserts and works jobs, not only when the client is built.
		Workers: q.workers,
	}
	if cfg.FetchPollInterval > 0 {
		rcfg.FetchPollInterval = cfg.FetchPollInterval
		// River requires cooldown <= poll interval; its default is 100 ms.
		rcfg.FetchCooldown = min(river.FetchCooldownDefault, cfg.FetchPollInterval)
	}
	if cfg.Now != nil {
		rcfg.Test.Time = clock(cfg.Now)
	}
	return q, rcfg, nil
}

// clock adapts Config.Now to River's time generator.
type clock func() time.Time

func (c clock) NowUTC() time.Time { return c().UTC() }
func (c clock) NowUTCOrNil() *time.Time {
	t := c().UTC()
	return &t
}

// Engine reports the database the queue runs on.
func (q *Queue) Engine() Engine { return q.engine }

// Register adds the worker for jobs of args type T. Call it while wiring,
// before Start and before anything inserts: River reads the registry without
// a lock. It panics on misuse, like http.Handle: after Start, for a kind
// registered twice, and for args that declare no tenancy (embed Tenant or
// System).
func Register[T river.JobArgs](q *Queue, w river.Worker[T]) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var args T
	if q.started {
		panic(fmt.Sprintf("jobs: Register %q after Start", args.Kind()))
	}
	if err := declaredTenancy(args); err != nil {
		panic("jobs: Register: " + err.Error())
	}
	if err := river.AddWorkerSafely(q.workers, w); err != nil {
		panic(fmt.Sprintf("jobs: Register %q: %v", args.Kind(), err))
	}
}

// AddPeriodic schedules a job built by build on schedule (for example
// river.PeriodicInterval(time.Hour)). Only the elected leader among all
// processes sharing the database enqueues it; leadership can move, so give
// the job UniqueOpts{ByPeriod: ...} when a duplicate run would matter. opts
// may be nil; an opts.ID must be unique.
func (q *Queue) AddPeriodic(schedule river.PeriodicSchedule, build river.PeriodicJobConstructor, opts *river.PeriodicJobOpts) error {
	if _, err := q.work.PeriodicJobs().AddSafely(river.NewPeriodicJob(schedule, build, opts)); err != nil {
		return fmt.Errorf("jobs: add periodic job: %w", err)
	}
	return nil
}

// Start begins working jobs. ctx must live as long as the queue: jobs run in
// contexts derived from it, and cancelling it stops the queue abruptly. Use
// Stop for a graceful shutdown.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	q.started = true
	q.mu.Unlock()
	if q.sqlite != nil {
		// SQLite has one process: a job still "running" at start was
		// running in a process that died (SIGKILL, power loss). Make it
		// available now instead of after River's rescue delay.
		res, err := q.sqlite.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
		if err != nil {
			return fmt.Errorf("jobs: rescue jobs of a dead process: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			q.logger.Warn("jobs: resumed jobs a previous process left running", "jobs", n)
		}
	}
	if err := q.work.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// Stop shuts the queue down gracefully: it stops fetching jobs and waits for
// running ones to finish. If ctx ends first, it cancels the running jobs'
// contexts and waits up to 5 s more for them to return; they are retried
// later, so nothing is lost. Stop on a queue that never started returns nil.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.work.Stop(ctx)
	switch {
	case err == nil:
		return nil
	case ctx.Err() == nil:
		return fmt.Errorf("jobs: stop: %w", err)
	}
	q.logger.Warn("jobs: stop deadline reached; cancelling running jobs, which will be retried")
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelGrace)
	defer cancel()
	if err := q.work.StopAndCancel(cctx); err != nil {
		return fmt.Errorf("jobs: stop: running jobs ignored cancellation for %s: %w", cancelGrace, err)
	}
	return nil
}

// Insert enqueues a job outside any transaction. opts may be nil. A
// tenant-scoped job without a tenant id fails with governance.KindInvalid.
// On SQLite, never call it while holding a store transaction on the writer:
// use InsertTx.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (JobRef, error) {
	if err := checkTenant(args); err != nil {
		return JobRef{}, fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	res, err := q.work.Insert(ctx, args, opts)
	if err != nil {
		return JobRef{}, fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return JobRef{ID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate}, nil
}

// InsertTx enqueues a job in tx, a store transaction on this queue's
// database: the job exists if and only if tx commits. opts may be nil. A
// tenant-scoped job without a tenant id fails with governance.KindInvalid.
func (q *Queue) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (JobRef, error) {
	if tx == nil {
		return JobRef{}, fmt.Errorf("jobs: insert %s: tx is nil", args.Kind())
	}
	if err := checkTenant(args); err != nil {
		return JobRef{}, fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	res, err := q.txClient.InsertTx(ctx, tx, args, opts)
	if err != nil {
		return JobRef{}, fmt.Errorf("jobs: insert %s in tx: %w", args.Kind(), err)
	}
	return JobRef{ID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate}, nil
}

// Depth counts the jobs waiting or running, by state: available (due, or
// due within River's next 5 s scheduler tick), scheduled (due later),
// retryable (failed, waiting to retry) and running. It is one GROUP BY over
// River's job table.
func (q *Queue) Depth(ctx context.Context) (available, scheduled, retryable, running int, err error) {
	counts, err := q.exec.JobCountByAllStates(ctx, &riverdriver.JobCountByAllStatesParams{})
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("jobs: depth: %w", err)
	}
	return counts[rivertype.JobStateAvailable], counts[rivertype.JobStateScheduled],
		counts[rivertype.JobStateRetryable], counts[rivertype.JobStateRunning], nil
}
