package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// MaxBatch is Graph's documented limit of requests in one $batch.
const MaxBatch = 20

// BatchResult is the answer to one request of a batch: a Response or an
// error (an *Error for a non-2xx part).
type BatchResult struct {
	Response *Response
	Err      error
}

type batchPart struct {
	ID      string            `json:"id"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

type batchAnswer struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// Batch sends independent requests in $batch envelopes of at most 20,
// saving round trips (not throttling budget: Graph counts each part
// against its own limit, so each part spends the budget here too). Parts
// Graph throttled or failed transiently are sent again in a later
// envelope, honouring the largest Retry-After; the result slice matches
// reqs by index. Requests must be relative paths.
func (c *Client) Batch(ctx context.Context, tenantID string, reqs []Request) ([]BatchResult, error) {
	out := make([]BatchResult, len(reqs))
	pending := make([]int, len(reqs))
	for i := range reqs {
		pending[i] = i
	}
	for attempt := 0; len(pending) > 0; attempt++ {
		var again []int
		var wait time.Duration
		for start := 0; start < len(pending); {
			// An envelope holds at most MaxBatch parts, and no more on one
			// budget than its limit allows at once: its parts arrive
			// together.
			n := min(MaxBatch, len(pending)-start)
			calls := make([]call, n)
			for j, i := range pending[start : start+n] {
				calls[j] = c.callOf(reqs[i])
			}
			n = c.budget.together(tenantID, calls)
			chunk := pending[start : start+n]
			start += n
			retry, w, err := c.batchOnce(ctx, tenantID, reqs, chunk, calls[:n], out, attempt+1 >= c.opts.MaxAttempts)
			if err != nil {
				return nil, err
			}
			again = append(again, retry...)
			wait = max(wait, w)
		}
		pending = again
		if len(pending) > 0 {
			if wait == 0 {
				wait = backoff(attempt, 500*time.Millisecond, c.opts.MaxBackoff)
			}
			c.stats.retries.Add(int64(len(pending)))
			if err := sleep(ctx, wait); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// callOf is what a batch part spends (no class for a bad path: target
// refuses it when the envelope is built).
func (c *Client) callOf(r Request) call {
	u, err := c.target(Request{Path: r.Path, Query: r.Query})
	if err != nil {
		return call{}
	}
	class, team := classify(r.Method, c.relPath(u))
	return call{class, team}
}

// batchOnce sends one envelope for the parts idx and fills out; it returns
// the parts to send again and how long Graph asked us to wait. The parts,
// which spend calls, are granted one send time together (reserveTogether).
func (c *Client) batchOnce(ctx context.Context, tenantID string, reqs []Request, idx []int, calls []call, out []BatchResult, last bool) ([]int, time.Duration, error) {
	parts := make([]batchPart, len(idx))
	for j, i := range idx {
		r := reqs[i]
		u, err := c.target(Request{Path: r.Path, Query: r.Query})
		if err != nil {
			return nil, 0, err
		}
		rel := u[len(c.base):]
		p := batchPart{ID: strconv.Itoa(j + 1), Method: r.Method, URL: rel}
		if r.Body != nil {
			b, err := json.Marshal(r.Body)
			if err != nil {
				return nil, 0, fmt.Errorf("graph: encode batch part %s %s: %w", r.Method, rel, err)
			}
			p.Body = b
			p.Headers = map[string]string{"Content-Type": "application/json"}
		}
		parts[j] = p
	}
	if _, d := c.budget.reserveTogether(tenantID, calls); d > 0 {
		if err := sleep(ctx, d); err != nil {
			return nil, 0, err
		}
	}
	resp, err := c.Do(ctx, tenantID, Request{Method: http.MethodPost, Path: "/$batch",
		Body: map[string]any{"requests": parts}, Idempotent: allIdempotent(reqs, idx)})
	if err != nil {
		return nil, 0, err
	}
	var env struct {
		Responses []batchAnswer `json:"responses"`
	}
	if err := resp.Decode(&env); err != nil {
		return nil, 0, err
	}
	got := map[string]batchAnswer{}
	for _, a := range env.Responses {
		got[a.ID] = a
	}
	var again []int
	var wait time.Duration
	for j, i := range idx {
		r := reqs[i]
		a, ok := got[strconv.Itoa(j+1)]
		c.stats.calls.Add(1)
		if !ok {
			out[i] = BatchResult{Err: fmt.Errorf("graph: $batch: no response for %s %s", r.Method, r.Path)}
			continue
		}
		h := http.Header{}
		for k, v := range a.Headers {
			h.Set(k, v)
		}
		if a.Status < 300 {
			out[i] = BatchResult{Response: &Response{Status: a.Status, Header: h, Body: a.Body}}
			continue
		}
		ge := parseError(r.Method, c.relPath(c.base+parts[j].URL), a.Status, h, a.Body)
		retry := ge.Throttled() || ge.Transient() && r.idempotent()
		if ge.Throttled() {
			c.stats.throttled.Add(1)
		}
		if retry && !last {
			again = append(again, i)
			wait = max(wait, min(ge.RetryAfter, c.opts.MaxRetryAfter))
			continue
		}
		if ge.Transient() && !r.idempotent() {
			out[i] = BatchResult{Err: fmt.Errorf("%w: %w", ErrUncertain, ge)}
			continue
		}
		out[i] = BatchResult{Err: ge}
	}
	return again, wait, nil
}

func allIdempotent(reqs []Request, idx []int) bool {
	for _, i := range idx {
		if !reqs[i].idempotent() {
			return false
		}
	}
	return true
}
