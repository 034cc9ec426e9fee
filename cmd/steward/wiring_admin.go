package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/stewardhq/steward/crm"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/vault"
	"github.com/stewardhq/steward/web"
	"github.com/stewardhq/steward/work"
)

// adminCheckTimeout bounds each readiness check the overview runs.
const adminCheckTimeout = 2 * time.Second

// wireAdmin builds the admin center's services.
func (a *app) wireAdmin(s *services) (*web.AdminServices, error) {
	if a.db == nil || a.queue == nil || a.vault == nil || s == nil {
		return nil, fmt.Errorf("admin center: the store, job queue, vault and services must be open first")
	}
	b := &adminBackend{db: a.db, queue: a.queue, vault: a.vault, creds: work.GraphCredentials{DB: a.db, Vault: a.vault},
		crm: crm.NewBuiltin(a.db, crm.IndexOptions{}), version: buildVersion(), checks: a.adminChecks(), now: time.Now}
	return &web.AdminServices{System: b, Usage: b, Credentials: b, CRM: b}, nil
}

// adminChecks are the readiness checks /readyz runs, for the overview.
func (a *app) adminChecks() []web.Check {
	checks := []web.Check{{Name: "store", Ping: a.db.Ping}}
	if a.cache != nil {
		checks = append(checks, web.Check{Name: "cache", Ping: a.cache.Ping})
	}
	return append(checks, web.Check{Name: "blobs", Ping: func(context.Context) error { return dirExists(a.cfg.BlobDir) }})
}

// adminBackend implements the admin center's services on the app's
// components. Each method checks the principal's role first.
type adminBackend struct {
	db      *store.DB
	queue   *jobs.Queue
	vault   *vault.Vault
	creds   work.GraphCredentials
	crm     *crm.Builtin
	version string
	checks  []web.Check
	now     func() time.Time
}

var (
	_ web.SystemStatusSource   = (*adminBackend)(nil)
	_ web.UsageReport          = (*adminBackend)(nil)
	_ web.GraphCredentialAdmin = (*adminBackend)(nil)
	_ web.CRMAdmin             = (*adminBackend)(nil)
)

// SystemStatus runs the readiness checks concurrently and reads the queue.
func (b *adminBackend) SystemStatus(ctx context.Context, p governance.Principal) (web.SystemStatus, error) {
	if err := p.Require(governance.RoleAdministrator); err != nil {
		return web.SystemStatus{}, err
	}
	out := web.SystemStatus{Version: b.version, Checks: make([]web.CheckResult, len(b.checks))}
	cctx, cancel := context.WithTimeout(ctx, adminCheckTimeout)
	defer cancel()
	done := make(chan struct{}, len(b.checks))
	for i, c := range b.checks {
		go func() {
			defer func() { done <- struct{}{} }()
			out.Checks[i] = web.CheckResult{Name: c.Name, OK: true}
			if err := c.Ping(cctx); err != nil {
				// The reason stays in the server's log (as /readyz does):
				// a driver's error may name hosts or paths.
				out.Checks[i] = web.CheckResult{Name: c.Name, Error: "unavailable"}
			}
		}()
	}
	for range b.checks {
		<-done
	}
	avail, sched, retry, running, err := b.queue.Depth(ctx)
	if err != nil {
		return web.SystemStatus{}, err
	}
	out.Queue = web.QueueDepth{Available: avail, Scheduled: sched, Retryable: retry, Running: running}
	return out, nil
}

func (b *adminBackend) ActivePeople(ctx context.Context, p governance.Principal, since time.Time) (int, error) {
	if err := p.Require(governance.RoleAdministrator); err != nil {
		return 0, err
	}
	return b.db.ActivePeople(ctx, p.TenantID, since)
}

func (b *adminBackend) RequestCounts(ctx context.Context, p governance.Principal) (map[governance.RequestState]int, error) {
	if err := p.Require(governance.RoleAdministrator); err != nil {
		return nil, err
	}
	return b.db.RequestCountsByState(ctx, p.TenantID)
}

