package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults for the in-call retries of ConnectorOptions.
const (
	DefaultMaxAttempts = 4
	DefaultRetryBase   = time.Second
	DefaultMaxRetry    = 30 * time.Second
)

// maxAnswer bounds what is read of a connector answer.
const maxAnswer = 1 << 20

// ConnectorOptions configure a Connector.
type ConnectorOptions struct {
	// AppID is the bot's Microsoft App ID; AppTenantID the tenant it is
	// registered in (single-tenant bots get their token there).
	AppID, AppTenantID string
	// LoginURL is Entra's base URL, https://login.microsoftonline.com or
	// the simulator's.
	LoginURL string
	// Secret returns the bot's client secret (read from the vault when a
	// token is fetched, never kept by the Connector).
	Secret func(ctx context.Context) (string, error)
	// AllowedServiceURLs are the service URLs the bot may call, e.g.
	// https://smba.trafficmanager.net/. A serviceUrl arrives in inbound
	// activities; only one whose origin (scheme, host, port) matches an
	// entry is called, so a forged activity cannot make Steward send its
	// token elsewhere.
	AllowedServiceURLs []string
	// HTTPClient is Steward's egress-controlled client.
	HTTPClient *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Limits are the rate limits kept to; zero means DefaultLimits.
	Limits ThreadLimits
	// MaxAttempts bounds the tries of one call by Send, Reply, Update and
	// CreatePersonalConversation on transient errors (default 4).
	MaxAttempts int
	// RetryBase is the first backoff without Retry-After (default 1 s),
	// doubled per try up to MaxRetry (default 30 s), which also caps how
	// long a Retry-After is waited for within a call.
	RetryBase, MaxRetry time.Duration
}

// Connector is a Bot Connector REST API v3 client for one bot. It is safe
// for concurrent use.
type Connector struct {
	appID     string
	allowed   map[string]bool // origins
	http      *http.Client
	now       func() time.Time
	tokens    *tokenSource
	limiter   *Limiter
	attempts  int
	base, cap time.Duration
}

// NewConnector validates o and returns a Connector.
func NewConnector(o ConnectorOptions) (*Connector, error) {
	switch {
	case o.AppID == "" || o.AppTenantID == "":
		return nil, errors.New("bot: connector: AppID and AppTenantID are required")
	case o.Secret == nil:
		return nil, errors.New("bot: connector: Secret is required")
	case o.HTTPClient == nil:
		return nil, errors.New("bot: connector: HTTPClient is required (Steward's egress client)")
	case len(o.AllowedServiceURLs) == 0:
		return nil, errors.New("bot: connector: AllowedServiceURLs is empty: list the service URLs the bot may call, e.g. https://smba.trafficmanager.net/")
	}
	lu, err := url.Parse(o.LoginURL)
	if err != nil || (lu.Scheme != "https" && lu.Scheme != "http") || lu.Host == "" {
		return nil, fmt.Errorf("bot: connector: LoginURL %q must be an absolute http(s) URL", o.LoginURL)
	}
	c := &Connector{appID: o.AppID, allowed: map[string]bool{}, http: o.HTTPClient, now: o.Now,
		attempts: o.MaxAttempts, base: o.RetryBase, cap: o.MaxRetry}
	for _, s := range o.AllowedServiceURLs {
		origin, err := originOf(s)
		if err != nil {
			return nil, fmt.Errorf("bot: connector: AllowedServiceURLs: %w", err)
		}
		c.allowed[origin] = true
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.attempts == 0 {
		c.attempts = DefaultMaxAttempts
	}
	if c.base == 0 {
		c.base = DefaultRetryBase
	}
	if c.cap == 0 {
		c.cap = DefaultMaxRetry
	}
	if c.attempts < 1 || c.base < 0 || c.cap < c.base {
		return nil, fmt.Errorf("bot: connector: retries %d from %s to %s: use MaxAttempts >= 1 and 0 < RetryBase <= MaxRetry", c.attempts, c.base, c.cap)
	}
	if c.limiter, err = NewLimiter(o.Limits); err != nil {
		return nil, err
	}
	c.tokens = newTokenSource(o.LoginURL, o.AppTenantID, o.AppID, o.Secret, o.HTTPClient, c.now)
	return c, nil
}

// Limiter is the connector's rate limiter, for callers that schedule
// calls themselves (the outbox).
func (c *Connector) Limiter() *Limiter { return c.limiter }

// originOf is the scheme://host[:port] of an absolute http(s) URL, with the
// host lower-cased and default ports dropped.
func originOf(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("service URL %q: %w", raw, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", fmt.Errorf("service URL %q is not an absolute http(s) URL without credentials", raw)
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	if strings.Contains(u.Hostname(), ":") { // IPv6 literal
		host = "[" + strings.ToLower(u.Hostname()) + "]"
		if port != "" {
			host += ":" + port
		}
	}
	return u.Scheme + "://" + host, nil
}

// ErrServiceURLRefused is returned (wrapped) for a service URL outside
// AllowedServiceURLs.
var ErrServiceURLRefused = errors.New("bot: service URL not allowed")

// endpoint joins a conversation's service URL and an API path, refusing
// service URLs outside the allowlist.
func (c *Connector) endpoint(serviceURL string, segments ...string) (string, error) {
	origin, err := originOf(serviceURL)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrServiceURLRefused, err)
	}
	if !c.allowed[origin] {
		return "", fmt.Errorf("%w: %s", ErrServiceURLRefused, origin)
	}
	u, _ := url.Parse(serviceURL) // parsed by originOf
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: %s has a query or fragment", ErrServiceURLRefused, origin)
	}
	base := strings.TrimRight(serviceURL, "/") + "/v3/conversations"
	for _, s := range segments {
		if s == "" {
			return "", errors.New("bot: empty conversation or activity id")
		}
		// Channel thread ids carry ";messageid=": escape them as one
		// segment, as the Bot Framework SDKs do.
		base += "/" + url.PathEscape(s)
	}
	return base, nil
}

