package jobs

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/stewardhq/steward/governance"
)

// env is one engine's database, fresh for each subtest.
type env struct {
	// db is the store handle whose transactions InsertTx accepts: the
	// SQLite writer, or the database/sql handle on the PostgreSQL pool.
	db *sql.DB
	// newQueue builds an unmigrated, unstarted queue on this database.
	newQueue func(t *testing.T, cfg Config) *Queue
	// postMigrate, when set, makes engine-specific checks after Migrate.
	postMigrate func(t *testing.T)
}

// Test job args: a tenant job, a cross-tenant job, and one that declares no
// tenancy.
type taskArgs struct {
	Tenant
	N int `json:"n"`
}

func (taskArgs) Kind() string { return "test_task" }

type sweepArgs struct{ System }

func (sweepArgs) Kind() string { return "test_sweep" }

type bareArgs struct{}

func (bareArgs) Kind() string { return "test_bare" }

// testConfig keeps the suite fast: 50 ms polling, 20 ms first retry, no
// start-up stagger.
func testConfig() Config {
	return Config{FetchPollInterval: 50 * time.Millisecond, RetryBackoff: 20 * time.Millisecond, testOnly: true}
}

// queue returns a migrated queue on e's database, stopped when the test ends.
func (e *env) queue(t *testing.T, cfg Config) *Queue {
	t.Helper()
	q := e.newQueue(t, cfg)
	if err := q.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if e.postMigrate != nil {
		e.postMigrate(t)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return q
}

func start(t *testing.T, q *Queue) {
	t.Helper()
	// Not t.Context(): it ends before cleanups run, which would hard-stop
	// the queue before the cleanup's graceful Stop.
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func insert(t *testing.T, q *Queue, args river.JobArgs, opts *river.InsertOpts) JobRef {
	t.Helper()
	ref, err := q.Insert(t.Context(), args, opts)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func job(t *testing.T, q *Queue, id int64) *rivertype.JobRow {
	t.Helper()
	row, err := q.exec.JobGetByID(t.Context(), &riverdriver.JobGetByIDParams{ID: id})
	if err != nil {
		t.Fatalf("get job %d: %v", id, err)
	}
	return row
}

type depth struct{ available, scheduled, retryable, running int }

func depthOf(t *testing.T, q *Queue) depth {
	t.Helper()
	var d depth
	var err error
	d.available, d.scheduled, d.retryable, d.running, err = q.Depth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func waitState(t *testing.T, q *Queue, id int64, state rivertype.JobState) *rivertype.JobRow {
	t.Helper()
	var row *rivertype.JobRow
	eventually(t, 10*time.Second, "job to be "+string(state), func() bool {
		row = job(t, q, id)
		return row.State == state
	})
	return row
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// runSuite proves the queue's guarantees on one engine. Each subtest gets a
// fresh database from open and runs in parallel with the others.
func runSuite(t *testing.T, open func(t *testing.T) *env) {
	t.Run("migrate is idempotent and reports status", func(t *testing.T) {
		t.Parallel()
		e := open(t)
		q := e.newQueue(t, testConfig())
		before, err := q.MigrationStatus(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(before) == 0 {
			t.Fatal("no migrations known")
		}
		for _, m := range before {
			if m.Applied {
				t.Fatalf("fresh database reports migration %d applied", m.Version)
			}
		}
		for range 2 {
			if err := q.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		if e.postMigrate != nil {
			e.postMigrate(t)
		}
		after, err := q.MigrationStatus(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range after {
			if !m.Applied || m.Version != before[i].Version || m.Name == "" {
				t.Fatalf("after Migrate: %+v, want every version applied", m)
			}
		}
	})

	t.Run("every job runs at least once", func(t *testing.T) {
		t.Parallel()
		q := open(t).queue(t, testConfig())
		ran := make(chan int64, 100)
		Register(q, river.WorkFunc(func(ctx context.Context, j *river.Job[taskArgs]) error {
			if j.Args.TenantID != "contoso" {
				t.Errorf("tenant = %q in the worker", j.Args.TenantID)
			}
			ran <- j.ID
			return nil
		}))
		const n = 20
		want := map[int64]bool{}
		for i := range n {
			want[insert(t, q, taskArgs{Tenant{"contoso"}, i}, nil).ID] = true
		}
		if d := depthOf(t, q); d != (depth{available: n}) {
			t.Fatalf("depth before start = %+v, want %d available", d, n)
		}
		start(t, q)
		for range n {
			id := recv(t, ran, "a job to run")
			if !want[id] {
				t.Fatalf("job %d ran twice or was never inserted", id)
			}
			delete(want, id)
		}
		eventually(t, 10*time.Second, "an empty queue", func() bool { return depthOf(t, q) == depth{} })
	})

	t.Run("a job failing twice runs three times with growing backoff", func(t *testing.T) {
		t.Parallel()
		q := open(t).queue(t, testConfig())
		var mu sync.Mutex
		var at []time.Time
		Register(q, river.WorkFunc(func(ctx context.Context, j *river.Job[taskArgs]) error {
			mu.Lock()
			at = append(at, time.Now())
			mu.Unlock()
			if j.Attempt < 3 {
				return errors.New("transient")
			}
			return nil
		}))
		ref := insert(t, q, taskArgs{Tenant: Tenant{"contoso"}}, nil)
		start(t, q)
		row := waitState(t, q, ref.ID, rivertype.JobStateCompleted)
		if row.Attempt != 3 || len(row.Errors) != 2 {
			t.Fatalf("attempt %d with %d errors, want 3 attempts and 2 errors", row.Attempt, len(row.Errors))
		}
		mu.Lock()
		defer mu.Unlock()
		if len(at) != 3 {
			t.Fatalf("worker ran %d times, want 3", len(at))
		}
		// Equal jitter: retry n waits between base*2^n/2 and base*2^n.
		if gap := at[1].Sub(at[0]); gap < 10*time.Millisecond {
			t.Errorf("first retry after %s, want >= 10ms", gap)
		}
		if gap := at[2].Sub(at[1]); gap < 20*time.Millisecond {
			t.Errorf("second retry after %s, want >= 20ms", gap)
		}
	})

	t.Run("unique jobs are inserted once", func(t *testing.T) {
		t.Parallel()
		e := open(t)
		q := e.queue(t, testConfig())
		Register(q, river.WorkFunc(func(context.Context, *river.Job[taskArgs]) error { return nil }))
		Register(q, river.WorkFunc(func(context.Context, *river.Job[sweepArgs]) error { return nil }))

		byArgs := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
		first := insert(t, q, taskArgs{Tenant{"contoso"}, 1}, byArgs)
		again := insert(t, q, taskArgs{Tenant{"contoso"}, 1}, byArgs)
		other := insert(t, q, taskArgs{Tenant{"fabrikam"}, 1}, byArgs)
		if first.Duplicate || !again.Duplicate || again.ID != first.ID {
			t.Fatalf("first %+v, again %+v: want the second to be a duplicate of the first", first, again)
		}
		if other.Duplicate {
			t.Fatal("another tenant's job was taken for a duplicate")
		}
		tx, err := e.db.BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		inTx, err := q.InsertTx(t.Context(), tx, taskArgs{Tenant{"contoso"}, 1}, byArgs)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if !inTx.Duplicate || inTx.ID != first.ID {
			t.Fatalf("InsertTx of the same unique job = %+v, want a duplicate of %d", inTx, first.ID)
		}

		byPeriod := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
		p1 := insert(t, q, sweepArgs{}, byPeriod)
		p2 := insert(t, q, sweepArgs{}, byPeriod)
		if p1.Duplicate || !p2.Duplicate || p2.ID != p1.ID {
			t.Fatalf("by period: %+v then %+v, want the second to be a duplicate", p1, p2)
		}
		if d := depthOf(t, q); d.available != 3 {
			t.Fatalf("depth = %+v, want 3 rows available", d)
		}
	})

	t.Run("a scheduled job does not run before its time", func(t *testing.T) {
		t.Parallel()
		q := open(t).queue(t, testConfig())
		ran := make(chan time.Time, 1)
		Register(q, river.WorkFunc(func(context.Context, *river.Job[taskArgs]) error {
			ran <- time.Now()
			return nil
		}))
		start(t, q)
		due := time.Now().Add(300 * time.Millisecond)
		insert(t, q, taskArgs{Tenant: Tenant{"contoso"}}, &river.InsertOpts{ScheduledAt: due})
		// River's scheduler may already have made it "available" (it
		// promotes jobs due within its next 5 s tick), never "running".
		if d := depthOf(t, q); d.scheduled+d.available != 1 || d.running != 0 {
			t.Fatalf("depth = %+v, want 1 scheduled or available", d)
		}
		if at := recv(t, ran, "the scheduled job"); at.Before(due) {
			t.Fatalf("ran %s before it was due", due.Sub(at))
		}
	})

	t.Run("periodic jobs are enqueued repeatedly", func(t *testing.T) {
		t.Parallel()
		q := open(t).queue(t, testConfig())
		var runs atomic.Int32
		Register(q, river.WorkFunc(func(context.Context, *river.Job[sweepArgs]) error {
			runs.Add(1)
			return nil
		}))
		err := q.AddPeriodic(river.PeriodicInterval(250*time.Millisecond),
			func() (river.JobArgs, *river.InsertOpts) { return sweepArgs{}, nil },
			&river.PeriodicJobOpts{ID: "sweep", RunOnStart: true})
		if err != nil {
			t.Fatal(err)
		}
		start(t, q)
		eventually(t, 10*time.Second, "3 periodic runs", func() bool { return runs.Load() >= 3 })
	})

	t.Run("InsertTx commits and rolls back with the domain write", func(t *testing.T) {
		t.Parallel()
		e := open(t)
		q := e.queue(t, testConfig())
		ran := make(chan int, 1)
		Register(q, river.WorkFunc(func(ctx context.Context, j *river.Job[taskArgs]) error {
			ran <- j.Args.N
			return nil
		}))
		if _, err := e.db.ExecContext(t.Context(), "CREATE TABLE domain_probe (n INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		write := func(n int, commit bool) JobRef {
			t.Helper()
			tx, err := e.db.BeginTx(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(t.Context(), "INSERT INTO domain_probe (n) VALUES (1)"); err != nil {
				t.Fatal(err)
			}
			ref, err := q.InsertTx(t.Context(), tx, taskArgs{Tenant{"contoso"}, n}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if commit {
				if err := tx.Commit(); err != nil {
					t.Fatal(err)
				}
			}
			return ref
		}
		rows := func() (n int) {
			t.Helper()
			if err := e.db.QueryRowContext(t.Context(), "SELECT count(*) FROM domain_probe").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}

		rolledBack := write(1, false)
		if rows() != 0 || depthOf(t, q) != (depth{}) {
			t.Fatalf("after rollback: %d domain rows, depth %+v; want nothing", rows(), depthOf(t, q))
		}
		if _, err := q.exec.JobGetByID(t.Context(), &riverdriver.JobGetByIDParams{ID: rolledBack.ID}); !errors.Is(err, rivertype.ErrNotFound) {
			t.Fatalf("rolled-back job: err = %v, want not found", err)
		}

		start(t, q)
		committed := write(2, true)
		if got := recv(t, ran, "the committed job"); got != 2 || rows() != 1 {
			t.Fatalf("ran job %d with %d domain rows; want job 2 and 1 row", got, rows())
		}
		waitState(t, q, committed.ID, rivertype.JobStateCompleted)
	})

	t.Run("a worker enqueues the next step in its own store transaction", func(t *testing.T) {
		// On SQLite the worker, River and the store share one writer
		// connection: this would hang if River held it while a job runs.
		t.Parallel()
		e := open(t)
		q := e.queue(t, testConfig())
		if _, err := e.db.ExecContext(t.Context(), "CREATE TABLE domain_probe (n INTEGER NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		done := make(chan int, 1)
		Register(q, river.WorkFunc(func(ctx context.Context, j *river.Job[taskArgs]) error {
			if j.Args.N == 2 {
				done <- j.Args.N
				return nil
			}
			tx, err := e.db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(ctx, "INSERT INTO domain_probe (n) VALUES (1)"); err != nil {
				return err
			}
			if _, err := q.InsertTx(ctx, tx, taskArgs{j.Args.Tenant, 2}, nil); err != nil {
				return err
			}
			return tx.Commit()
		}))
		start(t, q)
		insert(t, q, taskArgs{Tenant{"contoso"}, 1}, nil)
		if n := recv(t, done, "the second step"); n != 2 {
			t.Fatalf("ran step %d, want 2", n)
		}
	})

	t.Run("Config.Now is the clock River stamps jobs with", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig()
		fixed := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
		cfg.Now = func() time.Time { return fixed }
		q := open(t).queue(t, cfg)
		Register(q, river.WorkFunc(func(context.Context, *river.Job[taskArgs]) error { return nil }))
		ref := insert(t, q, taskArgs{Tenant: Tenant{"contoso"}}, nil)
		if row := job(t, q, ref.ID); !row.CreatedAt.Equal(fixed) {
			t.Fatalf("created_at = %s, want %s", row.CreatedAt, fixed)
		}
	})

	t.Run("Stop waits for a running job", func(t *testing.T) {
		t.Parallel()
		q := open(t).queue(t, testConfig())
		started := make(chan struct{}, 1)
		var finished atomic.Bool
		Register(q, river.WorkFunc(func(ctx context.Context, _ *river.Job[taskArgs]) error {
			started <- struct{}{}
			select {
			case <-time.After(300 * time.Millisecond):
				finished.Store(true)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}))
		ref := insert(t, q, taskArgs{Tenant: Tenant{"contoso"}}, nil)
		start(t, q)
		recv(t, started, "the job to start")
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if !finished.Load() {
			t.Fatal("Stop returned before the running job finished")
		}
		if row := job(t, q, ref.ID); row.State != rivertype.JobStateCompleted {
			t.Fatalf("job is %s after Stop, want completed", row.State)
		}
	})

	t.Run("a job cancelled at Stop's deadline runs again after a restart", func(t *testing.T) {
		t.Parallel()
		e := open(t)
		started := make(chan int, 2)
		worker := river.WorkFunc(func(ctx context.Context, j *river.Job[taskArgs]) error {
			started <- j.Attempt
			if j.Attempt == 1 {
				<-ctx.Done() // a job longer than the shutdown deadline
				return ctx.Err()
			}
			return nil
		})
		q1 := e.queue(t, testConfig())
		Register(q1, worker)
		ref := insert(t, q1, taskArgs{Tenant: Tenant{"contoso"}}, nil)
		start(t, q1)
		recv(t, started, "the first attempt")
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		begun := time.Now()
		if err := q1.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(begun); took > 3*time.Second {
			t.Fatalf("Stop took %s after a 100ms deadline", took)
		}
		if row := job(t, q1, ref.ID); row.State == rivertype.JobStateCompleted || row.State == rivertype.JobStateRunning || len(row.Errors) != 1 {
			t.Fatalf("after a cancelled attempt the job is %s with %d errors, want it waiting to retry", row.State, len(row.Errors))
		}

		q2 := e.queue(t, testConfig())
		Register(q2, worker)
		start(t, q2)
		if attempt := recv(t, started, "the second attempt"); attempt != 2 {
			t.Fatalf("restarted queue ran attempt %d, want 2", attempt)
		}
		waitState(t, q2, ref.ID, rivertype.JobStateCompleted)
	})

	t.Run("tenancy is enforced", func(t *testing.T) {
		t.Parallel()
		e := open(t)
		q := e.queue(t, testConfig())
		Register(q, river.WorkFunc(func(context.Context, *river.Job[taskArgs]) error { return nil }))

		_, err := q.Insert(t.Context(), taskArgs{}, nil)
		if !governance.IsKind(err, governance.KindInvalid) {
			t.Fatalf("Insert without tenant: err = %v, want KindInvalid", err)
		}
		tx, err := e.db.BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = q.InsertTx(t.Context(), tx, taskArgs{}, nil)
		if cerr := tx.Commit(); cerr != nil {
			t.Fatal(cerr)
		}
		if !governance.IsKind(err, governance.KindInvalid) {
			t.Fatalf("InsertTx without tenant: err = %v, want KindInvalid", err)
		}
		if d := depthOf(t, q); d != (depth{}) {
			t.Fatalf("depth = %+v after rejected inserts, want empty", d)
		}

		mustPanic(t, "Register of args without tenancy", func() {
			Register(q, river.WorkFunc(func(context.Context, *river.Job[bareArgs]) error { return nil }))
		})
		start(t, q)
		mustPanic(t, "Register after Start", func() {
			Register(q, river.WorkFunc(func(context.Context, *river.Job[sweepArgs]) error { return nil }))
		})
	})

	t.Run("metrics count attempts by kind", func(t *testing.T) {
		t.Parallel()
		reg := prometheus.NewRegistry()
		cfg := testConfig()
		cfg.Registerer = reg
		q := open(t).queue(t, cfg)
		Register(q, river.WorkFunc(func(_ context.Context, j *river.Job[taskArgs]) error {
			switch j.Attempt {
			case 1:
				return errors.New("transient")
			case 2:
				panic("bug")
			}
			return nil
		}))
		ref := insert(t, q, taskArgs{Tenant: Tenant{"contoso"}}, nil)
		start(t, q)
		waitState(t, q, ref.ID, rivertype.JobStateCompleted)

		got := map[string]float64{}
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			for _, m := range f.GetMetric() {
				if len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != "test_task" {
					t.Fatalf("%s has labels %v, want kind=test_task", f.GetName(), m.GetLabel())
				}
				switch {
				case m.GetCounter() != nil:
					got[f.GetName()] = m.GetCounter().GetValue()
				case m.GetHistogram() != nil:
					got[f.GetName()] = float64(m.GetHistogram().GetSampleCount())
				}
			}
		}
		want := map[string]float64{
			"steward_jobs_completed_total": 1,
			"steward_jobs_failed_total":    2,
			"steward_job_duration_seconds": 3,
		}
		for name, v := range want {
			if got[name] != v {
				t.Errorf("%s = %v, want %v (all: %v)", name, got[name], v, got)
			}
		}
	})
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Fatalf("%s did not panic", what)
		}
	}()
	f()
}
