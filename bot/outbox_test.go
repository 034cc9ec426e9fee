package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward/jobs"
	"github.com/stewardhq/steward/store"
)

func activityJSON(t *testing.T, text string) json.RawMessage {
	t.Helper()
	data, err := json.Marshal(Activity{Type: TypeMessage, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A burst across conversations, more than a conversation's per-second
// limit in some: every message is delivered exactly once, conversations
// are opened for users without one, duplicates by Key are not queued, and
// a gone conversation is given up.
func TestOutboxBurst(t *testing.T) {
	b := newBotSim(t, nil)
	var mu sync.Mutex
	opened := map[string]ConversationReference{}
	var ob *Outbox
	db, _ := queueStack(t, func(q *jobs.Queue) {
		ob = RegisterOutbox(q, b.conn, OutboxOptions{OnConversation: func(_ context.Context, tenantID, userID string, ref ConversationReference) error {
			if tenantID != "contoso" {
				return fmt.Errorf("tenant %q", tenantID)
			}
			mu.Lock()
			defer mu.Unlock()
			opened[userID] = ref
			return nil
		}})
	})
	ctx := t.Context()
	const convs, perConv, fresh = 6, 20, 3
	refs := make([]ConversationReference, convs)
	for i := range refs {
		refs[i] = b.personal(t, b.conn, i)
	}
	var want []string
	enqueue := func(job SendJob) {
		t.Helper()
		ref, err := ob.Enqueue(ctx, job)
		if err != nil || ref.Duplicate {
			t.Fatalf("enqueue %s: %+v, %v", job.Key, ref, err)
		}
	}
	// Conversation after conversation: the first one's messages arrive
	// together, more than its limits admit within a second.
	for c := range convs {
		for m := range perConv {
			text := fmt.Sprintf("conv %d message %d", c, m)
			want = append(want, text)
			enqueue(SendJob{TenantID: "contoso", Ref: refs[c], Activity: activityJSON(t, text), Key: text})
		}
	}
	// Users with no conversation yet: the worker opens one.
	for u := convs; u < convs+fresh; u++ {
		text := fmt.Sprintf("welcome user %d", u)
		want = append(want, text)
		enqueue(SendJob{TenantID: "contoso", UserAADObjectID: b.users[u].ID, Key: text, Activity: activityJSON(t, text),
			Ref: ConversationReference{ServiceURL: b.sim.ServiceURL(), Conversation: ConversationAccount{TenantID: b.tenant}}})
	}
	// The same notification again (a retried enqueue), in a transaction.
	err := db.InTx(ctx, func(tx *store.Tx) error {
		ref, err := ob.EnqueueTx(ctx, tx.Tx, SendJob{TenantID: "contoso", Ref: refs[0], Activity: activityJSON(t, want[0]), Key: want[0]})
		if err == nil && !ref.Duplicate {
			err = fmt.Errorf("a second job with key %q was queued", want[0])
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// A conversation that does not exist: permanent.
	gone := refs[0]
	gone.Conversation.ID = "a:1gone"
	enqueue(SendJob{TenantID: "contoso", Ref: gone, Activity: activityJSON(t, "lost cause"), Key: "gone"})

	waitFor(t, 25*time.Second, "every notification", func() bool {
		s := ob.Stats()
		return s.Sent == int64(len(want)) && s.GaveUp == 1
	})
	posted := b.posted()
	for _, text := range want {
		if posted[text] != 1 {
			t.Errorf("%q delivered %d times, want once", text, posted[text])
		}
	}
	if len(posted) != len(want) {
		t.Errorf("%d distinct messages delivered, want %d", len(posted), len(want))
	}
	mu.Lock()
	if len(opened) != fresh {
		t.Errorf("OnConversation told of %d new conversations, want %d", len(opened), fresh)
	}
	mu.Unlock()
	st := b.statuses()
	s := ob.Stats()
	t.Logf("outbox %+v; simulator answers %v", s, st)
	// The limiter keeps within the windows with a margin for latency. On a
	// loaded machine (the race detector, two cores) a send can still reach
	// the simulator later than its slot; such a 429 is retried after
	// Retry-After (every message arrived once, above), but it must stay
	// rare: more than 1 % of calls means the schedule is wrong.
	calls := 0
	for _, n := range st {
		calls += n
	}
	if th := st[http.StatusTooManyRequests]; th*100 > calls || int64(th) != s.Throttled {
		t.Errorf("the simulator throttled %d of %d calls (outbox counted %d)", th, calls, s.Throttled)
	}
	if s.Deferred == 0 {
		t.Errorf("no job waited for a slot: the burst did not exceed the per-conversation limit")
	}
}

func TestOutboxRejectsIncompleteJobs(t *testing.T) {
	ok := SendJob{TenantID: "contoso", Key: "k", Activity: json.RawMessage(`{"type":"message"}`),
		Ref: ConversationReference{ServiceURL: "https://smba.trafficmanager.net/amer/", Conversation: ConversationAccount{ID: "a:1", TenantID: "t"}}}
	for _, tc := range []struct {
		name   string
		mutate func(j *SendJob)
	}{
		{"no key", func(j *SendJob) { j.Key = "" }},
		{"no service URL", func(j *SendJob) { j.Ref.ServiceURL = "" }},
		{"no Entra tenant", func(j *SendJob) { j.Ref.Conversation.TenantID = "" }},
		{"no conversation and no user", func(j *SendJob) { j.Ref.Conversation.ID = "" }},
		{"update without conversation", func(j *SendJob) { j.Ref.Conversation.ID, j.UserAADObjectID, j.UpdateActivityID = "", "u", "1" }},
		{"activity not JSON", func(j *SendJob) { j.Activity = json.RawMessage(`{`) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := ok
			tc.mutate(&j)
			if err := j.validate(); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if err := ok.validate(); err != nil {
		t.Fatalf("a complete job was refused: %v", err)
	}
}
