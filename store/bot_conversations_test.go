package store_test

import (
	"testing"
	"time"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/internal/testenv"
	"github.com/stewardhq/steward/store"
)

func TestBotConversations(t *testing.T) {
	crmEngines(t, func(t *testing.T, db *store.DB, clock *testenv.Clock) {
		ctx := t.Context()
		alice := store.BotConversation{TenantID: "contoso", Kind: store.BotConversationUser, SubjectID: "u-alice",
			Reference: `{"conversation":{"id":"a:1"}}`, TeamsUserID: "29:alice", Locale: "fr-FR"}
		if err := db.SaveBotConversation(ctx, alice); err != nil {
			t.Fatal(err)
		}
		first := clock.Now().UTC().Truncate(time.Microsecond)

		t.Run("read back", func(t *testing.T) {
			got, err := db.BotConversation(ctx, "contoso", store.BotConversationUser, "u-alice")
			want := alice
			want.UpdatedAt = first
			if err != nil || got != want {
				t.Fatalf("got %+v, %v; want %+v", got, err, want)
			}
		})
		t.Run("replaced, not duplicated", func(t *testing.T) {
			clock.Advance(time.Minute)
			again := alice
			again.Reference, again.Locale = `{"conversation":{"id":"a:2"}}`, "en-US"
			if err := db.SaveBotConversation(ctx, again); err != nil {
				t.Fatal(err)
			}
			got, err := db.BotConversation(ctx, "contoso", store.BotConversationUser, "u-alice")
			if err != nil || got.Reference != again.Reference || got.Locale != "en-US" || !got.UpdatedAt.After(first) {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
		t.Run("other tenants and kinds see nothing", func(t *testing.T) {
			for _, c := range []struct{ tenant, kind string }{{"fabrikam", store.BotConversationUser}, {"contoso", store.BotConversationTeam}} {
				_, err := db.BotConversation(ctx, c.tenant, c.kind, "u-alice")
				if !governance.IsKind(err, governance.KindNotFound) {
					t.Errorf("%s/%s: err = %v, want KindNotFound", c.tenant, c.kind, err)
				}
			}
		})
		t.Run("refused", func(t *testing.T) {
			for name, c := range map[string]struct {
				c    store.BotConversation
				kind governance.Kind
			}{
				"unknown kind":   {store.BotConversation{TenantID: "contoso", Kind: "chat", SubjectID: "x", Reference: "{}"}, governance.KindInvalid},
				"no reference":   {store.BotConversation{TenantID: "contoso", Kind: "user", SubjectID: "x"}, governance.KindInvalid},
				"unknown tenant": {store.BotConversation{TenantID: "nobody", Kind: "user", SubjectID: "x", Reference: "{}"}, governance.KindNotFound},
			} {
				if err := db.SaveBotConversation(ctx, c.c); !governance.IsKind(err, c.kind) {
					t.Errorf("%s: err = %v, want %s", name, err, c.kind)
				}
			}
		})
	})
}

func TestBotCardPosts(t *testing.T) {
	crmEngines(t, func(t *testing.T, db *store.DB, clock *testenv.Clock) {
		ctx := t.Context()
		post := func(tenant, conv, activity string) {
			t.Helper()
			err := db.SaveCardPost(ctx, store.BotCardPost{TenantID: tenant, Subject: "request:r1", ConversationID: conv,
				ActivityID: activity, Reference: `{"conversation":{"id":"` + conv + `"}}`})
			if err != nil {
				t.Fatal(err)
			}
		}
		post("contoso", "a:2", "act-1")
		post("contoso", "a:1", "act-2")
		clock.Advance(time.Minute)
		post("contoso", "a:2", "act-3") // a reminder in the same chat replaces the first
		post("fabrikam", "a:9", "act-9")

		got, err := db.CardPosts(ctx, "contoso", "request:r1")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ConversationID != "a:1" || got[0].ActivityID != "act-2" ||
			got[1].ConversationID != "a:2" || got[1].ActivityID != "act-3" || !got[1].CreatedAt.After(got[0].CreatedAt) {
			t.Fatalf("contoso's posts = %+v", got)
		}
		if other, err := db.CardPosts(ctx, "fabrikam", "request:r1"); err != nil || len(other) != 1 || other[0].ActivityID != "act-9" {
			t.Fatalf("fabrikam's posts = %+v, %v", other, err)
		}
		if none, err := db.CardPosts(ctx, "contoso", "request:r2"); err != nil || len(none) != 0 {
			t.Fatalf("another subject's posts = %+v, %v", none, err)
		}
		if err := db.SaveCardPost(ctx, store.BotCardPost{TenantID: "contoso", Subject: "request:r1"}); !governance.IsKind(err, governance.KindInvalid) {
			t.Fatalf("an empty post: err = %v, want KindInvalid", err)
		}
	})
}
