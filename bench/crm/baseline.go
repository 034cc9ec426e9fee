package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stewardhq/steward/crm"
	"github.com/stewardhq/steward/store"
)

// likeBaseline answers queries the way a first version would: one SQL
// statement per query, every word a LIKE '%word%' on the lowercased title
// and subtitle, 25 rows. It folds no accents and ranks nothing, so it does
// less than the index; it is timed to show what the index saves, not to
// serve searches.
func likeBaseline(ctx context.Context, db *store.DB, tenantID string, queries []crm.Query) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, len(queries))
	for _, q := range queries {
		words := strings.Fields(q.Text)
		var sb strings.Builder
		sb.WriteString(`SELECT kind, external_id, title, subtitle, fields, url, updated_at FROM crm_records WHERE tenant_id = $1`)
		args := []any{tenantID}
		if q.Kind != "" {
			args = append(args, string(q.Kind))
			fmt.Fprintf(&sb, ` AND kind = $%d`, len(args))
		}
		for _, w := range words {
			args = append(args, "%"+w+"%")
			fmt.Fprintf(&sb, ` AND (LOWER(title) LIKE $%d OR LOWER(subtitle) LIKE $%[1]d)`, len(args))
		}
		sb.WriteString(` LIMIT 25`)
		t0 := time.Now()
		rows, err := db.Writer().QueryContext(ctx, sb.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("baseline %q: %w", q.Text, err)
		}
		for rows.Next() {
			var (
				kind, id, title, sub, fields, url string
				at                                time.Time
			)
			if err := rows.Scan(&kind, &id, &title, &sub, &fields, &url, &at); err != nil {
				rows.Close()
				return nil, err
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(t0))
	}
	return lat, nil
}

type summary struct {
	n                  int
	p50, p95, p99, max time.Duration
}

func summarize(lat []time.Duration) summary {
	s := slices.Clone(lat)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return summary{n: len(s), p50: at(0.50), p95: at(0.95), p99: at(0.99), max: s[len(s)-1]}
}

func (s summary) String() string {
	return fmt.Sprintf("p50 %v, p95 %v, p99 %v, max %v", us(s.p50), us(s.p95), us(s.p99), us(s.max))
}

func us(d time.Duration) time.Duration { return d.Round(time.Microsecond) }
