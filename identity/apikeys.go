package identity

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/telemetry"
)

// KeyManager creates, lists and revokes a tenant's API keys: for
// integration managers through the REST API, and for operators through
// `steward apikeys`, which acts as the system. It is the one place a key is
// made: the plaintext is returned once and only its HMAC under the pepper
// is stored, and every change is audited in the transaction that makes it.
type KeyManager struct {
	db     *store.DB
	pepper []byte
	rand   io.Reader
}

// KeyManagerOptions adjust a KeyManager; the zero value is production's.
type KeyManagerOptions struct {
	Rand io.Reader // where new keys come from; default crypto/rand.Reader
}

// NewKeyManager manages the keys in db. pepper is the server secret keys
// are hashed with (governance.APIKeyPepperSize bytes); it is needed only to
// create keys, so listing and revoking work without it (nil).
func NewKeyManager(db *store.DB, pepper []byte, opts KeyManagerOptions) *KeyManager {
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	return &KeyManager{db: db, pepper: append([]byte(nil), pepper...), rand: opts.Rand}
}

// keyAttempts bounds retries when a new key's random id is taken in its
// tenant (one chance in 62^8 per existing key).
const keyAttempts = 3

// requireKeyManager admits signed-in integration managers (administrators
// hold every role) and the system. API keys never manage API keys, whatever
// their scopes: a leaked key must not be able to mint its own successors.
func requireKeyManager(p governance.Principal) error {
	if p.Kind == governance.PrincipalAPIKey {
		return governance.Errorf(governance.KindForbidden, "api_key_not_allowed",
			"managing API keys needs a signed-in integration manager or administrator; API keys cannot do it")
	}
	return p.Require(governance.RoleIntegrationManager)
}

// List returns the keys of p's tenant, revoked and expired ones included,
// oldest first: prefixes and metadata, never a secret or a hash.
//
// Errors: KindUnauthenticated, KindForbidden (api_key_not_allowed,
// role_required); otherwise what the store returned.
func (m *KeyManager) List(ctx context.Context, p governance.Principal) ([]governance.APIKey, error) {
	if err := requireKeyManager(p); err != nil {
		return nil, err
	}
	keys, err := m.db.APIKeys(ctx, p.TenantID)
	if err != nil {
		return nil, fmt.Errorf("identity: list API keys: %w", err)
	}
	out := []governance.APIKey{}
	for _, k := range keys {
		if k.TenantID == p.TenantID { // the store filters; this keeps a fault from leaking
			out = append(out, k)
		}
	}
	return out, nil
}

// Get returns one key of p's tenant: its prefix and metadata, never a
// secret or a hash.
//
// Errors: KindUnauthenticated, KindForbidden (api_key_not_allowed,
// role_required), KindNotFound (api_key_not_found, also for another
// tenant's key).
func (m *KeyManager) Get(ctx context.Context, p governance.Principal, keyID string) (governance.APIKey, error) {
	if err := requireKeyManager(p); err != nil {
		return governance.APIKey{}, err
	}
	k, err := m.db.APIKey(ctx, p.TenantID, keyID)
	if err != nil {
		return governance.APIKey{}, fmt.Errorf("identity: get API key: %w", err)
	}
	return k, nil
}

