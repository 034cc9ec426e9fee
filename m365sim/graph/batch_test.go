package graph

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestBatch(t *testing.T) {
	e := newEnv(t, nil)
	jsonHdr := map[string]string{"Content-Type": "application/json"}
	t.Run("independent parts", func(t *testing.T) {
		r := e.do("POST", "/v1.0/$batch", "app-a", map[string]any{"requests": []any{
			map[string]any{"id": "1", "method": "GET", "url": "/users/" + alice.ID},
			map[string]any{"id": "2", "method": "GET", "url": "/users/nobody@a.test"},
			map[string]any{"id": "3", "method": "GET", "url": "/users?$filter=mail eq 'bob@a.test'"},
		}}).want(t, 200)
		res, _ := r.body["responses"].([]any)
		if len(res) != 3 {
			t.Fatalf("responses %s", r.raw)
		}
		want := map[string]int{"1": 200, "2": 404, "3": 200}
		for _, x := range res {
			p := x.(map[string]any)
			if int(p["status"].(float64)) != want[p["id"].(string)] {
				t.Errorf("part %v", p)
			}
		}
		body := res[0].(map[string]any)["body"].(map[string]any)
		if body["id"] != alice.ID {
			t.Errorf("part 1 body %v", body)
		}
	})
	t.Run("dependsOn and failed dependency", func(t *testing.T) {
		r := e.do("POST", "/v1.0/$batch", "app-a", map[string]any{"requests": []any{
			map[string]any{"id": "g", "method": "POST", "url": "/groups", "headers": jsonHdr, "body": map[string]any{
				"displayName": "Batch", "mailNickname": "batch", "mailEnabled": true, "securityEnabled": false, "groupTypes": []string{"Unified"}}},
			map[string]any{"id": "dup", "method": "POST", "url": "/groups", "headers": jsonHdr, "dependsOn": []string{"g"}, "body": map[string]any{
				"displayName": "Batch", "mailNickname": "batch", "mailEnabled": true, "securityEnabled": false, "groupTypes": []string{"Unified"}}},
			map[string]any{"id": "after", "method": "GET", "url": "/users", "dependsOn": []string{"dup"}},
		}}).want(t, 200)
		res, _ := r.body["responses"].([]any)
		got := []string{}
		for _, x := range res {
			p := x.(map[string]any)
			got = append(got, fmt.Sprintf("%s:%v", p["id"], p["status"]))
		}
		if strings.Join(got, " ") != "g:201 dup:400 after:424" {
			t.Errorf("statuses %v", got)
		}
	})
	t.Run("each part is authorised", func(t *testing.T) {
		r := e.do("POST", "/v1.0/$batch", "app-weak", map[string]any{"requests": []any{
			map[string]any{"id": "1", "method": "GET", "url": "/groups"},
			map[string]any{"id": "2", "method": "GET", "url": "/users"},
		}}).want(t, 200)
		res, _ := r.body["responses"].([]any)
		if res[0].(map[string]any)["status"] != 403.0 || res[1].(map[string]any)["status"] != 200.0 {
			t.Errorf("responses %s", r.raw)
		}
	})
	t.Run("limits", func(t *testing.T) {
		var reqs []any
		for i := range 21 {
			reqs = append(reqs, map[string]any{"id": fmt.Sprint(i), "method": "GET", "url": "/users"})
		}
		e.do("POST", "/v1.0/$batch", "app-a", map[string]any{"requests": reqs}).want(t, 400, "BadRequest")
		e.do("POST", "/v1.0/$batch", "app-a", map[string]any{"requests": reqs[:20]}).want(t, 200)
		e.do("POST", "/v1.0/$batch", "", map[string]any{"requests": reqs[:1]}).want(t, 401)
		e.do("POST", "/v1.0/$batch", "app-a", map[string]any{"requests": []any{
			map[string]any{"id": "1", "method": "GET", "url": "/users", "dependsOn": []string{"9"}}}}).want(t, 400)
		e.do("POST", "/v1.0/$batch", "app-a", map[string]any{"requests": []any{
			map[string]any{"id": "1", "method": "POST", "url": "/groups", "body": map[string]any{"a": 1}}}}).want(t, 400)
	})
	t.Run("parts are throttled", func(t *testing.T) {
		e.g.SetLimits(Limits{CreateTeam: 1})
		defer e.g.SetLimits(Limits{})
		body := map[string]any{"template@odata.bind": standardTemplate, "displayName": "B", "members": []any{owner(alice.ID)}}
		r := e.do("POST", "/v1.0/$batch", "app-a", map[string]any{"requests": []any{
			map[string]any{"id": "1", "method": "POST", "url": "/teams", "headers": jsonHdr, "body": body},
			map[string]any{"id": "2", "method": "POST", "url": "/teams", "headers": jsonHdr, "body": body},
		}}).want(t, 200)
		res, _ := r.body["responses"].([]any)
		p1, p2 := res[0].(map[string]any), res[1].(map[string]any)
		if p1["status"] != 202.0 || p2["status"] != 429.0 || p2["headers"].(map[string]any)["Retry-After"] == nil ||
			!strings.HasPrefix(p1["headers"].(map[string]any)["Location"].(string), "/teams('") {
			t.Errorf("responses %s", r.raw)
		}
	})
}

