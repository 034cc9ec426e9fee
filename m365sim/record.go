package m365sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Call is one request the simulator answered, as a Recorder saw it.
type Call struct {
	// Service is "login", "graph", "botframework" (the Bot Framework's
	// metadata and keys), "connector" (the Bot Connector) or "other".
	Service string
	Method  string
	// Path is relative to the service: for Graph, to /graph/v1.0
	// ("/teams/{id}/channels"), without the query.
	Path   string
	Status int
	// Batched marks a part of a Graph $batch, recorded besides the
	// envelope with the part's own status.
	Batched bool
}

// Recorder records every request a simulator serves, $batch parts
// included, so a test can check what a client really called (say, that
// every Graph route it used is covered by the permissions it declares).
// Set it as Options.Recorder. Safe for concurrent use.
type Recorder struct {
	mu    sync.Mutex
	calls []Call
}

// Calls returns the recorded calls in the order they were answered.
func (r *Recorder) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

func (r *Recorder) add(c ...Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, c...)
}

// maxRecordedBatch bounds what the recorder buffers of a $batch: Graph
// allows 20 parts, far below it.
const maxRecordedBatch = 8 << 20

// Wrap returns h recording each request it answers.
func (r *Recorder) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		service, path := classify(req.URL.Path)
		batch := service == "graph" && req.Method == http.MethodPost && path == "/$batch"
		var reqBody []byte
		if batch {
			reqBody, _ = io.ReadAll(io.LimitReader(req.Body, maxRecordedBatch))
			req.Body = io.NopCloser(bytes.NewReader(reqBody))
		}
		sw := &statusWriter{ResponseWriter: w, keep: batch}
		h.ServeHTTP(sw, req)
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		calls := []Call{{Service: service, Method: req.Method, Path: path, Status: status}}
		if batch {
			calls = append(calls, batchParts(reqBody, sw.body.Bytes())...)
		}
		r.add(calls...)
	})
}

// classify splits a simulator path into its service and the path within it.
func classify(p string) (service, rest string) {
	switch {
	case strings.HasPrefix(p, "/graph/v1.0/"):
		return "graph", strings.TrimPrefix(p, "/graph/v1.0")
	case strings.HasPrefix(p, "/graph/"):
		return "graph", strings.TrimPrefix(p, "/graph")
	case strings.HasPrefix(p, "/login/"):
		return "login", strings.TrimPrefix(p, "/login")
	case strings.HasPrefix(p, "/botframework/"):
		return "botframework", strings.TrimPrefix(p, "/botframework")
	case strings.HasPrefix(p, "/connector/"):
		return "connector", strings.TrimPrefix(p, "/connector")
	}
	return "other", p
}

// batchParts pairs a $batch's parts with their answers.
func batchParts(reqBody, respBody []byte) []Call {
	var in struct {
		Requests []struct {
			ID, Method, URL string
		} `json:"requests"`
	}
	var out struct {
		Responses []struct {
			ID     string `json:"id"`
			Status int    `json:"status"`
		} `json:"responses"`
	}
	if json.Unmarshal(reqBody, &in) != nil {
		return nil
	}
	_ = json.Unmarshal(respBody, &out) // an error answer has no parts
	status := map[string]int{}
	for _, r := range out.Responses {
		status[r.ID] = r.Status
	}
	calls := make([]Call, 0, len(in.Requests))
	for _, p := range in.Requests {
		path := p.URL
		if u, err := url.Parse(p.URL); err == nil {
			path = u.Path
		}
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		calls = append(calls, Call{Service: "graph", Method: strings.ToUpper(p.Method), Path: path, Status: status[p.ID], Batched: true})
	}
	return calls
}

// statusWriter remembers the status, and the body when keep is set.
type statusWriter struct {
	http.ResponseWriter
	status int
	keep   bool
	body   bytes.Buffer
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	if s.keep && s.body.Len() < maxRecordedBatch {
		s.body.Write(b)
	}
	return s.ResponseWriter.Write(b)
}

// Flush lets streaming answers through the recorder.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
