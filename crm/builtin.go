package crm

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/store"
)

// Limits of one import. A file past any of them is refused whole.
const (
	MaxImportBytes   = 20 << 20
	MaxImportRows    = 200_000
	MaxImportColumns = 64
	// MaxRejectedReported bounds ImportResult.Rejected; RejectedRows
	// still counts every rejected row.
	MaxRejectedReported = 1000
)

// Builtin is the connector over records imported into Steward's own store,
// searched through an Index.
type Builtin struct {
	db  *store.DB
	idx *Index
	// The import limits; tests lower them to reach them cheaply.
	maxBytes, maxRows int
}

var _ Connector = (*Builtin)(nil)

// NewBuiltin returns the built-in connector over db.
func NewBuiltin(db *store.DB, opts IndexOptions) *Builtin {
	return &Builtin{db: db, idx: NewIndex(db, opts), maxBytes: MaxImportBytes, maxRows: MaxImportRows}
}

// Search implements Connector from the index.
func (b *Builtin) Search(ctx context.Context, tenantID string, q Query) ([]Record, error) {
	return b.idx.Search(ctx, tenantID, q)
}

// ImportResult is what an import did.
type ImportResult struct {
	Created, Updated int
	// Unchanged counts records that were already stored with these values.
	Unchanged int
	// Rejected lists the rows that were not imported and why, in file
	// order, at most MaxRejectedReported of them; RejectedRows counts all.
	Rejected     []RowError
	RejectedRows int
}

// RowError says why one row was not imported. Line is the row's line in
// the file (CSV: counting the header as line 1; JSON: where its object
// starts); Field names the bad column, when one is.
type RowError struct {
	Line    int
	Field   string
	Message string
}

func (e RowError) String() string {
	if e.Field == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d: %s %s", e.Line, e.Field, e.Message)
}