func TestFaultsReproducible(t *testing.T) {
	run := func(seed int64) []int {
		e := newEnv(t, func(o *Options) {
			o.Seed = seed
			o.Faults = FaultConfig{Rate429: 0.2, Rate503: 0.1, Rate504: 0.1}
		})
		var out []int
		for range 40 {
			r := e.do("GET", "/v1.0/users", "app-a", nil)
			if r.status == 429 || r.status == 503 {
				if r.header.Get("Retry-After") == "" {
					t.Fatalf("%d without Retry-After", r.status)
				}
			}
			out = append(out, r.status)
		}
		st := e.g.Inspect().(State)
		if st.Faults["429"]+st.Faults["503"]+st.Faults["504"] == 0 {
			t.Errorf("no faults counted: %+v", st.Faults)
		}
		return out
	}
	a, b, c := run(7), run(7), run(8)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("same seed, different sequences:\n%v\n%v", a, b)
	}
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Errorf("different seeds, same sequence %v", a)
	}
	kinds := map[int]bool{}
	for _, s := range a {
		kinds[s] = true
	}
	for _, s := range []int{200, 429, 503, 504} {
		if !kinds[s] {
			t.Errorf("status %d never seen in %v", s, a)
		}
	}
}

func TestFaultResetAndSlow(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Faults = FaultConfig{ResetRate: 1} })
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1.0/users", nil)
	req.Header.Set("Authorization", "Bearer app-a")
	tr := &http.Transport{DialContext: (&net.Dialer{}).DialContext, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	if res, err := (&http.Client{Transport: tr}).Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("want a reset connection, got %d", res.StatusCode)
	}
	e.g.SetFaults(FaultConfig{SlowRate: 1, SlowDelay: 20 * time.Millisecond})
	start := time.Now()
	e.do("GET", "/v1.0/users", "app-a", nil).want(t, 200)
	if time.Since(start) < 20*time.Millisecond {
		t.Error("slow fault did not delay")
	}
	st := e.g.Inspect().(State)
	if st.Faults["reset"] != 1 || st.Faults["slow"] != 1 {
		t.Errorf("faults %+v", st.Faults)
	}
}

func TestAdmin(t *testing.T) {
	e := newEnv(t, nil)
	admin := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, path, strings.NewReader(body))
		rec := &recorder{h: http.Header{}}
		e.g.AdminHandler().ServeHTTP(rec, req)
		return rec.status, rec.buf.String()
	}
	tests := []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"get faults", "GET", "/faults", "", 200, `"rate429":0`},
		{"rate above 1", "PUT", "/faults", `{"rate429":1.5}`, 400, "rate429 must be between 0 and 1"},
		{"rates sum above 1", "PUT", "/faults", `{"rate429":0.6,"rate503":0.6}`, 400, "must not exceed 1"},
		{"unknown field", "PUT", "/faults", `{"rate999":0.1}`, 400, "invalid FaultConfig JSON"},
		{"set faults", "PUT", "/faults", `{"rate503":0.25}`, 200, `"rate503":0.25`},
		{"negative limit", "PUT", "/limits", `{"createTeam":-1}`, 400, "must be >= 0"},
		{"set limits", "PUT", "/limits", `{"createTeam":3}`, 200, `"createTeam":3`},
		{"get limits", "GET", "/limits", "", 200, `"createTeam":3`},
		{"throttle counters", "GET", "/throttle", "", 200, "{"},
		{"state", "GET", "/state", "", 200, `"tenants"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := admin(tc.method, tc.path, tc.body)
			if status != tc.status || !strings.Contains(body, tc.contains) {
				t.Errorf("%d %s, want %d containing %q", status, body, tc.status, tc.contains)
			}
		})
	}
	if _, err := New(Options{BaseURL: "http://x", Dir: e.dir, Verifier: tokens(), Faults: FaultConfig{Rate429: 2}}); err == nil {
		t.Error("New accepted an invalid FaultConfig")
	}
}
