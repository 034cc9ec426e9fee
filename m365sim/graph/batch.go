package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// maxBatch is Graph's documented limit of requests per $batch.
const maxBatch = 20

type batchRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

// recorder captures one $batch part's response.
type recorder struct {
	h      http.Header
	status int
	buf    bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.buf.Write(b)
}
func (r *recorder) WriteHeader(s int) {
	if r.status == 0 {
		r.status = s
	}
}

// batch runs each part through the same pipeline as a direct call (faults,
// authentication with the envelope's token, permissions, throttling). Parts
// run in order, which satisfies any dependsOn chain; a part whose
// dependency failed gets 424 without running.
func (g *Graph) batch(w http.ResponseWriter, r *http.Request) {
	// The envelope itself must carry a valid token.
	if _, aerr := g.authenticate(r); aerr != nil {
		g.writeError(w, r, aerr)
		return
	}
	var b struct {
		Requests []batchRequest `json:"requests"`
	}
	if err := decodeBody(r, &b); err != nil {
		ae := errBadRequest("Invalid batch payload format.")
		errors.As(err, &ae)
		g.writeError(w, r, ae)
		return
	}
	if len(b.Requests) == 0 {
		g.writeError(w, r, errBadRequest("Invalid batch payload format."))
		return
	}
	if len(b.Requests) > maxBatch {
		g.writeError(w, r, errBadRequest("Maximum number of requests in a batch is %d.", maxBatch))
		return
	}
	seen := map[string]bool{}
	for _, br := range b.Requests {
		if br.ID == "" || seen[br.ID] {
			g.writeError(w, r, errBadRequest("Batch request ids must be present and unique; '%s' is not.", br.ID))
			return
		}
		for _, d := range br.DependsOn {
			if !seen[d] {
				g.writeError(w, r, errBadRequest("Request '%s' depends on '%s', which is not an earlier request of the batch.", br.ID, d))
				return
			}
		}
		if br.Method == "" || br.URL == "" || strings.Contains(br.URL, "://") {
			g.writeError(w, r, errBadRequest("Invalid request '%s': method and a relative url are required.", br.ID))
			return
		}
		if len(br.Body) > 0 && string(br.Body) != "null" && contentType(br.Headers) == "" {
			g.writeError(w, r, errBadRequest("Content-Type header must be specified for request '%s', which has a body.", br.ID))
			return
		}
		seen[br.ID] = true
	}
	status := map[string]int{}
	out := make([]batchResponse, 0, len(b.Requests))
	for _, br := range b.Requests {
		failedDep := false
		for _, d := range br.DependsOn {
			if status[d] >= 400 {
				failedDep = true
			}
		}
		var resp batchResponse
		if failedDep {
			resp = batchResponse{ID: br.ID, Status: http.StatusFailedDependency, Body: map[string]any{"error": map[string]any{
				"code": "FailedDependency", "message": "The request depends on a request that failed."}}}
		} else {
			resp = g.runPart(r, br)
		}
		status[br.ID] = resp.Status
		out = append(out, resp)
	}
	writeJSON(w, http.StatusOK, map[string]any{"responses": out})
}

func contentType(h map[string]string) string {
	for k, v := range h {
		if strings.EqualFold(k, "Content-Type") {
			return v
		}
	}
	return ""
}

func (g *Graph) runPart(outer *http.Request, br batchRequest) batchResponse {
	u, err := url.Parse("/v1.0/" + strings.TrimPrefix(br.URL, "/"))
	if err != nil {
		return batchResponse{ID: br.ID, Status: http.StatusBadRequest}
	}
	var body *bytes.Reader
	if len(br.Body) > 0 && string(br.Body) != "null" {
		body = bytes.NewReader(br.Body)
	} else {
		body = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(outer.Context(), strings.ToUpper(br.Method), u.String(), body)
	if err != nil {
		return batchResponse{ID: br.ID, Status: http.StatusBadRequest}
	}
	req.URL.RawPath = ""
	for k, v := range br.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Authorization", outer.Header.Get("Authorization"))
	if crid := outer.Header.Get("client-request-id"); crid != "" && req.Header.Get("client-request-id") == "" {
		req.Header.Set("client-request-id", crid)
	}
	rec := &recorder{h: http.Header{}}
	g.serve(rec, req, false)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	resp := batchResponse{ID: br.ID, Status: rec.status, Headers: map[string]string{}}
	for k := range rec.h {
		resp.Headers[k] = rec.h.Get(k)
	}
	delete(resp.Headers, "X-Ms-Ags-Diagnostic")
	if rec.buf.Len() > 0 {
		var v any
		if json.Unmarshal(rec.buf.Bytes(), &v) == nil {
			resp.Body = v
		} else {
			resp.Body = rec.buf.String()
		}
	}
	return resp
}
