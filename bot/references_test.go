package bot

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/m365sim/botconnector"
	"github.com/stewardhq/steward/store"
)

// countingStore counts the writes References makes.
type countingStore struct {
	*store.DB
	saves atomic.Int64
}

func (c *countingStore) SaveBotConversation(ctx context.Context, bc store.BotConversation) error {
	c.saves.Add(1)
	return c.DB.SaveBotConversation(ctx, bc)
}

// referencesDB is a migrated SQLite store with the tenants contoso and
// fabrikam.
func referencesDB(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "steward.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"contoso", "fabrikam"} {
		if _, err := db.CreateTenant(ctx, governance.Tenant{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// simActivity decodes an activity the simulated Teams channel built.
func simActivity(t *testing.T, a map[string]any) *Activity {
	t.Helper()
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var act Activity
	if err := json.Unmarshal(data, &act); err != nil {
		t.Fatal(err)
	}
	if act.ServiceURL == "" {
		act.ServiceURL = "https://smba.trafficmanager.net/emea/" // Deliver stamps it; these are not delivered
	}
	return &act
}

func TestReferencesRemember(t *testing.T) {
	b := newBotSim(t, nil)
	cs := &countingStore{DB: referencesDB(t)}
	refs := NewReferences(cs)
	ctx := t.Context()
	adele := b.users[0]
	personal, err := b.sim.Bot.PersonalConversation(b.tenant, b.appID, adele.ID)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := b.sim.Dir.Groups(b.tenant)
	if err != nil || len(groups) == 0 {
		t.Fatalf("groups: %v", err)
	}
	channel, err := b.sim.Bot.ChannelConversation(b.tenant, b.appID, groups[0].ID, "Announcements")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("personal chat, once for a chatty user", func(t *testing.T) {
		msg := simActivity(t, b.sim.Bot.Message(adele, "hello", personal))
		for range 5 {
			if err := refs.Remember(ctx, "contoso", msg); err != nil {
				t.Fatal(err)
			}
		}
		if n := cs.saves.Load(); n != 1 {
			t.Fatalf("%d writes for five identical messages, want 1", n)
		}
		ref, teamsID, locale, ok, err := refs.UserReference(ctx, "contoso", adele.ID)
		if err != nil || !ok {
			t.Fatalf("UserReference: ok %v, %v", ok, err)
		}
		if ref.Conversation.ID != personal.ID || ref.ServiceURL != msg.ServiceURL || ref.ActivityID != "" {
			t.Errorf("reference %+v", ref)
		}
		if teamsID != botconnector.MemberID(b.tenant, adele.ID) || locale != msg.Locale {
			t.Errorf("teams id %q locale %q", teamsID, locale)
		}
		msg.Locale = "fr-FR"
		if err := refs.Remember(ctx, "contoso", msg); err != nil {
			t.Fatal(err)
		}
		if _, _, locale, _, _ := refs.UserReference(ctx, "contoso", adele.ID); locale != "fr-FR" || cs.saves.Load() != 2 {
			t.Errorf("a changed locale: stored %q after %d writes", locale, cs.saves.Load())
		}
	})
	t.Run("tenant isolation", func(t *testing.T) {
		if _, _, _, ok, err := refs.UserReference(ctx, "fabrikam", adele.ID); ok || err != nil {
			t.Fatalf("fabrikam sees contoso's chat with Adele: ok %v, %v", ok, err)
		}
		if _, ok, err := refs.TeamReference(ctx, "fabrikam", groups[0].ID); ok || err != nil {
			t.Fatalf("fabrikam sees a contoso team: ok %v, %v", ok, err)
		}
	})
	t.Run("channel thread: the team's General channel", func(t *testing.T) {
		msg := simActivity(t, b.sim.Bot.Message(adele, "hello team", channel))
		if err := refs.Remember(ctx, "contoso", msg); err != nil {
			t.Fatal(err)
		}
		ref, ok, err := refs.TeamReference(ctx, "contoso", groups[0].ID)
		if err != nil || !ok {
			t.Fatalf("TeamReference: ok %v, %v", ok, err)
		}
		if ref.Conversation.ID != channel.TeamID || ref.User != nil {
			t.Errorf("team reference %+v, want conversation %s without a user", ref, channel.TeamID)
		}
	})
	t.Run("opened by the outbox: the Teams id is kept", func(t *testing.T) {
		opened := ConversationReference{ServiceURL: b.sim.ServiceURL(), ChannelID: ChannelTeams,
			Conversation: ConversationAccount{ID: "a:reopened", TenantID: b.tenant}}
		if err := refs.OnConversation(ctx, "contoso", adele.ID, opened); err != nil {
			t.Fatal(err)
		}
		ref, teamsID, locale, ok, err := refs.UserReference(ctx, "contoso", adele.ID)
		if err != nil || !ok || ref.Conversation.ID != "a:reopened" || teamsID == "" || locale != "fr-FR" {
			t.Fatalf("after OnConversation: %+v %q %q %v %v", ref, teamsID, locale, ok, err)
		}
	})
	t.Run("ignored", func(t *testing.T) {
		before := cs.saves.Load()
		for name, a := range map[string]*Activity{
			"no conversation": {Type: TypeMessage, ServiceURL: "https://x/"},
			"group chat": {Type: TypeMessage, ServiceURL: "https://x/", From: &ChannelAccount{ID: "29:1", AADObjectID: "u"},
				Conversation: &ConversationAccount{ID: "19:chat", ConversationType: "groupChat"}},
			"personal without a user": {Type: TypeMessage, ServiceURL: "https://x/", From: &ChannelAccount{ID: "29:1"},
				Conversation: &ConversationAccount{ID: "a:1", ConversationType: "personal"}},
		} {
			if err := refs.Remember(ctx, "contoso", a); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		if cs.saves.Load() != before {
			t.Errorf("%d writes for activities that carry no usable reference", cs.saves.Load()-before)
		}
	})
}
