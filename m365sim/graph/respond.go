package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// jsonType is the Content-Type Graph sends with JSON bodies.
const jsonType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

// apiError is an error a handler returns to answer with Graph's envelope.
type apiError struct {
	status     int
	code       string
	message    string
	retryAfter int // seconds; 0 = no header
	details    []map[string]string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// Errors shared by several endpoints; messages are Microsoft's.
func errBadRequest(format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, "BadRequest", format, args...)
}

func errDirBadRequest(format string, args ...any) *apiError {
	return errf(http.StatusBadRequest, "Request_BadRequest", format, args...)
}

func errResourceNotFound(id string) *apiError {
	return errf(http.StatusNotFound, "Request_ResourceNotFound",
		"Resource '%s' does not exist or one of its queried reference-property objects are not present.", id)
}

func errTeamNotFound(id string) *apiError {
	return errf(http.StatusNotFound, "NotFound", "No team found with Group Id %s", id)
}

type ctxKey int

const idsKey ctxKey = 0

type reqIDs struct{ rid, crid string }

func withIDs(ctx context.Context, rid, crid string) context.Context {
	return context.WithValue(ctx, idsKey, reqIDs{rid, crid})
}

func idsFrom(ctx context.Context) reqIDs {
	ids, _ := ctx.Value(idsKey).(reqIDs)
	return ids
}

// writeError answers with Graph's error envelope.
func (g *Graph) writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	ids := idsFrom(r.Context())
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(e.retryAfter))
	}
	body := map[string]any{
		"code":    e.code,
		"message": e.message,
		"innerError": map[string]any{
			"date":              g.now().UTC().Format("2006-01-02T15:04:05"),
			"request-id":        ids.rid,
			"client-request-id": ids.crid,
		},
	}
	if len(e.details) > 0 {
		body["details"] = e.details
	}
	writeJSON(w, e.status, map[string]any{"error": body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "graph: encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", jsonType)
	w.Header().Set("OData-Version", "4.0")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// decodeBody reads a JSON request body into v. Graph answers malformed JSON
// with 400 BadRequest.
func decodeBody(r *http.Request, v any) error {
	if r.Body == nil {
		return errBadRequest("Empty Payload. JSON content expected.")
	}
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 4<<20))
	if err := dec.Decode(v); err != nil {
		if err.Error() == "EOF" {
			return errBadRequest("Empty Payload. JSON content expected.")
		}
		return errBadRequest("Invalid request body: %v", err)
	}
	return nil
}

// odataTime formats a time as Graph does (UTC, millisecond precision, Z).
func odataTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// bindID extracts the id from an @odata.bind / @odata.id URL such as
// https://graph.microsoft.com/v1.0/users('id'), .../users/id or
// .../appCatalogs/teamsApps/id. collection is the expected resource
// segment ("users", "directoryObjects", "teamsApps", "groups").
func bindID(ref string, collections ...string) (string, bool) {
	ref = strings.TrimSpace(ref)
	s := keyPath.ReplaceAllString(ref, "/$1")
	s = strings.TrimSuffix(s, "/")
	i := strings.LastIndex(s, "/")
	if i < 0 {
		return "", false
	}
	id, rest := s[i+1:], s[:i]
	j := strings.LastIndex(rest, "/")
	coll := rest[j+1:]
	for _, c := range collections {
		if strings.EqualFold(coll, c) && id != "" {
			return id, true
		}
	}
	return "", false
}
