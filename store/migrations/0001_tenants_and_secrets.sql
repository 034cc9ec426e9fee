-- Tenants, per-tenant data keys and sealed secrets.
--
-- Every table starts its primary key with tenant_id (the Citus distribution
-- column). tenants is small and looked up by Entra tenant id on every
-- request, so in a Citus cluster it is a reference table; data_keys and
-- secrets are distributed by tenant_id.
CREATE TABLE tenants (
    tenant_id       TEXT NOT NULL,
    name            TEXT NOT NULL,
    entra_tenant_id TEXT NOT NULL DEFAULT '',
    created_at      {{TIMESTAMP}} NOT NULL,
    updated_at      {{TIMESTAMP}} NOT NULL,
    version         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id)
);

CREATE UNIQUE INDEX tenants_entra_tenant_id ON tenants (entra_tenant_id) WHERE entra_tenant_id <> '';

-- Data keys exist only wrapped by a key-encryption key (kek_id).
CREATE TABLE data_keys (
    tenant_id  TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    key_id     TEXT NOT NULL,
    kek_id     TEXT NOT NULL,
    wrapped    {{BYTES}} NOT NULL,
    active     {{BOOL}} NOT NULL,
    created_at {{TIMESTAMP}} NOT NULL,
    version    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, key_id)
);

-- At most one active data key per tenant, whatever races happen.
CREATE UNIQUE INDEX data_keys_one_active ON data_keys (tenant_id) WHERE active;

-- Secrets exist only as vault ciphertext.
CREATE TABLE secrets (
    tenant_id  TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    ciphertext {{BYTES}} NOT NULL,
    updated_at {{TIMESTAMP}} NOT NULL,
    version    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
