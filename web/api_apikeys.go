package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
)

// KeyManager manages a tenant's API keys (*identity.KeyManager). It checks
// the principal itself, including that a key's scopes do not reach past its
// creator's roles.
type KeyManager interface {
	List(ctx context.Context, p governance.Principal) ([]governance.APIKey, error)
	Get(ctx context.Context, p governance.Principal, keyID string) (governance.APIKey, error)
	Create(ctx context.Context, p governance.Principal, k governance.APIKey) (governance.APIKey, string, error)
	Revoke(ctx context.Context, p governance.Principal, keyID string) (governance.APIKey, bool, error)
}

// APIKey is an integration's key as lists show it: its prefix and
// metadata, never the secret (which Steward does not keep).
type APIKey struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Prefix string   `json:"prefix"`
	Scopes []string `json:"scopes"`
	// State is active, expired or revoked.
	State      string     `json:"state"`
	CreatedBy  string     `json:"createdBy"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	ExpiresAt  *time.Time `json:"expiresAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
}

// CreatedAPIKey is a new key with its plaintext (stw_...): put it in the
// integration's secret settings now, it is never shown again.
type CreatedAPIKey struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Scopes    []string   `json:"scopes"`
	State     string     `json:"state"`
	CreatedBy string     `json:"createdBy"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt *time.Time `json:"expiresAt"`
	Key       string     `json:"key"`
}

// APIKeyList is the tenant's keys, revoked and expired ones included.
type APIKeyList struct {
	Items []APIKey `json:"items"`
}

// CreateAPIKeyBody asks for a key. ExpiresAt is optional (RFC 3339); a key
// without it never expires.
type CreateAPIKeyBody struct {
	Name      string     `json:"name"`
	Scopes    []string   `json:"scopes"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// keyState names where a key stands at now.
func keyState(k governance.APIKey, now time.Time) string {
	if err := k.Usable(now); err != nil {
		code, _ := governance.Public(err)
		return strings.TrimPrefix(code, "api_key_")
	}
	return "active"
}

func apiKeyView(k governance.APIKey, now time.Time) APIKey {
	scopes := k.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return APIKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: scopes, State: keyState(k, now), CreatedBy: k.CreatedBy,
		CreatedAt: k.CreatedAt, LastUsedAt: optionalTime(k.LastUsedAt), ExpiresAt: optionalTime(k.ExpiresAt), RevokedAt: optionalTime(k.RevokedAt)}
}

func (a *API) listAPIKeys(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	keys, err := a.APIKeys.List(r.Context(), p)
	if err != nil {
		return err
	}
	now := time.Now()
	out := APIKeyList{Items: make([]APIKey, 0, len(keys))}
	for _, k := range keys {
		out.Items = append(out.Items, apiKeyView(k, now))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createAPIKey(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	var in CreateAPIKeyBody
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	k := governance.APIKey{Name: in.Name, Scopes: in.Scopes}
	if in.ExpiresAt != nil {
		k.ExpiresAt = *in.ExpiresAt
	}
	created, plaintext, err := a.APIKeys.Create(r.Context(), p, k)
	if err != nil {
		return err
	}
	v := apiKeyView(created, time.Now())
	w.Header().Set("Location", apiPrefix+"/apikeys/"+url.PathEscape(created.ID))
	writeJSON(w, http.StatusCreated, CreatedAPIKey{ID: v.ID, Name: v.Name, Prefix: v.Prefix, Scopes: v.Scopes, State: v.State,
		CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt, ExpiresAt: v.ExpiresAt, Key: plaintext})
	return nil
}

func (a *API) getAPIKey(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	k, err := a.APIKeys.Get(r.Context(), p, r.PathValue("keyId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiKeyView(k, time.Now()))
	return nil
}

// revokeAPIKey answers the key as revoked, whether this call or an earlier
// one revoked it: revoking is idempotent.
func (a *API) revokeAPIKey(w http.ResponseWriter, r *http.Request, p governance.Principal) error {
	k, _, err := a.APIKeys.Revoke(r.Context(), p, r.PathValue("keyId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apiKeyView(k, time.Now()))
	return nil
}
