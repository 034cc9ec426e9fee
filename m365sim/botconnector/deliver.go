package botconnector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// How long Teams waits for a bot's answer: message extensions and task
// modules 5 s, everything else about 15 s.
const (
	invokeTimeout   = 5 * time.Second
	activityTimeout = 15 * time.Second
)

// maxAnswer bounds the bot's HTTP answer the simulator reads.
const maxAnswer = 4 << 20

// Deliver signs activity as the Bot Connector does and POSTs it to the bot's
// messaging endpoint; it returns the bot's HTTP status and body (the answer
// to an invoke). It fills, in place, what the channel sets when absent: id,
// timestamp, serviceUrl, channelId "msteams", recipient (the bot),
// conversation.tenantId, channelData.tenant.id and from.aadObjectId. An
// unknown conversation is registered with the sender as its member.
func (c *Connector) Deliver(ctx context.Context, tenantID, botAppID string, activity map[string]any) (int, []byte, error) {
	return c.DeliverWith(ctx, tenantID, botAppID, activity, TokenOptions{})
}

// DeliverWith is Deliver with a token altered by o (forged-token tests).
func (c *Connector) DeliverWith(ctx context.Context, tenantID, botAppID string, activity map[string]any, o TokenOptions) (int, []byte, error) {
	app, err := c.bot(tenantID, botAppID)
	if err != nil {
		return 0, nil, err
	}
	if err := c.fill(tenantID, app.AppID, app.DisplayName, activity); err != nil {
		return 0, nil, err
	}
	body, err := json.Marshal(activity)
	if err != nil {
		return 0, nil, fmt.Errorf("botconnector: deliver: encode activity: %w", err)
	}

	timeout := activityTimeout
	if name := path(activity, "name"); path(activity, "type") == "invoke" &&
		(strings.HasPrefix(name, "composeExtension/") || strings.HasPrefix(name, "task/")) {
		timeout = invokeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, app.BotEndpoint, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("botconnector: deliver: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Microsoft-SkypeBotApi (Microsoft-BotFramework 3.0)")
	if !o.NoToken {
		tok, err := c.sign(app.AppID, path(activity, "serviceUrl"), o)
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	c.mu.Lock()
	c.delivered++
	c.mu.Unlock()
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("botconnector: deliver to %s: %w", app.BotEndpoint, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return resp.StatusCode, answer, fmt.Errorf("botconnector: deliver: read answer: %w", err)
	}
	return resp.StatusCode, answer, nil
}

// fill sets what the channel stamps on every activity, and registers the
// conversation if the simulator does not know it yet.
func (c *Connector) fill(tenantID, botAppID, botName string, a map[string]any) error {
	if path(a, "type") == "" {
		return fmt.Errorf("botconnector: deliver: the activity has no type")
	}
	c.mu.Lock()
	if path(a, "id") == "" {
		a["id"] = c.nextActivityID()
	}
	c.mu.Unlock()
	if path(a, "timestamp") == "" {
		a["timestamp"] = timestamp(c.now())
	}
	if path(a, "serviceUrl") == "" {
		a["serviceUrl"] = c.ServiceURL()
	}
	if path(a, "channelId") == "" {
		a["channelId"] = ChannelID
	}
	if _, ok := a["recipient"]; !ok {
		a["recipient"] = map[string]any{"id": BotID(botAppID), "name": botName}
	}
	conv := obj(a, "conversation")
	if path(conv, "tenantId") == "" {
		conv["tenantId"] = tenantID
	}
	tenant := obj(obj(a, "channelData"), "tenant")
	if path(tenant, "id") == "" {
		tenant["id"] = tenantID
	}
	from, hasFrom := a["from"].(map[string]any)
	if hasFrom && path(from, "aadObjectId") == "" {
		if u, err := c.resolveUser(tenantID, path(from, "id")); err == nil {
			from["aadObjectId"] = u.ID
		}
	}
	if path(conv, "id") == "" {
		uid := path(from, "aadObjectId")
		if uid == "" {
			return fmt.Errorf("botconnector: deliver: the activity has no conversation.id and no sender to open a 1:1 chat with")
		}
		cv, err := c.PersonalConversation(tenantID, botAppID, uid)
		if err != nil {
			return err
		}
		conv["id"] = cv.ID
		conv["conversationType"] = Personal
		return nil
	}
	base := baseConversationID(path(conv, "id"))
	c.mu.Lock()
	cv, known := c.convs[base]
	if known && path(a, "type") == "installationUpdate" {
		cv.Uninstalled = path(a, "action") == "remove"
	}
	c.mu.Unlock()
	if !known {
		typ := path(conv, "conversationType")
		if typ == "" {
			typ = Personal
		}
		nc := Conversation{ID: base, Type: typ, TenantID: tenantID, BotAppID: botAppID, Members: []string{},
			Uninstalled: path(a, "type") == "installationUpdate" && path(a, "action") == "remove"}
		if uid := path(from, "aadObjectId"); uid != "" {
			nc.Members = append(nc.Members, uid)
		}
		c.register(nc)
	}
	return nil
}
