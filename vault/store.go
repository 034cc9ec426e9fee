package vault

import (
	"context"

	"github.com/stewardhq/steward/governance"
)

// KeyStore persists the tenants' wrapped data keys. Every method is scoped to
// one tenant; errors are classified with governance kinds.
type KeyStore interface {
	// ActiveDataKey returns the tenant's active data key; a governance KindNotFound error when it has none.
	ActiveDataKey(ctx context.Context, tenantID string) (governance.DataKey, error)
	// DataKey returns one data key of the tenant; KindNotFound if absent.
	DataKey(ctx context.Context, tenantID, id string) (governance.DataKey, error)
	// DataKeys lists all data keys of the tenant, oldest first.
	DataKeys(ctx context.Context, tenantID string) ([]governance.DataKey, error)
	// CreateDataKey inserts k (Version 1). When k.Active it atomically deactivates the tenant's other keys. KindConflict if the id exists.
	CreateDataKey(ctx context.Context, k governance.DataKey) error
	// RewrapDataKey replaces the wrapped bytes and KEK id of one key if its version is still `version`; KindConflict otherwise. Version increments.
	RewrapDataKey(ctx context.Context, tenantID, id, kekID string, wrapped []byte, version int64) error
}

// SecretStore persists sealed secrets. It only ever sees ciphertext: the Vault
// seals before it calls PutSecret and opens after it calls Secret.
type SecretStore interface {
	// PutSecret inserts or replaces the named secret. If s.Version > 0 it must equal the stored version (KindConflict otherwise); Version 0 means "create or overwrite". Returns the stored record with its new version.
	PutSecret(ctx context.Context, s governance.SealedSecret) (governance.SealedSecret, error)
	// Secret returns the named secret of the tenant; KindNotFound if absent.
	Secret(ctx context.Context, tenantID, name string) (governance.SealedSecret, error)
	// DeleteSecret removes the named secret of the tenant; KindNotFound if absent.
	DeleteSecret(ctx context.Context, tenantID, name string) error
	// SecretNames lists the names of the tenant's secrets.
	SecretNames(ctx context.Context, tenantID string) ([]string, error)
}
