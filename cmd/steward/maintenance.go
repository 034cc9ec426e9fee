package main

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/store"
)

// storeMaintenanceArgs is the periodic upkeep of the main store. It spans
// tenants: it works on the database file, not on anyone's rows.
type storeMaintenanceArgs struct{ jobs.System }

func (storeMaintenanceArgs) Kind() string { return "store_maintenance" }

type storeMaintenanceWorker struct {
	river.WorkerDefaults[storeMaintenanceArgs]
	db *store.DB
}

func (w *storeMaintenanceWorker) Work(ctx context.Context, _ *river.Job[storeMaintenanceArgs]) error {
	// Ended web sessions first: they are rows the upkeep below then
	// compacts away.
	ids, err := w.db.TenantIDs(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, id := range ids {
		if _, err := w.db.DeleteExpiredWebSessions(ctx, id, now); err != nil {
			return err
		}
	}
	return w.db.Maintain(ctx)
}

// maintenanceInterval is how often the store is maintained.
const maintenanceInterval = time.Hour

// registerMaintenance adds the store upkeep job, enqueued hourly by the
// elected leader and unique per period so several replicas never run it twice.
func registerMaintenance(q *jobs.Queue, db *store.DB) error {
	jobs.Register(q, &storeMaintenanceWorker{db: db})
	return q.AddPeriodic(river.PeriodicInterval(maintenanceInterval), func() (river.JobArgs, *river.InsertOpts) {
		return storeMaintenanceArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: maintenanceInterval}}
	}, &river.PeriodicJobOpts{ID: "store_maintenance"})
}
