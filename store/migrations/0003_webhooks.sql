-- Outgoing webhooks: subscriptions and their delivery log.
--
-- The signing secret of a subscription is not in these tables: it is sealed
-- by the vault and stored in secrets under the name webhooks/<subscription_id>,
-- so a database dump never holds a usable secret.
CREATE TABLE webhook_subscriptions (
    tenant_id       TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    subscription_id TEXT NOT NULL,
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,          -- JSON array of event names, or ["*"]
    description     TEXT NOT NULL DEFAULT '',
    enabled         {{BOOL}} NOT NULL,
    created_by      TEXT NOT NULL DEFAULT '',
    created_at      {{TIMESTAMP}} NOT NULL,
    updated_at      {{TIMESTAMP}} NOT NULL,
    version         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, subscription_id)
);

-- One row per event sent to one subscription; attempts update it in place.
-- Deleting a subscription deletes its log: the log has no meaning without
-- the endpoint, and a pending delivery must not outlive it.
CREATE TABLE webhook_deliveries (
    tenant_id       TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    delivery_id     TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    event           TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    payload         {{BYTES}} NOT NULL,
    attempt         INTEGER NOT NULL,
    status          TEXT NOT NULL,
    response_code   INTEGER NOT NULL DEFAULT 0,
    error           TEXT NOT NULL DEFAULT '',
    duration_ms     BIGINT NOT NULL DEFAULT 0,
    next_attempt_at {{TIMESTAMP}},
    created_at      {{TIMESTAMP}} NOT NULL,
    updated_at      {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (tenant_id, delivery_id),
    FOREIGN KEY (tenant_id, subscription_id) REFERENCES webhook_subscriptions (tenant_id, subscription_id) ON DELETE CASCADE
);

-- The delivery log of one endpoint, newest first.
CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (tenant_id, subscription_id, created_at);
