-- Tenant API keys for integrations (Power Automate, Zapier, scripts).
--
-- A key is stw_<tenant id>_<key id>_<secret>: it names its tenant, so the
-- authenticator finds the row by (tenant_id, key_id) like any other lookup
-- and no global key-id index is needed. The secret is never stored: hash is
-- HMAC-SHA256 of the whole key under a server-side pepper kept outside the
-- database, and prefix (stw_<tenant id>_<key id>) is what lists show.
-- scopes is a JSON array of scope names. last_used_at, expires_at and
-- revoked_at are NULL until used, for keys that never expire, and until
-- revoked.
CREATE TABLE api_keys (
    tenant_id    TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    key_id       TEXT NOT NULL,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         {{BYTES}} NOT NULL,
    scopes       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   {{TIMESTAMP}} NOT NULL,
    last_used_at {{TIMESTAMP}},
    expires_at   {{TIMESTAMP}},
    revoked_at   {{TIMESTAMP}},
    version      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, key_id)
);
