package governance

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// APIKey is a tenant's credential for an integration (Power Automate,
// Zapier, a script) as stored: everything but the secret. The plaintext key
// is shown once, when it is created; Steward keeps only a keyed hash of it,
// which the store returns to the authenticator alone and never in listings.
type APIKey struct {
	TenantID string
	// ID is the key's public id, the 8 characters after the tenant id in
	// the key. It is unique within the tenant.
	ID   string
	Name string
	// Prefix is the key up to and without its secret part, e.g.
	// "stw_contoso_AbCd1234": what lists show so a person can tell keys apart.
	Prefix     string
	Scopes     []string
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used
	ExpiresAt  time.Time // zero: never expires
	RevokedAt  time.Time // zero: not revoked
	Version    int64
}

// API key scopes. An API key is limited to the scopes it was created with;
// a scope grants exactly what it names (requests:write does not imply
// requests:read), so a key's reach is read off its list.
const (
	ScopeRequestsRead   = "requests:read"
	ScopeRequestsWrite  = "requests:write"
	ScopeTemplatesRead  = "templates:read"
	ScopeTemplatesWrite = "templates:write"
	ScopeAuditRead      = "audit:read"
	ScopeWebhooksManage = "webhooks:manage"
)

// Scopes lists every API key scope.
var Scopes = []string{
	ScopeRequestsRead, ScopeRequestsWrite,
	ScopeTemplatesRead, ScopeTemplatesWrite,
	ScopeAuditRead, ScopeWebhooksManage,
}

// ValidateScopes checks the scopes of a new key: at least one, each known,
// none twice. Errors: KindInvalid (api_key_scopes_invalid).
func ValidateScopes(scopes []string) error {
	if len(scopes) == 0 {
		return Errorf(KindInvalid, "api_key_scopes_invalid", "an API key needs at least one scope: %s", strings.Join(Scopes, ", "))
	}
	for i, s := range scopes {
		if !slices.Contains(Scopes, s) {
			return Errorf(KindInvalid, "api_key_scopes_invalid", "unknown scope %q: use one of %s", s, strings.Join(Scopes, ", "))
		}
		if slices.Contains(scopes[:i], s) {
			return Errorf(KindInvalid, "api_key_scopes_invalid", "scope %q is listed twice", s)
		}
	}
	return nil
}

// The key format is
//
//	stw_<tenant id>_<public id>_<secret>
//
// for example stw_contoso_AbCd1234_q1W...43 characters. The tenant id is
// Steward's (^[a-z0-9][a-z0-9-]{1,62}$, no underscore); the public id is
// 8 characters of [A-Za-z0-9]; the secret is 32 bytes from crypto/rand in
// unpadded base64url (43 characters, which may contain "_" and "-", so the
// key is parsed from its end, where the lengths are fixed).
//
// The key carries its tenant so that finding its row is an ordinary
// tenant-filtered lookup by (tenant_id, key_id): no global index maps key
// ids to tenants, every query stays within one tenant (and one shard under
// Citus). The price is that the tenant id is readable in the key, which
// tells whoever holds the key whose key it is; it is no secret (it appears
// in URLs and logs) and the key grants access either way. The "stw_" start
// and fixed shape let secret scanners recognise leaked keys.
const (
	apiKeyPrefix    = "stw_"
	apiKeyIDLen     = 8
	apiKeySecretLen = 32
	// apiKeySecretChars is the base64url length of the secret.
	apiKeySecretChars = (apiKeySecretLen*8 + 5) / 6
	apiKeyIDChars     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	// APIKeyMaxLen is the length of the longest valid key (a 63-character
	// tenant id); anything longer is rejected before it is looked at.
	APIKeyMaxLen = len(apiKeyPrefix) + 63 + 1 + apiKeyIDLen + 1 + apiKeySecretChars
	apiKeyMinLen = len(apiKeyPrefix) + 2 + 1 + apiKeyIDLen + 1 + apiKeySecretChars
)

// APIKeyPepperSize is the size of the server-side secret HashAPIKey keys
// its hash with.
const APIKeyPepperSize = 32

var apiKeyIDPattern = regexp.MustCompile(`^[A-Za-z0-9]{8}$`)

