package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// ConnectorScope is what the bot's client-credentials token is for: the Bot
// Connector, whatever service URL a conversation lives on.
const ConnectorScope = "https://api.botframework.com/.default"

// tokenRefreshMargin: a cached token is replaced this long before it
// expires, so no call leaves with a token about to lapse. Tokens that live
// less than twice this are replaced at half their life.
const tokenRefreshMargin = 5 * time.Minute

// maxTokenBody bounds what is read of a token endpoint's answer.
const maxTokenBody = 1 << 20

// tokenSource fetches and caches the bot's Bot Connector token. Fetches
// are serialised: a burst of calls at expiry makes one token request.
type tokenSource struct {
	endpoint string // {login}/{tenant}/oauth2/v2.0/token
	appID    string
	secret   func(ctx context.Context) (string, error)
	http     *http.Client
	now      func() time.Time

	fetching chan struct{} // a one-slot lock that waiters can leave on ctx

	mu      sync.Mutex
	value   string
	refresh time.Time // when to fetch a new one
	fetches int
}

func newTokenSource(loginURL, tenantID, appID string, secret func(context.Context) (string, error), hc *http.Client, now func() time.Time) *tokenSource {
	return &tokenSource{
		endpoint: strings.TrimRight(loginURL, "/") + "/" + url.PathEscape(tenantID) + "/oauth2/v2.0/token",
		appID:    appID, secret: secret, http: hc, now: now,
		fetching: make(chan struct{}, 1),
	}
}

func (ts *tokenSource) cached() (string, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.value, ts.value != "" && ts.now().Before(ts.refresh)
}

// token returns a valid token, fetching one when none is cached.
func (ts *tokenSource) token(ctx context.Context) (string, error) {
	if v, ok := ts.cached(); ok {
		return v, nil
	}
	select {
	case ts.fetching <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("bot: token: %w", ctx.Err())
	}
	defer func() { <-ts.fetching }()
	// Whoever held the lock may have fetched it meanwhile.
	if v, ok := ts.cached(); ok {
		return v, nil
	}
	v, life, err := ts.fetch(ctx)
	if err != nil {
		return "", err
	}
	margin := min(tokenRefreshMargin, life/2)
	ts.mu.Lock()
	ts.value, ts.refresh = v, ts.now().Add(life-margin)
	ts.fetches++
	ts.mu.Unlock()
	return v, nil
}

// invalidate forgets bad, the token the connector refused, unless a newer
// one replaced it already: of many calls refused at once, one refetches.
func (ts *tokenSource) invalidate(bad string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.value == bad {
		ts.value = ""
	}
}

// fetchCount counts the tokens fetched (for tests).
func (ts *tokenSource) fetchCount() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.fetches
}

func (ts *tokenSource) fetch(ctx context.Context) (string, time.Duration, error) {
	secret, err := ts.secret(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("bot: token: read the bot's secret: %w", err)
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {ts.appID},
		"client_secret": {secret},
		"scope":         {ConnectorScope},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ts.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("bot: token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := ts.http.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("bot: token: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody))
	if err != nil {
		return "", 0, fmt.Errorf("bot: token: read answer: %w", err)
	}
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(data, &body)
	if resp.StatusCode != http.StatusOK {
		// error_description is Entra's own text (codes, trace ids), never
		// the secret.
		return "", 0, fmt.Errorf("bot: token: %s: %s %s", resp.Status, body.Error, firstLine(body.Description))
	}
	if body.AccessToken == "" || body.ExpiresIn <= 0 {
		return "", 0, fmt.Errorf("bot: token: answer without access_token or expires_in")
	}
	return body.AccessToken, time.Duration(body.ExpiresIn) * time.Second, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	s, _, _ = strings.Cut(s, "\r")
	return s
}
