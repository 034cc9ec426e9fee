package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardhq/steward/graph"
)

const (
	fakeTenant = "11111111-2222-3333-4444-555555555555"
	fakeClient = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
)

// fakeGraph is a scripted Graph: each path answers with the next reply in
// its script (the last one repeats), and records what it received.
type fakeGraph struct {
	mu      sync.Mutex
	scripts map[string][]reply
	hits    map[string]int
	tokens  atomic.Int64
	auths   []string
	srv     *httptest.Server
}

type reply struct {
	status int
	header map[string]string
	body   string
	reset  bool // close the connection without answering
}

func newFakeGraph(t *testing.T) *fakeGraph {
	t.Helper()
	f := &fakeGraph{scripts: map[string][]reply{}, hits: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGraph) script(method, path string, rs ...reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts[method+" "+path] = rs
}

func (f *fakeGraph) count(method, path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[method+" "+path]
}

func (f *fakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		n := f.tokens.Add(1)
		_ = r.ParseForm()
		if r.PostForm.Get("client_secret") != "s3cret" || r.PostForm.Get("scope") != "https://graph.microsoft.com/.default" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","trace_id":"t-1"}`)
			return
		}
		fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":3599,"access_token":"tok-%d"}`, n)
		return
	}
	key := r.Method + " " + strings.TrimPrefix(r.URL.Path, "/v1.0")
	f.mu.Lock()
	f.auths = append(f.auths, r.Header.Get("Authorization"))
	n := f.hits[key]
	f.hits[key]++
	rs := f.scripts[key]
	f.mu.Unlock()
	if len(rs) == 0 {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"code":"NotFound","message":"no script","innerError":{"request-id":"r-404"}}}`)
		return
	}
	rp := rs[min(n, len(rs)-1)]
	if rp.reset {
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
		return
	}
	for k, v := range rp.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rp.status)
	fmt.Fprint(w, rp.body)
}

type oneCred struct{ secret string }

func (o oneCred) Credential(context.Context, string) (graph.Credential, error) {
	return graph.Credential{EntraTenantID: fakeTenant, ClientID: fakeClient, ClientSecret: o.secret}, nil
}

func fakeClientFor(t *testing.T, f *fakeGraph, opts graph.Options) *graph.Client {
	t.Helper()
	opts.LoginURL, opts.GraphURL = f.srv.URL, f.srv.URL
	if opts.Credentials == nil {
		opts.Credentials = oneCred{"s3cret"}
	}
	if opts.MaxBackoff == 0 {
		opts.MaxBackoff = 20 * time.Millisecond
	}
	c, err := graph.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const throttled = `{"error":{"code":"TooManyRequests","message":"Please retry again later.","innerError":{"request-id":"r-429","date":"2026-11-22T10:00:00"}}}`

func TestRetryAfterIsHonoured(t *testing.T) {
	f := newFakeGraph(t)
	f.script("POST", "/teams",
		reply{status: 429, header: map[string]string{"Retry-After": "1"}, body: throttled},
		reply{status: 202, header: map[string]string{"Location": "/teams('t1')/operations('o1')"}})
	c := fakeClientFor(t, f, graph.Options{})
	start := time.Now()
	team, op, err := c.CreateTeam(context.Background(), "contoso", graph.NewTeam{DisplayName: "X"})
	if err != nil || team != "t1" || op != "o1" {
		t.Fatalf("CreateTeam = %q %q %v", team, op, err)
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("retried after %v; Retry-After said 1s", d)
	}
	if s := c.Stats(); s.Throttled != 1 || s.Retries != 1 || s.Calls != 2 {
		t.Fatalf("stats = %+v", s)
	}
	// The pause applies to the class: the next create also waits.
	f.script("POST", "/teams",
		reply{status: 429, header: map[string]string{"Retry-After": "1"}, body: throttled},
		reply{status: 202, header: map[string]string{"Location": "/teams('t2')/operations('o2')"}})
}

func TestRetrySafety(t *testing.T) {
	gw := `{"error":{"code":"GatewayTimeout","message":"timeout"}}`
	cases := []struct {
		name      string
		method    string
		replies   []reply
		wantErr   string // "" success; "uncertain"; or an error code
		wantCalls int
	}{
		{"GET retried after 504", "GET", []reply{{status: 504, body: gw}, {status: 200, body: `{"id":"t"}`}}, "", 2},
		{"GET retried after 503 without Retry-After", "GET", []reply{{status: 503, body: gw}, {status: 200, body: `{"id":"t"}`}}, "", 2},
		{"GET retried after a reset", "GET", []reply{{reset: true}, {status: 200, body: `{"id":"t"}`}}, "", 2},
		{"GET gives up after MaxAttempts", "GET", []reply{{status: 500, body: gw}}, "GatewayTimeout", 3},
		{"POST not retried after 504", "POST", []reply{{status: 504, body: gw}, {status: 202}}, "uncertain", 1},
		{"POST not retried after a reset", "POST", []reply{{reset: true}, {status: 202}}, "uncertain", 1},
		{"POST retried after 429", "POST", []reply{{status: 429, header: map[string]string{"Retry-After": "0"}, body: throttled}, {status: 202, header: map[string]string{"Location": "/teams('a')/operations('b')"}}}, "", 2},
		{"400 not retried", "GET", []reply{{status: 400, body: `{"error":{"code":"BadRequest","message":"bad"}}`}}, "BadRequest", 1},
		{"404 not retried", "GET", []reply{{status: 404, body: `{"error":{"code":"NotFound","message":"gone","innerError":{"request-id":"r-9"}}}`}}, "NotFound", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeGraph(t)
			path := "/teams/t"
			if tc.method == "POST" {
				path = "/teams"
			}
			f.script(tc.method, path, tc.replies...)
			c := fakeClientFor(t, f, graph.Options{MaxAttempts: 3})
			var err error
			if tc.method == "POST" {
				_, _, err = c.CreateTeam(context.Background(), "contoso", graph.NewTeam{DisplayName: "X"})
			} else {
				_, err = c.Team(context.Background(), "contoso", "t")
			}
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tc.wantErr == "uncertain" && !errors.Is(err, graph.ErrUncertain):
				t.Fatalf("err = %v, want ErrUncertain", err)
			case tc.wantErr != "" && tc.wantErr != "uncertain":
				var ge *graph.Error
				if !errors.As(err, &ge) || ge.Code != tc.wantErr {
					t.Fatalf("err = %v, want code %s", err, tc.wantErr)
				}
			}
			if n := f.count(tc.method, path); n != tc.wantCalls {
				t.Fatalf("calls = %d, want %d", n, tc.wantCalls)
			}
		})
	}
}

func TestErrorCarriesGraphDetails(t *testing.T) {
	f := newFakeGraph(t)
	f.script("GET", "/teams/t", reply{status: 403, header: map[string]string{"request-id": "hdr"},
		body: `{"error":{"code":"Forbidden","message":"Missing role permissions","innerError":{"request-id":"abc-123","date":"2026-11-22T10:00:00"}}}`})
	c := fakeClientFor(t, f, graph.Options{})
	_, err := c.Team(context.Background(), "contoso", "t")
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Status != 403 || ge.Code != "Forbidden" || ge.RequestID != "abc-123" || ge.Date == "" {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), "abc-123") {
		t.Fatalf("message lacks the request id: %v", err)
	}
}

func TestTokensAreCachedAndRefreshedOn401(t *testing.T) {
	f := newFakeGraph(t)
	f.script("GET", "/teams/t", reply{status: 200, body: `{"id":"t"}`})
	c := fakeClientFor(t, f, graph.Options{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Team(context.Background(), "contoso", "t"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := f.tokens.Load(); n != 1 {
		t.Fatalf("token requests = %d, want 1 for 20 concurrent calls", n)
	}
	// Graph says the token is no longer good: one new token, then success.
	f.script("GET", "/teams/u", reply{status: 401, body: `{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed"}}`},
		reply{status: 200, body: `{"id":"u"}`})
	if _, err := c.Team(context.Background(), "contoso", "u"); err != nil {
		t.Fatal(err)
	}
	if n := f.tokens.Load(); n != 2 {
		t.Fatalf("token requests = %d, want 2", n)
	}
	f.mu.Lock()
	last := f.auths[len(f.auths)-1]
	f.mu.Unlock()
	if last != "Bearer tok-2" {
		t.Fatalf("last call used %q", last)
	}
	// A 401 that persists is returned, not looped on.
	f.script("GET", "/teams/v", reply{status: 401, body: `{"error":{"code":"InvalidAuthenticationToken","message":"nope"}}`})
	if _, err := c.Team(context.Background(), "contoso", "v"); err == nil {
		t.Fatal("persistent 401: no error")
	}
	if n := f.count("GET", "/teams/v"); n != 2 {
		t.Fatalf("calls = %d, want 2", n)
	}
}

