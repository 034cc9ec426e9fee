package m365sim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"

	"github.com/stewardhq/steward/m365sim/directory"
)

// The bot admin API lets a standalone simulator (steward sim) be driven over
// HTTP the way tests drive it in-process:
//
//	PUT  /admin/bots/{appId}/endpoint    {"endpoint": "http://127.0.0.1:8080/api/messages"}
//	POST /admin/bots/{appId}/activities  {"tenantId": "...", "activity": {...}}
//
// The second signs the activity as the Bot Connector does, delivers it to the
// bot, and answers with the bot's status and body (the invoke response).
func (s *Sim) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("PUT /admin/bots/{appId}/endpoint", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Endpoint string `json:"endpoint"`
		}
		if err := decode(r, &body); err != nil {
			adminError(w, http.StatusBadRequest, "BadArgument", err.Error())
			return
		}
		u, err := url.Parse(body.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			adminError(w, http.StatusBadRequest, "BadArgument", `"endpoint" must be an absolute http(s) URL such as http://127.0.0.1:8080/api/messages`)
			return
		}
		n, err := s.Dir.SetBotEndpoint(r.PathValue("appId"), body.Endpoint)
		if errors.Is(err, directory.ErrNotFound) {
			adminError(w, http.StatusNotFound, "NotFound", err.Error())
			return
		}
		writeJSON(w, map[string]any{"appId": r.PathValue("appId"), "endpoint": body.Endpoint, "tenants": n})
	})
	mux.HandleFunc("POST /admin/bots/{appId}/activities", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			TenantID string         `json:"tenantId"`
			Activity map[string]any `json:"activity"`
		}
		if err := decode(r, &body); err != nil {
			adminError(w, http.StatusBadRequest, "BadArgument", err.Error())
			return
		}
		if body.TenantID == "" || body.Activity == nil {
			adminError(w, http.StatusBadRequest, "BadArgument", `send {"tenantId": "<tenant id>", "activity": {"type": "message", ...}}`)
			return
		}
		status, resp, err := s.Bot.Deliver(r.Context(), body.TenantID, r.PathValue("appId"), body.Activity)
		if err != nil {
			adminError(w, http.StatusBadGateway, "DeliveryFailed", err.Error())
			return
		}
		out := map[string]any{"status": status}
		if json.Valid(resp) && len(resp) > 0 {
			out["body"] = json.RawMessage(resp)
		} else {
			out["body"] = string(resp)
		}
		writeJSON(w, out)
	})
}

func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New("the body must be one JSON object: " + err.Error())
	}
	return nil
}

func adminError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
