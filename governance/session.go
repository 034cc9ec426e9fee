package governance

import "time"

// WebSession is a person's sign-in to the web pages. The cookie carries
// "<TenantID>.<secret>"; IDHash is the hex SHA-256 of the secret, the only
// form the secret is stored in.
type WebSession struct {
	TenantID string
	IDHash   string
	UserID   string
	// Claims are the validated token claims (JSON, opaque here) the
	// principal is rebuilt from on every request.
	Claims    []byte
	CSRF      string // synchronizer token echoed by state-changing requests
	Locale    string // "en" or "fr": the person's choice, or their client's
	CreatedAt time.Time
	IdleUntil time.Time // the session ends if no request comes before this
	ExpiresAt time.Time // the session ends at this time whatever happens
}

// Live reports whether s may still be used at now.
func (s WebSession) Live(now time.Time) bool {
	return now.Before(s.ExpiresAt) && now.Before(s.IdleUntil)
}
