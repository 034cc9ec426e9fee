-- Records of the built-in CRM connector (crm.Builtin): the accounts,
-- opportunities and contacts a tenant imported from CSV or JSON, which the
-- Teams messaging extension searches.
--
-- Searches never run here: each replica keeps an in-memory index per
-- tenant, loads it by keyset paging on the primary key, and reloads it when
-- the tenant's generation (crm_generations) moved, which every write bumps
-- in its own transaction: one primary-key read tells a replica whether
-- another replica imported since it loaded.
--
-- fields is a JSON array of {"name","value"} objects, in the order shown.
-- revision starts at 1 and grows with each change, so an upsert's
-- RETURNING tells a created row from an updated one on both engines.
CREATE TABLE crm_records (
    tenant_id   TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    external_id TEXT NOT NULL,
    title       TEXT NOT NULL,
    subtitle    TEXT NOT NULL,
    fields      TEXT NOT NULL,
    url         TEXT NOT NULL,
    updated_at  {{TIMESTAMP}} NOT NULL,
    revision    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, external_id)
);

CREATE TABLE crm_generations (
    tenant_id  TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    generation BIGINT NOT NULL,
    PRIMARY KEY (tenant_id)
);
