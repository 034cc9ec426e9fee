package graph

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Options configures a Client.
type Options struct {
	LoginURL string // Entra authority base, e.g. https://login.microsoftonline.com
	GraphURL string // Graph base, e.g. https://graph.microsoft.com (the client adds /v1.0)
	// HTTPClient sends every request; cmd passes the egress-controlled
	// client. Its Timeout should be zero: AttemptTimeout bounds each try.
	HTTPClient  *http.Client
	Credentials Credentials
	// Limits are the per-tenant budgets; zero means DefaultLimits. Use
	// Limits.Scale when several replicas share a tenant.
	Limits Limits
	// Margin is added to each one-second window to absorb the jitter
	// between our send and Graph's count of the arrival (default 50 ms:
	// 5 % of the ceiling, in exchange for almost no 429s).
	Margin time.Duration
	// MaxAttempts bounds the tries of one call (default 8).
	MaxAttempts int
	// AttemptTimeout bounds one try (default 60 s).
	AttemptTimeout time.Duration
	// MaxBackoff caps the wait between tries when Graph gives no
	// Retry-After (default 30 s); MaxRetryAfter caps a Retry-After (default 5 min).
	MaxBackoff, MaxRetryAfter time.Duration
	Logger                    *slog.Logger
	Now                       func() time.Time
}

// Client calls Microsoft Graph for any tenant. It is safe for concurrent use.
type Client struct {
	base   string // GraphURL + "/v1.0"
	origin *url.URL
	http   *http.Client
	tokens *tokens
	budget *budget
	opts   Options
	log    *slog.Logger
	stats  counters
}

