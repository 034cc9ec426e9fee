package webhook

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks specification's published test vector (the
// standard-webhooks repository's libraries test against it).
const (
	vectorSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTS     = 1614265330
	vectorBody   = `{"test": 2432232314}`
	vectorSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignMatchesSpecificationVector(t *testing.T) {
	h, err := Sign(vectorSecret, vectorID, time.Unix(vectorTS, 0), []byte(vectorBody))
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get(HeaderSignature); got != vectorSig {
		t.Fatalf("signature = %q, want %q", got, vectorSig)
	}
	if h.Get(HeaderID) != vectorID || h.Get(HeaderTimestamp) != "1614265330" {
		t.Fatalf("headers = %v", h)
	}
}

func TestVerify(t *testing.T) {
	at := time.Unix(vectorTS, 0)
	base := func() http.Header {
		h := http.Header{}
		h.Set(HeaderID, vectorID)
		h.Set(HeaderTimestamp, "1614265330")
		h.Set(HeaderSignature, vectorSig)
		return h
	}
	other, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	otherHeaders, _ := Sign(other, vectorID, at, []byte(vectorBody))
	tests := []struct {
		name   string
		secret string
		edit   func(http.Header)
		body   string
		now    time.Time
		want   error
	}{
		{"vector", vectorSecret, nil, vectorBody, at, nil},
		{"secret without prefix", strings.TrimPrefix(vectorSecret, SecretPrefix), nil, vectorBody, at, nil},
		{"rotation: second signature matches", vectorSecret, func(h http.Header) {
			h.Set(HeaderSignature, otherHeaders.Get(HeaderSignature)+" "+vectorSig)
		}, vectorBody, at, nil},
		{"unknown scheme ignored", vectorSecret, func(h http.Header) {
			h.Set(HeaderSignature, "v1a,abc "+vectorSig)
		}, vectorBody, at, nil},
		{"within tolerance", vectorSecret, nil, vectorBody, at.Add(4 * time.Minute), nil},
		{"too old", vectorSecret, nil, vectorBody, at.Add(6 * time.Minute), ErrTimestampTooOld},
		{"too new", vectorSecret, nil, vectorBody, at.Add(-6 * time.Minute), ErrTimestampTooNew},
		{"tampered body", vectorSecret, nil, `{"test": 2432232315}`, at, ErrNoMatch},
		{"wrong secret", other, nil, vectorBody, at, ErrNoMatch},
		{"tampered id", vectorSecret, func(h http.Header) { h.Set(HeaderID, "msg_other") }, vectorBody, at, ErrNoMatch},
		{"missing signature", vectorSecret, func(h http.Header) { h.Del(HeaderSignature) }, vectorBody, at, ErrMissingHeaders},
		{"timestamp not a number", vectorSecret, func(h http.Header) { h.Set(HeaderTimestamp, "soon") }, vectorBody, at, ErrInvalidTimestamp},
		{"signature without version", vectorSecret, func(h http.Header) {
			h.Set(HeaderSignature, strings.TrimPrefix(vectorSig, "v1,"))
		}, vectorBody, at, ErrNoMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := base()
			if tt.edit != nil {
				tt.edit(h)
			}
			err := Verify(tt.secret, h, []byte(tt.body), tt.now, 0)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewSecret(t *testing.T) {
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSecret()
	if a == b || !strings.HasPrefix(a, SecretPrefix) {
		t.Fatalf("secrets %q %q", a, b)
	}
	key, err := secretKey(a)
	if err != nil || len(key) != secretBytes {
		t.Fatalf("key of new secret: %d bytes, %v", len(key), err)
	}
	h, err := Sign(a, "msg_1", time.Now(), []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(a, h, []byte("{}"), time.Now(), time.Minute); err != nil {
		t.Fatalf("round trip: %v", err)
	}
}

func TestBadSecretsAreRefusedWithoutEcho(t *testing.T) {
	for _, s := range []string{"whsec_not base64!", "whsec_" + "c2hvcnQ=", ""} {
		_, err := Sign(s, "msg_1", time.Now(), nil)
		if err == nil {
			t.Fatalf("Sign accepted secret %q", s)
		}
		if s != "" && strings.Contains(err.Error(), strings.TrimPrefix(s, SecretPrefix)) {
			t.Fatalf("error quotes the secret: %v", err)
		}
	}
}
