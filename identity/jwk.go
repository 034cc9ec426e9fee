package identity

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
)

// The JSON Web Key decoding and bounded document fetching that Entra
// token validation (this package) and the bot's channel token validation
// (package bot) share.

// minRSABits refuses keys too short to be trusted; Entra's and the Bot
// Framework channel's are 2048 bits.
const minRSABits = 2048

// RSAPublicKey decodes a JWK's n and e (RFC 7518 §6.3.1: unsigned
// big-endian integers in unpadded base64url), refusing moduli under 2048
// bits and invalid exponents. This is key decoding only; signatures are
// checked by golang-jwt.
func RSAPublicKey(n64, e64 string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(n64, "="))
	if err != nil {
		return nil, fmt.Errorf("modulus: %w", err)
	}
	eb, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(e64, "="))
	if err != nil {
		return nil, fmt.Errorf("exponent: %w", err)
	}
	n := new(big.Int).SetBytes(nb)
	if n.BitLen() < minRSABits {
		return nil, fmt.Errorf("modulus of %d bits is below %d", n.BitLen(), minRSABits)
	}
	if len(eb) == 0 || len(eb) > 4 {
		return nil, errors.New("exponent out of range")
	}
	e := 0
	for _, b := range eb {
		e = e<<8 | int(b)
	}
	if e < 3 || e%2 == 0 || e > 1<<31-1 {
		return nil, fmt.Errorf("exponent %d is not a valid RSA public exponent", e)
	}
	return &rsa.PublicKey{N: n, E: e}, nil
}

// FetchJSON GETs u with client into v, refusing an answer other than 200
// or longer than maxBytes (metadata and key sets are a few kilobytes).
func FetchJSON(ctx context.Context, client *http.Client, u string, maxBytes int64, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	if int64(len(body)) > maxBytes {
		return fmt.Errorf("GET %s: response exceeds %d bytes", u, maxBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}
