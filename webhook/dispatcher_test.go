package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/edge"
	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/store"
	"github.com/stewardhq/steward/vault"
)

// syncBuffer is a log sink safe for the worker goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// stubResolver answers from a table; the tests never reach real DNS.
type stubResolver map[string][]netip.Addr

func (r stubResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

type env struct {
	db   *store.DB
	q    *jobs.Queue
	d    *Dispatcher
	logs *syncBuffer
}

// newEnv wires a store, vault, queue and dispatcher as cmd does, with a
// guarded client that may reach loopback (the test receiver) and resolves
// names through a stub (private.example.test is a private address).
func newEnv(t *testing.T, dsn string) *env {
	t.Helper()
	ctx := context.Background()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	db, err := store.Open(ctx, dsn, store.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := jobs.Config{Logger: logger, FetchPollInterval: 50 * time.Millisecond, RetryBackoff: 20 * time.Millisecond, RetryBackoffMax: 200 * time.Millisecond}
	var q *jobs.Queue
	if db.Engine() == store.Postgres {
		q, err = jobs.NewPostgres(db.Pool(), db.Writer(), cfg)
	} else {
		q, err = jobs.NewSQLite(db.Writer(), cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	kr, err := vault.OpenKeyring(filepath.Join(t.TempDir(), "keyring.json"), true)
	if err != nil {
		t.Fatal(err)
	}
	v := vault.New(db, db, kr, vault.Options{})
	guard := edge.Guard{AllowLoopback: true, Resolver: stubResolver{
		"private.example.test":  {netip.MustParseAddr("10.0.0.7")},
		"metadata.example.test": {netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("169.254.169.254")},
	}}
	d := New(db, q, v, guard.Client(5*time.Second), Options{DevMode: true, MaxAttempts: 4, Timeout: 5 * time.Second, Logger: logger})
	if err := q.Start(context.WithoutCancel(ctx)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("stop queue: %v", err)
		}
	})
	for _, id := range []string{"contoso", "fabrikam"} {
		if _, err := db.CreateTenant(ctx, governance.Tenant{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	return &env{db: db, q: q, d: d, logs: logs}
}

func sqliteEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"))
}

func manager(tenant string) governance.Principal {
	return governance.Principal{Kind: governance.PrincipalUser, TenantID: tenant, ID: "user-" + tenant, Roles: []governance.Role{governance.RoleIntegrationManager}}
}

// received is one request the receiver got, with its verification result.
type received struct {
	path     string
	header   http.Header
	body     []byte
	verified error
}

// receiver is an endpoint on loopback that answers each path with a script
// of statuses (the last one repeats) and verifies signatures.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	scripts map[string][]int
	secrets map[string]string // path -> signing secret
	got     []received
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{scripts: map[string][]int{}, secrets: map[string]string{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		rec := received{path: req.URL.Path, header: req.Header.Clone(), body: body}
		rec.verified = Verify(r.secrets[req.URL.Path], req.Header, body, time.Now(), DefaultTolerance)
		r.got = append(r.got, rec)
		status := http.StatusOK
		if s := r.scripts[req.URL.Path]; len(s) > 0 {
			status = s[0]
			if len(s) > 1 {
				r.scripts[req.URL.Path] = s[1:]
			}
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests(path string) []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []received
	for _, g := range r.got {
		if g.path == path {
			out = append(out, g)
		}
	}
	return out
}

func (r *receiver) subscribe(t *testing.T, e *env, tenant, path string, status []int, events ...governance.WebhookEvent) governance.WebhookSubscription {
	t.Helper()
	sub, secret, err := e.d.Subscribe(context.Background(), manager(tenant), governance.WebhookSubscription{URL: r.URL + path, Events: events, Enabled: true})
	if err != nil {
		t.Fatalf("subscribe %s: %v", path, err)
	}
	r.mu.Lock()
	r.secrets[path], r.scripts[path] = secret, status
	r.mu.Unlock()
	return sub
}

func emit(t *testing.T, e *env, tenant string, event governance.WebhookEvent, data any) {
	t.Helper()
	ctx := context.Background()
	if err := e.db.InTx(ctx, func(tx *store.Tx) error { return e.d.Emit(ctx, tx, tenant, event, data) }); err != nil {
		t.Fatalf("emit: %v", err)
	}
}

// settled waits until the only delivery of sub is succeeded or failed.
func settled(t *testing.T, e *env, sub governance.WebhookSubscription) governance.WebhookDelivery {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ds, err := e.db.Deliveries(context.Background(), sub.TenantID, sub.ID, 10, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 1 && (ds[0].Status == governance.DeliverySucceeded || ds[0].Status == governance.DeliveryFailed) {
			return ds[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries of %s did not settle: %+v", sub.ID, ds)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeliveryIsSignedRetriedAndScoped(t *testing.T) {
	for name, open := range map[string]func(*testing.T) *env{
		"sqlite":   sqliteEnv,
		"postgres": func(t *testing.T) *env { return newEnv(t, testenv.PostgresDSN(t)) },
	} {
		t.Run(name, func(t *testing.T) {
			e := open(t)
			r := newReceiver(t)
			sub := r.subscribe(t, e, "contoso", "/created", []int{500, 200}, governance.EventRequestCreated)
			other := r.subscribe(t, e, "contoso", "/archived", nil, governance.EventTeamArchived)
			disabled := r.subscribe(t, e, "contoso", "/disabled", nil, governance.EventAll)
			disabled.Enabled = false
			if _, err := e.db.UpdateWebhook(context.Background(), disabled); err != nil {
				t.Fatal(err)
			}
			r.subscribe(t, e, "fabrikam", "/fabrikam", nil, governance.EventAll)

			emit(t, e, "contoso", governance.EventRequestCreated, map[string]string{"request_id": "req-1"})
			d := settled(t, e, sub)
			if d.Status != governance.DeliverySucceeded || d.Attempt != 2 || d.ResponseCode != 200 || d.Error != "" {
				t.Fatalf("delivery = %+v, want succeeded on attempt 2", d)
			}
			got := r.requests("/created")
			if len(got) != 2 {
				t.Fatalf("receiver got %d requests, want 2 (500 then 200)", len(got))
			}
			for _, g := range got {
				if g.verified != nil {
					t.Fatalf("signature does not verify: %v", g.verified)
				}
				if g.header.Get(HeaderID) != d.MessageID || g.header.Get("Content-Type") != "application/json" {
					t.Fatalf("headers = %v", g.header)
				}
			}
			var p struct {
				Type      string            `json:"type"`
				Timestamp time.Time         `json:"timestamp"`
				Data      map[string]string `json:"data"`
			}
			if err := json.Unmarshal(got[1].body, &p); err != nil || p.Type != "request.created" || p.Data["request_id"] != "req-1" || p.Timestamp.IsZero() {
				t.Fatalf("payload %s: %+v %v", got[1].body, p, err)
			}
			time.Sleep(200 * time.Millisecond) // room for a wrong delivery to show up
			for _, path := range []string{"/archived", "/disabled", "/fabrikam"} {
				if n := len(r.requests(path)); n != 0 {
					t.Errorf("%s received %d requests for an event it must not get", path, n)
				}
			}
			for _, s := range []governance.WebhookSubscription{other, disabled} {
				if ds, _ := e.db.Deliveries(context.Background(), "contoso", s.ID, 10, time.Time{}); len(ds) != 0 {
					t.Errorf("%s has deliveries: %+v", s.ID, ds)
				}
			}
		})
	}
}

func TestPermanentFailureIsNotRetried(t *testing.T) {
	e := sqliteEnv(t)
	r := newReceiver(t)
	sub := r.subscribe(t, e, "contoso", "/gone", []int{410, 200}, governance.EventAll)
	emit(t, e, "contoso", governance.EventTeamArchived, map[string]string{"team_id": "t1"})
	d := settled(t, e, sub)
	if d.Status != governance.DeliveryFailed || d.Attempt != 1 || d.ResponseCode != 410 || !strings.Contains(d.Error, "410") {
		t.Fatalf("delivery = %+v, want failed after one attempt", d)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(r.requests("/gone")); n != 1 {
		t.Fatalf("receiver got %d requests, want 1", n)
	}

	// Redeliver: another tenant cannot, the owner can; the message id stays.
	ctx := context.Background()
	err := e.d.Redeliver(ctx, manager("fabrikam"), "contoso", d.ID)
	if governance.KindOf(err) != governance.KindNotFound {
		t.Fatalf("redeliver by another tenant: %v", err)
	}
	err = e.d.Redeliver(ctx, governance.Principal{Kind: governance.PrincipalUser, TenantID: "contoso", ID: "u"}, "contoso", d.ID)
	if governance.KindOf(err) != governance.KindForbidden {
		t.Fatalf("redeliver by an end user: %v", err)
	}
	if err := e.d.Redeliver(ctx, manager("contoso"), "contoso", d.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Redeliver(ctx, manager("contoso"), "contoso", d.ID); governance.KindOf(err) != governance.KindConflict {
		t.Fatalf("redeliver while pending: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := e.db.Delivery(ctx, "contoso", d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == governance.DeliverySucceeded {
			if got.Attempt != 2 || got.MessageID != d.MessageID {
				t.Fatalf("redelivered = %+v", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("redelivery did not succeed: %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRetriesStopAtMaxAttempts(t *testing.T) {
	e := sqliteEnv(t)
	r := newReceiver(t)
	sub := r.subscribe(t, e, "contoso", "/down", []int{503}, governance.EventAll)
	emit(t, e, "contoso", governance.EventTeamRenewed, nil)
	d := settled(t, e, sub)
	if d.Status != governance.DeliveryFailed || d.Attempt != 4 || d.ResponseCode != 503 || !strings.Contains(d.Error, "gave up after 4 attempts") {
		t.Fatalf("delivery = %+v", d)
	}
}

func TestPrivateAddressIsRefusedWithoutARequest(t *testing.T) {
	e := sqliteEnv(t)
	ctx := context.Background()
	for _, host := range []string{"private.example.test", "metadata.example.test"} {
		sub, _, err := e.d.Subscribe(ctx, manager("contoso"), governance.WebhookSubscription{URL: "https://" + host + "/hook", Events: []governance.WebhookEvent{governance.EventAll}, Enabled: true})
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		emit(t, e, "contoso", governance.EventMembershipRepaired, nil)
		d := settled(t, e, sub)
		if d.Status != governance.DeliveryFailed || d.Attempt != 1 || d.ResponseCode != 0 || !strings.Contains(d.Error, "refused to connect") || !strings.Contains(d.Error, "Steward only connects to public internet addresses") {
			t.Fatalf("delivery to %s = %+v", host, d)
		}
		if err := e.d.Unsubscribe(ctx, manager("contoso"), sub.ID); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSecretIsNeverStoredInTheClear(t *testing.T) {
	e := sqliteEnv(t)
	r := newReceiver(t)
	sub := r.subscribe(t, e, "contoso", "/h", nil, governance.EventAll)
	emit(t, e, "contoso", governance.EventTemplateUpdated, map[string]string{"template_id": "tpl"})
	d := settled(t, e, sub)
	r.mu.Lock()
	secret := r.secrets["/h"]
	r.mu.Unlock()
	key := strings.TrimPrefix(secret, SecretPrefix)
	ctx := context.Background()
	// Flush the WAL into the file so the grep sees everything written.
	if err := e.db.Maintain(ctx); err != nil {
		t.Logf("maintain: %v", err)
	}
	files, _ := filepath.Glob(e.db.Path() + "*")
	var dump []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dump = append(dump, b...)
		if bytes.Contains(b, []byte(key)) {
			t.Errorf("the signing secret is in %s", f)
		}
	}
	if !bytes.Contains(dump, []byte(`"template_id":"tpl"`)) || !bytes.Contains(dump, []byte(sub.URL)) {
		t.Fatal("the delivery payload and URL are not in the files either: the grep proves nothing")
	}
	if strings.Contains(e.logs.String(), key) {
		t.Error("the signing secret is in the logs")
	}
	if !strings.Contains(e.logs.String(), "webhook delivery attempt") {
		t.Error("no delivery was logged: the log check proves nothing")
	}
	row, _ := json.Marshal(d)
	if bytes.Contains(row, []byte(key)) {
		t.Error("the signing secret is in the delivery row")
	}
	names, err := e.d.vault.SecretNames(ctx, "contoso")
	if err != nil || len(names) != 1 || names[0] != SecretName(sub.ID) {
		t.Fatalf("vault names = %v, %v", names, err)
	}
}

func TestEmitInARolledBackTransactionLeavesNothing(t *testing.T) {
	e := sqliteEnv(t)
	r := newReceiver(t)
	sub := r.subscribe(t, e, "contoso", "/h", nil, governance.EventAll)
	ctx := context.Background()
	boom := errors.New("the domain change failed")
	err := e.db.InTx(ctx, func(tx *store.Tx) error {
		if err := e.d.Emit(ctx, tx, "contoso", governance.EventRequestApproved, nil); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	if ds, _ := e.db.Deliveries(ctx, "contoso", sub.ID, 10, time.Time{}); len(ds) != 0 {
		t.Fatalf("deliveries after rollback: %+v", ds)
	}
	avail, sched, retry, running, err := e.q.Depth(ctx)
	if err != nil || avail+sched+retry+running != 0 {
		t.Fatalf("jobs after rollback: %d %d %d %d %v", avail, sched, retry, running, err)
	}
	if n := len(r.requests("/h")); n != 0 {
		t.Fatalf("receiver got %d requests", n)
	}
	err = e.db.InTx(ctx, func(tx *store.Tx) error { return e.d.Emit(ctx, tx, "contoso", "request.exploded", nil) })
	if governance.KindOf(err) != governance.KindInvalid {
		t.Fatalf("unknown event: %v", err)
	}
}

func TestSubscribeChecksRoleAndEndpoint(t *testing.T) {
	e := sqliteEnv(t)
	ctx := context.Background()
	all := []governance.WebhookEvent{governance.EventAll}
	tests := []struct {
		name string
		p    governance.Principal
		sub  governance.WebhookSubscription
		kind governance.Kind
	}{
		{"anonymous", governance.Principal{}, governance.WebhookSubscription{URL: "https://hooks.example.com", Events: all}, governance.KindUnauthenticated},
		{"end user", governance.Principal{Kind: governance.PrincipalUser, TenantID: "contoso", ID: "u"}, governance.WebhookSubscription{URL: "https://hooks.example.com", Events: all}, governance.KindForbidden},
		{"plain http to a public host", manager("contoso"), governance.WebhookSubscription{URL: "http://hooks.example.com", Events: all}, governance.KindInvalid},
		{"metadata IP literal", manager("contoso"), governance.WebhookSubscription{URL: "https://169.254.169.254/latest", Events: all}, governance.KindInvalid},
		{"unknown event", manager("contoso"), governance.WebhookSubscription{URL: "https://hooks.example.com", Events: []governance.WebhookEvent{"team.exploded"}}, governance.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, secret, err := e.d.Subscribe(ctx, tt.p, tt.sub)
			if governance.KindOf(err) != tt.kind || secret != "" {
				t.Fatalf("Subscribe = %v (secret %q), want kind %v", err, secret, tt.kind)
			}
		})
	}
	if names, _ := e.d.vault.SecretNames(ctx, "contoso"); len(names) != 0 {
		t.Fatalf("refused subscriptions left secrets: %v", names)
	}
	// The tenant comes from the principal, never from the request body.
	sub, secret, err := e.d.Subscribe(ctx, manager("contoso"), governance.WebhookSubscription{TenantID: "fabrikam", URL: "https://hooks.example.com/x", Events: all, Enabled: true})
	if err != nil || sub.TenantID != "contoso" || !strings.HasPrefix(secret, SecretPrefix) || sub.CreatedBy != "user-contoso" {
		t.Fatalf("subscribe = %+v, %v", sub, err)
	}
	if err := e.d.Unsubscribe(ctx, manager("fabrikam"), sub.ID); governance.KindOf(err) != governance.KindNotFound {
		t.Fatalf("unsubscribe by another tenant: %v", err)
	}
}

func TestTransportErrorsDoNotRecordTheURL(t *testing.T) {
	err := &url.Error{Op: "Post", URL: "https://hooks.example/catch/123/s3cr3t-token?key=abc", Err: errors.New("connection refused")}
	got := withoutURL(fmt.Errorf("wrapped: %w", err))
	if strings.Contains(got, "s3cr3t") || strings.Contains(got, "key=abc") || !strings.Contains(got, "connection refused") {
		t.Fatalf("withoutURL = %q", got)
	}
}
