package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stewardhq/steward/governance"
)

// Kinds of bot conversation.
const (
	BotConversationUser = "user" // the bot's personal chat with a user
	BotConversationTeam = "team" // a team's General channel
)

// BotConversation is where the bot can message a user or a team
// proactively. Reference is the Bot Framework conversation reference as
// JSON: the store keeps it without reading it.
type BotConversation struct {
	TenantID  string
	Kind      string // BotConversationUser or BotConversationTeam
	SubjectID string // Entra user id, or the team's group id
	Reference string
	// TeamsUserID is the user's Teams id ("29:..."), users only.
	TeamsUserID string
	Locale      string
	UpdatedAt   time.Time
}

// BotCardPost is a card the bot posted about Subject ("request:{id}") in
// one conversation, so that it can update the card in place later.
type BotCardPost struct {
	TenantID       string
	Subject        string
	ConversationID string
	ActivityID     string
	Reference      string // conversation reference as JSON
	CreatedAt      time.Time
}

// SaveBotConversation stores (or replaces) c, stamped with the
// transaction's clock. Errors: KindInvalid (unknown kind, no subject or
// reference), KindNotFound (no such tenant).
func (db *DB) SaveBotConversation(ctx context.Context, c BotConversation) error {
	if (c.Kind != BotConversationUser && c.Kind != BotConversationTeam) || c.SubjectID == "" || c.Reference == "" {
		return governance.Errorf(governance.KindInvalid, "bot_conversation_invalid",
			"a bot conversation needs a kind (user or team), a subject and a reference")
	}
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO bot_conversations (tenant_id, kind, subject_id, reference, teams_user_id, locale, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (tenant_id, kind, subject_id) DO UPDATE SET reference = excluded.reference,
    teams_user_id = excluded.teams_user_id, locale = excluded.locale, updated_at = excluded.updated_at`,
			c.TenantID, c.Kind, c.SubjectID, c.Reference, c.TeamsUserID, c.Locale, tx.Now)
		if isForeignKeyViolation(err) {
			return notFound("tenant_not_found", "tenant %q does not exist", c.TenantID)
		}
		return classify("save bot conversation", err)
	})
}

// BotConversation returns the stored conversation of a user or team.
// Errors: KindNotFound (the bot has none).
func (db *DB) BotConversation(ctx context.Context, tenantID, kind, subjectID string) (BotConversation, error) {
	c := BotConversation{TenantID: tenantID, Kind: kind, SubjectID: subjectID}
	err := db.reader.QueryRowContext(ctx, `SELECT reference, teams_user_id, locale, updated_at FROM bot_conversations
WHERE tenant_id = $1 AND kind = $2 AND subject_id = $3`, tenantID, kind, subjectID).
		Scan(&c.Reference, &c.TeamsUserID, &c.Locale, &c.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return BotConversation{}, notFound("bot_conversation_not_found", "the bot has no conversation with %s %q", kind, subjectID)
	}
	c.UpdatedAt = c.UpdatedAt.UTC()
	return c, classify("get bot conversation", err)
}

// SaveCardPost records p (replacing an earlier post about the same subject
// in the same conversation), stamped with the transaction's clock.
// Errors: KindInvalid (missing ids), KindNotFound (no such tenant).
func (db *DB) SaveCardPost(ctx context.Context, p BotCardPost) error {
	if p.Subject == "" || p.ConversationID == "" || p.ActivityID == "" || p.Reference == "" {
		return governance.Errorf(governance.KindInvalid, "card_post_invalid",
			"a card post needs a subject, a conversation, an activity and a reference")
	}
	return db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO bot_card_posts (tenant_id, subject, conversation_id, activity_id, reference, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (tenant_id, subject, conversation_id) DO UPDATE SET activity_id = excluded.activity_id,
    reference = excluded.reference, created_at = excluded.created_at`,
			p.TenantID, p.Subject, p.ConversationID, p.ActivityID, p.Reference, tx.Now)
		if isForeignKeyViolation(err) {
			return notFound("tenant_not_found", "tenant %q does not exist", p.TenantID)
		}
		return classify("save card post", err)
	})
}

// CardPosts lists the cards posted about subject, by conversation id.
func (db *DB) CardPosts(ctx context.Context, tenantID, subject string) ([]BotCardPost, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT conversation_id, activity_id, reference, created_at FROM bot_card_posts
WHERE tenant_id = $1 AND subject = $2 ORDER BY conversation_id`, tenantID, subject)
	if err != nil {
		return nil, classify("list card posts", err)
	}
	defer rows.Close()
	var out []BotCardPost
	for rows.Next() {
		p := BotCardPost{TenantID: tenantID, Subject: subject}
		if err := rows.Scan(&p.ConversationID, &p.ActivityID, &p.Reference, &p.CreatedAt); err != nil {
			return nil, classify("list card posts", err)
		}
		p.CreatedAt = p.CreatedAt.UTC()
		out = append(out, p)
	}
	return out, classify("list card posts", rows.Err())
}
