-- The ACME (Let's Encrypt) cache of the installation, shared by every
-- replica and kept across restarts: the ACME account key, each host's
-- certificate with its private key, and the challenge answers of an order
-- in flight (so any replica answers the CA). data is only ever a sealed
-- value (envelope encryption under the keyring's key-encryption key, bound
-- to name). It belongs to no tenant, so it has no tenant_id: in a Citus
-- cluster it is a reference table.
CREATE TABLE acme_cache (
    name       TEXT NOT NULL,
    data       {{BYTES}} NOT NULL,
    updated_at {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (name)
);
