-- Retroactive template changes (governance.TemplatePolicies.
-- ApplyToExistingTeams): the rollout reconciler reads the live teams of a
-- template still behind its current version. This index makes that read
-- cost the teams behind, not every team the tenant has.
CREATE INDEX managed_teams_template ON managed_teams (tenant_id, template_id, template_version, team_id)
    WHERE archived_at IS NULL AND deleted_at IS NULL;
