-- The lifecycle of managed teams (governance.LifecycleState): expiry,
-- warnings, renewal, the archive or deletion at expiry, and inactivity.
--
-- The reconciler reads only the teams that are due: expiry_due_at is when
-- a team's next expiry step falls due (a warning or the expiry itself) and
-- activity_due_at when its activity is checked next, NULL when never. Both
-- are indexed per tenant (with team_id, the order's tie-break), only where
-- set, so a cycle costs the teams due, not the teams managed.
--
-- version makes lifecycle saves optimistic, as requests are.
ALTER TABLE managed_teams ADD COLUMN expires_at {{TIMESTAMP}};
ALTER TABLE managed_teams ADD COLUMN warned_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE managed_teams ADD COLUMN renewed_at {{TIMESTAMP}};
ALTER TABLE managed_teams ADD COLUMN renewed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE managed_teams ADD COLUMN attested {{BOOL}} NOT NULL DEFAULT FALSE;
ALTER TABLE managed_teams ADD COLUMN archived_at {{TIMESTAMP}};
ALTER TABLE managed_teams ADD COLUMN deleted_at {{TIMESTAMP}};
ALTER TABLE managed_teams ADD COLUMN last_activity_at {{TIMESTAMP}};
ALTER TABLE managed_teams ADD COLUMN inactive_warned_at {{TIMESTAMP}};
ALTER TABLE managed_teams ADD COLUMN expiry_due_at {{TIMESTAMP}};
ALTER TABLE managed_teams ADD COLUMN activity_due_at {{TIMESTAMP}};
ALTER TABLE managed_teams ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- Teams recorded before this migration are due at once: their first check
-- reads their template version's policy and schedules them (expiry from
-- their creation, never sooner than the first warning from then on).
UPDATE managed_teams SET expiry_due_at = created_at, activity_due_at = created_at;

CREATE INDEX managed_teams_expiry_due ON managed_teams (tenant_id, expiry_due_at, team_id) WHERE expiry_due_at IS NOT NULL;
CREATE INDEX managed_teams_activity_due ON managed_teams (tenant_id, activity_due_at, team_id) WHERE activity_due_at IS NOT NULL;