// ValidAPIKeyID reports whether id has the shape of a public key id.
func ValidAPIKeyID(id string) bool { return apiKeyIDPattern.MatchString(id) }

// NewAPIKey makes a key for tenantID from rand (crypto/rand.Reader outside
// tests) and returns the plaintext, to show once, and its public id.
func NewAPIKey(rand io.Reader, tenantID string) (plaintext, publicID string, err error) {
	if !tenantIDPattern.MatchString(tenantID) {
		return "", "", Errorf(KindInvalid, "tenant_id_invalid", "tenant id %q is invalid", tenantID)
	}
	id := make([]byte, apiKeyIDLen)
	if err := randomChars(rand, id, apiKeyIDChars); err != nil {
		return "", "", fmt.Errorf("governance: new API key: %w", err)
	}
	secret := make([]byte, apiKeySecretLen)
	if _, err := io.ReadFull(rand, secret); err != nil {
		return "", "", fmt.Errorf("governance: new API key: read random secret: %w", err)
	}
	publicID = string(id)
	return APIKeyPrefix(tenantID, publicID) + "_" + base64.RawURLEncoding.EncodeToString(secret), publicID, nil
}

// APIKeyPrefix is the displayable start of a key: everything but the secret.
func APIKeyPrefix(tenantID, publicID string) string {
	return apiKeyPrefix + tenantID + "_" + publicID
}

// randomChars fills dst with characters of alphabet, uniformly: bytes that
// would bias the choice are rejected and drawn again.
func randomChars(rand io.Reader, dst []byte, alphabet string) error {
	limit := 256 - 256%len(alphabet)
	buf := make([]byte, 2*len(dst))
	n := 0
	for n < len(dst) {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return fmt.Errorf("read random id: %w", err)
		}
		for _, b := range buf {
			if int(b) < limit && n < len(dst) {
				dst[n] = alphabet[int(b)%len(alphabet)]
				n++
			}
		}
	}
	return nil
}

// ParseAPIKey checks the format of a presented key and returns the tenant
// and public id that locate its row. It only looks at the shape: whether the
// key is genuine is decided by comparing its hash (VerifyAPIKeyHash), the
// one comparison that involves a stored secret, in constant time. Its timing
// can tell an attacker only whether their own input is well-formed.
func ParseAPIKey(s string) (tenantID, publicID string, ok bool) {
	if len(s) < apiKeyMinLen || len(s) > APIKeyMaxLen || !strings.HasPrefix(s, apiKeyPrefix) {
		return "", "", false
	}
	secretAt := len(s) - apiKeySecretChars
	idAt := secretAt - 1 - apiKeyIDLen
	if s[secretAt-1] != '_' || s[idAt-1] != '_' {
		return "", "", false
	}
	tenantID, publicID = s[len(apiKeyPrefix):idAt-1], s[idAt:secretAt-1]
	if !tenantIDPattern.MatchString(tenantID) || !apiKeyIDPattern.MatchString(publicID) {
		return "", "", false
	}
	// Strict: exactly one encoding of the 32 bytes is accepted, so a key
	// cannot be presented in several spellings.
	secret, err := base64.RawURLEncoding.Strict().DecodeString(s[secretAt:])
	if err != nil || len(secret) != apiKeySecretLen {
		return "", "", false
	}
	return tenantID, publicID, true
}

// HashAPIKey is what Steward stores of a key: HMAC-SHA256 of the whole key
// under pepper, a server-side secret kept outside the database.
//
// Not bcrypt or Argon2: those slow hashes protect guessable passwords. An
// API key holds 256 random bits, which no amount of guessing reaches, so a
// fast keyed hash is as safe and lets every API request be verified in
// microseconds instead of tens of milliseconds (a slow hash per request would
// also hand attackers a cheap way to burn CPU). The pepper makes a stolen
// database (or backup) useless on its own: without it the hashes cannot even
// be checked against a candidate key. The hash covers the tenant and public
// id too, so a key moved to another tenant's id does not verify.
func HashAPIKey(pepper []byte, key string) []byte {
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte(key))
	return m.Sum(nil)
}

