package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
)

// A template is a head row in templates (what the catalog lists) and one
// immutable row per version in template_versions. Writes take the caller's
// transaction so the change, its audit event and its webhooks commit
// together.

// TemplateVersionInfo describes one stored version of a template.
type TemplateVersionInfo struct {
	Version   int
	CreatedAt time.Time
	CreatedBy string
}

// querier is what reads need: the reader pool or a write transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func checkTemplate(t governance.Template) error {
	if strings.TrimSpace(t.TenantID) == "" || strings.TrimSpace(t.ID) == "" {
		return governance.Errorf(governance.KindInvalid, "template_invalid", "a template needs a tenant id and an id")
	}
	return t.Validate()
}

func encodeDoc(v any, what string) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("store: encode %s: %w", what, err)
	}
	return string(b), nil
}

// CreateTemplate stores t as version 1 of a new template inside tx, stamped
// with tx.Now, and returns it as stored. t.UpdatedBy is recorded as the
// version's author. Errors: KindInvalid (t.Validate, missing ids),
// KindConflict template_exists, KindNotFound tenant_not_found.
func (db *DB) CreateTemplate(ctx context.Context, tx *Tx, t governance.Template) (governance.Template, error) {
	if err := checkTemplate(t); err != nil {
		return governance.Template{}, err
	}
	t.Version, t.CreatedAt, t.UpdatedAt = 1, tx.Now, tx.Now
	doc, err := encodeDoc(t, "template")
	if err != nil {
		return governance.Template{}, err
	}
	// DO NOTHING keeps a PostgreSQL transaction usable after a duplicate id.
	res, err := tx.ExecContext(ctx, `INSERT INTO templates (tenant_id, template_id, latest_version, name, category, retired, updated_at, version_lock)
		VALUES ($1, $2, 1, $3, $4, $5, $6, 1) ON CONFLICT (tenant_id, template_id) DO NOTHING`,
		t.TenantID, t.ID, t.Name, t.Category, t.Retired, t.UpdatedAt)
	switch {
	case isForeignKeyViolation(err):
		return governance.Template{}, notFound("tenant_not_found", "tenant %q does not exist", t.TenantID)
	case err != nil:
		return governance.Template{}, classify("create template", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return governance.Template{}, conflict("template_exists", "a template with id %q already exists", t.ID)
	}
	if err := insertTemplateVersion(ctx, tx, t, doc); err != nil {
		return governance.Template{}, err
	}
	return t, nil
}

func insertTemplateVersion(ctx context.Context, tx *Tx, t governance.Template, doc string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO template_versions (tenant_id, template_id, version, doc, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.TenantID, t.ID, t.Version, doc, t.UpdatedBy, tx.Now)
	if isUniqueViolation(err) {
		return conflict("template_version_conflict", "template %q already has a version %d: reload it and apply your change again", t.ID, t.Version)
	}
	return classify("store template version", err)
}

// SaveTemplate stores t as the next version of its template inside tx and
// moves the catalog head to it. t.Version must be the latest version (the one
// the caller read); the result has Version+1, UpdatedAt tx.Now and the
// template's original CreatedAt. Earlier versions stay readable.
// Errors: KindInvalid (t.Validate), KindNotFound template_not_found,
// KindConflict template_version_conflict (stale version: reload and apply
// the change again).
func (db *DB) SaveTemplate(ctx context.Context, tx *Tx, t governance.Template) (governance.Template, error) {
	if err := checkTemplate(t); err != nil {
		return governance.Template{}, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE templates SET latest_version = latest_version + 1, name = $4, category = $5, retired = $6, updated_at = $7, version_lock = version_lock + 1
		WHERE tenant_id = $1 AND template_id = $2 AND latest_version = $3`,
		t.TenantID, t.ID, t.Version, t.Name, t.Category, t.Retired, tx.Now)
	if err != nil {
		return governance.Template{}, classify("save template", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return governance.Template{}, staleOrMissing(ctx, tx, "template", `SELECT latest_version FROM templates WHERE tenant_id = $1 AND template_id = $2`, t.TenantID, t.ID)
	}
	var created time.Time
	err = tx.QueryRowContext(ctx, `SELECT created_at FROM template_versions WHERE tenant_id = $1 AND template_id = $2 AND version = 1`, t.TenantID, t.ID).Scan(&created)
	if err != nil {
		return governance.Template{}, classify("save template: read creation time", err)
	}
	t.Version, t.CreatedAt, t.UpdatedAt = t.Version+1, created.UTC(), tx.Now
	doc, err := encodeDoc(t, "template")
	if err != nil {
		return governance.Template{}, err
	}
	if err := insertTemplateVersion(ctx, tx, t, doc); err != nil {
		return governance.Template{}, err
	}
	return t, nil
}

func decodeTemplate(doc string) (governance.Template, error) {
	var t governance.Template
	if err := json.Unmarshal([]byte(doc), &t); err != nil {
		return governance.Template{}, fmt.Errorf("decode template: %w", err)
	}
	return t, nil
}

func readTemplate(ctx context.Context, q querier, tenantID, id string) (governance.Template, error) {
	const op = "get template"
	var doc string
	err := q.QueryRowContext(ctx, `SELECT doc FROM template_versions WHERE tenant_id = $1 AND template_id = $2
		AND version = (SELECT latest_version FROM templates WHERE tenant_id = $1 AND template_id = $2)`, tenantID, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return governance.Template{}, notFound("template_not_found", "there is no template %q", id)
	}
	if err != nil {
		return governance.Template{}, classify(op, err)
	}
	t, err := decodeTemplate(doc)
	return t, classify(op, err)
}

// Template returns the latest version of a template. Errors: KindNotFound
// template_not_found.
func (db *DB) Template(ctx context.Context, tenantID, id string) (governance.Template, error) {
	return readTemplate(ctx, db.reader, tenantID, id)
}

// TemplateTx is Template inside tx, for read-modify-write.
func (db *DB) TemplateTx(ctx context.Context, tx *Tx, tenantID, id string) (governance.Template, error) {
	return readTemplate(ctx, tx, tenantID, id)
}

// TemplateVersion returns one version of a template, retired or not.
// Errors: KindNotFound template_version_not_found.
func (db *DB) TemplateVersion(ctx context.Context, tenantID, id string, version int) (governance.Template, error) {
	return templateVersion(ctx, db.reader, tenantID, id, version)
}

// TemplateVersionTx is TemplateVersion inside tx: a transaction must not
// wait for a second connection (on PostgreSQL the pool is shared, and
// transactions each holding one while waiting for another exhaust it).
func (db *DB) TemplateVersionTx(ctx context.Context, tx *Tx, tenantID, id string, version int) (governance.Template, error) {
	return templateVersion(ctx, tx, tenantID, id, version)
}

func templateVersion(ctx context.Context, q querier, tenantID, id string, version int) (governance.Template, error) {
	var doc string
	err := q.QueryRowContext(ctx, `SELECT doc FROM template_versions WHERE tenant_id = $1 AND template_id = $2 AND version = $3`,
		tenantID, id, version).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return governance.Template{}, notFound("template_version_not_found", "template %q has no version %d", id, version)
	}
	if err != nil {
		return governance.Template{}, classify("get template version", err)
	}
	t, err := decodeTemplate(doc)
	return t, classify("get template version", err)
}

// TemplateVersions lists the versions of a template, oldest first.
// Errors: KindNotFound template_not_found.
func (db *DB) TemplateVersions(ctx context.Context, tenantID, id string) ([]TemplateVersionInfo, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT version, created_at, created_by FROM template_versions WHERE tenant_id = $1 AND template_id = $2 ORDER BY version`,
		tenantID, id)
	if err != nil {
		return nil, classify("list template versions", err)
	}
	defer rows.Close()
	var out []TemplateVersionInfo
	for rows.Next() {
		var v TemplateVersionInfo
		if err := rows.Scan(&v.Version, &v.CreatedAt, &v.CreatedBy); err != nil {
			return nil, classify("list template versions", err)
		}
		v.CreatedAt = v.CreatedAt.UTC()
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, classify("list template versions", err)
	}
	if len(out) == 0 {
		return nil, notFound("template_not_found", "there is no template %q", id)
	}
	return out, nil
}

// Templates lists the latest version of each of the tenant's templates,
// ordered by category, then name (compared folded, so case and accents do
// not split the order and both engines agree), then id. Retired templates
// are listed only with includeRetired.
func (db *DB) Templates(ctx context.Context, tenantID string, includeRetired bool) ([]governance.Template, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT template_versions.doc FROM templates JOIN template_versions USING (tenant_id, template_id)
		WHERE tenant_id = $1 AND template_versions.version = templates.latest_version AND (templates.retired = FALSE OR $2)`,
		tenantID, includeRetired)
	if err != nil {
		return nil, classify("list templates", err)
	}
	defer rows.Close()
	var out []governance.Template
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, classify("list templates", err)
		}
		t, err := decodeTemplate(doc)
		if err != nil {
			return nil, classify("list templates", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, classify("list templates", err)
	}
	slices.SortFunc(out, func(a, b governance.Template) int {
		if c := strings.Compare(governance.FoldForMatch(a.Category), governance.FoldForMatch(b.Category)); c != 0 {
			return c
		}
		if c := strings.Compare(governance.FoldForMatch(a.Name), governance.FoldForMatch(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}