func TestWrongSecretIsAClearError(t *testing.T) {
	f := newFakeGraph(t)
	c := fakeClientFor(t, f, graph.Options{Credentials: oneCred{"wrong"}})
	_, err := c.Team(context.Background(), "contoso", "t")
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Code != "invalid_client" || !strings.Contains(ge.Message, "AADSTS7000215") {
		t.Fatalf("err = %v", err)
	}
	if f.tokens.Load() != 1 {
		t.Fatalf("a refused secret was retried %d times", f.tokens.Load())
	}
}

func TestPagingStaysOnGraph(t *testing.T) {
	f := newFakeGraph(t)
	f.script("GET", "/teams/t/channels", reply{status: 200, body: fmt.Sprintf(`{"value":[{"id":"1"}],"@odata.nextLink":"%s/v1.0/teams/t/channels2"}`, f.srv.URL)})
	f.script("GET", "/teams/t/channels2", reply{status: 200, body: `{"value":[{"id":"2"},{"id":"3"}]}`})
	c := fakeClientFor(t, f, graph.Options{})
	chs, err := c.Channels(context.Background(), "contoso", "t")
	if err != nil || len(chs) != 3 {
		t.Fatalf("channels = %v, %v", chs, err)
	}
	// A nextLink to another host would receive our token: refused.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the token reached another host: %s", r.Header.Get("Authorization"))
	}))
	defer evil.Close()
	f.script("GET", "/teams/e/channels", reply{status: 200, body: fmt.Sprintf(`{"value":[],"@odata.nextLink":"%s/v1.0/x"}`, evil.URL)})
	if _, err := c.Channels(context.Background(), "contoso", "e"); err == nil || !strings.Contains(err.Error(), "off Graph's origin") {
		t.Fatalf("err = %v", err)
	}
}

