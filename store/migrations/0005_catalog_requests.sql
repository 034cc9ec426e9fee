-- The governance catalog and its requests: versioned templates, team
-- requests with the approvers they wait for, and role assignments.
--
-- A template is a head row (templates, what the catalog lists) and one
-- immutable row per version (template_versions, the whole template as JSON):
-- a request names the version it was made from and keeps reading it after the
-- template moves on.
CREATE TABLE templates (
    tenant_id      TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    template_id    TEXT NOT NULL,
    latest_version BIGINT NOT NULL,
    name           TEXT NOT NULL,
    category       TEXT NOT NULL DEFAULT '',
    retired        {{BOOL}} NOT NULL,
    updated_at     {{TIMESTAMP}} NOT NULL,
    version_lock   BIGINT NOT NULL,        -- bumped by every write of the head
    PRIMARY KEY (tenant_id, template_id)
);

CREATE TABLE template_versions (
    tenant_id   TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    template_id TEXT NOT NULL,
    version     BIGINT NOT NULL,
    doc         TEXT NOT NULL,             -- governance.Template as JSON
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (tenant_id, template_id, version),
    FOREIGN KEY (tenant_id, template_id) REFERENCES templates (tenant_id, template_id) ON DELETE CASCADE
);

-- The columns beside doc are copies of its fields that queries filter and
-- sort on; every write sets both from the same value.
CREATE TABLE requests (
    tenant_id           TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    request_id          TEXT NOT NULL,
    template_id         TEXT NOT NULL,
    template_version    BIGINT NOT NULL,
    state               TEXT NOT NULL,
    requester_id        TEXT NOT NULL,
    display_name        TEXT NOT NULL DEFAULT '',
    display_name_folded TEXT NOT NULL DEFAULT '', -- governance.FoldForMatch(display_name)
    mail_nickname       TEXT NOT NULL DEFAULT '',
    doc                 TEXT NOT NULL,            -- governance.Request as JSON
    created_at          {{TIMESTAMP}} NOT NULL,
    updated_at          {{TIMESTAMP}} NOT NULL,
    version             BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, request_id),
    FOREIGN KEY (tenant_id, template_id, template_version)
        REFERENCES template_versions (tenant_id, template_id, version) ON DELETE CASCADE
);

CREATE INDEX requests_by_requester ON requests (tenant_id, requester_id, created_at);
CREATE INDEX requests_by_state ON requests (tenant_id, state, updated_at);
CREATE INDEX requests_by_updated ON requests (tenant_id, updated_at);
CREATE INDEX requests_by_folded_name ON requests (tenant_id, display_name_folded);

-- Who a pending request waits for: the user and group ids of its current
-- stage's approvers (and the escalation approvers once escalated), lowercased.
-- Rewritten on every save and empty unless the request is pending, so
-- "waiting for me" is an index lookup on my id and my groups' ids.
CREATE TABLE request_pending_approvers (
    tenant_id  TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    request_id TEXT NOT NULL,
    ref_id     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, request_id, ref_id),
    FOREIGN KEY (tenant_id, request_id) REFERENCES requests (tenant_id, request_id) ON DELETE CASCADE
);

CREATE INDEX request_pending_approvers_by_ref ON request_pending_approvers (tenant_id, ref_id, request_id);

-- Roles granted to a user or to every member of an Entra group. Subject ids
-- are lowercased Entra object ids.
CREATE TABLE role_assignments (
    tenant_id    TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    role         TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    assigned_by  TEXT NOT NULL DEFAULT '',
    created_at   {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (tenant_id, role, subject_type, subject_id)
);
