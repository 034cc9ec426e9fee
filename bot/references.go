package bot

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/stewardhq/steward/governance"
	"github.com/stewardhq/steward/store"
)

// ConversationStore keeps the bot's conversation references (*store.DB).
type ConversationStore interface {
	SaveBotConversation(ctx context.Context, c store.BotConversation) error
	BotConversation(ctx context.Context, tenantID, kind, subjectID string) (store.BotConversation, error)
}

// maxRemembered bounds the cache of what was last stored; past it the
// cache starts over, which only costs one write per active conversation.
const maxRemembered = 50_000

// References remembers where the bot can reach each user (its personal
// chat) and each team (the General channel), from the activities Teams
// delivers, so that notifications can be sent proactively later.
type References struct {
	db ConversationStore

	mu   sync.Mutex
	last map[string][sha256.Size]byte // tenant/kind/subject → what was stored
}

// NewReferences returns References over db.
func NewReferences(db ConversationStore) *References {
	return &References{db: db, last: map[string][sha256.Size]byte{}}
}

// Remember stores the conversation of a, an authenticated activity of
// tenantID (a Steward tenant id): a personal chat under its user's Entra
// id, a channel under its team's group id, as the team's General channel.
// Group chats are not kept: Steward never notifies them. Nothing is
// written when the reference did not change since the last write, so a
// chatty user costs no writes.
func (r *References) Remember(ctx context.Context, tenantID string, a *Activity) error {
	if a == nil || a.Conversation == nil || a.ServiceURL == "" {
		return nil
	}
	ref := a.Reference()
	ref.ActivityID = "" // a reference outlives the activity it came from
	c := store.BotConversation{TenantID: tenantID, Locale: a.Locale}
	switch a.Conversation.ConversationType {
	case "personal":
		if a.From == nil || a.From.AADObjectID == "" {
			return nil
		}
		c.Kind, c.SubjectID, c.TeamsUserID = store.BotConversationUser, a.From.AADObjectID, a.From.ID
	case "channel":
		cd := a.ChannelData
		if cd == nil || cd.Team == nil || cd.Team.ID == "" {
			return nil
		}
		c.Kind, c.SubjectID = store.BotConversationTeam, cd.Team.AADGroupID
		if c.SubjectID == "" {
			c.SubjectID = cd.Team.ID
		}
		// The team's id is its General channel's id; posts there start a
		// new thread instead of answering the one this activity is in.
		ref.Conversation.ID = BaseConversationID(cd.Team.ID)
		ref.User = nil
	default:
		return nil
	}
	return r.save(ctx, c, ref)
}

// OnConversation stores the personal chat the outbox opened with userID:
// give it to OutboxOptions.OnConversation. The user's Teams id and locale,
// when known from an earlier activity, are kept.
func (r *References) OnConversation(ctx context.Context, tenantID, userID string, ref ConversationReference) error {
	c := store.BotConversation{TenantID: tenantID, Kind: store.BotConversationUser, SubjectID: userID}
	old, err := r.db.BotConversation(ctx, tenantID, store.BotConversationUser, userID)
	switch {
	case err == nil:
		c.TeamsUserID, c.Locale = old.TeamsUserID, old.Locale
	case !governance.IsKind(err, governance.KindNotFound):
		return fmt.Errorf("bot: references: %w", err)
	}
	if ref.Locale == "" {
		ref.Locale = c.Locale
	}
	return r.save(ctx, c, ref)
}

func (r *References) save(ctx context.Context, c store.BotConversation, ref ConversationReference) error {
	data, err := json.Marshal(ref)
	if err != nil {
		return fmt.Errorf("bot: references: %w", err)
	}
	c.Reference = string(data)
	key := c.TenantID + "\x00" + c.Kind + "\x00" + c.SubjectID
	sum := sha256.Sum256([]byte(c.Reference + "\x00" + c.TeamsUserID + "\x00" + c.Locale))
	r.mu.Lock()
	same := r.last[key] == sum
	r.mu.Unlock()
	if same {
		return nil
	}
	if err := r.db.SaveBotConversation(ctx, c); err != nil {
		return fmt.Errorf("bot: references: %w", err)
	}
	r.mu.Lock()
	if len(r.last) >= maxRemembered {
		clear(r.last)
	}
	r.last[key] = sum
	r.mu.Unlock()
	return nil
}

// UserReference returns the bot's personal chat with the Entra user
// userID, the user's Teams id ("29:...", empty until the user wrote to the
// bot) and locale. ok is false when the bot has no chat with the user.
func (r *References) UserReference(ctx context.Context, tenantID, userID string) (ref ConversationReference, teamsUserID, locale string, ok bool, err error) {
	c, err := r.db.BotConversation(ctx, tenantID, store.BotConversationUser, userID)
	if governance.IsKind(err, governance.KindNotFound) {
		return ConversationReference{}, "", "", false, nil
	}
	if err != nil {
		return ConversationReference{}, "", "", false, fmt.Errorf("bot: references: %w", err)
	}
	if err := json.Unmarshal([]byte(c.Reference), &ref); err != nil {
		return ConversationReference{}, "", "", false, fmt.Errorf("bot: references: user %s: %w", userID, err)
	}
	return ref, c.TeamsUserID, c.Locale, true, nil
}

// TeamReference returns the General channel of the team groupID, where
// the bot is installed; ok is false when it is not (or never said so).
func (r *References) TeamReference(ctx context.Context, tenantID, groupID string) (ref ConversationReference, ok bool, err error) {
	c, err := r.db.BotConversation(ctx, tenantID, store.BotConversationTeam, groupID)
	if governance.IsKind(err, governance.KindNotFound) {
		return ConversationReference{}, false, nil
	}
	if err != nil {
		return ConversationReference{}, false, fmt.Errorf("bot: references: %w", err)
	}
	if err := json.Unmarshal([]byte(c.Reference), &ref); err != nil {
		return ConversationReference{}, false, fmt.Errorf("bot: references: team %s: %w", groupID, err)
	}
	if ref.Conversation.ID == "" {
		return ConversationReference{}, false, errors.New("bot: references: team " + groupID + " has a reference without a conversation")
	}
	return ref, true, nil
}
