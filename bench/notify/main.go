// Command notify measures proactive notification throughput against the
// Microsoft 365 simulator with Teams' documented bot limits: per thread
// (enforced by the simulator) and per app per tenant (enforced by a
// limiter in front of it). N notifications to C personal conversations go
// through Steward's outbox (durable jobs on SQLite, the rate limiter, the
// connector client); the run reports wall time against the lower bound the
// limits imply, 429s, and lost and duplicated messages. In the same run, a
// naive sender (no limiter, 64 at once, fixed 1 s retry) sends a sample to
// a fresh simulator for comparison.
//
//	go run ./bench/notify -messages 10000 -conversations 2000
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/stewardhq/steward/bot"
	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/store"
)

type config struct {
	messages, conversations, baseline int
}

func main() {
	var c config
	flag.IntVar(&c.messages, "messages", 10000, "notifications Steward sends")
	flag.IntVar(&c.conversations, "conversations", 2000, "personal conversations they go to, round robin")
	flag.IntVar(&c.baseline, "baseline", 2000, "notifications the naive sender sends (same messages per conversation)")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "notify:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	if c.messages < 1 || c.conversations < 1 {
		return errors.New("-messages and -conversations must be positive")
	}
	lim := bot.DefaultLimits()
	fmt.Printf("limits: per thread %v (margin %s); per app per tenant %d/s\n", lim.Thread, lim.Margin, tenantRPS)
	printBound(c.messages, c.conversations, lim)

	res, err := steward(c)
	if err != nil {
		return err
	}
	report("steward (outbox + limiter)", c.messages, c.conversations, res, lim)

	if c.baseline > 0 {
		convs := max(1, min(c.conversations, c.baseline*c.conversations/c.messages))
		res, err := naive(c.baseline, convs)
		if err != nil {
			return err
		}
		report("naive (no limiter, fixed 1 s retry)", c.baseline, convs, res, lim)
	}
	return nil
}

// lowerBound is the earliest the last of n messages to convs conversations
// can leave: the tenant admits tenantRPS per sliding second, so message i
// (from 0) leaves no earlier than floor(i/tenantRPS) s; a conversation's k
// messages need the thread windows' schedule (computed with a limiter
// without margin).
func lowerBound(n, convs int, lim bot.ThreadLimits) (tenant, thread time.Duration) {
	tenant = time.Duration((n-1)/tenantRPS) * time.Second
	k := (n + convs - 1) / convs
	l, _ := bot.NewLimiter(bot.ThreadLimits{Thread: lim.Thread})
	t0 := time.Unix(0, 0)
	for range k {
		thread = max(thread, l.Reserve(bot.LimitKey{Tenant: "t", Conversation: "c"}, t0))
	}
	return tenant, thread
}

func printBound(n, convs int, lim bot.ThreadLimits) {
	tenant, thread := lowerBound(n, convs, lim)
	k := (n + convs - 1) / convs
	fmt.Printf("lower bound: tenant: (%d-1)/%d per s -> last message at %s; thread: %d messages per conversation -> last at %s; bound = %s, ceiling %d msg/s\n",
		n, tenantRPS, tenant, k, thread, max(tenant, thread), tenantRPS)
}

type result struct {
	wall                   time.Duration
	delivered, lost, dupes int
	tenant429, thread429   int64
	gaveUp                 int64
	deferred               int64
}

func report(name string, n, convs int, r result, lim bot.ThreadLimits) {
	tenant, thread := lowerBound(n, convs, lim)
	bound := max(tenant, thread)
	rate := float64(r.delivered) / r.wall.Seconds()
	ceiling := float64(n) / max(bound, time.Second).Seconds()
	fmt.Printf("\n%s: %d messages to %d conversations\n", name, n, convs)
	fmt.Printf("  wall %s (lower bound %s)\n", r.wall.Round(time.Millisecond), bound)
	fmt.Printf("  achieved %.1f msg/s; ceiling %d/%s = %.1f msg/s; achieved/ceiling %.0f %%\n", rate, n, max(bound, time.Second), ceiling, 100*rate/ceiling)
	fmt.Printf("  429s: %d (tenant %d, thread %d); delivered %d, lost %d, duplicated %d, given up %d, snoozed for a slot %d\n",
		r.tenant429+r.thread429, r.tenant429, r.thread429, r.delivered, r.lost, r.dupes, r.gaveUp, r.deferred)
}

