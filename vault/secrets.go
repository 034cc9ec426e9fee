package vault

import (
	"context"
	"fmt"
	"regexp"

	"github.com/stewardhq/steward/governance"
)

// MaxSecretSize is the largest plaintext PutSecret accepts, in bytes.
const MaxSecretSize = 64 << 10

var secretNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._/-]{0,127}$`)

// ValidateSecretName reports, as a KindInvalid error, a name that is not 1 to
// 128 lowercase letters, digits, '.', '_', '/' or '-' starting with a letter
// or digit (e.g. "graph/client-secret", "crm/hubspot.refresh_token").
func ValidateSecretName(name string) error {
	if !secretNamePattern.MatchString(name) {
		return governance.Errorf(governance.KindInvalid, "secret_name_invalid",
			"secret name %q is invalid: use 1 to 128 lowercase letters, digits, '.', '_', '/' or '-', starting with a letter or digit", name)
	}
	return nil
}

// PutSecret seals plaintext and stores it as the named secret of the tenant,
// replacing any previous value.
//
// Errors: KindInvalid for an invalid name (see ValidateSecretName) or a
// plaintext larger than MaxSecretSize; otherwise what Seal or the
// SecretStore returned.
func (v *Vault) PutSecret(ctx context.Context, tenantID, name string, plaintext []byte) error {
	if err := ValidateSecretName(name); err != nil {
		return fmt.Errorf("vault: put secret: %w", err)
	}
	if len(plaintext) > MaxSecretSize {
		return fmt.Errorf("vault: put secret %s: %w", name, governance.Errorf(governance.KindInvalid, "secret_too_large",
			"the secret is %d bytes; the limit is %d bytes (64 KiB)", len(plaintext), MaxSecretSize))
	}
	ct, err := v.seal(ctx, tenantID, name, plaintext)
	if err != nil {
		return fmt.Errorf("vault: put secret %s: %w", name, err)
	}
	_, err = v.secrets.PutSecret(ctx, governance.SealedSecret{
		TenantID:   tenantID,
		Name:       name,
		Ciphertext: ct,
		UpdatedAt:  v.now().UTC(),
	})
	if err != nil {
		return fmt.Errorf("vault: put secret %s: %w", name, err)
	}
	return nil
}

// Secret returns the plaintext of the named secret of the tenant.
//
// Errors: KindInvalid for an invalid name; KindNotFound when the tenant has
// no such secret; KindInternal (code "secret_undecryptable") when the stored
// ciphertext does not open, which means the stored data is damaged;
// otherwise what the stores or the KEKProvider returned.
func (v *Vault) Secret(ctx context.Context, tenantID, name string) ([]byte, error) {
	if err := ValidateSecretName(name); err != nil {
		return nil, fmt.Errorf("vault: secret: %w", err)
	}
	if err := checkBinding(tenantID, name); err != nil {
		return nil, fmt.Errorf("vault: secret %s: %w", name, err)
	}
	s, err := v.secrets.Secret(ctx, tenantID, name)
	if err != nil {
		return nil, fmt.Errorf("vault: secret %s: %w", name, err)
	}
	if s.TenantID != tenantID || s.Name != name {
		return nil, fmt.Errorf("vault: secret %s: the secret store returned secret %q of tenant %q", name, s.Name, s.TenantID)
	}
	pt, err := v.open(ctx, tenantID, name, s.Ciphertext)
	if governance.IsKind(err, governance.KindInvalid) {
		// The caller gave nothing invalid: what we stored does not open.
		err = governance.Wrap(governance.KindInternal, "secret_undecryptable", "a stored secret could not be decrypted", err)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: secret %s: %w", name, err)
	}
	return pt, nil
}

// DeleteSecret removes the named secret of the tenant.
//
// Errors: KindInvalid for an invalid name; KindNotFound when the tenant has
// no such secret; otherwise what the SecretStore returned.
func (v *Vault) DeleteSecret(ctx context.Context, tenantID, name string) error {
	if err := ValidateSecretName(name); err != nil {
		return fmt.Errorf("vault: delete secret: %w", err)
	}
	if err := checkBinding(tenantID, name); err != nil {
		return fmt.Errorf("vault: delete secret %s: %w", name, err)
	}
	if err := v.secrets.DeleteSecret(ctx, tenantID, name); err != nil {
		return fmt.Errorf("vault: delete secret %s: %w", name, err)
	}
	return nil
}

// SecretNames lists the names of the tenant's secrets; values stay sealed.
//
// Errors: KindInvalid for an empty tenant id; otherwise what the SecretStore
// returned.
func (v *Vault) SecretNames(ctx context.Context, tenantID string) ([]string, error) {
	if err := checkTenantID(tenantID); err != nil {
		return nil, fmt.Errorf("vault: secret names: %w", err)
	}
	names, err := v.secrets.SecretNames(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("vault: secret names: %w", err)
	}
	return names, nil
}
