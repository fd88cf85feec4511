-- Characters on messaging channels and in the privacy sweep (docs/characters.md).
-- A channel answers as an agent or as a character: agent_id or character_id, exactly one.
-- SQLite cannot drop NOT NULL, so channels is rebuilt (the runner turns foreign keys off around
-- SQLite's migrations, as its documentation asks, and checks them before committing).
-- A character channel's events and sends name the character conversation they belong to, so
-- erasing that conversation takes them along. retention_days: how long a free character keeps
-- its conversations (NULL: a grounded character follows its agent; a free one keeps them).
ALTER TABLE characters ADD COLUMN retention_days INTEGER;
CREATE TABLE channels_rebuilt (
    id              INTEGER PRIMARY KEY,
    agent_id        INTEGER REFERENCES agents(id) ON DELETE CASCADE,
    character_id    INTEGER REFERENCES characters(id) ON DELETE CASCADE,
    platform        TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    catalog_id      TEXT,
    handover_app_id TEXT,
    label           TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    UNIQUE (platform, account_id),
    CHECK ((agent_id IS NULL) <> (character_id IS NULL))
);
INSERT INTO channels_rebuilt (id, agent_id, platform, account_id, catalog_id, handover_app_id, label, created_at)
    SELECT id, agent_id, platform, account_id, catalog_id, handover_app_id, label, created_at FROM channels;
DROP TABLE channels;
ALTER TABLE channels_rebuilt RENAME TO channels;
ALTER TABLE channel_events ADD COLUMN character_conversation_id INTEGER
    REFERENCES character_conversations(id) ON DELETE CASCADE;
ALTER TABLE channel_outbox ADD COLUMN character_conversation_id INTEGER
    REFERENCES character_conversations(id) ON DELETE CASCADE;
CREATE INDEX channel_events_character_conversation ON channel_events (character_conversation_id);
CREATE INDEX channel_outbox_character_conversation ON channel_outbox (character_conversation_id)
