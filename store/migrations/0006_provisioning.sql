-- Provisioning checkpoints: what the provisioning job of a request has
-- already done in Microsoft Graph (the group's id, the async operation's id,
-- which steps finished), so that a rerun after a crash or a retry resumes
-- instead of creating a second team. doc is a JSON document owned by the
-- provision package; a request has one checkpoint, kept across attempts.
CREATE TABLE provision_checkpoints (
    tenant_id  TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    request_id TEXT NOT NULL,
    doc        TEXT NOT NULL,
    updated_at {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (tenant_id, request_id),
    FOREIGN KEY (tenant_id, request_id) REFERENCES requests (tenant_id, request_id) ON DELETE CASCADE
);
