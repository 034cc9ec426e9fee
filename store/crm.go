package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// CRMRecord is one record of the built-in CRM connector as stored. Kind and
// ExternalID identify it within its tenant; crm validates every value
// before it reaches the store.
type CRMRecord struct {
	Kind       string
	ExternalID string
	Title      string
	Subtitle   string
	Fields     []CRMField
	URL        string
	UpdatedAt  time.Time // stamped by the store when the record changes
}

// CRMField is one named value of a record, kept in the order given.
type CRMField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// CRMKey is a record's position in keyset order (kind, then external id);
// the zero key comes before every record.
type CRMKey struct {
	Kind       string
	ExternalID string
}

// CRMOutcome says what an upsert did to one record.
type CRMOutcome int

const (
	CRMCreated CRMOutcome = iota + 1
	CRMUpdated
	CRMUnchanged // the stored record already had these values: not rewritten
)

// CRMUpsert is what UpsertCRMRecords did.
type CRMUpsert struct {
	Created, Updated, Unchanged int
	// Outcomes holds one outcome per record, in the order given.
	Outcomes []CRMOutcome
	// At is the UpdatedAt of every created or updated record.
	At time.Time
	// Generation is the tenant's CRM generation after the upsert.
	Generation int64
}

const crmColumns = `kind, external_id, title, subtitle, fields, url, updated_at`

// A record whose values did not change is left alone (no row comes back),
// so its updated_at keeps saying when it last changed.
const upsertCRMRecord = `INSERT INTO crm_records (tenant_id, ` + crmColumns + `, revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1)
ON CONFLICT (tenant_id, kind, external_id) DO UPDATE SET title = excluded.title, subtitle = excluded.subtitle,
fields = excluded.fields, url = excluded.url, updated_at = excluded.updated_at, revision = crm_records.revision + 1
WHERE crm_records.title <> excluded.title OR crm_records.subtitle <> excluded.subtitle
OR crm_records.fields <> excluded.fields OR crm_records.url <> excluded.url
RETURNING revision`

// bumpCRMGeneration runs in every transaction that changes a tenant's
// records, so a replica's index learns with one read that it is stale.
const bumpCRMGeneration = `INSERT INTO crm_generations (tenant_id, generation) VALUES ($1, 1)
ON CONFLICT (tenant_id) DO UPDATE SET generation = crm_generations.generation + 1
RETURNING generation`

// UpsertCRMRecords creates or replaces recs, keyed by (tenant, kind,
// external id), in one transaction: all of them or none. A key listed twice
// is a caller's bug and fails the whole batch.
// Errors: KindNotFound (no such tenant).
func (db *DB) UpsertCRMRecords(ctx context.Context, tenantID string, recs []CRMRecord) (CRMUpsert, error) {
	seen := make(map[CRMKey]struct{}, len(recs))
	for _, r := range recs {
		k := CRMKey{r.Kind, r.ExternalID}
		if _, dup := seen[k]; dup {
			return CRMUpsert{}, fmt.Errorf("store: upsert crm records: %s %q is listed twice", r.Kind, r.ExternalID)
		}
		seen[k] = struct{}{}
	}
	var res CRMUpsert
	if len(recs) == 0 {
		return res, nil
	}
	err := db.InTx(ctx, func(tx *Tx) error {
		res = CRMUpsert{Outcomes: make([]CRMOutcome, len(recs)), At: tx.Now}
		for i, r := range recs {
			fields, err := encodeCRMFields(r.Fields)
			if err != nil {
				return err
			}
			var rev int64
			err = tx.QueryRowContext(ctx, upsertCRMRecord,
				tenantID, r.Kind, r.ExternalID, r.Title, r.Subtitle, fields, r.URL, tx.Now).Scan(&rev)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				res.Outcomes[i] = CRMUnchanged
				res.Unchanged++
			case isForeignKeyViolation(err):
				return notFound("tenant_not_found", "tenant %q does not exist", tenantID)
			case err != nil:
				return classify("upsert crm record", err)
			case rev == 1:
				res.Outcomes[i] = CRMCreated
				res.Created++
			default:
				res.Outcomes[i] = CRMUpdated
				res.Updated++
			}
		}
		if res.Created+res.Updated == 0 {
			gen, err := db.crmGeneration(ctx, tx.Tx, tenantID)
			res.Generation = gen
			return err
		}
		err := tx.QueryRowContext(ctx, bumpCRMGeneration, tenantID).Scan(&res.Generation)
		return classify("bump crm generation", err)
	})
	if err != nil {
		return CRMUpsert{}, err
	}
	return res, nil
}

// CRMRecords returns the tenant's records after the key after, in keyset
// order, at most limit (1 to 10,000; other values mean 1,000). An index
// loads a tenant page by page with it.
func (db *DB) CRMRecords(ctx context.Context, tenantID string, after CRMKey, limit int) ([]CRMRecord, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	rows, err := db.reader.QueryContext(ctx, `SELECT `+crmColumns+` FROM crm_records
WHERE tenant_id = $1 AND (kind, external_id) > ($2, $3) ORDER BY kind, external_id LIMIT $4`,
		tenantID, after.Kind, after.ExternalID, limit)
	if err != nil {
		return nil, classify("list crm records", err)
	}
	defer rows.Close()
	out := make([]CRMRecord, 0, min(limit, 1000))
	for rows.Next() {
		var (
			r      CRMRecord
			fields string
		)
		if err := rows.Scan(&r.Kind, &r.ExternalID, &r.Title, &r.Subtitle, &fields, &r.URL, &r.UpdatedAt); err != nil {
			return nil, classify("list crm records", err)
		}
		if err := json.Unmarshal([]byte(fields), &r.Fields); err != nil {
			return nil, fmt.Errorf("store: crm record %s %q: fields: %w", r.Kind, r.ExternalID, err)
		}
		r.UpdatedAt = r.UpdatedAt.UTC()
		out = append(out, r)
	}
	return out, classify("list crm records", rows.Err())
}

// DeleteCRMRecords removes every record of one kind of the tenant and
// returns how many there were.
func (db *DB) DeleteCRMRecords(ctx context.Context, tenantID, kind string) (int, error) {
	var n int64
	err := db.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM crm_records WHERE tenant_id = $1 AND kind = $2`, tenantID, kind)
		if err != nil {
			return classify("delete crm records", err)
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return classify("delete crm records", err)
		}
		var gen int64
		err = tx.QueryRowContext(ctx, bumpCRMGeneration, tenantID).Scan(&gen)
		if isForeignKeyViolation(err) {
			return notFound("tenant_not_found", "tenant %q does not exist", tenantID)
		}
		return classify("bump crm generation", err)
	})
	return int(n), err
}

// CRMGeneration is a number that changes whenever the tenant's CRM records
// change (0 before the first change). An index compares it with the one it
// loaded at to tell whether it is stale.
func (db *DB) CRMGeneration(ctx context.Context, tenantID string) (int64, error) {
	return db.crmGeneration(ctx, db.reader, tenantID)
}

func (db *DB) crmGeneration(ctx context.Context, q querier, tenantID string) (int64, error) {
	var gen int64
	err := q.QueryRowContext(ctx, `SELECT generation FROM crm_generations WHERE tenant_id = $1`, tenantID).Scan(&gen)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return gen, classify("get crm generation", err)
}

func encodeCRMFields(fs []CRMField) (string, error) {
	if len(fs) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(fs)
	if err != nil {
		return "", fmt.Errorf("store: encode crm fields: %w", err)
	}
	return string(b), nil
}