// New builds a Client.
func New(o Options) (*Client, error) {
	if o.GraphURL == "" || o.LoginURL == "" {
		return nil, errors.New("graph: LoginURL and GraphURL are required")
	}
	if o.Credentials == nil {
		return nil, errors.New("graph: Credentials are required")
	}
	origin, err := url.Parse(strings.TrimSuffix(o.GraphURL, "/"))
	if err != nil || origin.Host == "" || (origin.Scheme != "https" && origin.Scheme != "http") {
		return nil, fmt.Errorf("graph: GraphURL %q is not an http(s) URL", o.GraphURL)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Limits == (Limits{}) {
		o.Limits = DefaultLimits()
	}
	if o.Margin == 0 {
		o.Margin = 50 * time.Millisecond
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.AttemptTimeout <= 0 {
		o.AttemptTimeout = 60 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 5 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Client{
		base: origin.String() + "/v1.0", origin: origin, http: o.HTTPClient,
		tokens: newTokens(o.LoginURL, o.HTTPClient, o.Credentials, o.Now),
		budget: newBudget(o.Limits, o.Margin, o.Now), opts: o, log: o.Logger,
	}, nil
}

// Request is one Graph call.
type Request struct {
	Method string
	// Path is relative to /v1.0 ("/teams/{id}/channels"), or an absolute
	// @odata.nextLink / deltaLink Graph returned (which must point at Graph).
	Path  string
	Query url.Values
	Body  any // marshalled as JSON; nil: no body
	// RawBody, when set, is sent as it is with ContentType (photos).
	RawBody     []byte
	ContentType string
	Header      http.Header
	// Idempotent marks a POST that is safe to send twice (adding members
	// who are already members changes nothing). GET, PUT, PATCH and DELETE
	// are idempotent by definition.
	Idempotent bool
	// Token, when set, is a delegated token (from OnBehalfOf) used instead
	// of the app-only one.
	Token string
	// Retry marks the caller's second try of a call whose first try's
	// answer was lost (it looked, and the call had not been carried out).
	// Like the client's own retries, it goes ahead of first tries waiting
	// for the tenant's budget: it already waited its turn once, and
	// sending it to the back of the line would leave it for the end.
	Retry bool
}

// Response is a successful answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode unmarshals the JSON body into v.
func (r *Response) Decode(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("graph: decode response: %w", err)
	}
	return nil
}

// ErrUncertain marks a call that may or may not have been carried out: a
// non-idempotent request whose answer was lost (timeout, connection
// reset). The caller must look before trying again.
var ErrUncertain = errors.New("graph: the request may have been carried out; its answer was lost")

func (r Request) idempotent() bool {
	return r.Idempotent || r.Method != http.MethodPost
}

// relPath is a target URL's path relative to /v1.0, without query, for
// classification and error messages.
func (c *Client) relPath(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(strings.TrimPrefix(u.Path, c.origin.Path), "/v1.0")
}

// target resolves r's URL. Absolute URLs must be on Graph's origin: a
// nextLink pointing anywhere else would receive the bearer token.
func (c *Client) target(r Request) (string, error) {
	if strings.HasPrefix(r.Path, "http://") || strings.HasPrefix(r.Path, "https://") {
		u, err := url.Parse(r.Path)
		if err != nil || u.Scheme != c.origin.Scheme || u.Host != c.origin.Host || !strings.HasPrefix(u.Path, c.origin.Path+"/") {
			return "", fmt.Errorf("graph: refusing to follow a link off Graph's origin (%s)", c.origin.Host)
		}
		return r.Path, nil
	}
	if !strings.HasPrefix(r.Path, "/") {
		return "", fmt.Errorf("graph: path %q must start with /", r.Path)
	}
	u := c.base + r.Path
	if len(r.Query) > 0 {
		// Graph wants OData's $-options with literal spaces encoded as %20.
		u += "?" + strings.ReplaceAll(r.Query.Encode(), "+", "%20")
	}
	return u, nil
}

// Do sends r for tenantID: it waits for the tenant's budget, authenticates,
// and retries what is safe to retry. A non-2xx answer is an *Error.
func (c *Client) Do(ctx context.Context, tenantID string, r Request) (*Response, error) {
	target, err := c.target(r)
	if err != nil {
		return nil, err
	}
	rel := c.relPath(target)
	class, team := classify(r.Method, rel)
	var body []byte
	switch {
	case r.RawBody != nil:
		body = r.RawBody
	case r.Body != nil:
		if body, err = json.Marshal(r.Body); err != nil {
			return nil, fmt.Errorf("graph: encode %s %s: %w", r.Method, rel, err)
		}
	}
	reauthed := false
	var last error
	for attempt := 0; attempt < c.opts.MaxAttempts; attempt++ {
		tok := r.Token
		if tok == "" {
			if tok, err = c.tokens.appToken(ctx, tenantID); err != nil {
				return nil, err
			}
		}
		// The budget is spent last, so that waiting for a token never
		// bunches up calls the budget had spread out. A retry goes ahead
		// of first tries (see Request.Retry).
		granted, err := c.budget.wait(ctx, tenantID, class, team, r.Retry || attempt > 0)
		if err != nil {
			return nil, errors.Join(last, err)
		}
		resp, sent, err := c.send(ctx, r, target, body, tok)
		c.stats.calls.Add(1)
		if err != nil {
			// A call that failed in transit may have reached Graph and
			// been counted (the answer, not the request, may be what was
			// lost), so its slot stays spent: giving it to the next call
			// would risk a 429 against a window Graph already filled.
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if sent && !r.idempotent() {
				c.stats.uncertain.Add(1)
				return nil, fmt.Errorf("%w: %s %s: %v", ErrUncertain, r.Method, rel, err)
			}
			last = fmt.Errorf("graph: %s %s: %w", r.Method, rel, err)
			c.stats.retries.Add(1)
			if err := sleep(ctx, backoff(attempt, 500*time.Millisecond, c.opts.MaxBackoff)); err != nil {
				return nil, errors.Join(last, err)
			}
			continue
		}
		if resp.Status < 300 {
			return resp, nil
		}
		ge := parseError(r.Method, rel, resp.Status, resp.Header, resp.Body)
		last = ge
		if ge.Throttled() || ge.Status == http.StatusServiceUnavailable {
			// Refused for rate (429) or by an unavailable front end (503,
			// with Retry-After): not counted, so the slot goes to the next
			// call. A 504 is not refunded: the gateway timed out on a
			// backend that may have carried the call out and counted it.
			c.budget.refund(tenantID, class, team, granted)
		}
		switch {
		case ge.Status == http.StatusUnauthorized && r.Token == "" && !reauthed:
			// The cached token was revoked or its signing key rolled: one
			// fresh token, then give up.
			reauthed = true
			c.tokens.invalidate(tenantID)
			attempt--
			continue
		case ge.Throttled():
			c.stats.throttled.Add(1)
		case ge.Transient() && r.idempotent():
		case ge.Transient():
			// A non-idempotent call may have been carried out behind the
			// gateway or before the server failed.
			c.stats.uncertain.Add(1)
			return nil, fmt.Errorf("%w: %w", ErrUncertain, ge)
		default:
			return nil, ge
		}
		// Retry-After is honoured for this call. The class is not paused
		// for everyone: the budget already keeps the tenant under the
		// documented limit, so a 429 is a blip (or a fault), and pausing
		// a whole class for seconds on each would cost far more than the
		// rare second 429 it prevents. Workers sleeping here slow the
		// fleet down by themselves if Graph lowers a tenant's limits.
		wait := ge.RetryAfter
		if wait > 0 {
			wait = min(wait, c.opts.MaxRetryAfter)
		} else {
			wait = backoff(attempt, 500*time.Millisecond, c.opts.MaxBackoff)
		}
		c.stats.retries.Add(1)
		c.log.DebugContext(ctx, "graph call retried", "tenant_id", tenantID, "method", r.Method, "path", rel,
			"status", ge.Status, "code", ge.Code, "request_id", ge.RequestID, "wait_ms", wait.Milliseconds())
		if err := sleep(ctx, wait); err != nil {
			return nil, errors.Join(ge, err)
		}
	}
	return nil, last
}

// send makes one try. sent reports whether the request may have reached
// Graph (a failed dial means it did not).
func (c *Client) send(ctx context.Context, r Request, target string, body []byte, tok string) (*Response, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.AttemptTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, target, rd)
	if err != nil {
		return nil, false, err
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("client-request-id", newRequestID())
	switch {
	case r.RawBody != nil:
		req.Header.Set("Content-Type", r.ContentType)
	case body != nil:
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var op *net.OpError
		sent := !(errors.As(err, &op) && op.Op == "dial")
		return nil, sent, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, true, err
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, true, nil
}

// newRequestID makes a client-request-id (a GUID), which Graph echoes in
// its logs: support can find our call by it.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// retryAfter reads Retry-After (seconds or an HTTP date).
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// backoff is exponential with full jitter: a random wait in
// [base·2^attempt / 2, base·2^attempt], capped.
func backoff(attempt int, base, cap time.Duration) time.Duration {
	d := base << min(attempt, 20)
	if d <= 0 || d > cap {
		d = cap
	}
	half := int64(d / 2)
	n, err := rand.Int(rand.Reader, big.NewInt(half+1))
	if err != nil {
		return d
	}
	return time.Duration(half + n.Int64())
}

// OnBehalfOf exchanges a signed-in user's token for a delegated Graph
// token with scopes (e.g. "https://graph.microsoft.com/ChannelMessage.Send").
// Set it as Request.Token.
func (c *Client) OnBehalfOf(ctx context.Context, tenantID, userToken string, scopes ...string) (string, error) {
	return c.tokens.onBehalfOf(ctx, tenantID, userToken, scopes)
}

// Stats are the client's counters since it was built.
type Stats struct {
	Calls     int64 // requests sent (each try counts)
	Throttled int64 // 429s (and 503s with Retry-After) received
	Retries   int64 // tries repeated after a failure
	Uncertain int64 // calls whose outcome was lost
}

type counters struct{ calls, throttled, retries, uncertain atomic.Int64 }

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats {
	return Stats{c.stats.calls.Load(), c.stats.throttled.Load(), c.stats.retries.Load(), c.stats.uncertain.Load()}
}
