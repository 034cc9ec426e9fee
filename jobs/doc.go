// Package jobs is Steward's durable job queue: River on SQLite (embedded
// default) or PostgreSQL (production), behind one Queue type whose engine is
// chosen at construction.
//
// # Guarantees
//
//   - At-least-once execution: a job stays in River's tables until a worker
//     returns nil for it. A worker that errors, panics or is cancelled at
//     shutdown is retried; a process that dies mid-job leaves the job
//     "running" until River's rescuer retries it (after one hour by default).
//     Workers must therefore be idempotent.
//   - Retries with exponential backoff and jitter (Config.RetryBackoff,
//     doubled per failed attempt, capped by Config.RetryBackoffMax) up to
//     Config.MaxAttempts, after which the job is discarded.
//   - Unique jobs (river.UniqueOpts ByArgs/ByPeriod/...): a duplicate insert
//     returns the existing job with JobRef.Duplicate set.
//   - Scheduled jobs (InsertOpts.ScheduledAt) never run before their time.
//     River's scheduler, on the leader, makes jobs due within the next 5 s
//     fetchable every 5 s, so a job scheduled less than 5 s ahead may start
//     up to 5 s late; later ones start on time (give or take the poll).
//   - Periodic jobs (AddPeriodic) are enqueued by the elected leader only, so
//     N replicas do not enqueue N copies.
//   - Transactional enqueue (InsertTx): a job inserted in a store *sql.Tx is
//     committed or rolled back with the domain write.
//   - Stop drains: running jobs finish before Stop returns unless its
//     context's deadline comes first, in which case they are cancelled.
//
// # Tenancy
//
// River's tables are River's own and have no tenant_id column, so the tenant
// travels in the job's args. Every job args type declares its tenancy when it
// is registered:
//
//   - a job that acts on one tenant's data embeds [Tenant], which encodes as
//     "tenant_id" in the args JSON and implements [TenantJob]; inserting it
//     with an empty tenant id fails with governance.KindInvalid;
//   - a job that deliberately spans tenants (a periodic sweep that fans out
//     into one tenant job per tenant) embeds [System].
//
// Register panics for an args type that declares neither, so a worker cannot
// forget the tenant. Workers read the tenant from job.Args.TenantID and pass
// it to every store call, like any other code.
//
// # SQLite: one writer connection
//
// NewSQLite runs River on the store's writer handle, which has exactly one
// connection (SetMaxOpenConns(1)). Every River operation (fetch, complete,
// leader election, maintenance) queues for that connection like any store
// write, which is what keeps SQLite free of SQLITE_BUSY. The rule that
// follows: while a goroutine holds a store transaction on the writer, it must
// not call anything that needs a second writer connection (Insert, Depth,
// Migrate, MigrationStatus): the call waits for the connection the goroutine
// itself holds, until its context ends. Inside a transaction use
// InsertTx with that transaction. Jobs inserted with InsertTx on SQLite are
// picked up on the next poll (Config.FetchPollInterval), because River cannot
// see the commit; Insert wakes the workers at once.
//
// # PostgreSQL
//
// NewPostgres works jobs through riverpgxv5 on the pgx pool (LISTEN/NOTIFY
// wakes workers on insert) and inserts in store transactions through an
// insert-only riverdatabasesql client on the *sql.DB made from the same pool.
// River's tables live in the connection's search_path schema (the first
// schema in it), the same schema the store uses.
package jobs
