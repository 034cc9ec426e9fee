package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/acme/autocert"
)

// ACMESealer seals ACME cache entries before they reach the table and opens
// them after: the store only ever holds sealed values. *edge.ACMESealer
// implements it over the vault's keyring.
type ACMESealer interface {
	Seal(ctx context.Context, name string, plaintext []byte) ([]byte, error)
	Open(ctx context.Context, name string, sealed []byte) ([]byte, error)
}

// ACMECache is autocert's cache in the main store (table acme_cache): the
// ACME account key, the certificates and the challenge answers survive
// restarts and are shared by every replica of the installation.
type ACMECache struct {
	db     *DB
	sealer ACMESealer
}

var _ autocert.Cache = (*ACMECache)(nil)

// ACMECache returns the cache over db, sealing with sealer. It panics on a
// nil sealer: private keys are never stored in the clear.
func (db *DB) ACMECache(sealer ACMESealer) *ACMECache {
	if sealer == nil {
		panic("store: ACMECache needs a sealer")
	}
	return &ACMECache{db: db, sealer: sealer}
}

// Get returns the entry's plaintext. Errors: autocert.ErrCacheMiss when
// there is none; the sealer's when the stored value does not open.
func (c *ACMECache) Get(ctx context.Context, name string) ([]byte, error) {
	var sealed []byte
	err := c.db.reader.QueryRowContext(ctx, `SELECT data FROM acme_cache WHERE name = $1`, name).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, autocert.ErrCacheMiss
	}
	if err != nil {
		return nil, classify("get ACME cache entry", err)
	}
	data, err := c.sealer.Open(ctx, name, sealed)
	if err != nil {
		return nil, fmt.Errorf("store: ACME cache entry %q: %w", name, err)
	}
	return data, nil
}

// Put seals data and stores it under name, replacing any previous value.
func (c *ACMECache) Put(ctx context.Context, name string, data []byte) error {
	sealed, err := c.sealer.Seal(ctx, name, data)
	if err != nil {
		return fmt.Errorf("store: ACME cache entry %q: %w", name, err)
	}
	_, err = c.db.writer.ExecContext(ctx, `INSERT INTO acme_cache (name, data, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, name, sealed, c.db.now().UTC().Truncate(time.Microsecond))
	return classify("put ACME cache entry", err)
}

// Delete removes the entry; removing one that is not there is not an error
// (autocert.Cache's contract).
func (c *ACMECache) Delete(ctx context.Context, name string) error {
	_, err := c.db.writer.ExecContext(ctx, `DELETE FROM acme_cache WHERE name = $1`, name)
	return classify("delete ACME cache entry", err)
}

// Reseal seals every entry again with the sealer's current key (after
// `steward keys rotate`, under the new key-encryption key) and returns how
// many it rewrote. An entry that autocert replaced meanwhile is left as it
// is: the replacement was sealed with the current key already.
func (c *ACMECache) Reseal(ctx context.Context) (int, error) {
	rows, err := c.db.reader.QueryContext(ctx, `SELECT name, data FROM acme_cache ORDER BY name`)
	if err != nil {
		return 0, classify("list ACME cache entries", err)
	}
	type entry struct {
		name   string
		sealed []byte
	}
	var entries []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.name, &e.sealed); err != nil {
			rows.Close()
			return 0, classify("list ACME cache entries", err)
		}
		entries = append(entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, classify("list ACME cache entries", err)
	}
	n := 0
	for _, e := range entries {
		data, err := c.sealer.Open(ctx, e.name, e.sealed)
		if err != nil {
			return n, fmt.Errorf("store: ACME cache entry %q: %w", e.name, err)
		}
		resealed, err := c.sealer.Seal(ctx, e.name, data)
		if err != nil {
			return n, fmt.Errorf("store: ACME cache entry %q: %w", e.name, err)
		}
		res, err := c.db.writer.ExecContext(ctx, `UPDATE acme_cache SET data = $1 WHERE name = $2 AND data = $3`, resealed, e.name, e.sealed)
		if err != nil {
			return n, classify("reseal ACME cache entry", err)
		}
		if k, _ := res.RowsAffected(); k == 1 {
			n++
		}
	}
	return n, nil
}