// Import reads records of one kind from r, in format "csv" (a header row
// naming the columns, id and name required) or "json" (an array of
// objects), and creates or replaces them by (tenant, kind, id). Rows with
// a bad value, or an id already seen earlier in the file, are rejected and
// listed; the others are imported together, in one transaction, and are
// searchable when Import returns.
//
// Errors, with nothing written: KindInvalid crm_import_kind_unknown,
// crm_import_format_unknown, crm_import_too_large, crm_import_empty,
// crm_import_malformed, crm_import_not_array, crm_import_missing_column,
// crm_import_column_invalid, crm_import_too_many_columns,
// crm_import_too_many_rows, crm_import_tenant_full; KindNotFound
// tenant_not_found.
func (b *Builtin) Import(ctx context.Context, tenantID string, kind Kind, format string, r io.Reader) (ImportResult, error) {
	var res ImportResult
	if !kind.Valid() {
		return res, governance.Errorf(governance.KindInvalid, "crm_import_kind_unknown",
			"unknown record kind %q: use account, opportunity or contact", string(kind))
	}
	parse := map[string]func(data []byte, kind Kind, maxRows int, reject func(RowError)) ([]parsedRow, error){
		"csv": parseCSV, "json": parseJSON}[format]
	if parse == nil {
		return res, governance.Errorf(governance.KindInvalid, "crm_import_format_unknown",
			"unknown import format %q: use csv or json", format)
	}
	data, err := io.ReadAll(io.LimitReader(r, int64(b.maxBytes)+1))
	if err != nil {
		return res, fmt.Errorf("crm: read import: %w", err)
	}
	if len(data) > b.maxBytes {
		return res, governance.Errorf(governance.KindInvalid, "crm_import_too_large",
			"the file is larger than %d MB: split it into several imports", b.maxBytes>>20)
	}
	var rejected []RowError
	reject := func(e RowError) { rejected = append(rejected, e) }
	rows, err := parse(data, kind, b.maxRows, reject)
	if err != nil {
		return ImportResult{}, err
	}
	recs := dropDuplicates(rows, reject)
	slices.SortStableFunc(rejected, func(a, b RowError) int { return a.Line - b.Line })
	res.RejectedRows = len(rejected)
	res.Rejected = rejected[:min(len(rejected), MaxRejectedReported)]
	if len(recs) == 0 {
		return res, nil
	}
	err = b.idx.update(ctx, tenantID, func(snap *snapshot) (*snapshot, error) {
		added := 0
		for _, rec := range recs {
			if _, ok := snap.byKey[recordKey{kind, rec.ID}]; !ok {
				added++
			}
		}
		if limit := b.idx.opts.MaxTenantRecords; len(snap.docs)+added > limit {
			return nil, governance.Errorf(governance.KindInvalid, "crm_import_tenant_full",
				"this import would bring the tenant to %d records; at most %d are allowed: delete records of a kind first",
				len(snap.docs)+added, limit)
		}
		up, err := b.db.UpsertCRMRecords(ctx, tenantID, toStore(recs))
		if err != nil {
			return nil, fmt.Errorf("crm: import: %w", err)
		}
		res.Created, res.Updated, res.Unchanged = up.Created, up.Updated, up.Unchanged
		var changed []*entry
		for i, o := range up.Outcomes {
			if o != store.CRMUnchanged {
				rec := recs[i]
				rec.TenantID, rec.UpdatedAt = tenantID, up.At
				changed = append(changed, newEntry(rec))
			}
		}
		return snap.with(nextGeneration(snap.gen, up.Generation, len(changed) > 0), changed, nil), nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// Delete removes every record of kind of the tenant, from the store and
// the index, and returns how many there were.
// Errors: KindInvalid crm_import_kind_unknown.
func (b *Builtin) Delete(ctx context.Context, tenantID string, kind Kind) (int, error) {
	if !kind.Valid() {
		return 0, governance.Errorf(governance.KindInvalid, "crm_import_kind_unknown",
			"unknown record kind %q: use account, opportunity or contact", string(kind))
	}
	var n int
	err := b.idx.update(ctx, tenantID, func(snap *snapshot) (*snapshot, error) {
		var err error
		if n, err = b.db.DeleteCRMRecords(ctx, tenantID, string(kind)); err != nil || n == 0 {
			return nil, err
		}
		gen, err := b.db.CRMGeneration(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		return snap.with(nextGeneration(snap.gen, gen, true), nil, func(e *entry) bool { return e.rec.Kind == kind }), nil
	})
	if err != nil {
		return 0, fmt.Errorf("crm: delete %s records: %w", kind, err)
	}
	return n, nil
}

// nextGeneration is the generation of the snapshot after a write that
// left the store at stored: the write's own when the write was the only
// one since snap (it bumped the generation by one, or not at all when it
// changed nothing); -1, which forces a reload, when another replica wrote
// in between.
func nextGeneration(snap, stored int64, changed bool) int64 {
	if (changed && stored == snap+1) || (!changed && stored == snap) {
		return stored
	}
	return -1
}

// dropDuplicates rejects every row whose id an earlier row of the file
// already has: which of two versions was meant is the file author's call.
func dropDuplicates(rows []parsedRow, reject func(RowError)) []Record {
	first := make(map[string]int, len(rows))
	recs := make([]Record, 0, len(rows))
	for _, r := range rows {
		if line, dup := first[r.rec.ID]; dup {
			reject(RowError{Line: r.line, Field: "id", Message: fmt.Sprintf("%q already appears on line %d", r.rec.ID, line)})
			continue
		}
		first[r.rec.ID] = r.line
		recs = append(recs, r.rec)
	}
	return recs
}

func toStore(recs []Record) []store.CRMRecord {
	out := make([]store.CRMRecord, len(recs))
	for i, r := range recs {
		out[i] = store.CRMRecord{Kind: string(r.Kind), ExternalID: r.ID, Title: r.Title, Subtitle: r.Subtitle, URL: r.URL}
		if len(r.Fields) > 0 {
			out[i].Fields = make([]store.CRMField, len(r.Fields))
			for j, f := range r.Fields {
				out[i].Fields[j] = store.CRMField{Name: f.Name, Value: f.Value}
			}
		}
	}
	return out
}

func tooManyRows(maxRows int) error {
	return governance.Errorf(governance.KindInvalid, "crm_import_too_many_rows",
		"the file has more than %d rows: split it into several imports", maxRows)
}