// VerifyAPIKeyHash reports whether key hashes to stored under pepper,
// comparing in constant time.
func VerifyAPIKeyHash(pepper []byte, key string, stored []byte) bool {
	return hmac.Equal(HashAPIKey(pepper, key), stored)
}

// ErrAPIKeyInvalid is the one answer for a key that is malformed, unknown,
// of another tenant, or whose secret is wrong: callers cannot probe which
// part failed.
func ErrAPIKeyInvalid() *Error {
	return Errorf(KindUnauthenticated, "api_key_invalid", "the API key is not valid")
}

// Usable reports whether a key whose secret was verified may be used at now.
// Errors: KindUnauthenticated (api_key_revoked, api_key_expired). Say so only
// to a caller who proved they hold the key: to anyone else every failure is
// ErrAPIKeyInvalid.
func (k APIKey) Usable(now time.Time) error {
	switch {
	case !k.RevokedAt.IsZero():
		return Errorf(KindUnauthenticated, "api_key_revoked",
			"this API key was revoked on %s; ask an administrator of your organisation for a new one", k.RevokedAt.UTC().Format(time.RFC3339))
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return Errorf(KindUnauthenticated, "api_key_expired",
			"this API key expired on %s; ask an administrator of your organisation for a new one", k.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// Validate checks a key before it is stored. Errors: KindInvalid.
func (k APIKey) Validate() error {
	switch {
	case !tenantIDPattern.MatchString(k.TenantID):
		return Errorf(KindInvalid, "tenant_id_invalid", "tenant id %q is invalid", k.TenantID)
	case !ValidAPIKeyID(k.ID):
		return Errorf(KindInvalid, "api_key_id_invalid", "API key id %q is invalid: 8 letters or digits", k.ID)
	case k.Prefix != APIKeyPrefix(k.TenantID, k.ID):
		return Errorf(KindInvalid, "api_key_prefix_invalid", "API key prefix %q does not match its tenant and id", k.Prefix)
	case strings.TrimSpace(k.Name) == "" || utf8.RuneCountInString(k.Name) > 100:
		return Errorf(KindInvalid, "api_key_name_invalid", "an API key needs a name of 1 to 100 characters that says what uses it, e.g. \"Zapier: new requests\"")
	case strings.TrimSpace(k.CreatedBy) == "":
		return Errorf(KindInvalid, "api_key_created_by_invalid", "an API key records who created it")
	}
	return ValidateScopes(k.Scopes)
}

// Principal is the actor a verified, usable key authenticates as. It holds
// no roles: an API key is governed by its scopes. A service method reachable
// by API keys checks RequireScope, not Principal.Require alone, because Has
// counts every API key an end user: a bare role check would let any key
// through end-user actions whatever its scopes.
func (k APIKey) Principal() Principal {
	return Principal{
		Kind:     PrincipalAPIKey,
		TenantID: k.TenantID,
		ID:       k.ID,
		Name:     k.Name,
		Scopes:   slices.Clone(k.Scopes),
	}
}

// ScopeAllowed reports whether p may use the part of the API named by scope.
// Users are governed by roles and the system by nothing, so scopes do not
// limit them; an API key needs the scope itself. The zero principal gets
// nothing.
func ScopeAllowed(p Principal, scope string) bool {
	switch p.Kind {
	case PrincipalUser, PrincipalSystem:
		return true
	case PrincipalAPIKey:
		return slices.Contains(p.Scopes, scope)
	}
	return false
}

// RequireScope is the check of a service method reachable by API keys: an
// API key needs scope, a user one of roles (as Principal.Require). Errors:
// KindUnauthenticated (no principal), KindForbidden (scope_required,
// role_required).
func RequireScope(p Principal, scope string, roles ...Role) error {
	if p.TenantID == "" || p.ID == "" {
		return Errorf(KindUnauthenticated, "sign_in_required", "sign in to continue")
	}
	if p.Kind != PrincipalAPIKey {
		return p.Require(roles...)
	}
	if !ScopeAllowed(p, scope) {
		return Errorf(KindForbidden, "scope_required", "this API key lacks the scope %s; create a key with it", scope)
	}
	return nil
}
