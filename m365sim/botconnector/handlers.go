package botconnector

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// path reads a nested string field of a JSON object ("" when absent).
func path(m map[string]any, keys ...string) string {
	var cur any = m
	for _, k := range keys {
		obj, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = obj[k]
	}
	s, _ := cur.(string)
	return s
}

// obj returns m[key] as an object, creating it when absent.
func obj(m map[string]any, key string) map[string]any {
	if o, ok := m[key].(map[string]any); ok {
		return o
	}
	o := map[string]any{}
	m[key] = o
	return o
}

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// store stamps an activity the bot sent as the channel does and keeps it
// for update and delete. Callers hold c.mu.
func (c *Connector) store(cv *conversation, convID, botName string, a map[string]any) string {
	return c.storeAs(c.nextActivityID(), cv, convID, botName, a)
}

func (c *Connector) storeAs(id string, cv *conversation, convID, botName string, a map[string]any) string {
	a["id"] = id
	a["timestamp"] = timestamp(c.now())
	a["channelId"] = ChannelID
	a["serviceUrl"] = c.ServiceURL()
	from := obj(a, "from")
	from["id"] = BotID(cv.BotAppID)
	if botName != "" {
		from["name"] = botName
	}
	conv := obj(a, "conversation")
	conv["id"] = convID
	conv["conversationType"] = cv.Type
	conv["tenantId"] = cv.TenantID
	cv.activities[id] = &storedActivity{activity: deepCopy(a)}
	return id
}

type resourceResponse struct {
	ID string `json:"id"`
}

// createConversation: POST v3/conversations with ConversationParameters.
// Teams lets a bot open (or find) its 1:1 chat with a user and start a new
// thread in a channel; it refuses group chats.
func (c *Connector) createConversation(cl *call) (int, any, *apiError) {
	p := cl.activity
	tenantID := path(p, "tenantId")
	if tenantID == "" {
		tenantID = path(p, "channelData", "tenant", "id")
	}
	if tenantID == "" {
		return 0, nil, badArgument("A tenant id is required (tenantId or channelData.tenant.id).")
	}
	if _, err := c.bot(tenantID, cl.appID); err != nil {
		return 0, nil, newAPIError(http.StatusForbidden, "BotNotInConversationRoster", "The bot is not installed in this tenant.")
	}
	activity, _ := p["activity"].(map[string]any)

	if channelID := path(p, "channelData", "channel", "id"); channelID != "" {
		c.mu.Lock()
		defer c.mu.Unlock()
		cv := c.convs[channelID]
		if cv == nil || cv.Type != Channel || cv.TenantID != tenantID {
			return 0, nil, newAPIError(http.StatusNotFound, "ConversationNotFound", "Conversation not found.")
		}
		if cv.BotAppID != cl.appID {
			return 0, nil, newAPIError(http.StatusForbidden, "BotNotInConversationRoster", "The bot is not part of the conversation roster.")
		}
		if activity == nil {
			return 0, nil, badArgument("Starting a channel thread needs an activity.")
		}
		// The thread's id is the channel id plus the root post's id.
		id := c.nextActivityID()
		threadID := channelID + ";messageid=" + id
		c.storeAs(id, cv, threadID, cl.botName, activity)
		cl.rec.ConversationID, cl.rec.ActivityID = threadID, id
		return http.StatusCreated, map[string]string{"id": threadID, "activityId": id, "serviceUrl": c.ServiceURL()}, nil
	}

	if isGroup, _ := p["isGroup"].(bool); isGroup {
		return 0, nil, badArgument("Incorrect conversation creation parameters: bots can only create 1:1 chats and channel threads.")
	}
	members, _ := p["members"].([]any)
	if len(members) != 1 {
		return 0, nil, badArgument("Incorrect conversation creation parameters: a 1:1 chat needs exactly one member.")
	}
	m, _ := members[0].(map[string]any)
	memberID := path(m, "id")
	if memberID == "" {
		memberID = path(m, "aadObjectId")
	}
	u, err := c.resolveUser(tenantID, memberID)
	if err != nil {
		return 0, nil, badArgument("Member %q is not a user of tenant %s.", memberID, tenantID)
	}
	conv, err := c.PersonalConversation(tenantID, cl.appID, u.ID)
	if err != nil {
		return 0, nil, newAPIError(http.StatusInternalServerError, "ServiceError", err.Error())
	}
	if conv.Uninstalled {
		return 0, nil, newAPIError(http.StatusForbidden, "BotNotInConversationRoster", "The bot is not part of the conversation roster.")
	}
	cl.rec.ConversationID = conv.ID
	resp := map[string]string{"id": conv.ID, "serviceUrl": c.ServiceURL()}
	if activity != nil {
		if ok, wait := c.limiter.allow(limitKey{bot: cl.appID, conversation: conv.ID}, c.now()); !ok {
			return 0, nil, throttled(wait)
		}
		c.mu.Lock()
		id := c.store(c.convs[conv.ID], conv.ID, cl.botName, activity)
		c.mu.Unlock()
		resp["activityId"] = id
		cl.rec.ActivityID = id
	}
	return http.StatusCreated, resp, nil
}

