package vault

import "context"

// KEKProvider holds the key-encryption keys that wrap data keys. The keys
// never leave the provider: only wrapped data keys and KEK ids do.
// Implementations must be safe for concurrent use.
type KEKProvider interface {
	// Wrap encrypts a data key with the active KEK; returns that KEK's id.
	Wrap(ctx context.Context, dek []byte) (kekID string, wrapped []byte, err error)
	// Unwrap decrypts a data key wrapped by the named KEK.
	Unwrap(ctx context.Context, kekID string, wrapped []byte) ([]byte, error)
	// ActiveKEKID names the KEK that Wrap uses now.
	ActiveKEKID(ctx context.Context) (string, error)
}
