-- What the Teams bot keeps to message people and teams proactively, and
-- the cards it posted so it can update them in place.
--
-- bot_conversations holds one conversation reference (the Bot Framework
-- ConversationReference, as JSON) per user (kind 'user', subject_id the
-- Entra user id: the bot's personal chat) and per team (kind 'team',
-- subject_id the team's group id: its General channel). teams_user_id is
-- the user's Teams id ("29:..."), which Adaptive Card refresh.userIds
-- names; locale is the one the user's client last reported.
CREATE TABLE bot_conversations (
    tenant_id     TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    reference     TEXT NOT NULL,
    teams_user_id TEXT NOT NULL,
    locale        TEXT NOT NULL,
    updated_at    {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (tenant_id, kind, subject_id)
);

-- bot_card_posts records where a card about a subject (e.g.
-- "request:{id}") was posted: one activity per conversation, the last one
-- posted there, so that a decision updates every approver's card.
CREATE TABLE bot_card_posts (
    tenant_id       TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    subject         TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    activity_id     TEXT NOT NULL,
    reference       TEXT NOT NULL,
    created_at      {{TIMESTAMP}} NOT NULL,
    PRIMARY KEY (tenant_id, subject, conversation_id)
);
