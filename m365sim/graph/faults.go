package graph

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// FaultConfig injects failures into /v1.0 requests, to exercise a client's
// retry paths. Rates are probabilities in [0, 1]; Rate429 + Rate503 +
// Rate504 + ResetRate must not exceed 1. Each request draws from a PCG
// seeded with Options.Seed, so a run is reproducible.
type FaultConfig struct {
	Rate429   float64       `json:"rate429"`   // 429 TooManyRequests with Retry-After
	Rate503   float64       `json:"rate503"`   // 503 serviceNotAvailable with Retry-After
	Rate504   float64       `json:"rate504"`   // 504 gatewayTimeout
	ResetRate float64       `json:"resetRate"` // connection closed without a response
	SlowRate  float64       `json:"slowRate"`  // delayed by SlowDelay, then served normally
	SlowDelay time.Duration `json:"slowDelay"` // nanoseconds in JSON
	// OperationFailRate is the share of teamsAsyncOperations (create,
	// clone, archive) that end "failed": the team never becomes ready.
	OperationFailRate float64 `json:"operationFailRate"`
	// LostAfterRate is the share of injected 504s and resets that happen
	// after the request was carried out, as when a gateway times out on a
	// backend that finished: the change is made (and counted by the
	// throttling) but the answer is lost. The rest happen before.
	LostAfterRate float64 `json:"lostAfterRate"`
}

func (f FaultConfig) validate() error {
	for _, r := range []struct {
		name string
		v    float64
	}{{"rate429", f.Rate429}, {"rate503", f.Rate503}, {"rate504", f.Rate504}, {"resetRate", f.ResetRate}, {"slowRate", f.SlowRate}, {"operationFailRate", f.OperationFailRate}, {"lostAfterRate", f.LostAfterRate}} {
		if r.v < 0 || r.v > 1 || r.v != r.v {
			return fmt.Errorf("fault %s must be between 0 and 1, got %v", r.name, r.v)
		}
	}
	if f.Rate429+f.Rate503+f.Rate504+f.ResetRate > 1 {
		return errors.New("fault rates rate429 + rate503 + rate504 + resetRate must not exceed 1")
	}
	if f.SlowDelay < 0 || f.SlowDelay > time.Minute {
		return errors.New("fault slowDelay must be between 0 and 1m")
	}
	return nil
}

func (f *FaultConfig) clamp() {
	for _, p := range []*float64{&f.Rate429, &f.Rate503, &f.Rate504, &f.ResetRate, &f.SlowRate, &f.OperationFailRate, &f.LostAfterRate} {
		*p = min(max(*p, 0), 1)
	}
	f.SlowDelay = min(max(f.SlowDelay, 0), time.Minute)
}

// injectFault decides this request's fate and, for a failure injected
// before the request is carried out, answers it (handled). A 504 or reset
// injected after (FaultConfig.LostAfterRate) is returned as after, for
// serve to deliver once the request ran. Every request draws the same four
// numbers whatever the configuration, so one seed yields one sequence.
func (g *Graph) injectFault(w http.ResponseWriter, r *http.Request, outer bool) (handled bool, after string) {
	g.mu.Lock()
	f := g.faults
	pick, slow, retry, late := g.rng.Float64(), g.rng.Float64(), 1+g.rng.IntN(5), g.rng.Float64()
	kind := ""
	switch {
	case pick < f.Rate429:
		kind = "429"
	case pick < f.Rate429+f.Rate503:
		kind = "503"
	case pick < f.Rate429+f.Rate503+f.Rate504:
		kind = "504"
	case pick < f.Rate429+f.Rate503+f.Rate504+f.ResetRate && outer:
		kind = "reset"
	}
	delay := time.Duration(0)
	if slow < f.SlowRate && f.SlowDelay > 0 {
		delay = f.SlowDelay
		g.injects["slow"]++
	}
	if kind != "" {
		g.injects[kind]++
		if (kind == "504" || kind == "reset") && late < f.LostAfterRate {
			g.injects[kind+" after"]++
			g.mu.Unlock()
			return false, kind
		}
	}
	g.mu.Unlock()

	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true, ""
		}
	}
	if kind == "" {
		return false, ""
	}
	g.writeFault(w, r, kind, retry)
	return true, ""
}

// writeFault answers with an injected failure of kind.
func (g *Graph) writeFault(w http.ResponseWriter, r *http.Request, kind string, retry int) {
	switch kind {
	case "429":
		g.writeError(w, r, &apiError{status: http.StatusTooManyRequests, code: "TooManyRequests", message: "Please retry again later.", retryAfter: retry})
	case "503":
		g.writeError(w, r, &apiError{status: http.StatusServiceUnavailable, code: "serviceNotAvailable", message: "The service is temporarily unavailable. Please retry later.", retryAfter: retry})
	case "504":
		g.writeError(w, r, errf(http.StatusGatewayTimeout, "gatewayTimeout", "The request timed out."))
	case "reset":
		hj, ok := w.(http.Hijacker)
		if !ok {
			g.writeError(w, r, errf(http.StatusGatewayTimeout, "gatewayTimeout", "The request timed out."))
			return
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}
}

// discard is a ResponseWriter whose answer nobody receives: a request
// carried out before its injected 504 or reset.
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}
