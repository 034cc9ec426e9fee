-- Teams Steward provisioned and keeps compliant, and the reconcilers' own
-- state (e.g. the deltaLink of a tenant's group delta query).
--
-- managed_teams is looked up by team id when a delta query reports a
-- change, so reconciliation reads only the teams that changed.
CREATE TABLE managed_teams (
    tenant_id        TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    team_id          TEXT NOT NULL,
    request_id       TEXT NOT NULL,
    template_id      TEXT NOT NULL,
    template_version BIGINT NOT NULL,
    created_at       {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (tenant_id, team_id)
);

CREATE TABLE reconciler_state (
    tenant_id  TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
