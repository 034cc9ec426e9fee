package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of the Standard Webhooks specification
// (https://www.standardwebhooks.com/).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every signing secret, as the specification recommends,
// so a leaked secret is recognisable to secret scanners.
const SecretPrefix = "whsec_"

// secretBytes is the size of the random key NewSecret draws; the
// specification allows 24 to 64 bytes.
const secretBytes = 32

// DefaultTolerance is how far a webhook-timestamp may be from the receiver's
// clock, in either direction: the specification's recommended 5 minutes.
const DefaultTolerance = 5 * time.Minute

// Verification errors. Callers (receivers) compare with errors.Is; they say
// nothing about the secret.
var (
	ErrMissingHeaders   = errors.New("webhook: missing webhook-id, webhook-timestamp or webhook-signature header")
	ErrInvalidTimestamp = errors.New("webhook: webhook-timestamp is not unix seconds")
	ErrTimestampTooOld  = errors.New("webhook: webhook-timestamp is too old")
	ErrTimestampTooNew  = errors.New("webhook: webhook-timestamp is too far in the future")
	ErrNoMatch          = errors.New("webhook: no signature matches")
)

// NewSecret returns a fresh signing secret: "whsec_" followed by the base64
// of 32 random bytes.
func NewSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webhook: new secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b), nil
}

// secretKey decodes the HMAC key of a secret. The key is the base64 after the
// "whsec_" prefix; a secret without the prefix is accepted too, because some
// integrators paste only the base64 part.
func secretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, SecretPrefix))
	if err != nil {
		// Never quote the secret, not even in an error.
		return nil, errors.New("webhook: the signing secret is not whsec_ followed by base64")
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("webhook: the signing secret decodes to %d bytes; the specification requires 24 to 64", len(key))
	}
	return key, nil
}

// sign computes the base64 HMAC-SHA256 over "id.timestamp.body".
func sign(key []byte, msgID, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msgID))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Sign returns the three Standard Webhooks headers for body sent as message
// msgID at ts: webhook-id, webhook-timestamp (unix seconds) and
// webhook-signature ("v1,<base64 HMAC-SHA256>").
func Sign(secret, msgID string, ts time.Time, body []byte) (http.Header, error) {
	if msgID == "" || strings.ContainsAny(msgID, ". \t\r\n") {
		return nil, errors.New("webhook: message id must be non-empty, without dots or spaces")
	}
	key, err := secretKey(secret)
	if err != nil {
		return nil, err
	}
	unix := strconv.FormatInt(ts.Unix(), 10)
	h := http.Header{}
	h.Set(HeaderID, msgID)
	h.Set(HeaderTimestamp, unix)
	h.Set(HeaderSignature, "v1,"+sign(key, msgID, unix, body))
	return h, nil
}

// Verify checks a webhook the way a receiver must: the timestamp is within
// tolerance of now (DefaultTolerance when tolerance is zero), and one of the
// space-separated "v1,..." signatures in webhook-signature is the HMAC of
// the message under secret. Several signatures are allowed so a sender can
// sign with an old and a new secret while rotating. Comparison is constant
// time.
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	id, ts, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return ErrMissingHeaders
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrInvalidTimestamp
	}
	sent := time.Unix(unix, 0)
	switch {
	case now.Sub(sent) > tolerance:
		return ErrTimestampTooOld
	case sent.Sub(now) > tolerance:
		return ErrTimestampTooNew
	}
	key, err := secretKey(secret)
	if err != nil {
		return err
	}
	want := []byte(sign(key, id, ts, body))
	for _, s := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue // other schemes (v1a, asymmetric) are not ours to check
		}
		if hmac.Equal([]byte(sig), want) {
			return nil
		}
	}
	return ErrNoMatch
}
