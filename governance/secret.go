package governance

import "time"

// DataKey is a per-tenant data-encryption key as it is stored: only ever in
// wrapped (encrypted) form, together with the id of the key-encryption key
// (KEK) that wrapped it. Rotating the KEK re-wraps data keys; the data they
// protect is never re-encrypted.
type DataKey struct {
	TenantID  string
	ID        string
	KEKID     string
	Wrapped   []byte
	Active    bool // the key new secrets of this tenant are sealed with
	CreatedAt time.Time
	Version   int64
}

// SealedSecret is a named secret of a tenant (a client secret, a refresh
// token, a webhook signing secret, a CRM token...) as stored: ciphertext only.
// The ciphertext carries the id of the data key that sealed it.
type SealedSecret struct {
	TenantID   string
	Name       string
	Ciphertext []byte
	UpdatedAt  time.Time
	Version    int64
}
