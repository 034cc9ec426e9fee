-- The audit trail: append-only, one hash chain per tenant.
--
-- seq numbers a tenant's events 1, 2, 3... with no gaps; the primary key
-- (tenant_id, seq) makes two concurrent appends of the same seq fail instead
-- of forking the chain. before_json/after_json hold canonical JSON as TEXT
-- (not JSONB, which would reformat what was hashed). The store has no
-- UPDATE or DELETE for this table; the triggers below refuse them from
-- anyone else too, except the cascade that removes a deleted tenant's rows.
CREATE TABLE audit_events (
    tenant_id    TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    seq          BIGINT NOT NULL,
    event_id     TEXT NOT NULL,
    at           {{TIMESTAMP}} NOT NULL,
    actor_type   TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    actor_name   TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL,
    subject_type TEXT NOT NULL DEFAULT '',
    subject_id   TEXT NOT NULL DEFAULT '',
    before_json  TEXT,
    after_json   TEXT,
    request_id   TEXT NOT NULL DEFAULT '',
    prev_hash    {{BYTES}} NOT NULL,
    hash         {{BYTES}} NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);

CREATE UNIQUE INDEX audit_events_event_id ON audit_events (tenant_id, event_id);
-- The per-user view, the action filter and a subject's history.
CREATE INDEX audit_events_actor ON audit_events (tenant_id, actor_id, seq);
CREATE INDEX audit_events_action ON audit_events (tenant_id, action, seq);
CREATE INDEX audit_events_subject ON audit_events (tenant_id, subject_type, subject_id, seq);

-- engine: sqlite
-- A row may be deleted only once its tenant is gone (the ON DELETE CASCADE
-- of a tenant removal runs after the tenant row is deleted).
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: rows cannot be updated');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN EXISTS (SELECT 1 FROM tenants WHERE tenant_id = OLD.tenant_id)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only: rows are removed only with their tenant');
END;

-- engine: postgres
-- One function guards UPDATE, DELETE and TRUNCATE. A DELETE is let through
-- only when the tenant row no longer exists: that is the ON DELETE CASCADE
-- of a tenant removal, whose referential action runs after the tenant row
-- is gone.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM tenants WHERE tenant_id = OLD.tenant_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END
$$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