func count(s *simulator, texts []string, r *result) {
	posted, thread429 := s.delivery()
	r.thread429, r.tenant429 = int64(thread429), s.tenant429.Load()
	for _, t := range texts {
		switch n := posted[t]; {
		case n == 0:
			r.lost++
		default:
			r.delivered++
			r.dupes += n - 1
		}
	}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newConnector(s *simulator, lim bot.ThreadLimits, attempts int) (*bot.Connector, error) {
	return bot.NewConnector(bot.ConnectorOptions{
		AppID: s.appID, AppTenantID: s.tenant, LoginURL: s.sim.LoginURL(),
		Secret:             func(context.Context) (string, error) { return "steward-dev-secret-contoso", nil },
		AllowedServiceURLs: []string{s.sim.ServiceURL()},
		HTTPClient:         &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128}},
		Limits:             lim, MaxAttempts: attempts,
	})
}

func ref(s *simulator, i int) bot.ConversationReference {
	return bot.ConversationReference{ServiceURL: s.sim.ServiceURL(), ChannelID: bot.ChannelTeams,
		Conversation: bot.ConversationAccount{ID: s.convs[i], ConversationType: "personal", TenantID: s.tenant}}
}

// steward sends n notifications through the outbox.
func steward(c config) (result, error) {
	s, err := startSim(c.conversations)
	if err != nil {
		return result{}, err
	}
	defer s.close()
	dir, err := os.MkdirTemp("", "steward-bench-notify-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "steward.db"), store.Options{Logger: quiet()})
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return result{}, err
	}
	q, err := jobs.NewSQLite(db.Writer(), jobs.Config{Logger: quiet(), Queues: bot.Queues(), FetchPollInterval: 100 * time.Millisecond})
	if err != nil {
		return result{}, err
	}
	if err := q.Migrate(ctx); err != nil {
		return result{}, err
	}
	conn, err := newConnector(s, bot.ThreadLimits{}, 1)
	if err != nil {
		return result{}, err
	}
	ob := bot.RegisterOutbox(q, conn, bot.OutboxOptions{Logger: quiet()})
	texts := make([]string, c.messages)
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for i := range texts {
			texts[i] = fmt.Sprintf("notification %06d", i)
			a, _ := json.Marshal(bot.Activity{Type: bot.TypeMessage, Text: texts[i]})
			if _, err := ob.EnqueueTx(ctx, tx.Tx, bot.SendJob{TenantID: "contoso", Ref: ref(s, i%c.conversations), Activity: a, Key: texts[i]}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return result{}, err
	}
	fmt.Printf("\nsteward: %d notifications queued; sending...\n", c.messages)
	start := time.Now()
	if err := q.Start(context.WithoutCancel(ctx)); err != nil {
		return result{}, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = q.Stop(sctx)
	}()
	var r result
	for {
		st := ob.Stats()
		if st.Sent+st.GaveUp >= int64(c.messages) {
			r.wall, r.gaveUp, r.deferred = time.Since(start), st.GaveUp, st.Deferred
			break
		}
		if time.Since(start) > time.Hour {
			return r, fmt.Errorf("gave up after an hour with %d of %d sent", st.Sent, c.messages)
		}
		time.Sleep(100 * time.Millisecond)
	}
	count(s, texts, &r)
	return r, nil
}

// naive sends n notifications from 64 goroutines with no limiter, retrying
// a refusal after a fixed second, five tries in all.
func naive(n, convs int) (result, error) {
	s, err := startSim(convs)
	if err != nil {
		return result{}, err
	}
	defer s.close()
	// Windows so wide they never hold a call back: no limiter.
	conn, err := newConnector(s, bot.ThreadLimits{Tenant: []bot.Window{{Limit: 1 << 30, Per: time.Nanosecond}}}, 1)
	if err != nil {
		return result{}, err
	}
	fmt.Printf("\nnaive: %d notifications; sending...\n", n)
	texts := make([]string, n)
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var r result
	start := time.Now()
	for range 64 {
		wg.Go(func() {
			for i := range work {
				for try := 0; try < 5; try++ {
					_, err := conn.Send(context.Background(), ref(s, i%convs), bot.Activity{Text: texts[i]})
					if err == nil {
						break
					}
					if try == 4 {
						mu.Lock()
						r.gaveUp++
						mu.Unlock()
						break
					}
					time.Sleep(time.Second)
				}
			}
		})
	}
	for i := range texts {
		texts[i] = fmt.Sprintf("naive %06d", i)
		work <- i
	}
	close(work)
	wg.Wait()
	r.wall = time.Since(start)
	count(s, texts, &r)
	return r, nil
}
