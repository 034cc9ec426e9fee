package work_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/work"
)

// TestTransactionsNeedOneConnection: on PostgreSQL the store's pool is
// shared, so a transaction that read through the pool while holding its
// own connection could wait forever once every connection is held by such
// transactions. Many concurrent units of work reading templates, roles and
// pending requests through a pool of two connections must all finish.
func TestTransactionsNeedOneConnection(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, testenv.PostgresDSN(t), store.Options{Logger: slog.New(slog.DiscardHandler), MaxReaders: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateTenant(ctx, governance.Tenant{ID: "contoso", Name: "Contoso"}); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := db.CreateTemplate(ctx, tx, governance.Template{TenantID: "contoso", ID: "project", Name: "Project", Spec: governance.TeamSpec{Visibility: "private"}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	tr := work.New(db, nil, nil)
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- tr.InTx(ctx, func(w governance.Work) error {
				if _, err := w.TemplateVersion(ctx, "contoso", "project", 1); err != nil {
					return err
				}
				if _, err := w.RoleAssignments(ctx, "contoso"); err != nil {
					return err
				}
				if _, err := w.PendingRequestIDs(ctx, "contoso", 10); err != nil {
					return err
				}
				time.Sleep(10 * time.Millisecond) // hold the connection a while
				return nil
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(fmt.Errorf("a unit of work did not finish: %w", err))
		}
	}
}