func TestDialFailureIsRetriedEvenForPOST(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every dial is refused
	f := newFakeGraph(t)
	c, err := graph.New(graph.Options{LoginURL: f.srv.URL, GraphURL: "http://" + addr, Credentials: oneCred{"s3cret"},
		MaxAttempts: 2, MaxBackoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.CreateTeam(context.Background(), "contoso", graph.NewTeam{DisplayName: "X"})
	if err == nil || errors.Is(err, graph.ErrUncertain) {
		t.Fatalf("a refused dial is certain: %v", err)
	}
	if s := c.Stats(); s.Calls != 2 {
		t.Fatalf("calls = %d, want 2", s.Calls)
	}
}

func TestBatch(t *testing.T) {
	f := newFakeGraph(t)
	var envelopes atomic.Int64
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1.0/$batch" {
			f.serve(w, r)
			return
		}
		n := envelopes.Add(1)
		var in struct {
			Requests []struct{ ID, Method, URL string } `json:"requests"`
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		if len(in.Requests) > graph.MaxBatch {
			w.WriteHeader(400)
			return
		}
		var out []map[string]any
		for _, p := range in.Requests {
			if p.URL == "/users/u3" && n == 1 { // throttled once
				out = append(out, map[string]any{"id": p.ID, "status": 429, "headers": map[string]string{"Retry-After": "0"},
					"body": json.RawMessage(throttled)})
				continue
			}
			if p.URL == "/users/u7" {
				out = append(out, map[string]any{"id": p.ID, "status": 404, "body": json.RawMessage(`{"error":{"code":"Request_ResourceNotFound","message":"x"}}`)})
				continue
			}
			out = append(out, map[string]any{"id": p.ID, "status": 200, "body": map[string]string{"id": strings.TrimPrefix(p.URL, "/users/")}})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"responses": out})
	})
	c := fakeClientFor(t, f, graph.Options{})
	var reqs []graph.Request
	for i := range 25 {
		reqs = append(reqs, graph.Request{Method: "GET", Path: fmt.Sprintf("/users/u%d", i)})
	}
	res, err := c.Batch(context.Background(), "contoso", reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if i == 7 {
			if !graph.IsNotFound(r.Err) {
				t.Errorf("u7: %v", r.Err)
			}
			continue
		}
		var u struct{ ID string }
		if r.Err != nil || r.Response.Decode(&u) != nil || u.ID != fmt.Sprintf("u%d", i) {
			t.Errorf("result %d = %+v", i, r)
		}
	}
	// 25 parts: two envelopes, then one more for the throttled part.
	if n := envelopes.Load(); n != 3 {
		t.Fatalf("envelopes = %d, want 3", n)
	}
}