// ConnectorError is a refusal from the Bot Connector: its HTTP status and
// the error envelope {"error":{"code","message"}}.
type ConnectorError struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration // from Retry-After, when present
}

func (e *ConnectorError) Error() string {
	s := fmt.Sprintf("bot: connector: %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Transient reports whether the call may succeed if retried later: Teams
// documents 429 (throttled), 412, 502, 503 and 504 as worth retrying. 403
// (the bot is not in the conversation's roster: uninstalled or blocked) and
// 404 (the conversation is gone) are permanent, like every other status.
func (e *ConnectorError) Transient() bool {
	switch e.Status {
	case http.StatusTooManyRequests, http.StatusPreconditionFailed, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// call is one Bot Connector API call.
type call struct {
	method string
	url    string
	body   any
	key    LimitKey
}

// resourceResponse is the connector's answer to a send, reply, update or
// conversation creation.
type resourceResponse struct {
	ID         string `json:"id"`
	ActivityID string `json:"activityId,omitempty"`
	ServiceURL string `json:"serviceUrl,omitempty"`
}

// Send posts a to the conversation of ref (a channel thread when the
// conversation id carries ";messageid=") and returns the new activity's id.
func (c *Connector) Send(ctx context.Context, ref ConversationReference, a Activity) (string, error) {
	cl, err := c.sendCall(ref, "", a)
	if err != nil {
		return "", err
	}
	res, err := c.do(ctx, cl)
	return res.ID, err
}

// Reply posts a as a reply to the activity replyTo in ref's conversation.
func (c *Connector) Reply(ctx context.Context, ref ConversationReference, replyTo string, a Activity) (string, error) {
	if replyTo == "" {
		return "", errors.New("bot: reply: replyTo is empty")
	}
	cl, err := c.sendCall(ref, replyTo, a)
	if err != nil {
		return "", err
	}
	a.ReplyToID = replyTo
	cl.body = prepare(ref, a, c.appID)
	res, err := c.do(ctx, cl)
	return res.ID, err
}

// Update replaces the bot's activity activityID (e.g. a card whose
// request was decided) in place.
func (c *Connector) Update(ctx context.Context, ref ConversationReference, activityID string, a Activity) error {
	cl, err := c.updateCall(ref, activityID, a)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, cl)
	return err
}

func (c *Connector) sendCall(ref ConversationReference, replyTo string, a Activity) (call, error) {
	segs := []string{ref.Conversation.ID, "activities"}
	if replyTo != "" {
		segs = append(segs, replyTo)
	}
	u, err := c.endpoint(ref.ServiceURL, segs...)
	if err != nil {
		return call{}, err
	}
	return call{method: http.MethodPost, url: u, body: prepare(ref, a, c.appID), key: refKey(ref)}, nil
}

func (c *Connector) updateCall(ref ConversationReference, activityID string, a Activity) (call, error) {
	u, err := c.endpoint(ref.ServiceURL, ref.Conversation.ID, "activities", activityID)
	if err != nil {
		return call{}, err
	}
	a.ID = activityID
	return call{method: http.MethodPut, url: u, body: prepare(ref, a, c.appID), key: refKey(ref)}, nil
}

// refKey is what a call in ref's conversation counts against: the
// conversation without its thread suffix (Teams limits a channel, whatever
// thread the post goes to, conservatively) and its tenant.
func refKey(ref ConversationReference) LimitKey {
	return LimitKey{Tenant: ref.Conversation.TenantID, Conversation: BaseConversationID(ref.Conversation.ID)}
}

// prepare fills what the connector expects of an outgoing activity and the
// caller need not repeat: type, the bot as sender, the conversation.
func prepare(ref ConversationReference, a Activity, appID string) Activity {
	if a.Type == "" {
		a.Type = TypeMessage
	}
	if a.From == nil {
		if ref.Bot != nil {
			b := *ref.Bot
			a.From = &b
		} else {
			a.From = &ChannelAccount{ID: "28:" + appID}
		}
	}
	if a.Conversation == nil {
		conv := ref.Conversation
		a.Conversation = &conv
	}
	if a.Recipient == nil && ref.User != nil {
		u := *ref.User
		a.Recipient = &u
	}
	return a
}

// CreatePersonalConversation opens (or finds: Teams answers with the
// existing chat) the bot's 1:1 chat with a user of tenantID, known by the
// Entra object id, and returns its reference. The bot must be installed
// for the user, or Teams answers 403.
func (c *Connector) CreatePersonalConversation(ctx context.Context, serviceURL, tenantID, userAADObjectID string) (ConversationReference, error) {
	cl, err := c.createCall(serviceURL, tenantID, userAADObjectID)
	if err != nil {
		return ConversationReference{}, err
	}
	res, err := c.do(ctx, cl)
	if err != nil {
		return ConversationReference{}, err
	}
	return c.personalRef(serviceURL, tenantID, userAADObjectID, res), nil
}

func (c *Connector) createCall(serviceURL, tenantID, userID string) (call, error) {
	if tenantID == "" || userID == "" {
		return call{}, errors.New("bot: create conversation: tenant and user ids are required")
	}
	u, err := c.endpoint(serviceURL)
	if err != nil {
		return call{}, err
	}
	body := map[string]any{
		"bot":         ChannelAccount{ID: "28:" + c.appID},
		"members":     []ChannelAccount{{ID: userID}},
		"channelData": ChannelData{Tenant: &TeamsRef{ID: tenantID}},
		"isGroup":     false,
		"tenantId":    tenantID,
	}
	return call{method: http.MethodPost, url: u, body: body, key: LimitKey{Tenant: tenantID}}, nil
}

func (c *Connector) personalRef(serviceURL, tenantID, userID string, res resourceResponse) ConversationReference {
	if res.ServiceURL != "" {
		if o, err := originOf(res.ServiceURL); err == nil && c.allowed[o] {
			serviceURL = res.ServiceURL
		}
	}
	return ConversationReference{
		ChannelID:    ChannelTeams,
		ServiceURL:   serviceURL,
		Bot:          &ChannelAccount{ID: "28:" + c.appID},
		User:         &ChannelAccount{AADObjectID: userID},
		Conversation: ConversationAccount{ID: res.ID, ConversationType: "personal", TenantID: tenantID},
	}
}

// do makes cl within the limits, retrying transient refusals with
// exponential backoff and jitter, or after Retry-After.
func (c *Connector) do(ctx context.Context, cl call) (resourceResponse, error) {
	for attempt := 0; ; attempt++ {
		// The token first: a fetch between the reservation and the call
		// would delay the call past its slot.
		if _, err := c.tokens.token(ctx); err != nil {
			return resourceResponse{}, err
		}
		if err := sleep(ctx, c.limiter.Reserve(cl.key, c.now())); err != nil {
			return resourceResponse{}, fmt.Errorf("bot: connector: waiting for a slot: %w", err)
		}
		res, err := c.once(ctx, cl)
		var ce *ConnectorError
		if err == nil || !errors.As(err, &ce) || !ce.Transient() || attempt+1 >= c.attempts {
			return res, err
		}
		wait := ce.RetryAfter
		if wait <= 0 {
			wait = Backoff(c.base, c.cap, attempt)
		}
		if err := sleep(ctx, min(wait, c.cap)); err != nil {
			return resourceResponse{}, fmt.Errorf("%w (retry abandoned: %v)", ce, err)
		}
	}
}

// Backoff is the n-th (from 0) retry delay: base doubled n times, capped,
// with equal jitter (a random point in the upper half) so that calls
// refused together do not come back together.
func Backoff(base, cap time.Duration, n int) time.Duration {
	d := base
	for i := 0; i < n && d < cap; i++ {
		d *= 2
	}
	d = min(d, cap)
	half := d / 2
	return half + rand.N(d-half+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// once makes one call; a 401 makes it fetch a new token and try once more
// (the token may have been revoked or the clocks disagree).
func (c *Connector) once(ctx context.Context, cl call) (resourceResponse, error) {
	body, err := json.Marshal(cl.body)
	if err != nil {
		return resourceResponse{}, fmt.Errorf("bot: connector: encode: %w", err)
	}
	for try := 0; ; try++ {
		tok, err := c.tokens.token(ctx)
		if err != nil {
			return resourceResponse{}, err
		}
		res, err := c.exchange(ctx, cl, body, tok)
		var ce *ConnectorError
		if try == 0 && errors.As(err, &ce) && ce.Status == http.StatusUnauthorized {
			c.tokens.invalidate(tok)
			continue
		}
		return res, err
	}
}

func (c *Connector) exchange(ctx context.Context, cl call, body []byte, tok string) (resourceResponse, error) {
	req, err := http.NewRequestWithContext(ctx, cl.method, cl.url, bytes.NewReader(body))
	if err != nil {
		return resourceResponse{}, fmt.Errorf("bot: connector: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL is the conversation's, never a secret; the error names it.
		return resourceResponse{}, fmt.Errorf("bot: connector: %s: %w", cl.method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return resourceResponse{}, fmt.Errorf("bot: connector: read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return resourceResponse{}, connectorError(resp, data, c.now())
	}
	var res resourceResponse
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &res); err != nil {
			return resourceResponse{}, fmt.Errorf("bot: connector: decode answer: %w", err)
		}
	}
	return res, nil
}

func connectorError(resp *http.Response, data []byte, now time.Time) *ConnectorError {
	e := &ConnectorError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now)}
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		Message string `json:"message"` // 401s come as {"message": ...}
	}
	if json.Unmarshal(data, &env) == nil {
		e.Code, e.Message = env.Error.Code, env.Error.Message
		if e.Message == "" {
			e.Message = env.Message
		}
	}
	if e.Code == "" {
		e.Code = http.StatusText(resp.StatusCode)
	}
	return e
}

// retryAfter reads Retry-After as seconds (possibly fractional) or an
// HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if !(s > 0) { // also NaN
			return 0
		}
		return time.Duration(min(s, time.Hour.Seconds()) * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