// CredentialStatus reads the sealed credential to tell its client id and
// type; the secret itself goes no further than this function.
func (b *adminBackend) CredentialStatus(ctx context.Context, p governance.Principal) (web.GraphCredentialStatus, error) {
	if err := p.Require(governance.RoleAdministrator); err != nil {
		return web.GraphCredentialStatus{}, err
	}
	t, err := b.db.Tenant(ctx, p.TenantID)
	if err != nil {
		return web.GraphCredentialStatus{}, err
	}
	st := web.GraphCredentialStatus{EntraTenantID: t.EntraTenantID}
	sealed, err := b.db.Secret(ctx, p.TenantID, work.GraphCredentialName)
	if governance.IsKind(err, governance.KindNotFound) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	raw, err := b.vault.Secret(ctx, p.TenantID, work.GraphCredentialName)
	if err != nil {
		return st, err
	}
	var sc work.StoredCredential
	if err := json.Unmarshal(raw, &sc); err != nil {
		return st, fmt.Errorf("admin: graph credential of %s: %w", p.TenantID, err)
	}
	st.Set, st.ClientID, st.SetAt, st.Type = true, sc.ClientID, sealed.UpdatedAt, "secret"
	if sc.CertificatePEM != "" {
		st.Type = "certificate"
	}
	return st, nil
}

// SetCredential seals the credential as `steward tenants credential` does
// and records who set it (never the secret) in the audit trail.
func (b *adminBackend) SetCredential(ctx context.Context, p governance.Principal, c web.GraphCredentialInput) error {
	if err := p.Require(governance.RoleAdministrator); err != nil {
		return err
	}
	sc := work.StoredCredential{ClientID: c.ClientID, ClientSecret: c.ClientSecret, CertificatePEM: c.CertificatePEM}
	if err := b.creds.Save(ctx, p.TenantID, sc); err != nil {
		return err
	}
	typ := "secret"
	if c.CertificatePEM != "" {
		typ = "certificate"
	}
	after, _ := json.Marshal(map[string]string{"clientId": c.ClientID, "type": typ})
	return b.audit(ctx, p, "tenant.graph_credential_set", "tenant", p.TenantID, after)
}

func (b *adminBackend) ImportCRM(ctx context.Context, p governance.Principal, kind, format string, r io.Reader) (web.CRMImportResult, error) {
	if err := p.Require(governance.RoleIntegrationManager); err != nil {
		return web.CRMImportResult{}, err
	}
	res, err := b.crm.Import(ctx, p.TenantID, crm.Kind(kind), format, r)
	if err != nil {
		return web.CRMImportResult{}, err
	}
	out := web.CRMImportResult{Created: res.Created, Updated: res.Updated, Unchanged: res.Unchanged, RejectedRows: res.RejectedRows}
	for _, e := range res.Rejected {
		out.Rejected = append(out.Rejected, e.String())
	}
	after, _ := json.Marshal(map[string]any{"kind": kind, "created": res.Created, "updated": res.Updated,
		"unchanged": res.Unchanged, "rejected": res.RejectedRows})
	return out, b.audit(ctx, p, "crm.imported", "crm_records", kind, after)
}

func (b *adminBackend) SearchCRM(ctx context.Context, p governance.Principal, kind, text string) ([]web.CRMRecord, error) {
	if err := p.Require(governance.RoleIntegrationManager); err != nil {
		return nil, err
	}
	recs, err := b.crm.Search(ctx, p.TenantID, crm.Query{Kind: crm.Kind(kind), Text: text})
	if err != nil {
		return nil, err
	}
	out := make([]web.CRMRecord, 0, len(recs))
	for _, r := range recs {
		out = append(out, web.CRMRecord{Kind: string(r.Kind), ID: r.ID, Title: r.Title, Subtitle: r.Subtitle, URL: r.URL})
	}
	return out, nil
}

func (b *adminBackend) audit(ctx context.Context, p governance.Principal, action, subjectType, subjectID string, after []byte) error {
	_, err := b.db.RecordAudit(ctx, governance.AuditEvent{TenantID: p.TenantID, At: b.now().UTC(), Action: action,
		Actor:       governance.AuditActor{Type: string(p.Kind), ID: p.ID, Name: p.Name},
		SubjectType: subjectType, SubjectID: subjectID, After: after})
	return err
}