// Create makes a key in p's tenant from k's Name, Scopes and ExpiresAt (zero:
// it never expires); the id, prefix, creator and times are the manager's to
// set. It returns the key as stored and its plaintext, which is shown this
// once. p may give the key only scopes p could use itself
// (governance.RequireGrantable).
//
// Errors: KindUnauthenticated, KindForbidden (api_key_not_allowed,
// role_required, api_key_scope_not_grantable), KindInvalid
// (api_key_scopes_invalid, api_key_name_invalid, api_key_expiry_invalid),
// KindNotFound (tenant_not_found); an internal error without a pepper.
func (m *KeyManager) Create(ctx context.Context, p governance.Principal, k governance.APIKey) (governance.APIKey, string, error) {
	if err := requireKeyManager(p); err != nil {
		return governance.APIKey{}, "", err
	}
	if err := governance.ValidateScopes(k.Scopes); err != nil {
		return governance.APIKey{}, "", err
	}
	if err := governance.RequireGrantable(p, k.Scopes); err != nil {
		return governance.APIKey{}, "", err
	}
	if len(m.pepper) != governance.APIKeyPepperSize {
		return governance.APIKey{}, "", errors.New("identity: create API key: the key manager has no pepper")
	}
	k = governance.APIKey{TenantID: p.TenantID, Name: k.Name, Scopes: append([]string(nil), k.Scopes...), CreatedBy: p.ID, ExpiresAt: k.ExpiresAt}
	var (
		plaintext string
		created   governance.APIKey
		err       error
	)
	for range keyAttempts {
		plaintext, k.ID, err = governance.NewAPIKey(m.rand, k.TenantID)
		if err != nil {
			return governance.APIKey{}, "", err
		}
		k.Prefix = governance.APIKeyPrefix(k.TenantID, k.ID)
		err = m.db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if created, err = m.db.CreateAPIKeyTx(ctx, tx, k, governance.HashAPIKey(m.pepper, plaintext)); err != nil {
				return err
			}
			return m.audit(ctx, tx, keyAudit(p, "api_key.created", nil, &created))
		})
		if !isIDTaken(err) {
			break
		}
	}
	if err != nil {
		return governance.APIKey{}, "", fmt.Errorf("identity: create API key: %w", err)
	}
	return created, plaintext, nil
}

// isIDTaken reports the one conflict a new id fixes (nil is not one).
func isIDTaken(err error) bool {
	code, _ := governance.Public(err)
	return code == "api_key_exists"
}

// Revoke revokes a key of p's tenant: from then on it no longer
// authenticates. It returns the key and whether this call revoked it;
// revoking a revoked key changes nothing (and records nothing).
//
// Errors: KindUnauthenticated, KindForbidden (api_key_not_allowed,
// role_required), KindNotFound (api_key_not_found, also for another
// tenant's key).
func (m *KeyManager) Revoke(ctx context.Context, p governance.Principal, keyID string) (governance.APIKey, bool, error) {
	if err := requireKeyManager(p); err != nil {
		return governance.APIKey{}, false, err
	}
	var (
		out     governance.APIKey
		revoked bool
	)
	err := m.db.InTx(ctx, func(tx *store.Tx) error {
		before, err := m.db.APIKeyTx(ctx, tx, p.TenantID, keyID)
		if err != nil {
			return err
		}
		if out = before; !before.RevokedAt.IsZero() {
			return nil
		}
		if err := m.db.RevokeAPIKeyTx(ctx, tx, p.TenantID, keyID, time.Time{}); err != nil {
			return err
		}
		if out, err = m.db.APIKeyTx(ctx, tx, p.TenantID, keyID); err != nil {
			return err
		}
		revoked = true
		return m.audit(ctx, tx, keyAudit(p, "api_key.revoked", &before, &out))
	})
	if err != nil {
		return governance.APIKey{}, false, fmt.Errorf("identity: revoke API key: %w", err)
	}
	return out, revoked, nil
}

// keyAuditState is a key as the audit trail records it: never a hash or a
// secret. Its keys are snake_case, as the trail has recorded keys from the
// start.
type keyAuditState struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Scopes    []string   `json:"scopes"`
	CreatedBy string     `json:"created_by"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func keyState(k governance.APIKey) json.RawMessage {
	s := keyAuditState{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: k.Scopes, CreatedBy: k.CreatedBy}
	if !k.ExpiresAt.IsZero() {
		s.ExpiresAt = &k.ExpiresAt
	}
	if !k.RevokedAt.IsZero() {
		s.RevokedAt = &k.RevokedAt
	}
	b, _ := json.Marshal(s)
	return b
}

func keyAudit(p governance.Principal, action string, before, after *governance.APIKey) governance.AuditEvent {
	e := governance.AuditEvent{TenantID: p.TenantID, Action: action, SubjectType: "api_key",
		Actor: governance.AuditActor{Type: string(p.Kind), ID: p.ID, Name: p.Name}}
	if before != nil {
		e.SubjectID, e.Before = before.ID, keyState(*before)
	}
	if after != nil {
		e.SubjectID, e.After = after.ID, keyState(*after)
	}
	return e
}

// audit appends e inside tx, correlated with the HTTP request that caused it.
func (m *KeyManager) audit(ctx context.Context, tx *store.Tx, e governance.AuditEvent) error {
	if e.RequestID == "" {
		e.RequestID = telemetry.RequestID(ctx)
	}
	_, err := m.db.AppendAudit(ctx, tx, e)
	return err
}
