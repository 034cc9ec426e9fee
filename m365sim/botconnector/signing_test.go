package botconnector

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

type metadataDoc struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
}

func TestMetadataAndJWKS(t *testing.T) {
	e := newEnv(t, ThreadLimits{})
	if got, want := e.conn.MetadataURL(), e.srv.URL+"/botframework/v1/.well-known/openidconfiguration"; got != want {
		t.Fatalf("MetadataURL = %s, want %s", got, want)
	}
	var md metadataDoc
	getJSON(t, e.conn.MetadataURL(), &md)
	if md.Issuer != "https://api.botframework.com" || md.AuthorizationEndpoint == "" ||
		md.JWKSURI != e.srv.URL+"/botframework/v1/.well-known/keys" ||
		!slices.Equal(md.IDTokenSigningAlgValuesSupported, []string{"RS256"}) ||
		!slices.Equal(md.TokenEndpointAuthMethodsSupported, []string{"private_key_jwt"}) {
		t.Fatalf("metadata = %+v", md)
	}
	var jwks struct{ Keys []JWK }
	getJSON(t, md.JWKSURI, &jwks)
	if len(jwks.Keys) != 2 {
		t.Fatalf("JWKS has %d keys, want the msteams key and one for another channel", len(jwks.Keys))
	}
	for i, k := range jwks.Keys {
		if k.Kty != "RSA" || k.Use != "sig" || k.Kid == "" || k.X5t == "" || k.N == "" || k.E != "AQAB" || len(k.X5c) != 1 {
			t.Errorf("key %d = %+v", i, k)
		}
		der, err := base64.StdEncoding.DecodeString(k.X5c[0])
		must(t, err)
		cert, err := x509.ParseCertificate(der)
		must(t, err)
		if pub := cert.PublicKey.(*rsa.PublicKey); base64.RawURLEncoding.EncodeToString(pub.N.Bytes()) != k.N {
			t.Errorf("key %d: x5c certificate does not hold n", i)
		}
	}
	if !slices.Equal(jwks.Keys[0].Endorsements, []string{"msteams"}) {
		t.Errorf("first key endorsements = %v, want [msteams]", jwks.Keys[0].Endorsements)
	}
	if slices.Contains(jwks.Keys[1].Endorsements, "msteams") {
		t.Errorf("second key must not be endorsed for msteams: %v", jwks.Keys[1].Endorsements)
	}
}

// verifyLikeABot validates an activity's token the way the Bot Framework
// documents it, using only what the metadata URL leads to: it returns the
// claims and the signing key's endorsements.
func verifyLikeABot(t *testing.T, metadataURL, header string, now time.Time) (jwt.MapClaims, []string, error) {
	t.Helper()
	var md metadataDoc
	getJSON(t, metadataURL, &md)
	var jwks struct{ Keys []JWK }
	getJSON(t, md.JWKSURI, &jwks)
	var endorsements []string
	tokenString, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return nil, nil, errors.New("no bearer token")
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tokenString, claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		for _, k := range jwks.Keys {
			if k.Kid == kid {
				endorsements = k.Endorsements
				n, err := base64.RawURLEncoding.DecodeString(k.N)
				if err != nil {
					return nil, err
				}
				e, err := base64.RawURLEncoding.DecodeString(k.E)
				if err != nil {
					return nil, err
				}
				return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
			}
		}
		return nil, errors.New("unknown kid")
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(md.Issuer), jwt.WithAudience(botAppID),
		jwt.WithExpirationRequired(), jwt.WithLeeway(5*time.Minute), jwt.WithTimeFunc(func() time.Time { return now }))
	return claims, endorsements, err
}

func TestDeliveredTokenVerifiesFromMetadata(t *testing.T) {
	tests := []struct {
		name           string
		opts           TokenOptions
		wantVerifies   bool
		wantEndorsed   bool
		wantSameSvcURL bool
	}{
		{"as the channel signs", TokenOptions{}, true, true, true},
		{"key endorsed for another channel", TokenOptions{Unendorsed: true}, true, false, true},
		{"wrong serviceurl", TokenOptions{ServiceURL: "https://evil.example/amer/"}, true, true, false},
		{"unpublished key", TokenOptions{UnknownKey: true}, false, false, true},
		{"wrong audience", TokenOptions{Audience: otherBotID}, false, false, true},
		{"wrong issuer", TokenOptions{Issuer: "https://sts.windows.net/x/"}, false, false, true},
		{"expired", TokenOptions{IssuedAt: time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)}, false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, ThreadLimits{})
			conv, err := e.conn.PersonalConversation(tenantID, botAppID, e.users[0].ID)
			must(t, err)
			a := e.conn.Message(e.users[0], "hello", conv)
			status, _, err := e.conn.DeliverWith(context.Background(), tenantID, botAppID, a, tt.opts)
			must(t, err)
			if status != 200 {
				t.Fatalf("status %d", status)
			}
			got := e.received()
			if len(got) != 1 {
				t.Fatalf("bot received %d requests", len(got))
			}
			claims, endorsements, err := verifyLikeABot(t, e.conn.MetadataURL(), got[0].Header.Get("Authorization"), e.clock.Now())
			if (err == nil) != tt.wantVerifies {
				t.Fatalf("verify error = %v, want verifies %v", err, tt.wantVerifies)
			}
			if err != nil {
				return
			}
			channel := got[0].Activity["channelId"].(string)
			if slices.Contains(endorsements, channel) != tt.wantEndorsed {
				t.Errorf("endorsements %v contain %s: want %v", endorsements, channel, tt.wantEndorsed)
			}
			if (claims["serviceurl"] == got[0].Activity["serviceUrl"]) != tt.wantSameSvcURL {
				t.Errorf("serviceurl claim %v vs activity %v", claims["serviceurl"], got[0].Activity["serviceUrl"])
			}
			iat, _ := claims.GetIssuedAt()
			exp, _ := claims.GetExpirationTime()
			if exp.Sub(iat.Time) != time.Hour {
				t.Errorf("lifetime %v, want 1h", exp.Sub(iat.Time))
			}
		})
	}
}

func TestDeliverWithoutToken(t *testing.T) {
	e := newEnv(t, ThreadLimits{})
	a := e.conn.Message(e.users[0], "hi", Conversation{})
	a["conversation"] = map[string]any{}
	_, _, err := e.conn.DeliverWith(context.Background(), tenantID, botAppID, a, TokenOptions{NoToken: true})
	must(t, err)
	if h := e.received()[0].Header.Get("Authorization"); h != "" {
		t.Fatalf("Authorization = %q, want none", h)
	}
}
