package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stewardhq/steward/governance"
)

// Session lifetimes: a session ends after idleTimeout without a request,
// and after absoluteTimeout whatever happens (then the person signs in
// again, which inside Teams is silent).
const (
	idleTimeout     = 2 * time.Hour
	absoluteTimeout = 12 * time.Hour
	// touchEvery bounds the writes: the idle deadline moves at most this
	// often per session.
	touchEvery = 5 * time.Minute
)

// cookieName is the session cookie. Over HTTPS it carries the __Host-
// prefix: the browser then refuses it unless Secure, host-only and Path=/.
func (x *ui) cookieName() string {
	if x.secure {
		return "__Host-steward_session"
	}
	return "steward_session"
}

// setCookie writes a cookie with the site's policy. Over HTTPS cookies are
// SameSite=None and Partitioned (CHIPS), because the tabs run in Teams'
// iframe, a third-party context; CSRF is then stopped by the synchronizer
// token and the Sec-Fetch-Site check, not by SameSite. Over plain HTTP
// (dev, loopback) they are SameSite=Lax.
func (x *ui) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: x.secure}
	if x.secure {
		c.SameSite = http.SameSiteNoneMode
		c.Partitioned = true
	} else {
		c.SameSite = http.SameSiteLaxMode
	}
	http.SetCookie(w, c)
}

// randomToken is 32 random bytes, base64url.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// visitor is who is looking at a page: a person with a session, or nobody.
type visitor struct {
	session governance.WebSession
	p       governance.Principal
	ok      bool
}

// startSession stores a new session for validated claims and sets its
// cookie.
func (x *ui) startSession(ctx context.Context, w http.ResponseWriter, c SessionClaims, locale string) error {
	secret := randomToken()
	now := x.Now().UTC()
	expires := now.Add(absoluteTimeout)
	s := governance.WebSession{TenantID: c.TenantID, IDHash: hashSecret(secret), UserID: c.UserID, Claims: c.Kept,
		CSRF: randomToken(), Locale: locale, CreatedAt: now, IdleUntil: now.Add(idleTimeout), ExpiresAt: expires}
	if err := x.Sessions.CreateWebSession(ctx, s); err != nil {
		return err
	}
	x.setCookie(w, x.cookieName(), c.TenantID+"."+secret, int(absoluteTimeout/time.Second))
	return nil
}

// visitorOf reads the session cookie. A missing, unknown or ended session
// is "nobody", never an error: the page then asks to sign in.
func (x *ui) visitorOf(r *http.Request) (visitor, error) {
	ck, err := r.Cookie(x.cookieName())
	if err != nil {
		return visitor{}, nil
	}
	tenantID, secret, ok := strings.Cut(ck.Value, ".")
	if !ok || tenantID == "" || len(secret) != 43 {
		return visitor{}, nil
	}
	s, err := x.Sessions.WebSession(r.Context(), tenantID, hashSecret(secret))
	if governance.IsKind(err, governance.KindNotFound) {
		return visitor{}, nil
	}
	if err != nil {
		return visitor{}, err
	}
	if x.api.TenantLimit != nil {
		if err := x.api.TenantLimit.Check(r.Context(), s.TenantID); err != nil {
			return visitor{}, err
		}
	}
	now := x.Now()
	if !s.Live(now) {
		return visitor{}, nil
	}
	p, err := x.Identity.Principal(r.Context(), s.Claims)
	if governance.IsKind(err, governance.KindUnauthenticated) {
		return visitor{}, nil
	}
	if err != nil {
		return visitor{}, err
	}
	if s.IdleUntil.Sub(now) < idleTimeout-touchEvery {
		idle := now.Add(idleTimeout)
		if idle.After(s.ExpiresAt) {
			idle = s.ExpiresAt
		}
		if err := x.Sessions.TouchWebSession(r.Context(), s.TenantID, s.IDHash, idle, s.Locale); err != nil {
			return visitor{}, err
		}
	}
	return visitor{session: s, p: p, ok: true}, nil
}

// checkCSRF refuses a state-changing request that another site could have
// made: the browser must not call it cross-site (Sec-Fetch-Site), and it
// must echo the session's synchronizer token (form field "csrf" or header
// X-CSRF-Token).
func checkCSRF(r *http.Request, v visitor) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return governance.Errorf(governance.KindForbidden, "csrf_cross_site",
			"this request came from another site and was refused; reload the page and try again")
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	if !v.ok || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(v.session.CSRF)) != 1 {
		return governance.Errorf(governance.KindForbidden, "csrf_token_invalid",
			"the form has expired or did not come from Steward; reload the page and try again")
	}
	return nil
}

// visitorKey carries the visitor through a page handler's context.
type visitorKey struct{}

func contextWithVisitor(ctx context.Context, v visitor) context.Context {
	return context.WithValue(ctx, visitorKey{}, v)
}

func visitorFrom(ctx context.Context) visitor {
	v, _ := ctx.Value(visitorKey{}).(visitor)
	return v
}

// authed wraps a page that needs a signed-in person: without a session it
// sends the browser to sign in (and back here after); state-changing
// requests are CSRF-checked.
func (x *ui) authed(fn HandlerFunc) HandlerFunc { return x.authedLimit(maxFormBody, fn) }

// authedLimit is authed for a post of up to limit bytes (file uploads).
func (x *ui) authedLimit(limit int64, fn HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v, err := x.visitorOf(r)
		if err != nil {
			return err
		}
		if !v.ok {
			if r.Method != http.MethodGet {
				return governance.Errorf(governance.KindUnauthenticated, "session_required",
					"your session has ended; sign in again")
			}
			http.Redirect(w, r, "/signin?return="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return nil
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if err := checkCSRF(r, v); err != nil {
				return err
			}
		}
		return fn(w, r.WithContext(context.WithValue(r.Context(), visitorKey{}, v)))
	}
}

// authedJSON is authed for the pages' scripts: no redirect, a JSON error.
func (x *ui) authedJSON(fn HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v, err := x.visitorOf(r)
		if err != nil {
			return asJSON(err)
		}
		if !v.ok {
			return asJSON(governance.Errorf(governance.KindUnauthenticated, "session_required", "your session has ended; sign in again"))
		}
		if r.Method != http.MethodGet {
			r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
			if err := checkCSRF(r, v); err != nil {
				return asJSON(err)
			}
		}
		if err := fn(w, r.WithContext(context.WithValue(r.Context(), visitorKey{}, v))); err != nil {
			return asJSON(err)
		}
		return nil
	}
}

// maxFormBody bounds a page's form post.
const maxFormBody = 64 << 10
