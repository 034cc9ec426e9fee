package work

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/graph"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/vault"
)

// GraphCredentialName is the vault secret holding a tenant's app
// credential for Microsoft Graph.
const GraphCredentialName = "graph/credential"

// StoredCredential is the sealed document: the app's client id and either
// its client secret or a PEM certificate with its private key. The Entra
// tenant id is the tenant's own (tenants.entra_tenant_id), so a credential
// cannot be pointed at another directory.
type StoredCredential struct {
	ClientID       string `json:"clientId"`
	ClientSecret   string `json:"clientSecret,omitempty"`
	CertificatePEM string `json:"certificatePem,omitempty"`
}

// GraphCredentials finds tenants' Graph credentials in the vault; it
// implements graph.Credentials.
type GraphCredentials struct {
	DB    *store.DB
	Vault *vault.Vault
}

var _ graph.Credentials = GraphCredentials{}

// Credential unseals tenantID's credential. Errors: graph.ErrNoCredential
// when none is stored or the tenant has no Entra tenant id.
func (g GraphCredentials) Credential(ctx context.Context, tenantID string) (graph.Credential, error) {
	t, err := g.DB.Tenant(ctx, tenantID)
	if err != nil {
		return graph.Credential{}, err
	}
	if t.EntraTenantID == "" {
		return graph.Credential{}, graph.ErrNoCredential(tenantID)
	}
	raw, err := g.Vault.Secret(ctx, tenantID, GraphCredentialName)
	if governance.IsKind(err, governance.KindNotFound) {
		return graph.Credential{}, graph.ErrNoCredential(tenantID)
	}
	if err != nil {
		return graph.Credential{}, err
	}
	var sc StoredCredential
	if err := json.Unmarshal(raw, &sc); err != nil {
		return graph.Credential{}, fmt.Errorf("work: graph credential of %s: %w", tenantID, err)
	}
	return sc.credential(t.EntraTenantID)
}

func (sc StoredCredential) credential(entraTenantID string) (graph.Credential, error) {
	c := graph.Credential{EntraTenantID: entraTenantID, ClientID: sc.ClientID, ClientSecret: sc.ClientSecret}
	if sc.CertificatePEM != "" {
		cert, key, err := graph.ParseCertificatePEM([]byte(sc.CertificatePEM))
		if err != nil {
			return graph.Credential{}, err
		}
		c.Certificate, c.Key = cert, key
	}
	return c, nil
}

// Save validates sc for tenantID and seals it in the vault, replacing any
// previous credential. Errors: KindInvalid (what is wrong with it),
// KindNotFound (no such tenant).
func (g GraphCredentials) Save(ctx context.Context, tenantID string, sc StoredCredential) error {
	t, err := g.DB.Tenant(ctx, tenantID)
	if err != nil {
		return err
	}
	if t.EntraTenantID == "" {
		return governance.Errorf(governance.KindInvalid, "entra_tenant_id_missing",
			"tenant %s has no Entra tenant id: set it before its app credential", tenantID)
	}
	sc.ClientID = strings.TrimSpace(sc.ClientID)
	c, err := sc.credential(t.EntraTenantID)
	if err == nil {
		err = c.Validate()
	}
	if err != nil {
		return governance.Wrap(governance.KindInvalid, "graph_credential_invalid",
			"the app credential is not usable: give the application (client) id and either a client secret or a PEM file with the certificate and its RSA private key", err)
	}
	doc, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	return g.Vault.PutSecret(ctx, tenantID, GraphCredentialName, doc)
}
