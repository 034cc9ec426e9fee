package vault

import (
	"github.com/stewardhq/steward/governance"
)

// Ciphertext format, version 1:
//
//	byte 0           format version, 0x01
//	byte 1           n = len(DEK id), 1..255
//	bytes 2..2+n     DEK id (ASCII)
//	next 12 bytes    GCM nonce
//	rest             AES-256-GCM ciphertext || 16-byte tag
//
// The additional data is "steward/secret/v1\x00" + tenant id + "\x00" + name +
// "\x00" + DEK id, so a ciphertext only opens for the tenant and secret name it
// was sealed for, and its DEK id cannot be swapped for another of the tenant's.
const (
	formatV1        byte = 0x01
	maxDEKIDLen          = 255
	secretAADPrefix      = "steward/secret/v1\x00"
	headerOverhead       = 2 + gcmNonceSize + gcmTagSize // without the DEK id
)

func secretAAD(tenantID, name, dekID string) []byte {
	b := make([]byte, 0, len(secretAADPrefix)+len(tenantID)+len(name)+len(dekID)+2)
	b = append(b, secretAADPrefix...)
	b = append(b, tenantID...)
	b = append(b, 0)
	b = append(b, name...)
	b = append(b, 0)
	return append(b, dekID...)
}

// ciphertext is a parsed version-1 ciphertext; its slices alias the input.
type ciphertext struct {
	dekID  string
	nonce  []byte
	sealed []byte // GCM ciphertext || tag
}

func (c ciphertext) marshal() []byte {
	b := make([]byte, 0, headerOverhead+len(c.dekID)+len(c.sealed))
	b = append(b, formatV1, byte(len(c.dekID)))
	b = append(b, c.dekID...)
	b = append(b, c.nonce...)
	return append(b, c.sealed...)
}

func errCiphertext(format string, args ...any) error {
	return governance.Errorf(governance.KindInvalid, "ciphertext_invalid", format, args...)
}

// parseCiphertext checks the framing only; authenticity is GCM's job.
func parseCiphertext(b []byte) (ciphertext, error) {
	if len(b) == 0 {
		return ciphertext{}, errCiphertext("the ciphertext is empty")
	}
	if b[0] != formatV1 {
		return ciphertext{}, governance.Errorf(governance.KindInvalid, "ciphertext_format_unsupported",
			"ciphertext format version 0x%02x is not supported (this version of Steward reads 0x%02x)", b[0], formatV1)
	}
	if len(b) < 2 {
		return ciphertext{}, errCiphertext("the ciphertext is truncated")
	}
	n := int(b[1])
	if n == 0 {
		return ciphertext{}, errCiphertext("the ciphertext names no data key")
	}
	if len(b) < headerOverhead+n {
		return ciphertext{}, errCiphertext("the ciphertext is truncated")
	}
	id := b[2 : 2+n]
	if !validDEKID(id) {
		return ciphertext{}, errCiphertext("the ciphertext names an invalid data key id")
	}
	rest := b[2+n:]
	return ciphertext{
		dekID:  string(id),
		nonce:  rest[:gcmNonceSize],
		sealed: rest[gcmNonceSize:],
	}, nil
}

// validDEKID accepts printable ASCII without spaces: what any key id looks
// like, and nothing that could confuse a log line or a store query.
func validDEKID(id []byte) bool {
	if len(id) == 0 || len(id) > maxDEKIDLen {
		return false
	}
	for _, c := range id {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
