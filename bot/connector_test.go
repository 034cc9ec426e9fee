package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardhq/steward/internal/testenv"
)

func TestConnectorAgainstSimulator(t *testing.T) {
	b := newBotSim(t, nil)
	ctx := t.Context()
	ref := b.personal(t, b.conn, 0)
	if ref.Conversation.ID == "" || ref.Conversation.TenantID != b.tenant || ref.ServiceURL != b.sim.ServiceURL() {
		t.Fatalf("personal conversation reference %+v", ref)
	}

	t.Run("send", func(t *testing.T) {
		id, err := b.conn.Send(ctx, ref, Activity{Text: "hello"})
		if err != nil {
			t.Fatal(err)
		}
		recs := b.sim.Bot.Activities(ref.Conversation.ID)
		last := recs[len(recs)-1]
		if last.Method != http.MethodPost || last.Status != http.StatusCreated || last.ActivityID != id || last.Activity["text"] != "hello" {
			t.Fatalf("simulator recorded %+v, want the send of %s", last, id)
		}
		if last.AppID != b.appID {
			t.Fatalf("authenticated as %q, want the bot %q", last.AppID, b.appID)
		}
	})

	t.Run("reply", func(t *testing.T) {
		root, err := b.conn.Send(ctx, ref, Activity{Text: "root"})
		if err != nil {
			t.Fatal(err)
		}
		id, err := b.conn.Reply(ctx, ref, root, Activity{Text: "a reply"})
		if err != nil {
			t.Fatal(err)
		}
		recs := b.sim.Bot.Activities(ref.Conversation.ID)
		last := recs[len(recs)-1]
		want := "v3/conversations/" + ref.Conversation.ID + "/activities/" + root
		if last.Path != want || last.ActivityID != id || last.Activity["replyToId"] != root {
			t.Fatalf("simulator recorded %s (activity %s, replyToId %v), want POST %s", last.Path, last.ActivityID, last.Activity["replyToId"], want)
		}
	})

	t.Run("update", func(t *testing.T) {
		id, err := b.conn.Send(ctx, ref, Activity{Text: "pending"})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.conn.Update(ctx, ref, id, Activity{Text: "approved"}); err != nil {
			t.Fatal(err)
		}
		recs := b.sim.Bot.Activities(ref.Conversation.ID)
		last := recs[len(recs)-1]
		if last.Method != http.MethodPut || last.ActivityID != id || last.Status != http.StatusOK || last.Activity["text"] != "approved" {
			t.Fatalf("simulator recorded %+v, want the update of %s", last, id)
		}
	})

	t.Run("update of an unknown activity is permanent", func(t *testing.T) {
		err := b.conn.Update(ctx, ref, "1234", Activity{Text: "x"})
		var ce *ConnectorError
		if !errors.As(err, &ce) || ce.Status != http.StatusNotFound || ce.Transient() {
			t.Fatalf("err = %v, want a permanent 404", err)
		}
	})

	t.Run("create personal conversation then send", func(t *testing.T) {
		ref2 := b.personal(t, b.conn, 1)
		again := b.personal(t, b.conn, 1)
		if ref2.Conversation.ID != again.Conversation.ID {
			t.Fatalf("a second creation answered %s, want the existing %s", again.Conversation.ID, ref2.Conversation.ID)
		}
		if _, err := b.conn.Send(ctx, ref2, Activity{Text: "welcome"}); err != nil {
			t.Fatal(err)
		}
		var create map[string]any
		for _, r := range b.sim.Bot.Calls() {
			if r.Path == "v3/conversations" && r.ConversationID == ref2.Conversation.ID {
				create = r.Activity
			}
		}
		data, _ := json.Marshal(create)
		for _, want := range []string{`"isGroup":false`, `"tenantId":"` + b.tenant + `"`, `"id":"` + b.users[1].ID + `"`, `"id":"28:` + b.appID + `"`} {
			if !strings.Contains(string(data), want) {
				t.Errorf("create conversation body %s lacks %s", data, want)
			}
		}
		if n := b.posted()["welcome"]; n != 1 {
			t.Fatalf("welcome delivered %d times", n)
		}
	})

	t.Run("one token for many concurrent calls", func(t *testing.T) {
		c := b.connector(t, ConnectorOptions{})
		var wg sync.WaitGroup
		for i := range 5 {
			wg.Go(func() {
				if _, err := c.Send(ctx, ref, Activity{Text: fmt.Sprintf("burst %d", i)}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n := c.tokens.fetchCount(); n != 1 {
			t.Fatalf("fetched %d tokens, want 1", n)
		}
	})
}

func TestConnectorRefusesServiceURLs(t *testing.T) {
	b := newBotSim(t, nil)
	good := b.personal(t, b.conn, 0)
	before := len(b.sim.Bot.Calls())
	for _, tc := range []struct {
		name, serviceURL string
		refused          bool
	}{
		{"allowed simulator", good.ServiceURL, false},
		{"unknown host", "https://evil.example/amer/", true},
		{"allowed host behind credentials", "https://smba.trafficmanager.net@evil.example/amer/", true},
		{"allowed host over plain http", "http://smba.trafficmanager.net/amer/", true},
		{"allowed host on another port", "https://smba.trafficmanager.net:8443/amer/", true},
		{"suffix of an allowed host", "https://smba.trafficmanager.net.evil.example/amer/", true},
		{"relative", "/amer/", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := good
			ref.ServiceURL = tc.serviceURL
			_, err := b.conn.Send(t.Context(), ref, Activity{Text: "to " + tc.name})
			if got := errors.Is(err, ErrServiceURLRefused); got != tc.refused {
				t.Fatalf("refused = %v (err %v), want %v", got, err, tc.refused)
			}
			_, err = b.conn.CreatePersonalConversation(t.Context(), tc.serviceURL, b.tenant, b.users[0].ID)
			if got := errors.Is(err, ErrServiceURLRefused); got != tc.refused {
				t.Fatalf("create: refused = %v (err %v), want %v", got, err, tc.refused)
			}
		})
	}
	if n := len(b.sim.Bot.Calls()) - before; n != 2 {
		t.Fatalf("the simulator saw %d calls, want only the 2 to the allowed URL", n)
	}
}

func TestConnectorRefetchesTokenOnceOn401(t *testing.T) {
	clock := testenv.NewClockAt(time.Now())
	b := newBotSim(t, clock.Now)
	c := b.conn
	ref := b.personal(t, c, 0)
	if n := c.tokens.fetchCount(); n != 1 {
		t.Fatalf("fetched %d tokens, want 1", n)
	}
	// The simulator's clock runs two hours ahead: to it, the cached token
	// expired, though the connector's clock says it is fresh.
	clock.Advance(2 * time.Hour)
	if _, err := c.Send(t.Context(), ref, Activity{Text: "after expiry"}); err != nil {
		t.Fatal(err)
	}
	if n := c.tokens.fetchCount(); n != 2 {
		t.Fatalf("fetched %d tokens, want 2 (one refetch after the 401)", n)
	}
	st := b.statuses()
	if st[http.StatusUnauthorized] != 1 || b.posted()["after expiry"] != 1 {
		t.Fatalf("simulator answered %v; want one 401 and the message delivered once", st)
	}
}

// faultServer is a token endpoint and a connector that answers the
// activity calls from a script (then 201).
type faultServer struct {
	srv    *httptest.Server
	script []func(w http.ResponseWriter)
	mu     sync.Mutex
	calls  []time.Time
	tokens atomic.Int32
}

func newFaultServer(t *testing.T, script ...func(w http.ResponseWriter)) *faultServer {
	t.Helper()
	f := &faultServer{script: script}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login/{tenant}/oauth2/v2.0/token", func(w http.ResponseWriter, r *http.Request) {
		n := f.tokens.Add(1)
		if r.FormValue("scope") != ConnectorScope || r.FormValue("client_secret") != "s3cret" || r.FormValue("grant_type") != "client_credentials" {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":3599,"access_token":"tok-%d"}`, n)
	})
	mux.HandleFunc("/amer/v3/conversations/", func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-") {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		n := len(f.calls)
		f.calls = append(f.calls, time.Now())
		f.mu.Unlock()
		if n < len(f.script) {
			f.script[n](w)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"1700000000000"}`)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *faultServer) connector(t *testing.T) (*Connector, ConversationReference) {
	t.Helper()
	c, err := NewConnector(ConnectorOptions{
		AppID: "app", AppTenantID: "tenant", LoginURL: f.srv.URL + "/login",
		Secret:             func(context.Context) (string, error) { return "s3cret", nil },
		AllowedServiceURLs: []string{f.srv.URL}, HTTPClient: f.srv.Client(),
		RetryBase: 10 * time.Millisecond, MaxRetry: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := ConversationReference{ServiceURL: f.srv.URL + "/amer/", ChannelID: ChannelTeams,
		Conversation: ConversationAccount{ID: "a:1conv", TenantID: "tenant"}}
	return c, ref
}

func status(code int, header ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"error":{"code":"Code%d","message":"scripted"}}`, code)
	}
}

func TestConnectorFaults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		script    []func(w http.ResponseWriter)
		calls     int
		status    int // of the error; 0: success
		transient bool
		minWait   time.Duration // between the first two calls
		tokens    int32
	}{
		{name: "429 honours Retry-After", script: sc(status(429, "Retry-After", "1")), calls: 2, minWait: time.Second, tokens: 1},
		{name: "412 retried", script: sc(status(412)), calls: 2, tokens: 1},
		{name: "502 retried", script: sc(status(502)), calls: 2, tokens: 1},
		{name: "504 retried", script: sc(status(504)), calls: 2, tokens: 1},
		{name: "503 retried until attempts run out", script: sc(status(503), status(503), status(503), status(503)), calls: 4, status: 503, transient: true, tokens: 1},
		{name: "403 permanent", script: sc(status(403)), calls: 1, status: 403, tokens: 1},
		{name: "404 permanent", script: sc(status(404)), calls: 1, status: 404, tokens: 1},
		{name: "401 refetches the token once", script: sc(status(401)), calls: 2, tokens: 2},
		{name: "401 twice gives up", script: sc(status(401), status(401)), calls: 2, status: 401, tokens: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFaultServer(t, tc.script...)
			c, ref := f.connector(t)
			id, err := c.Send(t.Context(), ref, Activity{Text: "x"})
			var ce *ConnectorError
			switch {
			case tc.status == 0 && (err != nil || id != "1700000000000"):
				t.Fatalf("Send = %q, %v; want the id", id, err)
			case tc.status != 0 && (!errors.As(err, &ce) || ce.Status != tc.status || ce.Transient() != tc.transient):
				t.Fatalf("err = %v, want status %d transient %v", err, tc.status, tc.transient)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.calls) != tc.calls {
				t.Fatalf("%d calls, want %d", len(f.calls), tc.calls)
			}
			if tc.minWait > 0 && f.calls[1].Sub(f.calls[0]) < tc.minWait {
				t.Fatalf("retried after %s, want at least %s", f.calls[1].Sub(f.calls[0]), tc.minWait)
			}
			if n := f.tokens.Load(); n != tc.tokens {
				t.Fatalf("%d token fetches, want %d", n, tc.tokens)
			}
		})
	}
}

func sc(fs ...func(w http.ResponseWriter)) []func(w http.ResponseWriter) { return fs }

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"2", 2 * time.Second}, {"0.5", 500 * time.Millisecond}, {"-1", 0}, {"NaN", 0}, {"soon", 0},
		{now.Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second},
		{now.Add(-3 * time.Second).Format(http.TimeFormat), 0},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := retryAfter(tc.in, now); got != tc.want {
				t.Fatalf("retryAfter(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}
