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
}

func (f FaultConfig) validate() error {
	for _, r := range []struct {
		name string
		v    float64
	}{{"rate429", f.Rate429}, {"rate503", f.Rate503}, {"rate504", f.Rate504}, {"resetRate", f.ResetRate}, {"slowRate", f.SlowRate}, {"operationFailRate", f.OperationFailRate}} {
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
	for _, p := range []*float64{&f.Rate429, &f.Rate503, &f.Rate504, &f.ResetRate, &f.SlowRate, &f.OperationFailRate} {
		*p = min(max(*p, 0), 1)
	}
	f.SlowDelay = min(max(f.SlowDelay, 0), time.Minute)
}

// injectFault decides this request's fate and, for a failure, answers it.
// Every request draws the same three numbers whatever the configuration,
// so one seed yields one sequence.
func (g *Graph) injectFault(w http.ResponseWriter, r *http.Request, outer bool) bool {
	g.mu.Lock()
	f := g.faults
	pick, slow, retry := g.rng.Float64(), g.rng.Float64(), 1+g.rng.IntN(5)
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
	}
	g.mu.Unlock()

	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
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
			return true
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			_ = conn.Close()
		}
	default:
		return false
	}
	return true
}
