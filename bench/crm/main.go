// Command crm measures the built-in CRM connector's search latency, the
// number the Teams messaging extension's 5 s deadline depends on: it
// imports N records for one tenant and N for another (so isolation has its
// real cost), runs realistic queries (1–3 word prefixes drawn from the
// data) through Connector.Search, and prints p50/p95/p99. In the same run,
// a baseline answers a sample of the same queries with a SQL LIKE '%q%'
// scan of the store, and the ratio is printed.
//
//	go run ./bench/crm -records 100000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/stewardhq/steward/crm"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/store"
)

type config struct {
	records, searches, baseline int
	dsn, cpuProfile             string
	seed                        int64
}

func main() {
	var c config
	flag.IntVar(&c.records, "records", 100_000, "records per tenant (two tenants)")
	flag.IntVar(&c.searches, "searches", 10_000, "searches through Connector.Search")
	flag.IntVar(&c.baseline, "baseline", 300, "of those, how many the SQL LIKE baseline answers too")
	flag.StringVar(&c.dsn, "dsn", "", "store DSN (default: a fresh SQLite file)")
	flag.Int64Var(&c.seed, "seed", 1, "seed of the generated data and queries")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "crm:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "crm:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(context.Background(), c); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "crm:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, c config) error {
	dir, err := os.MkdirTemp("", "steward-bench-crm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if c.dsn == "" {
		c.dsn = "sqlite:" + filepath.Join(dir, "steward.db")
	}
	db, err := store.Open(ctx, c.dsn, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	tenants := []string{"bench-contoso", "bench-fabrikam"}
	for _, id := range tenants {
		if _, err := db.CreateTenant(ctx, governance.Tenant{ID: id, Name: id}); err != nil {
			return fmt.Errorf("create tenant (use an empty database): %w", err)
		}
	}
	fmt.Printf("store: %s; %d records per tenant, 2 tenants\n", db.Engine(), c.records)

	gen := newGenerator(c.seed)
	importer := crm.NewBuiltin(db, crm.IndexOptions{})
	for i, tenant := range tenants {
		files := gen.files(c.records, i)
		start := time.Now()
		total := 0
		for _, f := range files {
			res, err := importer.Import(ctx, tenant, f.kind, "csv", f.data)
			if err != nil {
				return fmt.Errorf("import %s into %s: %w", f.kind, tenant, err)
			}
			if res.RejectedRows > 0 {
				return fmt.Errorf("import %s into %s rejected %d rows, first %+v", f.kind, tenant, res.RejectedRows, res.Rejected[0])
			}
			total += res.Created
		}
		fmt.Printf("import %s: %d records in %v (%.0f records/s)\n", tenant, total, round(time.Since(start)),
			float64(total)/time.Since(start).Seconds())
	}

	// A fresh connector, as a replica that did not import: its first
	// search loads the tenant from the store.
	conn := crm.NewBuiltin(db, crm.IndexOptions{})
	queries := gen.queries(c.searches)
	target, other := tenants[0], tenants[1]
	start := time.Now()
	if _, err := conn.Search(ctx, target, crm.Query{Text: "a"}); err != nil {
		return err
	}
	fmt.Printf("first search of %s (loads its index from the store): %v\n", target, round(time.Since(start)))
	if _, err := conn.Search(ctx, other, crm.Query{Text: "a"}); err != nil {
		return err
	}

	lat := make([]time.Duration, 0, len(queries))
	var results, empty, leaks int
	for _, q := range queries {
		t0 := time.Now()
		recs, err := conn.Search(ctx, target, q)
		lat = append(lat, time.Since(t0))
		if err != nil {
			return fmt.Errorf("search %+v: %w", q, err)
		}
		results += len(recs)
		if len(recs) == 0 {
			empty++
		}
		for _, r := range recs {
			if r.TenantID != target {
				leaks++
			}
		}
	}
	idx := summarize(lat)
	fmt.Printf("Connector.Search, %d queries (1–3 word prefixes, 30 %% with a kind, limit 25): %s; %.1f results/query, %d with none\n",
		len(queries), idx, float64(results)/float64(len(queries)), empty)
	if leaks > 0 {
		return fmt.Errorf("tenant isolation broken: %d results of another tenant", leaks)
	}
	fmt.Println("tenant isolation: 0 results of the other tenant")

	n := min(c.baseline, len(queries))
	if n == 0 {
		return nil
	}
	base, err := likeBaseline(ctx, db, target, queries[:n])
	if err != nil {
		return err
	}
	sql := summarize(base)
	fmt.Printf("baseline SQL LIKE '%%q%%' scan, first %d of the same queries: %s\n", n, sql)
	fmt.Printf("ratio (baseline / index): p50 %.0f×, p99 %.0f×\n",
		float64(sql.p50)/float64(idx.p50), float64(sql.p99)/float64(idx.p99))
	if idx.p99 > 50*time.Millisecond {
		fmt.Printf("TARGET MISSED: p99 %v > 50ms\n", idx.p99)
	}
	return nil
}

func round(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
