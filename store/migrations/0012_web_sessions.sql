-- Sessions of people signed in to the web pages (tabs, admin center).
--
-- The browser holds an opaque cookie "<tenant id>.<secret>"; only
-- SHA-256(secret) is stored (id_hash), so a copy of this table signs no one
-- in. claims are the validated Entra claims the principal is rebuilt from on
-- each request (roles are read again every time, so a revoked role takes
-- effect at once). csrf is the synchronizer token every state-changing form
-- and fetch must echo. A session ends at expires_at (absolute) or after
-- idle_until passes without a request.
CREATE TABLE web_sessions (
    tenant_id   TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    id_hash     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    claims      TEXT NOT NULL,
    csrf        TEXT NOT NULL,
    locale      TEXT NOT NULL,
    created_at  {{TIMESTAMP}} NOT NULL,
    idle_until  {{TIMESTAMP}} NOT NULL,
    expires_at  {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (tenant_id, id_hash)
);

CREATE INDEX web_sessions_user ON web_sessions (tenant_id, user_id);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
