package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// timeline records when each POST /teams left the client and how it ended,
// to show whether the tenant's creation budget was kept busy.
type timeline struct {
	next http.RoundTripper

	mu    sync.Mutex
	start time.Time
	sends []send
}

type send struct {
	at      time.Duration
	outcome string // status code, or "error"
}

func (t *timeline) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/v1.0/teams") {
		return t.next.RoundTrip(r)
	}
	t.mu.Lock()
	at := time.Since(t.start)
	t.mu.Unlock()
	res, err := t.next.RoundTrip(r)
	out := "error"
	if err == nil {
		out = fmt.Sprint(res.StatusCode)
	}
	t.mu.Lock()
	t.sends = append(t.sends, send{at, out})
	t.mu.Unlock()
	return res, err
}

func (t *timeline) begin() {
	t.mu.Lock()
	t.start = time.Now()
	t.sends = nil
	t.mu.Unlock()
}

// print shows, per ten seconds, how many POST /teams left and how they
// ended.
func (t *timeline) print() {
	t.mu.Lock()
	defer t.mu.Unlock()
	buckets := map[int]map[string]int{}
	last := 0
	for _, s := range t.sends {
		b := int(s.at / (10 * time.Second))
		if buckets[b] == nil {
			buckets[b] = map[string]int{}
		}
		buckets[b][s.outcome]++
		last = max(last, b)
	}
	fmt.Println("          POST /teams sent, per ten seconds (outcomes):")
	for b := 0; b <= last; b++ {
		n := 0
		for _, c := range buckets[b] {
			n += c
		}
		fmt.Printf("            %3d-%3d s: %3d %v\n", 10*b, 10*b+10, n, buckets[b])
	}
}