// sendActivity: POST v3/conversations/{conversationId}/activities.
func (c *Connector) sendActivity(cl *call) (int, any, *apiError) {
	if path(cl.activity, "type") == "" {
		return 0, nil, badArgument("The activity must have a type.")
	}
	c.mu.Lock()
	id := c.store(cl.conv, cl.convID, cl.botName, cl.activity)
	c.mu.Unlock()
	cl.rec.ActivityID = id
	return http.StatusCreated, resourceResponse{id}, nil
}

// replyActivity: POST v3/conversations/{conversationId}/activities/{activityId}.
func (c *Connector) replyActivity(cl *call) (int, any, *apiError) {
	if path(cl.activity, "type") == "" {
		return 0, nil, badArgument("The activity must have a type.")
	}
	cl.activity["replyToId"] = cl.r.PathValue("activityId")
	c.mu.Lock()
	id := c.store(cl.conv, cl.convID, cl.botName, cl.activity)
	c.mu.Unlock()
	cl.rec.ActivityID = id
	return http.StatusCreated, resourceResponse{id}, nil
}

func (c *Connector) botActivity(cl *call) (*storedActivity, *apiError) {
	s := cl.conv.activities[cl.r.PathValue("activityId")]
	if s == nil || s.deleted {
		return nil, newAPIError(http.StatusNotFound, "ActivityNotFoundInConversation", "The activity was not found in the conversation.")
	}
	return s, nil
}

// updateActivity: PUT v3/conversations/{conversationId}/activities/{activityId}.
func (c *Connector) updateActivity(cl *call) (int, any, *apiError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, apiErr := c.botActivity(cl)
	if apiErr != nil {
		return 0, nil, apiErr
	}
	id := cl.r.PathValue("activityId")
	a := deepCopy(cl.activity)
	a["id"] = id
	a["timestamp"] = s.activity["timestamp"]
	a["from"] = s.activity["from"]
	a["conversation"] = s.activity["conversation"]
	a["channelId"] = ChannelID
	a["serviceUrl"] = c.ServiceURL()
	s.activity = a
	return http.StatusOK, resourceResponse{id}, nil
}

// deleteActivity: DELETE v3/conversations/{conversationId}/activities/{activityId}.
func (c *Connector) deleteActivity(cl *call) (int, any, *apiError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, apiErr := c.botActivity(cl)
	if apiErr != nil {
		return 0, nil, apiErr
	}
	s.deleted = true
	return http.StatusOK, nil, nil
}

// getMembers: GET v3/conversations/{conversationId}/members.
func (c *Connector) getMembers(cl *call) (int, any, *apiError) {
	return http.StatusOK, c.memberAccounts(cl.conv.Conversation), nil
}

// Paging of pagedmembers: the simulator's default and ceiling.
const (
	defaultPageSize = 200
	maxPageSize     = 500
)

type pagedMembers struct {
	ContinuationToken string                `json:"continuationToken,omitempty"`
	Members           []TeamsChannelAccount `json:"members"`
}

// getPagedMembers: GET v3/conversations/{conversationId}/pagedmembers?pageSize=&continuationToken=.
func (c *Connector) getPagedMembers(cl *call) (int, any, *apiError) {
	q := cl.r.URL.Query()
	size := defaultPageSize
	if s := q.Get("pageSize"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return 0, nil, badArgument("pageSize must be a positive integer.")
		}
		size = min(n, maxPageSize)
	}
	all := c.memberAccounts(cl.conv.Conversation)
	start := 0
	if tok := q.Get("continuationToken"); tok != "" {
		n, err := decodeContinuation(cl.conv.ID, tok)
		if err != nil || n > len(all) {
			return 0, nil, badArgument("The continuation token is invalid.")
		}
		start = n
	}
	end := min(start+size, len(all))
	page := pagedMembers{Members: all[start:end]}
	if end < len(all) {
		page.ContinuationToken = encodeContinuation(cl.conv.ID, end)
	}
	return http.StatusOK, page, nil
}

// Continuation tokens are opaque to bots; these name the conversation so a
// token cannot page another one.
func encodeContinuation(convID string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset) + "|" + convID))
}

func decodeContinuation(convID, tok string) (int, error) {
	data, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, err
	}
	n, rest, ok := strings.Cut(string(data), "|")
	if !ok || rest != convID {
		return 0, strconv.ErrSyntax
	}
	return strconv.Atoi(n)
}

// getMember: GET v3/conversations/{conversationId}/members/{memberId}; the
// member id is the "29:" id or the user's AAD object id, as Teams accepts.
func (c *Connector) getMember(cl *call) (int, any, *apiError) {
	notFound := newAPIError(http.StatusNotFound, "MemberNotFoundInConversation", "The member was not found in the conversation.")
	u, err := c.resolveUser(cl.conv.TenantID, cl.r.PathValue("memberId"))
	if err != nil {
		return 0, nil, notFound
	}
	for _, m := range cl.conv.Members {
		if m == u.ID {
			return http.StatusOK, c.account(cl.conv.TenantID, u), nil
		}
	}
	return 0, nil, notFound
}
