package botconnector

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stewardhq/steward/m365sim/simauth"
)

// maxBody bounds what a bot may post; Teams refuses far smaller messages
// (413 MessageSizeTooBig), but the simulator only guards its memory.
const maxBody = 4 << 20

// apiError is a Bot Framework error: the HTTP status and the body
// {"error":{"code":...,"message":...}}.
type apiError struct {
	status     int
	code       string
	message    string
	retryAfter time.Duration // 429 only
}

func newAPIError(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

func throttled(wait time.Duration) *apiError {
	e := newAPIError(http.StatusTooManyRequests, "Throttled", "Too many requests to this conversation; retry after the delay in Retry-After.")
	e.retryAfter = wait
	return e
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func badArgument(format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, "BadArgument", fmt.Sprintf(format, args...))
}

func writeError(w http.ResponseWriter, e *apiError) {
	type body struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	writeJSON(w, e.status, struct {
		Error body `json:"error"`
	}{body{e.code, e.message}})
}

// call is one authenticated request of a bot to the connector.
type call struct {
	r        *http.Request
	appID    string
	botName  string
	conv     *conversation // nil for create conversation
	convID   string        // as in the path, with any ;messageid= suffix
	activity map[string]any
	rec      *Recorded // filled in by handlers (conversation and activity ids)
}

// apiFunc handles a call and returns the status and JSON body to answer
// (nil body: none).
type apiFunc func(cl *call) (int, any, *apiError)

// api authenticates the bot, finds the conversation, applies the thread
// rate limits, runs fn and records the call.
func (c *Connector) api(fn apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rec := Recorded{
			Method:         r.Method,
			Path:           strings.TrimPrefix(r.URL.Path, "/connector/"+region+"/"),
			ConversationID: r.PathValue("conversationId"),
			ActivityID:     r.PathValue("activityId"),
			Time:           c.now(),
		}
		if r.URL.RawQuery != "" {
			rec.Path += "?" + r.URL.RawQuery
		}
		status, body, apiErr := c.serveAPI(r, &rec, fn)
		rec.Status = status
		if apiErr != nil {
			rec.Status = apiErr.status
		}
		c.mu.Lock()
		c.recorded = append(c.recorded, rec)
		c.mu.Unlock()

		switch {
		case apiErr != nil && apiErr.status == http.StatusUnauthorized:
			// The connector answers auth failures like ASP.NET's
			// [Authorize], not with the error envelope.
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Authorization has been denied for this request."})
		case apiErr != nil:
			if apiErr.retryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(apiErr.retryAfter.Seconds()))))
			}
			writeError(w, apiErr)
		case body == nil:
			w.WriteHeader(status)
		default:
			writeJSON(w, status, body)
		}
	}
}

func (c *Connector) serveAPI(r *http.Request, rec *Recorded, fn apiFunc) (int, any, *apiError) {
	var activity map[string]any
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			return 0, nil, badArgument("reading the request body: %v", err)
		}
		if len(data) > maxBody {
			return 0, nil, newAPIError(http.StatusRequestEntityTooLarge, "MessageSizeTooBig", "Message size too large.")
		}
		if err := json.Unmarshal(data, &activity); err != nil || activity == nil {
			return 0, nil, badArgument("The request body must be a JSON object.")
		}
		rec.Activity = activity
	}

	tok, err := simauth.BearerToken(r)
	if err != nil {
		return 0, nil, &apiError{status: http.StatusUnauthorized}
	}
	claims, err := c.verifier.Verify(tok, ConnectorAudience)
	if err != nil {
		return 0, nil, &apiError{status: http.StatusUnauthorized}
	}
	rec.AppID = claims.AppID
	name, ok := c.registeredBot(claims.AppID)
	if !ok {
		return 0, nil, &apiError{status: http.StatusUnauthorized}
	}
	cl := &call{r: r, appID: claims.AppID, botName: name, activity: activity, rec: rec}

	if id := r.PathValue("conversationId"); id != "" {
		cl.convID = id
		c.mu.Lock()
		cl.conv = c.convs[baseConversationID(id)]
		uninstalled := cl.conv != nil && cl.conv.Uninstalled
		c.mu.Unlock()
		if cl.conv == nil {
			return 0, nil, newAPIError(http.StatusNotFound, "ConversationNotFound", "Conversation not found.")
		}
		if cl.conv.BotAppID != claims.AppID || uninstalled {
			return 0, nil, newAPIError(http.StatusForbidden, "BotNotInConversationRoster", "The bot is not part of the conversation roster.")
		}
		key := limitKey{bot: claims.AppID, conversation: cl.conv.ID, read: r.Method == http.MethodGet}
		if ok, wait := c.limiter.allow(key, c.now()); !ok {
			return 0, nil, throttled(wait)
		}
	}
	return fn(cl)
}

// Recorded is one call a bot made to the connector.
type Recorded struct {
	Method string `json:"method"`
	// Path is relative to the serviceUrl, e.g.
	// "v3/conversations/a:1.../activities" (path-decoded).
	Path           string `json:"path"`
	ConversationID string `json:"conversationId,omitempty"`
	// ActivityID is the activity the call created or addressed.
	ActivityID string         `json:"activityId,omitempty"`
	Activity   map[string]any `json:"activity,omitempty"` // the request body
	AppID      string         `json:"appId,omitempty"`    // the authenticated bot
	Status     int            `json:"status"`
	Time       time.Time      `json:"time"`
}

// Activities returns, in order, every call bots made on a conversation.
// A channel id matches the posts and replies of all its threads; an id with
// ";messageid=" matches that thread only.
func (c *Connector) Activities(conversationID string) []Recorded {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Recorded
	for _, r := range c.recorded {
		if r.ConversationID == conversationID ||
			(!strings.Contains(conversationID, ";messageid=") && baseConversationID(r.ConversationID) == conversationID) {
			out = append(out, cloneRecorded([]Recorded{r})...)
		}
	}
	return out
}

// Calls returns every call bots made to the connector, in order.
func (c *Connector) Calls() []Recorded {
	c.mu.Lock()
	defer c.mu.Unlock()
	return cloneRecorded(c.recorded)
}

func cloneRecorded(rs []Recorded) []Recorded {
	out := make([]Recorded, len(rs))
	for i, r := range rs {
		out[i] = r
		if r.Activity != nil {
			out[i].Activity = deepCopy(r.Activity)
		}
	}
	return out
}

func deepCopy(m map[string]any) map[string]any {
	data, err := json.Marshal(m)
	if err != nil {
		panic(errors.New("botconnector: activity is not JSON: " + err.Error()))
	}
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return out
}
